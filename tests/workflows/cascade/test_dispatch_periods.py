"""What the dispatched periods of the Hải Phòng plan are, on both databases: task 2, "Báo cáo
đánh giá; Quý I, II", is one report per unit due 01/07/2026, not a Q1 and a Q2 report."""

from __future__ import annotations

from datetime import datetime

from tests.workflows.cascade.province import dispatch, instances, setup_province
from workflows.timeframes import LOCAL_TZ


def test_quy_i_ii_is_one_report_due_on_1_july(pe):
    plan_id = setup_province(pe)
    dispatch(pe, plan_id)
    task2 = instances(pe, task_key="2")
    # VP leads; the 8 other phòng and the 3 institutions directly under the Sở coordinate; the 2 communes pass it on.
    assert len(task2) == 1 + 8 + 3 + 2
    # The lead's due is 01/07 00:00 (last day Tue 30/06); its coordinators answer 5 working days
    # earlier: Mon 29, Fri 26, Thu 25, Wed 24, Tue 23/06 is their last day, late from 24/06 00:00.
    lead_due, coordinators_due = datetime(2026, 7, 1, tzinfo=LOCAL_TZ), datetime(2026, 6, 24, tzinfo=LOCAL_TZ)
    assert {(i.process_key, i.period, i.due_at) for i in task2} == {
        ("giao_nhiem_vu", "2026-Q1..2026-Q2", lead_due),
        ("phoi_hop", "2026-Q1..2026-Q2", coordinators_due),
        ("xa_phuong_trien_khai", "2026-Q1..2026-Q2", coordinators_due),
    }
