"""What one completion sends to the database, counted (never timed): the hot path's budget."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from engine import (
    AuditEvent,
    HumanTask,
    StartInstance,
    Timer,
    complete_task,
    deploy,
    start_instance,
)
from tests.engine.bpmn_samples import giao_nhiem_vu, user_task_chain
from tests.query_plans import full_scans, statements_of


def _statements(pe, action) -> list[str]:
    sent: list[str] = []

    def listen(_conn, _cursor, statement, *_rest) -> None:
        sent.append(" ".join(statement.split()[:3]))

    event.listen(pe.db, "before_cursor_execute", listen)
    try:
        action()
    finally:
        event.remove(pe.db, "before_cursor_execute", listen)
    return sent


def test_completing_a_task_takes_five_statements_and_writes_its_events_at_once(pe, clock):
    """Five on SQLite, two on PostgreSQL (where the task rows and the events ride in the
    instance's UPDATE)."""
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain(names=("a", "b", "c")))
    with pe.unit_of_work("tester") as uow:
        instance_id = start_instance(uow, StartInstance("p", {}, unit_code="U1")).id
    [task] = _read(pe, HumanTask, HumanTask.instance_id == instance_id)
    clock.advance(timedelta(hours=1))  # far past any seal interval: still no seal in the request

    def complete() -> None:
        with pe.unit_of_work("officer") as uow:
            complete_task(uow, task.id)

    sent = [s for s in _statements(pe, complete) if not s.startswith("BEGIN")]
    # the task with its instance and the instance's open tasks (one SELECT); UPDATE task, INSERT
    # next task, UPDATE instance (on PostgreSQL one statement: the task rows are CTEs of the
    # instance's UPDATE), INSERT the two events (one executemany; on PostgreSQL a CTE of the
    # UPDATE too). No timer query: the instance never waited on one; no audit seal: the worker
    # seals.
    postgresql = pe.db.dialect.name == "postgresql"
    assert len(sent) <= (2 if postgresql else 5), sent
    assert not any("timer" in s.lower() or "audit_seal" in s.lower() for s in sent)
    assert sum(s.startswith("SELECT") for s in sent) == 1
    assert sum(s.startswith("INSERT INTO audit_event") for s in sent) == (0 if postgresql else 1)
    events = _read(pe, AuditEvent, AuditEvent.instance_id == instance_id)
    assert [e.event for e in events][-2:] == ["task_completed", "task_created"]
    assert [e.id for e in events] == sorted(e.id for e in events)


def test_a_savepoint_rolled_back_after_a_step_loses_only_its_own_events(pe, clock):
    """A caller that rolls back a savepoint drops the events recorded after its mark; the step
    inside must not have written the earlier ones (on PostgreSQL it folds the events into its
    UPDATE only outside savepoints), or they would be rolled back with it."""
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain(names=("a", "b")))
    with pe.unit_of_work("tester") as uow:
        instance_id = start_instance(uow, StartInstance("p", {}, unit_code="U1")).id
    [task] = _read(pe, HumanTask, HumanTask.instance_id == instance_id)
    with pe.unit_of_work("officer") as uow:
        uow.audit("earlier_work", subject="kept")
        mark = len(uow.events)
        savepoint = uow.session.begin_nested()
        complete_task(uow, task.id)
        savepoint.rollback()
        del uow.events[mark:]
    events = _read(pe, AuditEvent, AuditEvent.actor == "officer")
    assert [(e.event, e.subject) for e in events] == [("earlier_work", "kept")]
    assert _read(pe, HumanTask, HumanTask.id == task.id)[0].status == "open"


def test_a_step_of_an_instance_with_a_deadline_reads_its_timer_rows_once(pe, clock):
    """The timer rows are read once at load: the catch-up of set-based deadlines and the step's
    own timer sync share that SELECT."""
    complete = _draft_step_with_a_deadline(pe)
    sent = _statements(pe, complete)
    assert sum(s.startswith("SELECT") and "timer" in s.lower() for s in sent) <= 1, sent
    assert sum(s.startswith("SELECT") for s in sent) == 2, sent


def test_a_step_that_opens_and_cancels_deadlines_writes_their_rows_with_the_step(pe, clock):
    """The timer rows a step closes and opens are Core statements written with its task rows: on
    PostgreSQL CTEs of the instance's UPDATE (no statement of their own), on SQLite one UPDATE
    and one INSERT; the rows are right afterwards."""
    with pe.unit_of_work("tester") as uow:
        deploy(uow, giao_nhiem_vu())
    with pe.unit_of_work("tester") as uow:
        instance_id = start_instance(uow, StartInstance("giao_nhiem_vu", {}, unit_code="U1")).id
    [receive] = _read(pe, HumanTask, HumanTask.instance_id == instance_id)
    before = {t.id: t.status for t in _read(pe, Timer, Timer.instance_id == instance_id)}

    def complete() -> None:
        with pe.unit_of_work("officer") as uow:
            complete_task(uow, receive.id)  # the draft step opens, with its deadline

    sent = _statements(pe, complete)
    after = _read(pe, Timer, Timer.instance_id == instance_id)
    assert [t.status for t in after if t.id not in before] == ["waiting"]
    cancelled = [t for t in after if before.get(t.id) == "waiting" and t.status == "cancelled"]
    assert all(t.status == "cancelled" for t in after if before.get(t.id) == "waiting")
    on_timers = [s for s in sent if s.startswith(("INSERT INTO timer", "UPDATE timer"))]
    assert len(on_timers) == (0 if pe.db.dialect.name == "postgresql" else 1 + bool(cancelled)), sent


def test_a_step_with_a_deadline_finds_every_row_it_reads_by_an_index(pe, clock):
    """No statement of a step scans a whole table: the cost of a step must not grow with the
    province (a step of an instance waiting on its deadline scanned every timer row once). On
    PostgreSQL with sequential scans disabled, so that a small table's plan shows whether an index
    could serve."""
    complete = _draft_step_with_a_deadline(pe)
    sent = statements_of(pe.db, complete)
    assert sent
    assert not full_scans(pe.db, sent)


def _draft_step_with_a_deadline(pe):
    """A ``giao_nhiem_vu`` instance at its draft step, which waits on its deadline; the returned
    call completes that step in a unit of work."""
    with pe.unit_of_work("tester") as uow:
        deploy(uow, giao_nhiem_vu())
    with pe.unit_of_work("tester") as uow:
        instance_id = start_instance(uow, StartInstance("giao_nhiem_vu", {}, unit_code="U1")).id
    [receive] = _read(pe, HumanTask, HumanTask.instance_id == instance_id)
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, receive.id)  # the draft step opens, with its deadline
    [draft] = _read(pe, HumanTask, HumanTask.instance_id == instance_id, HumanTask.status == "open")

    def complete() -> None:
        with pe.unit_of_work("officer") as uow:
            complete_task(uow, draft.id, {"bao_cao": "xong"})

    return complete


def _read(pe, model, *where):
    with pe.read() as s:
        return s.scalars(select(model).where(*where).order_by(model.id if model is AuditEvent else model.created_at, model.id)).all()
