from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from engine import (
    AuditEvent,
    AuditSeal,
    StartInstance,
    complete_task,
    deploy,
    start_instance,
    verify,
)
from engine.audit import GENESIS, chain_hash
from engine.queries import inbox
from tests.engine.bpmn_samples import user_task_chain


def _some_history(pe, n=3):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain())
    for i in range(n):
        with pe.unit_of_work(f"user{i}") as uow:
            start_instance(uow, StartInstance("p", {"i": i}, unit_code=f"U{i}"))


def test_every_command_is_sealed_into_one_verifiable_chain(pe, clock):
    _some_history(pe)
    with pe.read() as s:
        assert verify(s).unsealed > 0  # the frozen clock never reached the next seal interval
    clock.advance(timedelta(seconds=1))
    with pe.unit_of_work("user") as uow:  # the next commit after the interval seals everything
        start_instance(uow, StartInstance("p", {}, unit_code="U9"))
    with pe.read() as s:
        result = verify(s)
        seals = s.scalars(select(AuditSeal).order_by(AuditSeal.seq)).all()
        events = {e.id: e for e in s.scalars(select(AuditEvent))}
    assert result.ok and result.unsealed == 0 and result.checked == len(events) > 0
    prev = GENESIS
    for expected_seq, seal in enumerate(seals, start=1):
        assert seal.seq == expected_seq and seal.prev_hash == prev
        prev = chain_hash(prev, events[seal.event_id])
        assert seal.hash == prev
    assert result.head_hash == prev
    assert {e.event for e in events.values()} >= {"definition_deployed", "instance_started", "task_created"}


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event",
                                       "UPDATE audit_seal SET hash = 'x'", "DELETE FROM audit_seal"])
def test_the_database_refuses_to_change_audit_rows(pe, statement):
    _some_history(pe, n=1)
    with pytest.raises(DBAPIError) as err, pe.db.begin() as conn:
        conn.execute(text(statement))
    assert "append-only" in str(err.value)


def _drop_guard(conn, dialect):
    if dialect == "postgresql":
        conn.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))
    else:
        conn.execute(text("DROP TRIGGER audit_event_no_update"))


def test_verify_names_the_first_altered_row(pe):
    _some_history(pe, n=4)
    with pe.read() as s:
        ids = s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    pe.seal_audit()
    victim = ids[len(ids) // 2]
    with pe.db.begin() as conn:  # an attacker with the database owner's rights
        _drop_guard(conn, pe.db.dialect.name)
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE id = :id"), {"id": victim})
    with pe.read() as s:
        result = verify(s)
    assert not result.ok and result.broken_event == victim
    assert "altered" in result.detail


def test_concurrent_writers_take_no_shared_lock_and_the_chain_holds(pe):
    _some_history(pe, n=8)
    with pe.read() as s:
        tasks = [inbox(s, unit=f"U{i}")[0] for i in range(8)]
    errors = []

    def complete(task):
        try:
            with pe.unit_of_work("officer") as uow:
                complete_task(uow, task.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=complete, args=(t,)) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    pe.seal_audit()
    with pe.read() as s:
        result = verify(s)
    assert result.ok and result.unsealed == 0
