"""A "Thường xuyên" task is followed through the periodic reports of the plan's reporting regime
(``bao_cao_dinh_ky``), each showing its NĐ 09/2019 data window. Hand counts, both databases.

Task 7 of the demo plan (lead: Văn phòng) made "Thường xuyên", the plan's regime "Hằng quý",
dispatched on 02/03/2026: Văn phòng gets the report on Quý I/2026 now (due 01/04/2026 00:00,
data 15/12/2025-14/03/2026, to the Sở), and the three later quarters wait for their first day;
the year's instance of the work itself is still there, with no deadline. On 01/04 the report
on Quý II opens (due 01/07, data 15/03-14/06/2026).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from engine import InvalidState
from tests.bpmn.test_library import variables
from tests.workflows.cascade.province import dispatch, instances, setup_province
from workflows.cascade.dispatch import open_due_periods
from workflows.cascade.models import DispatchOpening
from workflows.hooks import install
from workflows.plans.models import Plan, PlanTask
from workflows.timeframes import LOCAL_TZ, parse_timeframe, schedule_json
from workflows.tracking.models import Tracking

PROCESSES = ("giao_nhiem_vu", "phoi_hop", "xa_phuong_trien_khai", "bao_cao_dinh_ky")


def _continuous_task_with_regime(pe, regime: str) -> int:
    install(pe, guard=False)  # the harness drives the steps as "tester"; the guard is tested in tests/workflows/actions
    plan_id = setup_province(pe, processes=PROCESSES)
    with pe.unit_of_work("tester") as uow:
        task = uow.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id, PlanTask.stt == "7")).one()
        task.timeframe_text = "Thường xuyên"
        task.schedule = schedule_json(parse_timeframe("Thường xuyên", 2026))
        uow.session.get(Plan, plan_id).reporting_regime = regime
    return plan_id


def _reports(pe) -> list:
    return sorted(instances(pe, task_key="7", process_key="bao_cao_dinh_ky"), key=lambda i: i.period)


def test_the_regime_dispatches_one_report_per_quarter_with_its_data_window(pe, clock):
    plan_id = _continuous_task_with_regime(pe, "Hằng quý")
    result = dispatch(pe, plan_id)
    [q1] = _reports(pe)
    assert (q1.unit_code, q1.period, q1.due_at) == ("HP.VP", "2026-Q1", datetime(2026, 4, 1, tzinfo=LOCAL_TZ))
    data, _ = variables(pe, q1)
    assert (data["ky_bao_cao"], data["ten_ky_bao_cao"], data["chot_so_lieu_tu"], data["chot_so_lieu_den"], data["don_vi_cap_tren"]) == (
        "2026-Q1", "Quý I/2026", "2025-12-15", "2026-03-14", "HP",
    )  # fmt: skip
    [work] = instances(pe, task_key="7", process_key="giao_nhiem_vu")
    assert (work.period, work.due_at) == ("2026", None)
    with pe.read() as s:
        task_id = s.scalars(select(PlanTask.id).where(PlanTask.plan_id == plan_id, PlanTask.stt == "7")).one()
        waiting = s.scalars(select(DispatchOpening.period_key).where(DispatchOpening.plan_task_id == task_id).order_by(DispatchOpening.period_key)).all()
        row = s.get(Tracking, q1.id)
        assert (row.role, row.phase) == ("lead", "working")
    assert waiting == ["bcdk:2026-Q2", "bcdk:2026-Q3", "bcdk:2026-Q4"]
    assert result.scheduled >= 3

    clock.set(datetime(2026, 4, 1, tzinfo=LOCAL_TZ))
    with pe.unit_of_work("worker") as uow:
        opened = open_due_periods(uow)
    assert opened.created >= 1
    q1_again, q2 = _reports(pe)
    assert (q1_again.id, q2.period, q2.due_at) == (q1.id, "2026-Q2", datetime(2026, 7, 1, tzinfo=LOCAL_TZ))
    data, _ = variables(pe, q2)
    assert (data["chot_so_lieu_tu"], data["chot_so_lieu_den"]) == ("2026-03-15", "2026-06-14")


def test_no_regime_no_report_and_an_unreadable_regime_is_refused(pe, clock):
    plan_id = _continuous_task_with_regime(pe, "")
    dispatch(pe, plan_id)
    assert _reports(pe) == []
    with pe.unit_of_work("tester") as uow:
        uow.session.get(Plan, plan_id).reporting_regime = "khi có yêu cầu"
    with pytest.raises(InvalidState) as refused:
        dispatch(pe, plan_id)
    assert refused.value.code == "reporting_regime_refused"
