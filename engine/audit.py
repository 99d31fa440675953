"""The tamper-evident audit trail: append-only events, hash-chained afterwards by a sealer.

Writers only INSERT into ``audit_event``, in their own transaction and without any shared lock,
so concurrent completions never queue behind the trail. ``seal_pending`` then chains committed
rows in the order it sees them: seal ``n`` stores ``sha256(hash[n-1] + "\n" + canonical(event))``.
One sealer runs at a time (an advisory lock on PostgreSQL, SQLite's single writer); a sealer that
finds the lock taken simply returns, as the holder or the next run will seal those rows.

Triggers (see the first migration) refuse UPDATE and DELETE of events and seals, and ``verify``
checks that they are still there. Someone who can drop them can rewrite the trail and re-seal it,
or delete its newest rows with their seals: nothing inside the database can show that. So the
head of the chain is published outside it (``engine.audit_anchor``: an append-only file, and a
daily email to the inspectors), and ``verify`` checks the chain against those anchors.

**The back-dating rule.** An anchor published at ``T`` names the head ``S`` of a seal run that
caught every committed event. An event sealed after it (seal > ``S``) therefore committed after
that run, and its transaction began at most ``LONGEST_TRANSACTION`` earlier; its ``occurred_at``
(the instant its transaction took from the clock) cannot be older than ``T - LONGEST_TRANSACTION``.
One that is was back-dated: typically an INSERT (which the triggers allow) of a "task completed on
time" dated last month. The rule cannot see back-dating by less than the tolerance, nor a forged
event dated now (keeping people without rights away from the database is access control's job),
nor a rewrite of what came after the last anchor. The tolerance covers clock drift between servers
too; a run with ``--now`` earlier than the real time writes events that the rule reports.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from engine.messages import DEFAULT_LANGUAGE, render
from engine.models import AuditEvent, AuditSeal

GENESIS = "0" * 64
SEAL_LOCK_KEY = 0x6769616F  # "giao": the PostgreSQL advisory lock of the one sealer
# Rows may commit out of id order on PostgreSQL (ids are taken at INSERT); the sealer looks this
# far back below the newest sealed id for late commits. verify() reports any row left unsealed.
SEAL_LOOKBACK = 10_000
# No command, import or worker phase runs a transaction this long (the longest, a dispatch to
# 60,000 units, takes seconds); with clock drift between servers it is the slack of every time
# rule of the trail: how long an event may stay unsealed, how far before an anchor it may date.
LONGEST_TRANSACTION = timedelta(minutes=15)
MAX_FINDINGS = 20  # listed by verify; the rest are counted


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


def _take_seal_lock(session: Session, *, wait: bool) -> bool:
    if session.get_bind().dialect.name == "postgresql":
        if wait:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK_KEY})
            return True
        return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEAL_LOCK_KEY}).scalar())
    return True  # SQLite: the session's BEGIN IMMEDIATE already made it the only writer


def seal_pending(
    session: Session, now: datetime, *, limit: int = 50_000, full_scan: bool = False, thorough: bool = False
) -> int:
    """Chain up to ``limit`` committed, unsealed events; return how many. Flushes, never commits.

    ``thorough`` (before an anchor is published) waits for the lock instead of leaving the rows to
    the holder, and on PostgreSQL also looks back over every event whose id was taken within two
    ``LONGEST_TRANSACTION``s, so that a transaction that outlived ``SEAL_LOOKBACK`` other events is
    sealed before the anchor that must include it. ``full_scan`` looks at every event.
    """
    if not _take_seal_lock(session, wait=thorough):
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
        if thorough:
            floor = min(floor, _last_event_sealed_before(session, now - 2 * LONGEST_TRANSACTION))
    unsealed = (
        select(*AuditEvent.__table__.c)  # rows, not ORM objects: a sweep seals thousands at once
        .select_from(AuditEvent)
        # Bounding the seal side too keeps PostgreSQL from scanning every seal ever written.
        .outerjoin(AuditSeal, (AuditSeal.event_id == AuditEvent.id) & (AuditSeal.event_id > floor))
        .where(AuditEvent.id > floor, AuditSeal.seq.is_(None))
        .order_by(AuditEvent.id)
        .limit(limit)
    )
    seals = []
    for row in session.execute(unsealed):
        seq += 1
        new_hash = chain_hash(prev_hash, row)
        seals.append({"seq": seq, "event_id": row.id, "prev_hash": prev_hash, "hash": new_hash, "sealed_at": now})
        prev_hash = new_hash
    if seals:
        session.execute(AuditSeal.__table__.insert(), seals)
    return len(seals)


def _last_event_sealed_before(session: Session, instant: datetime) -> int:
    """The event of the last seal made before ``instant``: every id taken since is above it."""
    return session.scalar(
        select(AuditSeal.event_id).where(AuditSeal.sealed_at < instant).order_by(AuditSeal.seq.desc()).limit(1)
    ) or 0


# --- anchors and verification ----------------------------------------------------------------


class Anchor(NamedTuple):
    """The chain's head as published outside the database: seal ``seq`` had ``hash`` at ``published_at``."""

    published_at: datetime
    seq: int
    hash: str


