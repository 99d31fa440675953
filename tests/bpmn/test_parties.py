"""Tasks in a "<role> đơn vị giao" lane go to the assigning unit's inbox, not the instance's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import FormRejected, HumanTask, StartInstance, complete_task, deploy, start_instance
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
        _complete(pe, work, {"bao_cao": {"ket_qua": "Đã xong"}})
        approve = _open(pe, instance.id)
        assert (approve.candidate_role, approve.candidate_unit) == ("leader", instance.unit_code)
        _complete(pe, approve, {"lanh_dao_duyet": "dong_y"})
        review = _open(pe, instance.id)
        assert (review.element_id, review.candidate_role, review.candidate_unit) == ("tham_dinh_bao_cao", "officer", assigning)
        _complete(pe, review, {"quyet_dinh": "dong_y"})
        sign = _open(pe, instance.id)
        assert (sign.element_id, sign.candidate_role, sign.candidate_unit) == ("ky_duyet", "leader", assigning)


@pytest.mark.parametrize("party", ["don_vi_giao", "don_vi_cap_tren", "don_vi_chu_tri"])
def test_a_unit_cannot_make_itself_the_reviewer_through_its_form(pe, party):
    """Issue 10 §2: completing ``thuc_hien`` with ``don_vi_giao`` set to the school itself made the
    school the reviewer of its own report. The form's allowlist refuses it; nothing changes."""
    with pe.unit_of_work("tester") as uow:
        deploy(uow, (LIBRARY / "giao_nhiem_vu.bpmn").read_bytes())
        school = start_instance(uow, StartInstance("giao_nhiem_vu", {"don_vi_giao": "HP.X001"}, unit_code="HP.X001.THCS01"))
    _complete(pe, _open(pe, school.id))  # tiep_nhan
    work = _open(pe, school.id)
    with pytest.raises(FormRejected) as refused:
        _complete(pe, work, {"bao_cao": {"ket_qua": "xong"}, party: "HP.X001.THCS01"})
    assert refused.value.element_id == "thuc_hien" and [p.element_id for p in refused.value.problems] == [party]
    assert f"trường {party} không có trong biểu mẫu" in str(refused.value)
    assert _open(pe, school.id).id == work.id  # still open, nothing ran
    _complete(pe, work, {"bao_cao": {"ket_qua": "xong"}})
    _complete(pe, _open(pe, school.id), {"lanh_dao_duyet": "dong_y"})
    review = _open(pe, school.id)
    assert (review.element_id, review.candidate_unit) == ("tham_dinh_bao_cao", "HP.X001")
