"""Tasks in a "<role> đơn vị giao" lane go to the assigning unit's inbox, not the instance's."""

from __future__ import annotations

from sqlalchemy import select

from engine import HumanTask, StartInstance, complete_task, deploy, start_instance
from tests.engine.bpmn_samples import LIBRARY


def _open(pe, instance_id):
    with pe.read() as s:
        [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")).all()
    return task


def _complete(pe, task, data=None):
    with pe.unit_of_work("tester") as uow:
        complete_task(uow, task.id, data or {})


def test_review_and_sign_off_land_in_the_assigning_units_inbox(pe):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, (LIBRARY / "giao_nhiem_vu.bpmn").read_bytes())
    with pe.unit_of_work("tester") as uow:
        sent_by_variable = start_instance(uow, StartInstance("giao_nhiem_vu", {"don_vi_giao": "HP.GDTRH"}, unit_code="HP.THPT001"))
        parent = start_instance(uow, StartInstance("giao_nhiem_vu", {}, unit_code="HP.VP"))
        child = start_instance(uow, StartInstance("giao_nhiem_vu", {}, unit_code="HP.THPT002", parent_id=parent.id))
    for instance, assigning in ((sent_by_variable, "HP.GDTRH"), (child, "HP.VP")):
        _complete(pe, _open(pe, instance.id))  # tiep_nhan
        work = _open(pe, instance.id)
        assert (work.element_id, work.candidate_unit) == ("thuc_hien", instance.unit_code)
        _complete(pe, work, {"bao_cao": "Đã xong"})
        approve = _open(pe, instance.id)
        assert (approve.candidate_role, approve.candidate_unit) == ("leader", instance.unit_code)
        _complete(pe, approve, {"lanh_dao_duyet": "dong_y"})
        review = _open(pe, instance.id)
        assert (review.element_id, review.candidate_role, review.candidate_unit) == ("tham_dinh_bao_cao", "officer", assigning)
        _complete(pe, review, {"quyet_dinh": "dong_y"})
        sign = _open(pe, instance.id)
        assert (sign.element_id, sign.candidate_role, sign.candidate_unit) == ("ky_duyet", "leader", assigning)
