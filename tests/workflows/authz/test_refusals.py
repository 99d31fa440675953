"""A refused action changes nothing, and leaves an ``action_refused`` event inspectors can query
(both databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import AuditEvent, InvalidState, complete_task
from tests.workflows.authz.world import build_world, open_task
from workflows.authz.facts import load_task, load_unit, load_user
from workflows.authz.model import NotAllowed
from workflows.authz.refusals import refusals, refusals_recorded
from workflows.authz.rules import day_of, decide_org, decide_task


def _accept(pe, username, task_id, action="accept"):
    """What the action layer will do: load, decide, change — inside ``refusals_recorded``."""
    with refusals_recorded(pe, username) as uow:
        today = day_of(uow.now)
        user, task = load_user(uow.session, username, today), load_task(uow.session, task_id)
        uow.audit("task_note_added", task_id=task_id, subject="written before the decision")
        decision = decide_task(user, action, task, today).ensure()
        uow.on_behalf_of = decision.on_behalf_of
        complete_task(uow, task_id, {})


def _events(pe, *names):
    with pe.read() as s:
        return s.scalars(select(AuditEvent).where(AuditEvent.event.in_(names)).order_by(AuditEvent.id)).all()


def test_a_refused_action_is_rolled_back_and_recorded_as_a_security_event(pe):
    world = build_world(pe)
    task_id = open_task(pe, world.th1, "tiep_nhan")
    with pytest.raises(NotAllowed) as refused:
        _accept(pe, "s2_cv", task_id)  # another school's officer
    assert str(refused.value).startswith("Bạn không có quyền tiếp nhận nhiệm vụ:")
    assert open_task(pe, world.th1, "tiep_nhan") == task_id  # nothing happened to the task
    [event] = _events(pe, "task_note_added", "action_refused")
    assert (event.event, event.actor, event.task_id, event.instance_id, event.on_behalf_of) == ("action_refused", "s2_cv", task_id, world.th1, None)
    assert {k: event.data[k] for k in ("action", "reason", "unit")} == {"action": "accept", "reason": "authz_not_visible", "unit": "T.X1.TH2"}
    assert event.data["message"] == refused.value.message("vi")
    with pe.read() as s:
        inspector = load_user(s, "so_tt", day_of(pe.clock.now()))
        province, other = load_unit(s, "T"), load_unit(s, "Q")
        assert decide_org(inspector, "read_audit", province, day_of(pe.clock.now())).allowed
        assert [e.id for e in refusals(s, province.id)] == [event.id]
        assert refusals(s, other.id) == []


def test_an_allowed_action_commits_and_a_mismatch_with_the_state_is_not_a_security_event(pe):
    world = build_world(pe)
    task_id = open_task(pe, world.th1, "tiep_nhan")
    _accept(pe, "s1_cv", task_id)
    assert open_task(pe, world.th1, "thuc_hien")
    with pytest.raises(InvalidState):
        _accept(pe, "s1_cv", task_id)  # accepted already
    assert [e.event for e in _events(pe, "task_note_added", "action_refused")] == ["task_note_added"]
