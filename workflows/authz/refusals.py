"""Refused actions as security events: an ``action_refused`` audit event per refusal, kept even
though the refused action itself is rolled back.

The refused command raises ``NotAllowed`` (``Decision.ensure``) in the shell's unit of work, which
rolls everything back; the event is then written in a unit of work of its own. A shell does both
with one ``with``::

    with refusals_recorded(pe, user.username) as uow:
        sign(uow, user, task_id)          # the action layer: load facts, decide(...).ensure(), act

``refusals`` lists the events of a province for its inspectors (``decide_org(…, "read_audit", …)``
first). Refusals that only mismatch a target's state (``Decision.security_event`` False) raise
``InvalidState`` and are not recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import AuditEvent, ProcessEngine, UnitOfWork
from workflows.authz.model import Decision, NotAllowed, Target, TaskFacts, UserFacts

EVENT = "action_refused"


def record_refusal(uow: UnitOfWork, user: UserFacts, action: str, target: Target, reason: Decision) -> None:
    """Add the ``action_refused`` event for ``user``'s refused ``action`` on ``target``."""
    task = target if isinstance(target, TaskFacts) else None
    uow.audit(
        EVENT, on_behalf_of=None, subject=target.ref,
        instance_id=task.instance_id if task else None, task_id=task.id if task else None,
        data={"action": action, "reason": reason.refusal, "message": reason.message("vi"), "user_id": user.id,
              "unit": user.unit.code, "province": user.unit.root_id},
    )  # fmt: skip


@contextmanager
def refusals_recorded(pe: ProcessEngine, actor: str, **uow_options: Any) -> Iterator[UnitOfWork]:
    """A unit of work for one command; if the command is refused (``NotAllowed``), everything it
    did is rolled back, the refusal is recorded in a fresh unit of work, and ``NotAllowed`` goes on
    to the shell (which prints its message and exits 1, or answers 403)."""
    try:
        with pe.unit_of_work(actor, **uow_options) as uow:
            yield uow
    except NotAllowed as refused:
        d = refused.decision
        with pe.unit_of_work(actor, now=uow_options.get("now")) as audit:
            record_refusal(audit, d.user, d.action, d.target, d)
        raise


def refusals(session: Session, province: int, *, since: datetime | None = None, limit: int = 200) -> Sequence[AuditEvent]:
    """The refused actions of a province (its root unit's id), newest first."""
    query = select(AuditEvent).where(AuditEvent.event == EVENT, AuditEvent.data["province"].as_integer() == province)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    return session.scalars(query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)).all()