def head_anchor(session: Session, now: datetime) -> Anchor | None:
    """The current head, to be published at ``now``; None while nothing is sealed."""
    head = session.execute(select(AuditSeal.seq, AuditSeal.hash).order_by(AuditSeal.seq.desc()).limit(1)).first()
    return Anchor(now, head.seq, head.hash) if head else None


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the trail; ``code`` is a message code (``engine.messages``)."""

    code: str
    params: dict[str, Any]

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return render(self.code, lang, **self.params)


@dataclass(frozen=True)
class Verification:
    checked: int  # seals walked and found sound
    unsealed: int
    head_seq: int
    head_hash: str
    anchors: int = 0  # anchors compared with the chain
    findings: tuple[Finding, ...] = ()
    more: int = 0  # findings beyond MAX_FINDINGS, counted only

    @property
    def ok(self) -> bool:
        return not self.findings


class _Findings:
    def __init__(self) -> None:
        self.listed: list[Finding] = []
        self.more = 0

    def add(self, code: str, **params: Any) -> None:
        if len(self.listed) < MAX_FINDINGS:
            self.listed.append(Finding(code, params))
        else:
            self.more += 1


def verify(
    session: Session, *, anchors: Iterable[tuple[str, Anchor]] = (), tolerance: timedelta = LONGEST_TRANSACTION,
    batch: int = 5_000,
) -> Verification:  # fmt: skip
    """Check the guards, walk the whole chain, compare it with ``anchors`` (where each came from,
    the anchor), and look for events left unsealed; every problem found is a ``Finding``."""
    findings = _Findings()
    for code, params in check_triggers(session):
        findings.add(code, **params)
    head = session.execute(select(AuditSeal.seq, AuditSeal.sealed_at).order_by(AuditSeal.seq.desc()).limit(1)).first()
    head_seq = head.seq if head else 0
    stairs = _check_anchors(session, anchors, head_seq, findings)
    checked, head_hash = _walk(session, stairs, tolerance, batch, findings)
    unsealed = _check_unsealed(session, head.sealed_at - tolerance if head else None, tolerance, findings)
    return Verification(checked, unsealed, head_seq, head_hash, stairs.count, tuple(findings.listed), findings.more)


class _Stairs:
    """Anchors ordered by seal, each with the latest publication instant up to it: an event sealed
    after seal ``seqs[i]`` may not be older than ``bounds[i]`` (epoch seconds) minus the tolerance."""

    def __init__(self, seqs: array[int], published: array[float]) -> None:
        order = sorted(range(len(seqs)), key=seqs.__getitem__)
        self.count = len(seqs)
        self.seqs = array("q", (seqs[i] for i in order))
        self.bounds = array("d")
        latest = float("-inf")
        for i in order:
            latest = max(latest, published[i])
            self.bounds.append(latest)


def _check_anchors(session: Session, anchors: Iterable[tuple[str, Anchor]], head_seq: int, findings: _Findings) -> _Stairs:
    """Each anchor's seal must still have the published hash; keep (seq, instant) for the walk.
    Reads in batches, so a file of years of anchors costs 16 bytes an anchor in memory."""
    seqs, published = array("q"), array("d")
    source = iter(anchors)
    while chunk := list(islice(source, 1_000)):
        stored = dict(session.execute(select(AuditSeal.seq, AuditSeal.hash).where(AuditSeal.seq.in_({a.seq for _, a in chunk}))).all())
        for origin, anchor in chunk:
            seqs.append(anchor.seq)
            published.append(anchor.published_at.timestamp())
            at = anchor.published_at.isoformat(timespec="seconds")
            if anchor.seq in stored and stored[anchor.seq] != anchor.hash:
                findings.add("audit_anchor_mismatch", origin=origin, seal=anchor.seq, at=at)
            elif anchor.seq > head_seq:
                findings.add("audit_truncated", origin=origin, seal=anchor.seq, at=at, head=head_seq)
    return _Stairs(seqs, published)


def _walk(session: Session, stairs: _Stairs, tolerance: timedelta, batch: int, findings: _Findings) -> tuple[int, str]:
    """Walk the chain from the genesis; stop at the first broken link (every later link is then
    broken too). Returns how many seals held and the last sound hash."""
    prev_hash, expected_seq, checked, step = GENESIS, 1, 0, 0
    slack = tolerance.total_seconds()
    bound = float("-inf")
    for seal, row in _seals(session, batch):
        if seal.seq != expected_seq:
            findings.add("audit_seal_missing", seal=expected_seq, event=row.id)
            break
        if seal.prev_hash != prev_hash:
            findings.add("audit_link_broken", seal=seal.seq, event=row.id)
            break
        if chain_hash(prev_hash, row) != seal.hash:
            findings.add("audit_event_altered", seal=seal.seq, event=row.id)
            break
        while step < stairs.count and stairs.seqs[step] < seal.seq:
            bound = stairs.bounds[step]
            step += 1
        if row.occurred_at.timestamp() < bound - slack:
            anchored = datetime.fromtimestamp(bound, tz=row.occurred_at.tzinfo).isoformat(timespec="seconds")
            findings.add("audit_backdated", event=row.id, seal=seal.seq, occurred=row.occurred_at.isoformat(timespec="seconds"),
                         anchored=anchored, minutes=int(slack // 60))  # fmt: skip
        prev_hash, expected_seq, checked = seal.hash, expected_seq + 1, checked + 1
    return checked, prev_hash


def _seals(session: Session, batch: int) -> Iterator[tuple[AuditSeal, AuditEvent]]:
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
            return
        yield from rows
        last_seq = rows[-1][0].seq
        session.expunge_all()


def _check_unsealed(session: Session, stale_before: datetime | None, tolerance: timedelta, findings: _Findings) -> int:
    """Count unsealed events; an id the sealer never reaches (not positive), or an event that was
    already committed when a later seal ran (``stale_before``: the newest seal's time minus the
    tolerance) and is still unsealed, is a finding: those rows are outside the chain's protection."""
    unsealed = (
        select(AuditEvent.id, AuditEvent.occurred_at)
        .outerjoin(AuditSeal, AuditSeal.event_id == AuditEvent.id)
        .where(AuditSeal.seq.is_(None))
        .subquery()
    )
    invalid = unsealed.c.id <= 0
    stale = (unsealed.c.id > 0) & (unsealed.c.occurred_at < stale_before) if stale_before else None
    columns = [func.count(), func.count().filter(invalid), func.min(unsealed.c.id).filter(invalid)]
    if stale is not None:
        columns += [func.count().filter(stale), func.min(unsealed.c.id).filter(stale)]
    counts = session.execute(select(*columns).select_from(unsealed)).one()
    if counts[1]:
        findings.add("audit_unsealable", count=counts[1], event=counts[2])
    if stale is not None and counts[3]:
        findings.add("audit_unsealed_too_long", count=counts[3], event=counts[4], minutes=int(tolerance.total_seconds() // 60))
    return int(counts[0])


# --- the guards ----------------------------------------------------------------------------

# The triggers of migration 0001, as the database stores them. Comparing the whole definition
# (not only the name) catches a guard replaced by one that does nothing or has a WHEN clause.
APPEND_ONLY_TABLES = ("audit_event", "audit_seal")
_REFUSE_FUNCTION = "giaoviec_refuse_change"
_REFUSE_BODY = (
    "BEGIN RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME "
    "USING ERRCODE = 'insufficient_privilege'; END"
)
# pg_trigger.tgtype bits: ROW 1, BEFORE 2, DELETE 8, UPDATE 16, TRUNCATE 32
_PG_TRIGGERS = {f"{table}_{name}": (table, tgtype) for table in APPEND_ONLY_TABLES for name, tgtype in (("append_only", 27), ("no_truncate", 34))}


def sqlite_trigger_sql(table: str, action: str) -> str:
    return (f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: {action} on {table} refused'); END")  # fmt: skip


def _normal(sql: str | None) -> str:
    return " ".join((sql or "").split())


def check_triggers(session: Session) -> list[tuple[str, dict[str, Any]]]:
    """The append-only triggers that are missing, disabled or altered, as (message code, params)."""
    if session.get_bind().dialect.name == "postgresql":
        return _check_pg_triggers(session)
    stored = dict(session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all())
    problems: list[tuple[str, dict[str, Any]]] = []
    for table in APPEND_ONLY_TABLES:
        for action in ("UPDATE", "DELETE"):
            name = f"{table}_no_{action.lower()}"
            if name not in stored:
                problems.append(("audit_trigger_missing", {"name": name, "table": table}))
            elif _normal(stored[name]) != sqlite_trigger_sql(table, action):
                problems.append(("audit_trigger_altered", {"name": name, "table": table}))
    return problems


def _check_pg_triggers(session: Session) -> list[tuple[str, dict[str, Any]]]:
    rows = session.execute(text(
        "SELECT t.tgname, c.relname, t.tgtype, t.tgenabled, t.tgqual IS NULL, p.proname, p.prosrc "
        "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE NOT t.tgisinternal AND t.tgrelid IN (to_regclass('audit_event'), to_regclass('audit_seal'))"
    )).all()  # fmt: skip
    found = {(name, table): (tgtype, enabled, unconditional, function, body) for name, table, tgtype, enabled, unconditional, function, body in rows}
    problems: list[tuple[str, dict[str, Any]]] = []
    for name, (table, tgtype) in _PG_TRIGGERS.items():
        trigger = found.get((name, table))
        params = {"name": name, "table": table}
        if trigger is None:
            problems.append(("audit_trigger_missing", params))
        elif trigger[1] not in ("O", "A"):  # D: disabled; R: fires only in replica sessions
            problems.append(("audit_trigger_disabled", params))
        elif (trigger[0], trigger[2], trigger[3], _normal(trigger[4])) != (tgtype, True, _REFUSE_FUNCTION, _REFUSE_BODY):
            problems.append(("audit_trigger_altered", params))
    return problems
