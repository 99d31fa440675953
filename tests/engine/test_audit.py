from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from engine import (
    AuditEvent,
    AuditSeal,
    StartInstance,
    StepFailed,
    complete_task,
    deploy,
    make_engine,
    start_instance,
    upgrade,
    verify,
)
from engine.audit import GENESIS, LONGEST_TRANSACTION, SEAL_LOOKBACK, chain_hash
from engine.migrate import alembic_config
from engine.queries import inbox
from giaoviec.worker import Worker
from tests.engine.bpmn_samples import user_task_chain
from tests.engine.tamper import drop_guards, insert_event
from tests.test_cli import run
from tests.work import HANG_GUARD


def _some_history(pe, n=3):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain())
    for i in range(n):
        with pe.unit_of_work(f"user{i}") as uow:
            start_instance(uow, StartInstance("p", {"i": i}, unit_code=f"U{i}"))


def test_every_command_is_sealed_into_one_verifiable_chain(pe, clock):
    pe.seal_after_commit = True  # the old way: a commit seals, at most once per interval
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


def _events_and_seals(pe) -> tuple[int, int]:
    with pe.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent)), s.scalar(select(func.count()).select_from(AuditSeal))


def test_a_command_never_seals_the_worker_does(pe, clock):
    """Sealing is off the request path by default: a completion commits its events and returns;
    the worker's sweep chains them (every sweep, not once an interval)."""
    _some_history(pe)
    with pe.read() as s:
        task = inbox(s, unit="U0")[0]
    clock.advance(timedelta(hours=1))  # far past any seal interval
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id)
    events, seals = _events_and_seals(pe)
    assert events > 0 and seals == 0
    with pe.read() as s:
        assert verify(s).unsealed == events  # not a finding: no seal has run since
    report = Worker(pe).sweep(clock.now())
    assert report.sealed == events and report.phase_failures == 0
    with pe.read() as s:
        result = verify(s)
    assert result.ok and result.unsealed == 0 and result.checked == events
    with pe.unit_of_work("user") as uow:
        start_instance(uow, StartInstance("p", {}, unit_code="U9"))
    more, _ = _events_and_seals(pe)
    assert Worker(pe).sweep(clock.now()).sealed == more - events  # each sweep chains what came since
    assert _events_and_seals(pe) == (more, more)


def test_verify_never_misses_an_event_left_unsealed(db_url, pe, clock):
    """With no worker running, every event a command, a failed step's incident or a set-based
    deadline wrote is unsealed; ``audit verify`` seals every committed row first and checks them all."""
    _some_history(pe, n=2)
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain(key="broken", names=("a",), script="x = 1 / 0"))
        broken = start_instance(uow, StartInstance("broken", {}, unit_code="U7"))
    with pe.read() as s:
        [task] = inbox(s, unit="U7")
    with pytest.raises(StepFailed), pe.unit_of_work("officer") as uow:  # its incident: a transaction of its own
        complete_task(uow, task.id)
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event == "incident_raised",
                                                                           AuditEvent.instance_id == broken.id)) == 1  # fmt: skip
    clock.advance(timedelta(minutes=20))  # older than LONGEST_TRANSACTION, still never reached by a seal
    with pe.read() as s:
        result = verify(s)
    events, seals = _events_and_seals(pe)
    assert result.ok and result.unsealed == events and seals == 0
    cli = run(db_url, "audit", "verify")
    assert cli.stdout.startswith(f"OK {events} events")
    assert _events_and_seals(pe) == (events, events)


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event",
                                       "UPDATE audit_seal SET hash = 'x'", "DELETE FROM audit_seal"])
def test_the_database_refuses_to_change_audit_rows(pe, statement):
    _some_history(pe, n=1)
    pe.seal_audit()  # commands leave sealing to the worker: seal rows to refuse changing
    with pytest.raises(DBAPIError) as err, pe.db.begin() as conn:
        conn.execute(text(statement))
    assert "append-only" in str(err.value)


GUARDS = {"sqlite": {"audit_event_no_update", "audit_event_no_delete", "audit_seal_no_update", "audit_seal_no_delete"},
          "postgresql": {"audit_event_append_only", "audit_seal_append_only"}}  # what tamper.drop_guards drops


