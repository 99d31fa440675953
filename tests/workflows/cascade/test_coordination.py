"""Coordinators (phối hợp) answer the lead: linked to its instance, by an earlier deadline, and
their input is what the lead sees; both databases. Deadlines are counted by hand in comments."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import BadData, HumanTask, Timer
from tests.workflows.cascade.province import act, dispatch, instances, open_task, setup_province
from workflows.calendar import BusinessCalendar
from workflows.cascade.amend import Amendment, amend_task
from workflows.cascade.coordination import (
    coordinator_answers,
    coordinator_due,
    set_coordinator_deadline,
)
from workflows.hooks import install
from workflows.reports.consolidate import plan_summary
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking

LEAD_DUE = datetime(2026, 4, 1, tzinfo=LOCAL_TZ)  # task 1, Quý I: last day Tue 31/03/2026
# 5 working days before Tue 31/03: Mon 30, Fri 27, Thu 26, Wed 25, Tue 24/03 → late from 25/03 00:00.
COORDINATOR_DUE = datetime(2026, 3, 25, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(("lead_due", "days", "expected"), [
    (LEAD_DUE, 5, COORDINATOR_DUE),
    # Across Tết: last day Mon 23/02; 22-21 weekend, 20-16 Tết, 15-14 weekend; Fri 13, Thu 12, Wed 11,
    # Tue 10, Mon 09/02 → late from 10/02 00:00.
    (datetime(2026, 2, 24, tzinfo=LOCAL_TZ), 5, datetime(2026, 2, 10, tzinfo=LOCAL_TZ)),
    # 3 days before 01/07 (last day Tue 30/06): Mon 29, Fri 26, Thu 25/06 → 26/06 00:00.
    (datetime(2026, 7, 1, tzinfo=LOCAL_TZ), 3, datetime(2026, 6, 26, tzinfo=LOCAL_TZ)),
    (None, 5, None),
])  # fmt: skip
def test_the_default_coordinator_deadline_counts_working_days(lead_due, days, expected):
    assert coordinator_due(lead_due, days) == expected


def test_an_admins_day_off_counts_too():
    # Thu 26/03 declared off: Mon 30, Fri 27, Wed 25, Tue 24, Mon 23/03 → 24/03 00:00.
    calendar = BusinessCalendar([2026], extra_days_off=[date(2026, 3, 26)])
    assert coordinator_due(LEAD_DUE, 5, calendar) == datetime(2026, 3, 24, tzinfo=LOCAL_TZ)


@pytest.fixture
def plan_id(pe):
    install(pe, guard=False)  # the harness drives the steps as "tester"; the guard is tested in tests/workflows/actions
    plan_id = setup_province(pe)
    dispatch(pe, plan_id)
    return plan_id


def _lead_and_coordinator(pe, stt="1", unit="HP.QLCL"):
    [lead] = [i for i in instances(pe, task_key=stt) if i.process_key == "giao_nhiem_vu" and i.parent_id is None]
    [coordinator] = [i for i in instances(pe, task_key=stt, unit_code=unit) if i.process_key == "phoi_hop"]
    return lead, coordinator


def test_a_coordinator_answers_the_lead(pe, clock, plan_id):
    lead, qlcl = _lead_and_coordinator(pe)
    # Linked to the lead, with the earlier deadline; every coordinator of task 1 is.
    assert (lead.unit_code, lead.due_at, lead.parent_id) == ("HP.VP", LEAD_DUE, None)
    assert (qlcl.parent_id, qlcl.due_at) == (lead.id, COORDINATOR_DUE)
    coordinators = [i for i in instances(pe, task_key="1") if i.id != lead.id]
    assert len(coordinators) == 8 + 3 + 2 and {(i.parent_id, i.due_at) for i in coordinators} == {(lead.id, COORDINATOR_DUE)}
    with pe.read() as s:
        assert (s.get(Tracking, qlcl.id).parent_id, s.get(Tracking, qlcl.id).due_at) == (lead.id, COORDINATOR_DUE)
        assert s.get(Tracking, lead.id).n_children == len(coordinators)
    assert open_task(pe, qlcl).element_id == "tiep_nhan"

    # The coordinator works, its leader returns it once, then sends it.
    act(pe, qlcl, "tiep_nhan", actor="hp_qlcl_cv")
    assert open_task(pe, qlcl).due_at == COORDINATOR_DUE  # its deadline timer is the coordinators' deadline
    act(pe, qlcl, "thuc_hien", {"noi_dung_phoi_hop": "Số liệu kiểm định: 12/40 trường"}, actor="hp_qlcl_cv")
    act(pe, qlcl, "duyet_bao_cao", {"lanh_dao_duyet": "tra_lai", "y_kien_lanh_dao": "Bổ sung"}, actor="hp_qlcl_ld")
    written = clock.advance(timedelta(hours=3))
    act(pe, qlcl, "thuc_hien", {"noi_dung_phoi_hop": "Số liệu kiểm định: 14/40 trường"}, actor="hp_qlcl_cv2")
    sent = clock.advance(timedelta(hours=1))
    done = act(pe, qlcl, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"}, actor="hp_qlcl_ld")
    assert done.status == "completed"

    # The lead sees each coordinator's answer, who wrote it and who sent it, and when.
    with pe.read() as s:
        answers = {a.unit_code: a for a in coordinator_answers(s, lead.id)}
        lead_row = s.get(Tracking, lead.id)
        summary = plan_summary(s, plan_id, "2026-Q1")
    assert set(answers) == {i.unit_code for i in coordinators}
    answer = answers["HP.QLCL"]
    assert (answer.answer, answer.report_status, answer.status, answer.due_at) == ("Số liệu kiểm định: 14/40 trường", "submitted", "completed", COORDINATOR_DUE)
    assert (answer.written_by, answer.written_at, answer.sent_by, answer.sent_at) == ("hp_qlcl_cv2", written, "hp_qlcl_ld", sent)
    assert answer.unit_name and answer.unit_name != "HP.QLCL"
    assert all(a.answer is None and a.status == "running" for code, a in answers.items() if code != "HP.QLCL")
    assert (lead_row.n_accepted, lead_row.n_approved, lead_row.n_late) == (1, 1, 0)  # one coordinator answered, on time
    # The Sở's summary of the period shows it too, on the coordinator's row.
    [row] = [r for r in summary.rows if r.instance_id == qlcl.id]
    assert (row.status, row.ket_qua) == ("submitted", "Số liệu kiểm định: 14/40 trường")


def test_the_lead_sets_its_coordinators_deadline_when_it_accepts(pe, clock, plan_id):
    lead, qlcl = _lead_and_coordinator(pe)
    # Not earlier than the lead's own (a date alone is the end of that day: 31/03 ends at 01/04 00:00): refused.
    with pytest.raises(BadData) as refused:
        act(pe, lead, "tiep_nhan", {"han_phoi_hop": "2026-03-31"}, actor="hp_vp_cv")
    assert refused.value.code == "coordinator_due_not_earlier"
    assert "00:00 01/04/2026" in str(refused.value) and "trước hạn của đơn vị chủ trì" in str(refused.value)
    with pytest.raises(BadData) as past:
        act(pe, lead, "tiep_nhan", {"han_phoi_hop": "2026-02-27"}, actor="hp_vp_cv")
    assert past.value.code == "coordinator_due_past"
    assert open_task(pe, lead).element_id == "tiep_nhan"  # nothing happened
    assert {i.due_at for i in instances(pe, parent_id=lead.id)} == {COORDINATOR_DUE}

    act(pe, lead, "tiep_nhan", {"han_phoi_hop": "2026-03-20"}, actor="hp_vp_cv")
    chosen = datetime(2026, 3, 21, tzinfo=LOCAL_TZ)  # the end of 20/03
    assert {i.due_at for i in instances(pe, parent_id=lead.id)} == {chosen}
    with pe.read() as s:
        assert {r.due_at for r in s.scalars(select(Tracking).where(Tracking.parent_id == lead.id))} == {chosen}
        waiting = s.scalars(select(Timer).where(Timer.instance_id == qlcl.id, Timer.status == "waiting")).all()
    act(pe, qlcl, "tiep_nhan")
    assert open_task(pe, qlcl).due_at == chosen and all(t.due_at == chosen for t in waiting)
    # Later, by command: still earlier than the lead's own.
    with pe.unit_of_work("hp_vp_ld") as uow:
        assert set_coordinator_deadline(uow, lead.id, "2026-03-24T17:00") == len(instances(pe, parent_id=lead.id))
    assert {i.due_at for i in instances(pe, parent_id=lead.id)} == {datetime(2026, 3, 24, 17, tzinfo=LOCAL_TZ)}
    with pe.unit_of_work("hp_vp_ld") as uow, pytest.raises(BadData):
        set_coordinator_deadline(uow, lead.id, LEAD_DUE)


def test_a_new_lead_keeps_the_coordinators(pe, clock, plan_id):
    former, qlcl = _lead_and_coordinator(pe, "7")
    with pe.unit_of_work("hp_ld") as uow:
        result = amend_task(uow, plan_id, "7", Amendment(reason="Phân công lại", lead="Phòng GDTrH"))
    assert result.cancelled == 1  # the former lead alone: its coordinators were moved, not cancelled
    [new] = [i for i in instances(pe, unit_code="HP.GDTRH", task_key="7") if i.process_key == "giao_nhiem_vu"]
    coordinators = [i for i in instances(pe, task_key="7") if i.process_key != "giao_nhiem_vu"]
    assert {(i.status, i.parent_id) for i in coordinators} == {("running", new.id)}
    with pe.read() as s:
        assert s.get(Tracking, new.id).n_children == len(coordinators)
        assert s.get(Tracking, qlcl.id).parent_id == new.id
        assert s.scalars(select(HumanTask).where(HumanTask.instance_id == qlcl.id, HumanTask.status == "open")).one().element_id == "tiep_nhan"


@pytest.mark.parametrize("days", [-1, 61, True])
def test_the_coordinators_days_are_checked(pe, days):
    plan_id = setup_province(pe)
    with pytest.raises(BadData) as refused:
        dispatch(pe, plan_id, coordinator_days=days)
    assert refused.value.code == "coordinator_days_invalid" and instances(pe) == []


def test_a_coordinating_communes_schools_follow_the_new_deadline(pe, clock, plan_id):
    lead, _ = _lead_and_coordinator(pe)
    [ward] = instances(pe, unit_code="HP.X001", task_key="1")
    act(pe, ward, "tiep_nhan")
    act(pe, ward, "giao_cho_truong", {"cap_hoc": ["MN", "TH"]})
    assert {s.due_at for s in instances(pe, parent_id=ward.id)} == {COORDINATOR_DUE}
    act(pe, lead, "tiep_nhan", {"han_phoi_hop": "2026-03-20"})
    chosen = datetime(2026, 3, 21, tzinfo=LOCAL_TZ)
    assert [i.due_at for i in instances(pe, id=ward.id)] == [chosen]
    assert {s.due_at for s in instances(pe, parent_id=ward.id)} == {chosen}  # never later than their commune's
