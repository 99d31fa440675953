"""Moving running instances to another version: the dry run's verdicts, the move, and the moved
instance running on to its end on the new version (both databases)."""

from __future__ import annotations

from sqlalchemy import select

from engine import (
    HumanTask,
    Instance,
    StartInstance,
    complete_task,
    deploy,
    move_instances,
    plan_move,
    start_instance,
)
from tests.engine.bpmn_samples import LIBRARY

V1 = (LIBRARY / "giao_nhiem_vu.bpmn").read_bytes()
# v2: the lane "Chuyên viên" is done by the unit's leader (a gv:lane), a step renamed.
V2 = V1.replace(b'<bpmn:lane id="lane_chuyen_vien" name="Chuy\xc3\xaan vi\xc3\xaan">',
                b'<bpmn:lane id="lane_chuyen_vien" name="Chuy\xc3\xaan vi\xc3\xaan"><bpmn:extensionElements>'
                b'<gv:lane role="leader" party="own"/></bpmn:extensionElements>', 1)  # fmt: skip
V2 = V2.replace("Tiếp nhận nhiệm vụ".encode(), "Tiếp nhận nhiệm vụ được giao".encode())
# v3: the step "thuc_hien" replaced by another id.
V3 = V1.replace(b"thuc_hien", b"thuc_hien_moi")


def _start(pe, n: int) -> list:
    with pe.unit_of_work("tester") as uow:
        return [start_instance(uow, StartInstance("giao_nhiem_vu", data={"don_vi_giao": "S"}, unit_code=f"U{i}")).id for i in range(n)]


def _open(pe, instance_id) -> HumanTask:
    with pe.read() as s:
        return s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")).one()


def _complete(pe, instance_id, data=None) -> None:
    task = _open(pe, instance_id)
    with pe.unit_of_work("tester") as uow:
        complete_task(uow, task.id, data or {})


def test_dry_run_lists_who_can_move_and_why_not(pe):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, V1)
    first, second = _start(pe, 2)
    _complete(pe, second)  # second now waits at thuc_hien (and its deadline timer)
    with pe.unit_of_work("tester") as uow:
        assert deploy(uow, V3)[0].version == 2
    with pe.unit_of_work("tester") as uow:
        plan = plan_move(uow, "giao_nhiem_vu", 1, 2)
    verdicts = {v.instance_id: v for v in plan.verdicts}
    assert verdicts[first].movable and verdicts[first].waiting == ("tiep_nhan",)
    blocked = verdicts[second]
    assert not blocked.movable
    assert [(o.code, o.element_id) for o in blocked.obstacles] == [("move_step_missing", "thuc_hien")]
    with pe.read() as s:  # a dry run changes nothing
        assert len(set(s.scalars(select(Instance.definition_id)))) == 1
    with pe.unit_of_work("mover") as uow:
        result = move_instances(uow, "giao_nhiem_vu", 1, 2)
    assert result.moved == (first,)
    _complete(pe, first)  # tiep_nhan, on v3: the renamed step opens
    assert _open(pe, first).element_id == "thuc_hien_moi"


def test_moved_instance_takes_the_new_lanes_and_runs_on(pe):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, V1)
    [instance] = _start(pe, 1)
    before = _open(pe, instance)
    assert (before.element_id, before.candidate_role) == ("tiep_nhan", "officer")
    with pe.unit_of_work("tester") as uow:
        deploy(uow, V2)
    with pe.unit_of_work("mover") as uow:
        result = move_instances(uow, "giao_nhiem_vu", 1, 2)
    assert result.moved == (instance,)
    after = _open(pe, instance)
    assert after.id == before.id and after.candidate_role == "leader"  # the same task, the new lane
    with pe.read() as s:
        assert s.get(Instance, instance).definition_id == result.plan.to_version  # ids follow versions here
    _complete(pe, instance)  # tiep_nhan on v2
    assert _open(pe, instance).element_id == "thuc_hien"
    with pe.unit_of_work("tester") as uow:
        again = plan_move(uow, "giao_nhiem_vu", 1, 2)
    assert again.verdicts == ()  # nothing left on v1
