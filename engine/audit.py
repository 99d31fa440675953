"""The tamper-evident audit trail: append-only events, hash-chained afterwards by a sealer.

Writers only INSERT into ``audit_event``, in their own transaction and without any shared lock,
so concurrent completions never queue behind the trail. ``seal_pending`` then chains committed
rows in the order it sees them: seal ``n`` stores ``sha256(hash[n-1] + "\n" + canonical(event))``.
One sealer runs at a time (an advisory lock on PostgreSQL, SQLite's single writer); a sealer that
finds the lock taken simply returns, as the holder or the next run will seal those rows.

Triggers (see the first migration) refuse UPDATE and DELETE of events and seals. Deleting the
newest events together with their seals cannot be seen from inside the chain: ``verify`` prints
the head hash so it can be recorded elsewhere (anchored) and compared later.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from engine.models import AuditEvent, AuditSeal

GENESIS = "0" * 64
SEAL_LOCK_KEY = 0x6769616F  # "giao": the PostgreSQL advisory lock of the one sealer
# Rows may commit out of id order on PostgreSQL (ids are taken at INSERT); the sealer looks this
# far back below the newest sealed id for late commits. verify() reports any row left unsealed.
SEAL_LOOKBACK = 10_000


def record(
    session: Session,
    *,
    event: str,
    actor: str,
    now: datetime,
    instance_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    subject: str | None = None,
    on_behalf_of: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event (``subject_past_tense_verb``) to the session; it commits with the step."""
    row = AuditEvent(
        occurred_at=now, event=event, actor=actor, on_behalf_of=on_behalf_of,
        instance_id=instance_id, task_id=task_id, subject=subject, data=data or {},
    )  # fmt: skip
    session.add(row)
    return row


def canonical(row: AuditEvent) -> bytes:
    """The bytes a seal hashes: every column, in a fixed JSON form."""
    return json.dumps(
        {
            "id": row.id,
            "occurred_at": row.occurred_at.isoformat(timespec="microseconds"),
            "event": row.event,
            "actor": row.actor,
            "on_behalf_of": row.on_behalf_of,
            "instance_id": str(row.instance_id) if row.instance_id else None,
            "task_id": str(row.task_id) if row.task_id else None,
            "subject": row.subject,
            "data": row.data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def chain_hash(prev_hash: str, row: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(row)).hexdigest()


def _take_seal_lock(session: Session) -> bool:
    if session.get_bind().dialect.name == "postgresql":
        return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEAL_LOCK_KEY}).scalar())
    return True  # SQLite: the session's BEGIN IMMEDIATE already made it the only writer


def seal_pending(session: Session, now: datetime, *, limit: int = 50_000, full_scan: bool = False) -> int:
    """Chain up to ``limit`` committed, unsealed events; return how many. Flushes, never commits."""
    if not _take_seal_lock(session):
        return 0
    head = session.execute(select(AuditSeal.seq, AuditSeal.hash, AuditSeal.event_id).order_by(AuditSeal.seq.desc()).limit(1)).first()
    seq, prev_hash, last_event = (head.seq, head.hash, head.event_id) if head else (0, GENESIS, 0)
    if full_scan:
        floor = 0
    elif session.get_bind().dialect.name == "sqlite":
        # One writer holds the lock from its first INSERT to COMMIT: ids become visible in order.
        floor = last_event
    else:
        floor = max(0, last_event - SEAL_LOOKBACK)
    unsealed = (
        select(AuditEvent)
        # Bounding the seal side too keeps PostgreSQL from scanning every seal ever written.
        .outerjoin(AuditSeal, (AuditSeal.event_id == AuditEvent.id) & (AuditSeal.event_id > floor))
        .where(AuditEvent.id > floor, AuditSeal.seq.is_(None))
        .order_by(AuditEvent.id)
        .limit(limit)
    )
    seals = []
    for row in session.scalars(unsealed):
        seq += 1
        new_hash = chain_hash(prev_hash, row)
        seals.append({"seq": seq, "event_id": row.id, "prev_hash": prev_hash, "hash": new_hash, "sealed_at": now})
        prev_hash = new_hash
    if seals:
        session.execute(AuditSeal.__table__.insert(), seals)
    return len(seals)


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    unsealed: int
    head_hash: str
    broken_event: int | None = None
    broken_seal: int | None = None
    detail: str = ""


def verify(session: Session, *, batch: int = 5_000) -> Verification:
    """Walk the whole chain; report the first seal whose hash or link does not hold."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        rows = session.execute(
            select(AuditSeal, AuditEvent)
            .join(AuditEvent, AuditEvent.id == AuditSeal.event_id)
            .where(AuditSeal.seq > last_seq)
            .order_by(AuditSeal.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for seal, row in rows:
            problem = None
            if seal.seq != expected_seq:
                problem = f"thiếu niêm phong #{expected_seq} / seal #{expected_seq} is missing"
            elif seal.prev_hash != prev_hash:
                problem = "liên kết với niêm phong trước bị sai / link to the previous seal is wrong"
            elif chain_hash(prev_hash, row) != seal.hash:
                problem = "nội dung sự kiện đã bị sửa / the event's content was altered"
            if problem:
                unsealed = _count_unsealed(session)
                return Verification(False, checked, unsealed, prev_hash, row.id, seal.seq, problem)
            prev_hash, expected_seq, checked = seal.hash, expected_seq + 1, checked + 1
            last_seq = seal.seq
        session.expunge_all()
    return Verification(True, checked, _count_unsealed(session), prev_hash)


def _count_unsealed(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditEvent).outerjoin(AuditSeal, AuditSeal.event_id == AuditEvent.id).where(AuditSeal.seq.is_(None))
    ) or 0
