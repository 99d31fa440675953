"""The units that have not submitted (``workflows.tracking.pending``), on both databases: which
phases count, the scope of a unit's subtree, the page's cut per task, lateness at ``now``."""

from __future__ import annotations

from datetime import datetime

from engine import cancel_instance
from tests.workflows.cascade.province import act, dispatch, instances, setup_province, submit
from workflows.hooks import install
from workflows.org.queries import find_unit
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.pending import not_submitted, not_submitted_counts

BEFORE = datetime(2026, 3, 10, tzinfo=LOCAL_TZ)
AFTER = datetime(2026, 4, 2, tzinfo=LOCAL_TZ)  # past Q1's deadline (1 April; coordinators 25 March)


def test_not_submitted_is_new_working_or_returned_work_in_the_unit_s_subtree(pe):
    install(pe, guard=False)
    plan_id = setup_province(pe)
    dispatch(pe, plan_id)
    [vp] = instances(pe, unit_code="HP.VP", task_key="1")
    [ward] = instances(pe, unit_code="HP.X001", task_key="1")
    [other] = instances(pe, unit_code="HP.X002", task_key="1")
    with pe.read() as s:
        everyone = not_submitted_counts(s, plan_id=plan_id)["1"]
    assert everyone == len(instances(pe, task_key="1"))  # nothing accepted yet: every unit owes its report

    # The commune hands the task to its three schools (each owes its own report); Văn phòng
    # submits (not listed any more), is returned (listed again); the other commune's work is cancelled.
    act(pe, ward, "tiep_nhan")
    act(pe, ward, "giao_cho_truong", {})
    act(pe, vp, "tiep_nhan")
    submit(pe, vp)
    with pe.read() as s:
        assert "HP.VP" not in {r.unit_code for r in not_submitted(s, BEFORE, plan_id=plan_id) if r.task_key == "1"}
    act(pe, vp, "tham_dinh_bao_cao", {"quyet_dinh": "tra_lai", "y_kien": "Bổ sung số liệu"})
    with pe.unit_of_work("tester") as uow:
        cancel_instance(uow, other.id, reason="Không còn phù hợp")

    with pe.read() as s:
        rows = {r.unit_code: r for r in not_submitted(s, BEFORE, plan_id=plan_id) if r.task_key == "1"}
        assert (rows["HP.VP"].phase, rows["HP.VP"].role) == ("returned", "lead")
        assert (rows["HP.X001"].phase, rows["HP.X001"].role) == ("working", "ward")
        assert {c for c in rows if c.startswith("HP.X001.")} == {"HP.X001.MN01", "HP.X001.TH01", "HP.X001.THCS01"}
        assert "HP.X002" not in rows  # cancelled
        assert not any(r.overdue for r in rows.values())
        assert not_submitted_counts(s, plan_id=plan_id)["1"] == len(rows) == everyone - 1 + 3

        # A commune sees itself and its schools; soonest deadline first, then by code.
        mine = not_submitted(s, AFTER, plan_id=plan_id, unit=find_unit(s, "HP.X001"))
        assert [(r.unit_code, r.overdue) for r in mine if r.task_key == "1"] == [
            ("HP.X001", True), ("HP.X001.MN01", True), ("HP.X001.TH01", True), ("HP.X001.THCS01", True),
        ]  # fmt: skip
        assert mine[0].unit_name == "UBND Xã Hồng Bàng" and mine[0].period == "2026-Q1"

        # The page's cut: the first two of each task, the counts still whole.
        cut = not_submitted(s, BEFORE, plan_id=plan_id, per_task=2)
        per_task: dict[str, int] = {}
        for row in cut:
            per_task[row.task_key] = per_task.get(row.task_key, 0) + 1
        counts = not_submitted_counts(s, plan_id=plan_id)
        assert per_task == {key: min(2, n) for key, n in counts.items()}
