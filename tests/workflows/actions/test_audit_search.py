"""The audit search's action layer on both databases: who reads what (the province, a unit and
below, nobody), the filters, the keyset, bounded exports, and the chain's verification bounded
and against the anchor file."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from engine import AuditEvent, publish_head
from tests.workflows.actions.test_tasks import act
from tests.workflows.authz.world import build_world, open_task
from workflows.actions import guard
from workflows.actions.audit_search import AuditFilters, export, latest_anchor, search, verify_chain
from workflows.actions.tasks import accept
from workflows.authz.model import NotAllowed


@pytest.fixture
def world(pe):
    built = build_world(pe)
    guard.install(pe)
    act(pe, "s1_cv", accept, open_task(pe, built.th1, "tiep_nhan"))
    with pytest.raises(NotAllowed):
        act(pe, "s2_cv", accept, open_task(pe, built.th1, "thuc_hien"))
    return built


def events(page):
    return [(r.actor, r.event, r.refused_action) for r in page.rows]


def test_scopes(pe, world):
    province = act(pe, "so_tt", search, AuditFilters())
    assert province.scope.province and {"s1_cv", "s2_cv", "tester"} <= {r.actor for r in province.rows}
    school = act(pe, "s1_ld", search, AuditFilters())
    # The school's people, and whatever happened to its work (the setup, a neighbour's refused try).
    assert not school.scope.province and "s1_cv" in {r.actor for r in school.rows}
    assert all(r.actor in ("s1_cv", "s1_ld") or r.instance_id == world.th1 for r in school.rows)
    assert ("s2_cv", "action_refused", "accept") in events(school)
    thpt = act(pe, "t_ld", search, AuditFilters())
    assert all(r.instance_id == world.thpt for r in thpt.rows)  # its own work only: nothing of the commune's
    with pytest.raises(NotAllowed):
        act(pe, "s1_cv", search, AuditFilters())


def test_filters(pe, world):
    refusals = act(pe, "so_qt", search, AuditFilters(refused_only=True))
    assert events(refusals) == [("s2_cv", "action_refused", "accept")]
    assert events(act(pe, "so_qt", search, AuditFilters(action="accept"))) == [
        ("s2_cv", "action_refused", "accept"), ("s1_cv", "task_action_taken", None)]
    done = act(pe, "so_qt", search, AuditFilters(person="s1_cv", task=world.th1))
    assert {r.event for r in done.rows} >= {"task_completed", "task_action_taken"}
    assert act(pe, "so_qt", search, AuditFilters(person="s1_cv", since=date(2026, 3, 3))).rows == []
    assert act(pe, "so_qt", search, AuditFilters(person="s1_cv", until=date(2026, 3, 2))).rows
    assert act(pe, "so_qt", search, AuditFilters(task=uuid.uuid4())).rows == []


def test_keyset_and_bounded_export(pe, world):
    first = act(pe, "so_qt", search, AuditFilters(), limit=5)
    second = act(pe, "so_qt", search, AuditFilters(), before=first.next_before, limit=5)
    assert len(first.rows) == 5 and first.next_before == first.rows[-1].id and second.rows[0].id < first.rows[-1].id
    rows, truncated = act(pe, "so_tt", export, AuditFilters(), limit=3)
    assert len(rows) == 3 and truncated
    with pe.read() as s:
        [exported] = s.scalars(select(AuditEvent).where(AuditEvent.event == "audit_exported")).all()
    assert exported.actor == "so_tt" and exported.data == {"filters": {}, "rows": 3, "truncated": True}


def test_verification_is_bounded_and_uses_the_anchor_file(pe, world, anchor_file):
    publish_head(pe, anchor_file)
    anchor = latest_anchor(anchor_file)
    assert anchor is not None and anchor.seq > 0
    check = act(pe, "so_tt", verify_chain, anchor_file, pe.read)
    assert check.verification.ok and check.verification.anchors == 1 and check.anchor == anchor
    too_long = act(pe, "so_tt", verify_chain, anchor_file, pe.read, max_seals=anchor.seq - 1)
    assert too_long.verification is None and "giaoviec audit verify" in too_long.problem
    with pytest.raises(NotAllowed):
        act(pe, "x_ld", verify_chain, anchor_file, pe.read)
    assert latest_anchor(anchor_file.parent / "none.txt") is None
