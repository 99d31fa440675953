"""Amending a dispatched task reaches its running instances; both databases."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from engine import (
    AuditEvent,
    BadData,
    HumanTask,
    InvalidState,
    NotFound,
    Timer,
    complete_task,
    fire_due_timers,
)
from tests.workflows.cascade.province import act, dispatch, instances, open_task, setup_province
from workflows.cascade.amend import Amendment, amend_task
from workflows.hooks import install
from workflows.org.queries import find_unit
from workflows.plans.models import PlanTask
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking
from workflows.tracking.status import summarise

Q1_DUE = datetime(2026, 4, 1, tzinfo=LOCAL_TZ)
NEW_DUE = datetime(2026, 4, 15, tzinfo=LOCAL_TZ)
Q1_COORDINATOR_DUE = datetime(2026, 3, 25, tzinfo=LOCAL_TZ)  # 5 working days before the lead (by hand)
NEW_COORDINATOR_DUE = datetime(2026, 4, 8, tzinfo=LOCAL_TZ)


@pytest.fixture
def plan_id(pe):
    install(pe, guard=False)
    plan_id = setup_province(pe)
    dispatch(pe, plan_id)
    return plan_id


def _amend(pe, plan_id, stt, **kwargs):
    with pe.unit_of_work("hp_ld") as uow:
        return amend_task(uow, plan_id, stt, Amendment(**kwargs))


def test_a_new_deadline_reaches_every_running_instance_and_its_timers(pe, clock, plan_id):
    [ward] = instances(pe, unit_code="HP.X001", task_key="1")
    act(pe, ward, "tiep_nhan")
    act(pe, ward, "giao_cho_truong", {})
    schools = instances(pe, parent_id=ward.id)
    act(pe, schools[0], "tiep_nhan")  # its work task (with the deadline timer) is open
    q1 = instances(pe, task_key="1")
    result = _amend(pe, plan_id, "1", due=NEW_DUE, reason="Công văn 123/SGDĐT lùi hạn")
    assert result.moved == len(q1) and result.changes["due"] == {"period": "2026-Q1", "from": [Q1_DUE.isoformat()], "to": NEW_DUE.isoformat()}
    # The lead moves to 15/04; its coordinators (and the coordinating commune's schools) keep answering 5
    # working days earlier: last day Tue 14/04 → Mon 13, Fri 10, Thu 9, Wed 8, Tue 7/04 → due 08/04 00:00.
    assert {(i.parent_id is None, i.due_at) for i in instances(pe, task_key="1")} == {(True, NEW_DUE), (False, NEW_COORDINATOR_DUE)}
    with pe.read() as s:
        rows = s.scalars(select(Tracking).where(Tracking.task_key == "1")).all()
        assert {(r.due_at, r.original_due_at) for r in rows} == {(NEW_DUE, Q1_DUE), (NEW_COORDINATOR_DUE, Q1_COORDINATOR_DUE)}
        assert {t.due_at for t in s.scalars(select(Timer).where(Timer.status == "waiting", Timer.instance_id == schools[0].id))} == {NEW_COORDINATOR_DUE}
        task = s.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id, PlanTask.stt == "1")).one()
        # Later dispatches read the effective due: it moves with the amended one.
        assert [(p["due"], p["effective_due"]) for p in task.schedule["periods"] if p["key"] == "2026-Q1"] == [(NEW_DUE.isoformat(), NEW_DUE.isoformat())]
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.event == "plan_task_amended")).all()
        assert (event.actor, event.data["reason"], event.data["moved"]) == ("hp_ld", "Công văn 123/SGDĐT lùi hạn", len(q1))
    assert open_task(pe, schools[0]).due_at == NEW_COORDINATOR_DUE

    # The old deadline passes: nothing is late; the new one passes: the open work is.
    clock.set(Q1_DUE)
    fire_due_timers(pe, clock.now(), limit=100)
    with pe.read() as s:
        assert summarise(s, clock.now(), plan_id=plan_id, task_key="1").statuses["dang_thuc_hien_qua_han"] == 0
    clock.set(NEW_COORDINATOR_DUE)
    fire_due_timers(pe, clock.now(), limit=100)
    with pe.read() as s:
        assert s.get(Tracking, schools[0].id).late is True


def test_cancelling_a_task_cancels_its_instances_and_their_children(pe, clock, plan_id):
    [ward] = instances(pe, unit_code="HP.X001", task_key="7")
    act(pe, ward, "tiep_nhan")
    act(pe, ward, "giao_cho_truong", {})
    school = instances(pe, parent_id=ward.id)[0]
    task = open_task(pe, school)
    every = instances(pe, task_key="7")
    result = _amend(pe, plan_id, "7", cancel=True, reason="Nhiệm vụ đã được thay thế")
    assert result.cancelled == len(every) == 9 + 3
    assert {i.status for i in instances(pe, task_key="7")} == {"cancelled"}
    with pe.read() as s:
        assert summarise(s, clock.now(), plan_id=plan_id, task_key="7").statuses["da_huy"] == len(every)
        assert s.scalars(select(HumanTask).where(HumanTask.task_key == "7", HumanTask.status == "open")).all() == []
        assert s.get(Tracking, ward.id).n_children == 3 and s.get(Tracking, ward.id).n_accepted == 0
    with pe.unit_of_work("hp_x001_mn01_cv") as uow, pytest.raises(InvalidState):
        complete_task(uow, task.id, {})
    with pytest.raises(InvalidState):
        _amend(pe, plan_id, "7", due=NEW_DUE, reason="again")
    assert dispatch(pe, plan_id).created == 0  # a cancelled task is not dispatched again


def test_a_new_lead_takes_over_and_the_former_lead_is_cancelled(pe, clock, plan_id):
    [former] = [i for i in instances(pe, unit_code="HP.VP", task_key="7") if i.process_key == "giao_nhiem_vu"]
    result = _amend(pe, plan_id, "7", lead="Phòng GDTrH", reason="Phân công lại")
    assert (result.cancelled, result.created) == (1, 1)
    assert [i.status for i in instances(pe, id=former.id)] == ["cancelled"]
    [new] = [i for i in instances(pe, unit_code="HP.GDTRH", task_key="7") if i.process_key == "giao_nhiem_vu"]
    assert open_task(pe, new).element_id == "tiep_nhan" and new.period == former.period
    with pe.read() as s:
        task = s.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id, PlanTask.stt == "7")).one()
        assert task.lead == [{"unit_id": find_unit(s, "HP.GDTRH").id, "text": "Phòng GDTrH"}]


def test_bad_amendments_are_refused_and_change_nothing(pe, clock, plan_id):
    with pytest.raises(NotFound):
        _amend(pe, plan_id, "99", cancel=True, reason="x")
    with pytest.raises(BadData):
        _amend(pe, plan_id, "1", cancel=True, reason="  ")
    with pytest.raises(BadData) as unclear:
        _amend(pe, plan_id, "1", lead="các phòng", reason="x")
    assert "các phòng" in str(unclear.value)
    with pytest.raises(BadData):
        _amend(pe, plan_id, "1", due=datetime(2026, 4, 15), reason="x")  # noqa: DTZ001 — a naive instant is refused
    assert {i.status for i in instances(pe, task_key="1")} == {"running"}
