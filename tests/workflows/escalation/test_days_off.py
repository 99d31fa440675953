"""A deadline whose last day is a day off ends at the end of the next working day (Civil Code
2015, Điều 148): dispatch gives the instance that effective due and urging counts from it. Task 1
of the Hải Phòng plan, made monthly ("trước ngày 15 hằng tháng") and dispatched on 02/02/2026:
February's report is written as due 15/02, but 14/02 falls in Tết (14-22/02/2026), so its last
day is Monday 23/02. On both databases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tests.workflows.cascade.province import dispatch, instances, setup_province
from tests.workflows.escalation.world import at, notices, run
from workflows.hooks import install
from workflows.plans.models import PlanTask
from workflows.timeframes import LOCAL_TZ, parse_timeframe, schedule_json

VP_CV, VP_LD, SO_LD = "hp_vp_cv", "hp_vp_ld", "hp_ld"


def test_the_february_report_is_due_after_tet_and_late_only_from_24_february(pe, clock):
    install(pe, guard=False)  # tracking rows, which urging reads
    plan_id = setup_province(pe)
    with pe.unit_of_work("tester") as uow:
        task = uow.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id, PlanTask.stt == "1")).one()
        task.timeframe_text = "trước ngày 15 hằng tháng"
        task.schedule = schedule_json(parse_timeframe(task.timeframe_text, 2026))
    clock.set(at(2, 2))
    dispatch(pe, plan_id)
    [february] = instances(pe, unit_code="HP.VP", task_key="1", period="2026-02")
    assert february.due_at == datetime(2026, 2, 24, tzinfo=LOCAL_TZ)  # not 15/02 as written

    expected = {
        (2, 10): set(),
        (2, 11): {("nhac_truoc_3", VP_CV)},  # Wednesday: Thursday, Friday, then Monday 23/02 left
        (2, 12): set(),
        (2, 13): {("nhac_truoc_1", VP_CV)},  # Friday, the last working day before Tết
        (2, 16): set(),  # Tết
        (2, 23): {("den_han", VP_CV)},  # due today, not late
        (2, 24): {("qua_han", VP_LD)},
        (2, 25): {("vuot_cap", SO_LD)},
    }
    for (month, day), wanted in expected.items():
        run(pe, clock, at(month, day))
        assert notices(pe, at(month, day).date(), instance_id=february.id) == wanted, (month, day)
