"""Which periods are counted: a February deadline across Tết, a plan issued in March. Hand
counts, on both databases.

Tết 2026: task 1 of the demo plan made monthly, "trước ngày 15 hằng tháng", dispatched on
02/02/2026. February's report is written as due 15/02 00:00, but 14/02 is in Tết (14-22/02): it
is late from 24/02 00:00 (Civil Code 2015, Điều 148). January's report was due 15/01, before the
plan reached anyone (the demo plan has no issue date, so the dispatch instant counts): not
dispatched.

Issued in March: task 1 made "trước ngày 05 hằng tháng" (the report on each month, due on the
5th of the next), the plan issued on 10/03/2026 and dispatched on 12/03. The reports on January
(due 05/02) and February (due 05/03) were due before the plan was issued: not dispatched (2
periods of task 1), unless asked; the report on March (due 05/04) is, and April-December wait
for their months.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from tests.workflows.cascade.province import act, dispatch, instances, setup_province
from workflows.hooks import install
from workflows.plans.models import Plan, PlanTask
from workflows.timeframes import LOCAL_TZ, parse_timeframe, schedule_json
from workflows.tracking.status import summarise


def _monthly(pe, clock, phrase: str, *, issued_on: date | None = None) -> int:
    install(pe, guard=False)  # the harness drives the steps as "tester"; the guard is tested in tests/workflows/actions
    plan_id = setup_province(pe)
    with pe.unit_of_work("tester") as uow:
        task = uow.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id, PlanTask.stt == "1")).one()
        task.timeframe_text = phrase
        task.schedule = schedule_json(parse_timeframe(phrase, 2026))
        uow.session.get(Plan, plan_id).issued_on = issued_on
    return plan_id


def _periods(pe) -> list[str]:
    return [i.period for i in sorted(instances(pe, unit_code="HP.VP", task_key="1", process_key="giao_nhiem_vu"), key=lambda i: i.period)]


def test_a_february_report_is_on_time_on_23_february_and_late_from_24(pe, clock):
    plan_id = _monthly(pe, clock, "trước ngày 15 hằng tháng")
    clock.set(datetime(2026, 2, 2, 9, tzinfo=LOCAL_TZ))
    result = dispatch(pe, plan_id)
    assert (_periods(pe), result.past) == (["2026-02"], 1)  # January's was due 15/01: not dispatched

    def february(now: datetime) -> dict[str, int]:
        with pe.read() as s:
            summary = summarise(s, now, plan_id=plan_id, task_key="1", period="2026-02", role="lead")
        return {k: v for k, v in summary.buckets.items() if v}

    assert february(datetime(2026, 2, 15, 0, tzinfo=LOCAL_TZ)) == {"chua_hoan_thanh_trong_han": 1}
    assert february(datetime(2026, 2, 23, 23, 59, tzinfo=LOCAL_TZ)) == {"chua_hoan_thanh_trong_han": 1}
    assert february(datetime(2026, 2, 24, 0, tzinfo=LOCAL_TZ)) == {"chua_hoan_thanh_qua_han": 1}


@pytest.mark.parametrize(("include_past", "periods", "past"), [
    (False, ["2026-03"], 2),
    (True, ["2026-01", "2026-02", "2026-03"], 0),
])  # fmt: skip
def test_a_plan_issued_in_march_does_not_create_reports_overdue_at_birth(pe, clock, include_past, periods, past):
    plan_id = _monthly(pe, clock, "trước ngày 05 hằng tháng", issued_on=date(2026, 3, 10))
    clock.set(datetime(2026, 3, 12, 9, tzinfo=LOCAL_TZ))
    result = dispatch(pe, plan_id, include_past=include_past)
    assert (_periods(pe), result.past, result.as_json()["past"]) == (periods, past, past)
    with pe.read() as s:
        lead = summarise(s, clock.now(), plan_id=plan_id, task_key="1", role="lead")
    # Nothing is overdue at birth unless the past was asked for (January's and February's reports).
    assert lead.buckets["chua_hoan_thanh_qua_han"] == (2 if include_past else 0)
    assert lead.buckets["chua_hoan_thanh_trong_han"] == 1


def test_a_date_typed_without_a_time_is_the_end_of_that_day(pe, clock):
    """A commune gives its schools "2026-03-20": they are on time all that day, late from 21/03."""
    install(pe, guard=False)  # the harness drives the steps as "tester"; the guard is tested in tests/workflows/actions
    plan_id = setup_province(pe)
    dispatch(pe, plan_id)
    [ward] = instances(pe, unit_code="HP.X001", task_key="1")
    act(pe, ward, "tiep_nhan")
    act(pe, ward, "giao_cho_truong", {"han_cho_truong": "2026-03-20"})
    schools = instances(pe, parent_id=ward.id)
    assert {s.due_at for s in schools} == {datetime(2026, 3, 21, tzinfo=LOCAL_TZ)}

    def school_buckets(now: datetime) -> dict[str, int]:
        with pe.read() as s:
            summary = summarise(s, now, plan_id=plan_id, task_key="1", role="school")
        return {k: v for k, v in summary.buckets.items() if v}

    assert school_buckets(datetime(2026, 3, 20, 23, 59, tzinfo=LOCAL_TZ)) == {"chua_hoan_thanh_trong_han": 3}
    assert school_buckets(datetime(2026, 3, 21, 0, tzinfo=LOCAL_TZ)) == {"chua_hoan_thanh_qua_han": 3}
