"""A commune between the Sở and its schools: the schools' deadline, the lead school, the
follow-up that completes itself; both databases."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from engine import BadData, HumanTask
from tests.bpmn.test_library import variables
from tests.workflows.cascade.province import (
    act,
    dispatch,
    instances,
    open_task,
    setup_province,
    submit,
)
from workflows.actions import guard
from workflows.hooks import install
from workflows.org.commands import AddUser, add_user
from workflows.org.queries import find_unit
from workflows.plans.models import PlanTask
from workflows.reports.versions import latest
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking

LEAD_DUE = datetime(2026, 4, 1, tzinfo=LOCAL_TZ)  # task 1, Quý I
WARD_DUE = datetime(2026, 3, 25, tzinfo=LOCAL_TZ)  # a commune passing task 1 to coordinating schools: 5 working days earlier


@pytest.fixture
def ward(pe):
    install(pe, guard=False)  # the harness drives the steps as "tester"; the guard is tested in tests/workflows/actions
    dispatch(pe, setup_province(pe))
    [ward] = instances(pe, unit_code="HP.X001", task_key="1")
    act(pe, ward, "tiep_nhan")
    return ward


def _finish(pe, school, actor="hp_x001_ld"):
    """A school's whole round: accept, report, the commune's review and sign-off."""
    act(pe, school, "tiep_nhan")
    submit(pe, school, f"Kết quả của {school.unit_code}")
    act(pe, school, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"}, actor="hp_x001_cv")
    return act(pe, school, "ky_duyet", actor=actor)


def test_the_schools_deadline_may_not_be_later_than_the_communes(pe, ward):
    assert ward.due_at == WARD_DUE
    for later in ("2026-03-25", "2026-03-25T00:00:01+07:00"):  # the end of 25/03 is after 25/03 00:00
        with pytest.raises(BadData) as refused:
            act(pe, ward, "giao_cho_truong", {"cap_hoc": ["MN"], "han_cho_truong": later})
        assert refused.value.code == "ward_school_due_later"
        assert "không được muộn hơn hạn của xã/phường (00:00 25/03/2026)" in str(refused.value)
    assert open_task(pe, ward).element_id == "giao_cho_truong" and instances(pe, parent_id=ward.id) == []

    act(pe, ward, "giao_cho_truong", {"cap_hoc": ["MN", "TH"], "han_cho_truong": "2026-03-20"})
    schools = instances(pe, parent_id=ward.id)
    assert [(s.unit_code, s.due_at) for s in schools] == [(code, datetime(2026, 3, 21, tzinfo=LOCAL_TZ)) for code in ("HP.X001.MN01", "HP.X001.TH01")]
    assert open_task(pe, schools[0]).element_id == "tiep_nhan"


def test_the_schools_deadline_may_equal_the_communes(pe, ward):
    act(pe, ward, "giao_cho_truong", {"cap_hoc": ["THCS"], "han_cho_truong": WARD_DUE.isoformat()})
    assert [s.due_at for s in instances(pe, parent_id=ward.id)] == [WARD_DUE]


def test_the_follow_up_completes_itself_when_the_last_school_is_done(pe, ward):
    act(pe, ward, "giao_cho_truong", {"cap_hoc": ["MN", "TH"]})
    mn, th = instances(pe, parent_id=ward.id)
    assert open_task(pe, ward).element_id == "theo_doi_cac_truong"
    assert _finish(pe, mn).status == "completed"
    assert open_task(pe, ward).element_id == "theo_doi_cac_truong"  # one school still working
    act(pe, th, "tiep_nhan")
    submit(pe, th, f"Kết quả của {th.unit_code}")
    act(pe, th, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"}, actor="hp_x001_cv")
    with pe.unit_of_work("tester") as uow:
        add_user(uow, AddUser("hp_x001_ld2", "Phó Chủ tịch UBND xã", "HP.X001", ("leader",)))
    guard.install(pe)  # a person signs the last school off: the follow-up is still the domain's own step
    assert act(pe, th, "ky_duyet", actor="hp_x001_ld2").status == "completed"
    pe.hooks.task_completing.remove(guard.check)  # the harness goes on as "tester"

    with pe.read() as s:
        [follow] = s.scalars(select(HumanTask).where(HumanTask.instance_id == ward.id, HumanTask.element_id == "theo_doi_cac_truong")).all()
    assert (follow.status, follow.completed_by) == ("completed", "hp_x001_ld2")  # in the last school's step
    assert open_task(pe, ward).element_id == "tong_hop_bao_cao"
    data, _ = variables(pe, ward)
    assert (data["so_truong"], data["so_truong_hoan_thanh"], data["ket_qua_cac_truong"]) == (2, 2, ["HP.X001.MN01", "HP.X001.TH01"])
    # The commune's report is then the consolidation of its schools'.
    act(pe, ward, "tong_hop_bao_cao", {})
    with pe.read() as s:
        report = latest(s, ward.id)
    assert "Kết quả của HP.X001.MN01" in report.ket_qua and "Kết quả của HP.X001.TH01" in report.ket_qua


def test_a_school_named_as_lead_keeps_the_lead_role(pe, clock):
    install(pe, guard=False)  # the harness drives the steps as "tester"; the guard is tested in tests/workflows/actions
    plan_id = setup_province(pe)
    with pe.unit_of_work("tester") as uow:
        task = uow.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id, PlanTask.stt == "1")).one()
        task.lead_text, task.lead = "Trường Tiểu học 01", [{"unit_id": find_unit(uow.session, "HP.X001.TH01").id, "text": "TH01"}]
    dispatch(pe, plan_id)
    [ward] = instances(pe, unit_code="HP.X001", task_key="1")
    # The lead school's commune carries the lead's obligation: the lead's deadline, no parent, the coordinators under it.
    assert (ward.process_key, ward.parent_id, ward.due_at) == ("xa_phuong_trien_khai", None, LEAD_DUE)
    coordinators = instances(pe, parent_id=ward.id)
    assert coordinators and {(c.process_key in ("phoi_hop", "xa_phuong_trien_khai"), c.due_at) for c in coordinators} == {(True, WARD_DUE)}
    assert "HP.VP" in {c.unit_code for c in coordinators}

    act(pe, ward, "tiep_nhan")
    act(pe, ward, "giao_cho_truong", {"cap_hoc": ["MN"]})  # the lead school is not a preschool: still included
    schools = [i for i in instances(pe, parent_id=ward.id) if i.process_key == "giao_nhiem_vu"]
    assert [s.unit_code for s in schools] == ["HP.X001.MN01", "HP.X001.TH01"]
    lead_school = schools[1]
    assert variables(pe, lead_school)[0].get("vai_tro") == "chu_tri" and "vai_tro" not in variables(pe, schools[0])[0]
    assert lead_school.due_at == LEAD_DUE
    with pe.read() as s:  # official figures count the lead school's work as the lead's
        roles = dict(s.execute(select(Tracking.instance_id, Tracking.role).where(Tracking.instance_id.in_([i.id for i in schools]))).all())
    assert roles == {schools[0].id: "school", lead_school.id: "lead"}

    # The coordinators under the commune are not schools: the follow-up waits for the two schools only.
    _finish(pe, schools[0])
    assert open_task(pe, ward).element_id == "theo_doi_cac_truong"
    _finish(pe, lead_school)
    assert open_task(pe, ward).element_id == "tong_hop_bao_cao"
    assert variables(pe, ward)[0]["so_truong"] == 2
