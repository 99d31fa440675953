"""Firing due timers, exactly once, however many callers sweep at the same time.

A sweep claims *instances* that have a due timer, not timer rows: the instance row is what a
step changes, so locking it (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's single writer
via ``BEGIN IMMEDIATE``) keeps two sweepers, or a sweeper and a person, from stepping the same
instance at once. After the lock, the due timers are read again, so an instance another sweeper
fired a moment ago is skipped. The claimed instances step as a batch (``engine.timer_batch``: one
read per table, one savepoint, one flush): one failing instance (a failed script, state that
cannot be read or written, even a bug in a hook) gets an incident and the others still fire; only
a database failure ends the sweep. Instances with an open incident wait for a retry.

Deadlines whose only effect is a flag (``engine.timer_flags``) are not stepped: per claim, their
rows are marked fired, their ``timer_fired`` events inserted and their instances' ``version``
bumped (a person's step computed before the sweep then fails its optimistic lock instead of
overwriting the row) by the database itself (``engine.flag_fire``: one statement on PostgreSQL,
three on SQLite, whatever the claim's size), and the domain told once (``timers_fired`` hook). While whole claims are such deadlines, the
sweep goes on claiming larger batches in the same transaction (``FLAG_BATCHES`` × ``FLAG_CLAIM``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import exists, select

from engine.flag_fire import fire_flags
from engine.models import Incident, Instance, Timer
from engine.process_engine import TimersFired
from engine.timer_batch import step_instances
from engine.uow import UnitOfWork

if TYPE_CHECKING:
    from engine.process_engine import ProcessEngine

FLAG_BATCHES = 5  # claims of set-based deadlines one transaction may add to the first …
FLAG_CLAIM = 10  # … each of FLAG_CLAIM × limit instances (5,100 deadlines per transaction at 100)


@dataclass(frozen=True)
class SweepResult:
    instances: int
    fired: int
    failed: int


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return (Timer.status == "waiting") & (Timer.due_at <= now)


def fire_due_timers(
    engine: ProcessEngine, now: datetime, limit: int = 200, *, actor: str = "system:timer", flag_batches: int = FLAG_BATCHES
) -> SweepResult:
    """Fire the timers due at ``now`` on up to ``limit`` instances, in one transaction (up to
    ``flag_batches`` more claims of ``limit`` while they are all set-based deadlines)."""
    fired = failed = stepped = flagged = 0
    with engine.unit_of_work(actor, now=now) as uow:
        session = uow.session
        to_step: list[object] = []
        for batch in range(1 + flag_batches):
            size = limit if batch == 0 else limit * FLAG_CLAIM
            claimed = _claim(uow, now, size)
            steps = {row.instance_id for row in claimed if row.element_id not in engine.flag_timers(session, row.definition_id)}
            flags = [row for row in claimed if row.instance_id not in steps]
            if flags:
                n_instances, n_fired = _fire_flags(uow, flags, now)
                flagged, fired = flagged + n_instances, fired + n_fired
            to_step.extend(dict.fromkeys(row.instance_id for row in claimed if row.instance_id in steps))
            if steps or len({row.instance_id for row in claimed}) < size:
                break  # instances to step, or nothing more due
        n_stepped, n_fired, failed = step_instances(uow, to_step[:limit], now)  # at most ``limit``; the others stay due
        stepped, fired = n_stepped, fired + n_fired
    return SweepResult(stepped + flagged, fired, failed)


def _claim(uow: UnitOfWork, now: datetime, limit: int) -> list:  # type: ignore[type-arg]
    """Due timers of up to ``limit`` instances, those instances locked (skipping locked ones).

    Core, not the ORM: this runs once per batch of 100 and the ORM's per-statement machinery
    cost more than the query itself (bench/README.md, timers)."""
    session = uow.session
    timer, instance, incident = Timer.__table__, Instance.__table__, Incident.__table__
    no_incident = ~exists().where(incident.c.instance_id == timer.c.instance_id, incident.c.status == "open")
    # The LIMIT sits on the locking query itself: with SKIP LOCKED each sweeper takes the next
    # unlocked instances, instead of all of them picking the same oldest ones (a subquery's LIMIT
    # is applied before locking, so concurrent sweepers would mostly find nothing to claim).
    claim = (
        select(instance.c.id.label("instance_id"), instance.c.definition_id, timer.c.id.label("timer_id"), timer.c.element_id)
        .select_from(instance.join(timer, timer.c.instance_id == instance.c.id))
        .where(timer.c.status == "waiting", timer.c.due_at <= now, no_incident, instance.c.status == "running")
        .order_by(timer.c.due_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        claim = claim.with_for_update(of=instance, skip_locked=True)
    return list(session.connection().execute(claim).all())


def _fire_flags(uow: UnitOfWork, rows: list, now: datetime) -> tuple[int, int]:  # type: ignore[type-arg]
    """Fire set-based deadlines (``engine.timer_flags``, statements in ``engine.flag_fire``);
    returns (instances, timers) fired."""
    uow.session.flush()
    done = fire_flags(uow.session.connection(), rows, now, uow.actor, uow.on_behalf_of)
    if not done:
        return 0, 0
    instance_ids = list(dict.fromkeys(instance_id for instance_id, _element in done))
    uow.timers_fired += len(done)
    uow.touched.extend(instance_ids)
    uow.engine.hooks.fire("timers_fired", uow, TimersFired(done))
    return len(instance_ids), len(done)