def test_verify_names_the_first_altered_row(pe):
    _some_history(pe, n=4)
    with pe.read() as s:
        ids = s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    pe.seal_audit()
    victim = ids[len(ids) // 2]
    with pe.db.begin() as conn:  # an attacker with the database owner's rights
        drop_guards(conn)
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE id = :id"), {"id": victim})
    with pe.read() as s:
        result = verify(s)
    assert not result.ok
    [altered] = [f for f in result.findings if f.code == "audit_event_altered"]
    assert altered.params["event"] == victim and "altered" in altered.message("en")
    assert {f.params["name"] for f in result.findings if f.code == "audit_trigger_missing"} == GUARDS[pe.db.dialect.name]


# --- the guards ------------------------------------------------------------------------------


def test_dropped_guards_fail_verify_even_when_no_row_was_touched(pe):
    _some_history(pe, n=1)
    pe.seal_audit()
    with pe.read() as s:
        assert verify(s).ok
    with pe.db.begin() as conn:
        drop_guards(conn)
    with pe.read() as s:
        result = verify(s)
    assert {(f.code, f.params["name"]) for f in result.findings} == {("audit_trigger_missing", name) for name in GUARDS[pe.db.dialect.name]}
    assert "trigger" in result.findings[0].message("en") and "trigger" in result.findings[0].message("vi")


NEUTERED = {
    # Same names, no protection: a guard that never fires, or a function that lets everything through.
    "sqlite": ["DROP TRIGGER audit_event_no_update",
               "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event WHEN 0 "
               "BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: UPDATE on audit_event refused'); END"],
    "postgresql": ["CREATE OR REPLACE FUNCTION giaoviec_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN IF false THEN RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME; "
                   "END IF; RETURN NEW; END $$"],
}  # fmt: skip


def test_a_guard_that_no_longer_guards_fails_verify(pe):
    _some_history(pe, n=1)
    with pe.db.begin() as conn:
        for statement in NEUTERED[pe.db.dialect.name]:
            conn.execute(text(statement))
    with pe.read() as s:
        codes = {f.code for f in verify(s).findings}
    assert codes == {"audit_trigger_altered"}


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
@pytest.mark.parametrize("mode", ["DISABLE TRIGGER", "ENABLE REPLICA TRIGGER"])
def test_a_disabled_guard_fails_verify_on_postgresql(pe, mode):
    _some_history(pe, n=1)
    with pe.db.begin() as conn:
        conn.execute(text(f"ALTER TABLE audit_seal {mode} audit_seal_no_truncate"))
    with pe.read() as s:
        [finding] = verify(s).findings
    assert (finding.code, finding.params["name"]) == ("audit_trigger_disabled", "audit_seal_no_truncate")


def test_the_cli_reports_every_finding_and_exits_1(db_url, pe):
    _some_history(pe, n=1)
    with pe.db.begin() as conn:
        drop_guards(conn)
    result = run(db_url, "--lang", "en", "audit", "verify", check=False)
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.splitlines()  # "The protecting trigger NAME on TABLE is missing: …"
    assert {line.split()[3] for line in lines} == GUARDS[pe.db.dialect.name] and len(lines) == len(GUARDS[pe.db.dialect.name])
    assert all(" is missing: " in line and "--anchor" in line for line in lines)


# --- ids and events left unsealed ------------------------------------------------------------


@pytest.mark.parametrize("bad_id", [0, -1])
def test_an_event_id_must_be_positive(pe, clock, bad_id):
    with pytest.raises(IntegrityError):
        insert_event(pe.db, occurred_at=clock.now(), event_id=bad_id)


def _downgrade_below_0009(db):
    config = alembic_config()
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, ScriptDirectory.from_config(config).get_revision("0009").down_revision)


def test_a_bad_id_written_before_the_constraint_is_kept_as_evidence_and_fails_verify(db_url, clock):
    db = make_engine(db_url)
    try:
        _downgrade_below_0009(db)
        insert_event(db, occurred_at=clock.now(), event_id=1)
        insert_event(db, occurred_at=clock.now(), event_id=-1)  # unsealable: the sealer looks above 0
        upgrade(db)
        with db.connect() as conn:
            assert conn.execute(text("SELECT id FROM audit_event ORDER BY id")).scalars().all() == [-1, 1]
        with pytest.raises(IntegrityError):
            insert_event(db, occurred_at=clock.now(), event_id=-2)
    finally:
        db.dispose()
    result = run(db_url, "audit", "verify", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "1 sự kiện có mã không hợp lệ (đầu tiên: #-1), không bao giờ được niêm phong."


def test_an_event_the_sealer_never_reached_fails_verify_until_sealed(db_url, pe, clock):
    # The regular sealer looks above the last sealed id (SEAL_LOOKBACK below it on PostgreSQL),
    # so a row committed far below it, like a transaction that outlived 10,000 others, is missed.
    high = 3 * SEAL_LOOKBACK
    insert_event(pe.db, occurred_at=clock.now(), event_id=high)
    pe.seal_audit()
    insert_event(pe.db, occurred_at=clock.now(), event_id=7)
    clock.advance(LONGEST_TRANSACTION - timedelta(seconds=1))
    insert_event(pe.db, occurred_at=clock.now(), event_id=high + 1)
    pe.seal_audit()
    with pe.read() as s:
        within = verify(s)
    assert within.ok and within.unsealed == 1  # a seal ran, but not yet long after event 7
    clock.advance(timedelta(seconds=2))
    insert_event(pe.db, occurred_at=clock.now(), event_id=high + 2)
    pe.seal_audit()
    with pe.read() as s:
        late = verify(s)
    [finding] = late.findings
    assert (finding.code, finding.params) == ("audit_unsealed_too_long", {"count": 1, "event": 7, "minutes": 15})
    assert run(db_url, "audit", "verify").stdout.startswith("OK 4 events")  # verify itself seals every committed row


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
        t.join(HANG_GUARD)
    assert errors == []
    pe.seal_audit()
    with pe.read() as s:
        result = verify(s)
    assert result.ok and result.unsealed == 0
