"""Delivering the outbox: claim in one short transaction, send outside any, record in another.

A step writes its side effects as ``outbox_message`` rows in its own transaction
(``add_outbox_message``), so a message exists exactly when the step committed. Delivery then
never holds a transaction open across the network:

1. ``claim_due`` takes due pending rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's
   single writer via ``BEGIN IMMEDIATE``), counts the attempt and moves ``next_attempt_at`` one
   lease ahead, then commits. Another deliverer skips them until the lease runs out, so a worker
   that dies mid-batch delays its messages by the lease, it does not lose them.
2. ``transport.send`` runs with no transaction open.
3. The outcome is written in a fresh transaction, guarded by ``status = 'pending'`` and the
   attempt count of the claim: a worker whose lease ran out and whose message another worker
   claimed again changes nothing.

Delivery is therefore at least once. A resend after a crash carries the same outbox id, from which
the transport derives the message's identity (the email ``Message-ID``), so receivers can tell.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.models import OutboxMessage

if TYPE_CHECKING:
    from engine.process_engine import ProcessEngine

ACTOR = "worker"
DEFAULT_LEASE = timedelta(minutes=5)
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class Claimed:
    """A message a deliverer holds for one attempt: plain data, no session attached."""

    id: uuid.UUID
    kind: str
    recipient: str | None
    payload: dict[str, Any]
    attempts: int  # this attempt's number, 1 for the first
    instance_id: uuid.UUID | None
    claimed_at: datetime


class DeliveryError(Exception):
    """A message could not be delivered; the subclass says whether trying again can help."""


class TransientDeliveryError(DeliveryError):
    """Try again later (4xx reply, timeout, connection dropped)."""


class TransportUnavailable(TransientDeliveryError):
    """The transport itself is down or misconfigured: the rest of the batch is not tried now."""


class PermanentDeliveryError(DeliveryError):
    """This message will never go through as it is (5xx reply, bad address, bad payload)."""


class Transport(Protocol):
    """Sends one message or raises a ``DeliveryError``. A transport that is also a context
    manager is entered once around a batch (e.g. to keep one SMTP connection)."""

    def send(self, message: Claimed) -> None: ...


@dataclass(frozen=True)
class Backoff:
    """Retry after ``base × 2^(attempts-1)``, at most ``cap``; after ``max_attempts``, fail."""

    base: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=6)
    max_attempts: int = 10

    def delay(self, attempts: int) -> timedelta:
        # Bounding the exponent first keeps a large attempt count from overflowing timedelta.
        return min(self.cap, self.base * 2 ** min(max(attempts - 1, 0), 30))


@dataclass(frozen=True)
class DeliveryResult:
    sent: int
    retried: int
    failed: int
    superseded: int = 0  # outcomes not recorded: the lease ran out and another claim took over


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)


def claim_due(
    pe: ProcessEngine, now: datetime, *, limit: int, lease: timedelta = DEFAULT_LEASE,
    max_attempts: int = Backoff.max_attempts,
) -> list[Claimed]:  # fmt: skip
    """Claim up to ``limit`` messages due at ``now`` for one attempt each, and commit.

    A message already tried ``max_attempts`` times whose outcome never came back (its worker
    died each time) is failed here instead of being claimed again.
    """
    with pe.unit_of_work(ACTOR, now=now) as uow:
        rows = uow.session.scalars(
            select(OutboxMessage)
            .where(_due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # SQLite renders nothing: BEGIN IMMEDIATE serialises
        ).all()
        claimed = []
        for row in rows:
            if row.attempts >= max_attempts:
                row.status = "failed"
                row.last_error = f"no outcome recorded after attempt {row.attempts} (lease expired)"
                uow.audit("outbox_failed", **_event(row, row.last_error))
                continue
            row.attempts += 1
            row.next_attempt_at = now + lease
            claimed.append(Claimed(id=row.id, kind=row.kind, recipient=row.recipient, payload=dict(row.payload),
                                   attempts=row.attempts, instance_id=row.instance_id, claimed_at=now))  # fmt: skip
    return claimed


def deliver_due(
    pe: ProcessEngine, transport: Transport, now: datetime | None = None, *, limit: int = 100,
    lease: timedelta = DEFAULT_LEASE, backoff: Backoff = Backoff(),
) -> DeliveryResult:  # fmt: skip
    """Claim the due messages, send each, record each outcome with an audit event.

    An exception that is not a ``DeliveryError`` propagates: the message that raised it keeps its
    lease (one that breaks the transport every time is failed after ``max_attempts`` claims) and
    the messages not yet tried are released at once.
    """
    claimed_at = now or pe.clock.now()
    # Outcomes are stamped when they happen, unless the caller fixed the instant.
    stamp = (lambda: now) if now is not None else pe.clock.now
    rest = claim_due(pe, claimed_at, limit=limit, lease=lease, max_attempts=backoff.max_attempts)
    rest.reverse()  # popped from the end, in claim order
    counts = dict.fromkeys(("sent", "retried", "failed", "superseded"), 0)
    try:
        with _entered(transport):
            while rest:
                outcome, stop_until = _attempt(pe, transport, rest.pop(), stamp(), backoff)
                counts[outcome] += 1
                if stop_until is not None:
                    # The transport is down: the others would only fail the same way, each
                    # costing an attempt (and a timeout); they wait as long as this one.
                    _release(pe, rest, stop_until)
                    break
    except BaseException:
        _release(pe, rest, stamp())  # not tried: claimable again at once, not after the lease
        raise
    return DeliveryResult(**counts)


def _attempt(
    pe: ProcessEngine, transport: Transport, message: Claimed, at: datetime, backoff: Backoff
) -> tuple[str, datetime | None]:
    """Send one message and record the outcome; also say until when to stop, if the transport is down."""
    try:
        transport.send(message)
    except PermanentDeliveryError as exc:
        return _fail(pe, message, at, _error(exc)), None
    except TransientDeliveryError as exc:
        retry_at = at + backoff.delay(message.attempts)
        stop_until = retry_at if isinstance(exc, TransportUnavailable) else None
        if message.attempts >= backoff.max_attempts:
            return _fail(pe, message, at, _error(exc)), stop_until
        values = {"next_attempt_at": retry_at, "last_error": _error(exc)}
        current = _mark(pe, message, at, "outbox_deferred", values, error=_error(exc))
        return ("retried" if current else "superseded"), stop_until
    # The email went out: that is audited even if another claim has taken the row over meanwhile.
    values = {"status": "sent", "sent_at": at, "last_error": None}
    _mark(pe, message, at, "outbox_sent", values, always_audit=True)
    return "sent", None


def _fail(pe: ProcessEngine, message: Claimed, at: datetime, error: str) -> str:
    current = _mark(
        pe, message, at, "outbox_failed", {"status": "failed", "last_error": error}, error=error
    )
    return "failed" if current else "superseded"


def _still_ours(message: Claimed):  # type: ignore[no-untyped-def]
    return (
        (OutboxMessage.id == message.id)
        & (OutboxMessage.status == "pending")
        & (OutboxMessage.attempts == message.attempts)
    )


def _mark(
    pe: ProcessEngine, message: Claimed, at: datetime, event: str, values: dict[str, Any], *,
    error: str | None = None, always_audit: bool = False,
) -> bool:  # fmt: skip
    """Write an outcome if this claim still holds the message; True when it did."""
    with pe.unit_of_work(ACTOR, now=at) as uow:
        result = uow.session.execute(
            update(OutboxMessage).where(_still_ours(message)).values(**values),
            execution_options={"synchronize_session": False},
        )
        current = result.rowcount == 1  # type: ignore[attr-defined]
        if current or always_audit:
            fields = _event(message, error)
            if not current:
                fields["data"]["claim_superseded"] = True
            uow.audit(event, **fields)
    return current


def _release(pe: ProcessEngine, messages: Sequence[Claimed], at: datetime) -> None:
    """Hand back claims that were never tried, with their attempt uncounted."""
    if not messages:
        return
    with pe.unit_of_work(ACTOR, now=at) as uow:
        for message in messages:
            uow.session.execute(
                update(OutboxMessage)
                .where(_still_ours(message))
                .values(attempts=message.attempts - 1, next_attempt_at=at),
                execution_options={"synchronize_session": False},
            )


@contextmanager
def _entered(transport: Transport) -> Iterator[None]:
    if isinstance(transport, AbstractContextManager):
        with transport:
            yield
    else:
        yield


def _event(message: Claimed | OutboxMessage, error: str | None) -> dict[str, Any]:
    """The audit fields of an outcome. The recipient is kept: who was notified, and when, is
    what a reminder (đôn đốc) must be able to prove."""
    data: dict[str, Any] = {
        "kind": message.kind,
        "recipient": message.recipient,
        "attempts": message.attempts,
    }
    if error is not None:
        data["error"] = error
    return {"instance_id": message.instance_id, "subject": f"outbox:{message.id}", "data": data}


def _error(exc: BaseException) -> str:
    return (f"{type(exc).__name__}: {exc}")[:MAX_ERROR_CHARS]


def failed_messages(session: Session, *, limit: int = 200) -> list[OutboxMessage]:
    """Messages given up on, newest first, for an administrator to read (and fix the cause)."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "failed")
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )
