"""Firing due timers, exactly once, however many callers sweep at the same time.

A sweep claims *instances* that have a due timer, not timer rows: the instance row is what a
step changes, so locking it (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's single writer
via ``BEGIN IMMEDIATE``) keeps two sweepers, or a sweeper and a person, from stepping the same
instance at once. After the lock, the due timers are read again, so an instance another sweeper
fired a moment ago is skipped. Each instance steps inside a savepoint: one failing instance gets
an incident and the others still fire. Instances with an open incident wait for a retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import exists, select

from engine import commands
from engine.errors import StepFailed
from engine.models import Incident, Instance, Timer
from engine.process_engine import open_incident

if TYPE_CHECKING:
    from engine.process_engine import ProcessEngine


@dataclass(frozen=True)
class SweepResult:
    instances: int
    fired: int
    failed: int


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return (Timer.status == "waiting") & (Timer.due_at <= now)


def fire_due_timers(engine: ProcessEngine, now: datetime, limit: int = 200, *, actor: str = "system:timer") -> SweepResult:
    """Fire the timers due at ``now`` on up to ``limit`` instances, in one transaction."""
    fired = failed = stepped = 0
    with engine.unit_of_work(actor, now=now) as uow:
        session = uow.session
        no_incident = ~exists().where(Incident.instance_id == Timer.instance_id, Incident.status == "open")
        # The LIMIT sits on the locking query itself: with SKIP LOCKED each sweeper takes the next
        # unlocked instances, instead of all of them picking the same oldest ones (a subquery's LIMIT
        # is applied before locking, so concurrent sweepers would mostly find nothing to claim).
        claim = (
            select(Instance.id)
            .join(Timer, Timer.instance_id == Instance.id)
            .where(_due(now), no_incident, Instance.status == "running")
            .order_by(Timer.due_at)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            claim = claim.with_for_update(of=Instance, skip_locked=True)
        for instance_id in dict.fromkeys(session.scalars(claim).all()):  # an instance with two due timers: once
            still_due = session.scalar(select(exists().where(Timer.instance_id == instance_id, _due(now))))
            if not still_due:
                continue  # another sweeper fired it between our two reads
            before = uow.timers_fired
            savepoint = session.begin_nested()
            try:
                commands.resume(uow, instance_id)
                session.flush()
                savepoint.commit()
            except StepFailed as failure:
                savepoint.rollback()
                uow.timers_fired = before
                failed += 1
                incident = open_incident(session, failure, now)
                session.flush()
                uow.audit("incident_raised", instance_id=instance_id, subject=failure.element_id,
                          data={"incident": incident.id, "code": failure.error_code, "message": failure.detail})  # fmt: skip
                continue
            stepped += 1
            fired += uow.timers_fired - before
    return SweepResult(stepped, fired, failed)
