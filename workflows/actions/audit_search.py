"""Searching the audit trail, exporting it and checking its chain, through the one door. No Flask.

Who reads what (``audit_scope``):
* an inspector (thanh tra) or an administrator of a province reads all of the province's trail:
  what its people did, what happened to its units' work, and the system's own events (the
  worker, the console operator: events of no person and no instance), except those whose subject
  is a person or a unit of another province;
* a leader reads their unit and below: what the people of those units did and what happened to
  those units' work;
* anyone else is refused (recorded as ``action_refused``, "read_audit").

An event belongs to a unit through its actor (a person of the unit) or its instance (work of the
unit): the trail stores names and ids only, so that the engine stays free of the organisation.
Refused actions are events like any other (``action_refused``, the refused action in
``data.action``); searching by an action ("accept") finds both the action taken (a task event
naming it in ``data.action``) and the action refused.

Results come newest first, 50 a page, with the last id shown as the keyset cursor (``before``);
exports take the same filters and stop at ``EXPORT_LIMIT`` rows (saying so). Verifying the chain
walks all of it: run on demand, refused above ``MAX_VERIFY_SEALS`` (the command line has no
bound), in a read session of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from engine import (
    Anchor,
    AuditEvent,
    AuditSeal,
    BadData,
    Instance,
    NotFound,
    UnitOfWork,
    Verification,
    parse_anchor,
    read_anchors,
    verify,
)
from workflows.authz.actions import LABELS, OrgAction
from workflows.authz.facts import load_user, unit_facts
from workflows.authz.refusals import EVENT as REFUSED
from workflows.authz.refusals import record_refusal
from workflows.authz.rules import day_of, decide_org
from workflows.org.models import OrgUnit, User
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000  # rows in one export; a larger one is cut and says so
MAX_VERIFY_SEALS = 2_000_000  # walked by the page's button; beyond, `giaoviec audit verify`
_TAIL_BYTES = 4096


# --- who reads what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditScope:
    """The part of the trail a person reads: ``path`` a unit's subtree ("/1/" the province)."""

    path: str
    root_id: int
    province: bool  # an inspector or administrator: the whole province and the system's events


def audit_scope(uow: UnitOfWork, user: User) -> AuditScope:
    """Decide (and record a refusal) before anything is read."""
    day = day_of(uow.now)
    facts = load_user(uow.session, user, day)
    unit = uow.session.get(OrgUnit, user.unit_id)
    root = uow.session.get(OrgUnit, facts.unit.root_id)
    assert unit is not None and root is not None
    decision = decide_org(facts, OrgAction.READ_AUDIT, unit_facts(root), day)
    if decision.allowed:
        return AuditScope(root.path, root.id, True)
    if facts.active and facts.unit.active and "leader" in facts.roles:
        return AuditScope(unit.path, root.id, False)
    if decision.security_event:
        record_refusal(uow, facts, OrgAction.READ_AUDIT.value, unit_facts(root), decision)
    decision.ensure()
    raise AssertionError("unreachable: a refused decision raised")


def _belongs(path: str, *, system: bool) -> ColumnElement[bool]:
    """Events of the subtree at ``path``: by its people, or on its units' work (and, for the
    province's readers, the system's: no person of any province, no instance)."""
    units = select(OrgUnit.code).where(OrgUnit.path.startswith(path, autoescape=True))
    people = select(User.username).join(OrgUnit, OrgUnit.id == User.unit_id).where(OrgUnit.path.startswith(path, autoescape=True))
    conditions = [AuditEvent.actor.in_(people), AuditEvent.instance_id.in_(select(Instance.id).where(Instance.unit_code.in_(units)))]
    if system:
        # The operator's and the worker's events about no work; not those naming a person or a unit
        # of another province (the console creates every province's people and units).
        elsewhere = ~OrgUnit.path.startswith(path, autoescape=True)
        foreign = select(User.username).join(OrgUnit, OrgUnit.id == User.unit_id).where(elsewhere).union(select(OrgUnit.code).where(elsewhere))
        conditions.append(and_(AuditEvent.instance_id.is_(None), AuditEvent.actor.not_in(select(User.username)),
                               or_(AuditEvent.subject.is_(None), AuditEvent.subject.not_in(foreign))))  # fmt: skip
    return or_(*conditions)


# --- the search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    person: str | None = None  # a username: what they did, or what was done on their behalf
    unit: str | None = None  # a unit's code: its subtree
    task: uuid.UUID | None = None  # a human task's id, or an instance's (the work)
    plan: int | None = None
    action: str | None = None  # an event name, or an action's ("accept"): taken or refused
    since: date | None = None  # local days (Hà Nội), both included
    until: date | None = None
    refused_only: bool = False

    def query_args(self) -> dict[str, str]:
        """The filters as the page's query string (for links and exports)."""
        values = {"person": self.person, "unit": self.unit, "task": self.task, "plan": self.plan, "action": self.action,
                  "since": self.since.strftime("%d/%m/%Y") if self.since else None,
                  "until": self.until.strftime("%d/%m/%Y") if self.until else None,
                  "refused": "1" if self.refused_only else None}  # fmt: skip
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class AuditRow:
    id: int
    occurred_at: datetime
    event: str
    actor: str
    actor_name: str | None
    on_behalf_of: str | None
    subject: str | None
    instance_id: uuid.UUID | None
    task_id: uuid.UUID | None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.event == REFUSED

    @property
    def refused_action(self) -> str | None:
        return str(self.data.get("action")) if self.refused else None

    def action_label(self, lang: str = "vi") -> str:
        """The refused action as a person reads it ("tiếp nhận nhiệm vụ")."""
        labels = LABELS.get(self.refused_action or "")
        return (labels[1] if lang == "en" else labels[0]) if labels else ""

    @property
    def detail(self) -> str:
        """What a reader needs besides the columns: a refusal's words, or the event's data."""
        if self.refused:
            return str(self.data.get("message", ""))
        return ", ".join(f"{k}={_short(v)}" for k, v in sorted(self.data.items()))[:500]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_before: int | None  # the keyset cursor of the next page: the last id shown
    scope: AuditScope


def _conditions(uow: UnitOfWork, scope: AuditScope, f: AuditFilters) -> list[ColumnElement[bool]]:
    where = [_belongs(scope.path, system=scope.province)]
    if f.unit:
        unit = uow.session.scalars(select(OrgUnit).where(OrgUnit.code == f.unit.strip())).first()
        if unit is None or not unit.path.startswith(scope.path):
            raise NotFound("unit_not_found", code=f.unit[:100])
        where.append(_belongs(unit.path, system=False))
    if f.person:
        name = f.person.strip()
        where.append(or_(AuditEvent.actor == name, AuditEvent.on_behalf_of == name))
    if f.task is not None:
        where.append(or_(AuditEvent.task_id == f.task, AuditEvent.instance_id == f.task))
    if f.plan is not None:
        work = select(Tracking.instance_id).where(Tracking.plan_id == f.plan)
        where.append(or_(AuditEvent.instance_id.in_(work), AuditEvent.subject == f"plan {f.plan}"))
    if f.action:
        name = f.action.strip()
        # An event's name, or the action a task event or a refusal names ("accept"): done or refused.
        where.append(or_(AuditEvent.event == name, AuditEvent.data["action"].as_string() == name))
    if f.refused_only:
        where.append(AuditEvent.event == REFUSED)
    if f.since:
        where.append(AuditEvent.occurred_at >= _local_midnight(f.since))
    if f.until:
        where.append(AuditEvent.occurred_at < _local_midnight(f.until + timedelta(days=1)))
    if f.since and f.until and f.since > f.until:
        where.append(false())
    return where


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


def search(uow: UnitOfWork, user: User, filters: AuditFilters, *, before: int | None = None, limit: int = PAGE_SIZE) -> AuditPage:
    """One page of the events ``user`` may read that match ``filters``, newest first."""
    scope = audit_scope(uow, user)
    query = select(AuditEvent).where(*_conditions(uow, scope, filters))
    if before is not None:
        query = query.where(AuditEvent.id < before)
    events = uow.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)).all()
    rows = _rows(uow.session, events[:limit])
    return AuditPage(rows, rows[-1].id if len(events) > limit else None, scope)


def export(uow: UnitOfWork, user: User, filters: AuditFilters, *, limit: int = EXPORT_LIMIT) -> tuple[list[AuditRow], bool]:
    """Every matching event up to ``limit`` (newest first) and whether there were more; the export
    itself is audited (``audit_exported``), as an inspector's copy of the trail leaves the system."""
    scope = audit_scope(uow, user)
    query = select(AuditEvent).where(*_conditions(uow, scope, filters)).order_by(AuditEvent.id.desc()).limit(limit + 1)
    events = uow.session.scalars(query).all()
    rows = _rows(uow.session, events[:limit])
    uow.audit("audit_exported", subject=f"unit {uow.session.get(OrgUnit, user.unit_id).code}",  # type: ignore[union-attr]
              data={"filters": filters.query_args(), "rows": len(rows), "truncated": len(events) > limit})  # fmt: skip
    return rows, len(events) > limit


def _rows(session: Session, events: Iterable[AuditEvent]) -> list[AuditRow]:
    events = list(events)
    names = dict(session.execute(select(User.username, User.full_name).where(User.username.in_({e.actor for e in events}))).all())
    return [AuditRow(e.id, e.occurred_at, e.event, e.actor, names.get(e.actor), e.on_behalf_of, e.subject, e.instance_id, e.task_id,
                     dict(e.data or {})) for e in events]  # fmt: skip


def event_names(session: Session) -> list[str]:
    """The event names the trail holds (for the search form's suggestions), bounded."""
    return list(session.scalars(select(AuditEvent.event).group_by(AuditEvent.event).order_by(AuditEvent.event).limit(200)))


# --- the chain and its anchors ------------------------------------------------------------------


def latest_anchor(path: Path) -> Anchor | None:
    """The last anchor of the anchor file (its tail only: the file grows for years); None when
    there is no file or no readable line at its end."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read().decode("utf-8", "replace")
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return None
    lines = [line.strip() for line in tail.splitlines() if line.strip() and not line.strip().startswith("#")]
    try:
        return parse_anchor(lines[-1], str(path)) if lines else None
    except BadData:
        return None


@dataclass(frozen=True)
class ChainCheck:
    verification: Verification | None
    anchor: Anchor | None  # the latest anchor of the file
    problem: str | None = None  # why the check did not run (too long, an unreadable anchor file)
    seals: int = 0


def chain_head(session: Session) -> int:
    return session.scalar(select(func.max(AuditSeal.seq))) or 0


def verify_chain(uow: UnitOfWork, user: User, anchor_path: Path, reader: Callable[[], Any], *, lang: str = "vi",
                 max_seals: int = MAX_VERIFY_SEALS) -> ChainCheck:  # fmt: skip
    """Check the whole chain against the anchor file (``engine.verify``): the province's readers
    only; ``reader`` opens the read session it walks in (the walk detaches what it loads, so it
    never runs in the request's own session). Audited (``audit_verified``)."""
    facts = load_user(uow.session, user, day_of(uow.now))
    root = uow.session.get(OrgUnit, facts.unit.root_id)
    assert root is not None
    decision = decide_org(facts, OrgAction.READ_AUDIT, unit_facts(root), day_of(uow.now))
    if not decision.allowed:
        if decision.security_event:
            record_refusal(uow, facts, OrgAction.READ_AUDIT.value, unit_facts(root), decision)
        decision.ensure()
    anchor = latest_anchor(anchor_path)
    seals = chain_head(uow.session)
    if seals > max_seals:
        problem = (f"Chuỗi có {seals} dấu niêm phong, quá {max_seals} để kiểm tra trên trang: dùng lệnh “giaoviec audit verify”."
                   if lang != "en" else f"The chain has {seals} seals, more than {max_seals} to check on a page: use “giaoviec audit verify”.")  # fmt: skip
        return ChainCheck(None, anchor, problem, seals)
    try:
        with reader() as session:
            anchors = read_anchors(anchor_path) if anchor_path.is_file() else ()
            result = verify(session, anchors=anchors)
    except BadData as exc:
        return ChainCheck(None, anchor, exc.message(lang), seals)
    uow.audit("audit_verified", subject="audit", data={"ok": result.ok, "checked": result.checked, "head": result.head_seq,
                                                       "anchors": result.anchors, "findings": len(result.findings) + result.more})  # fmt: skip
    return ChainCheck(result, anchor, None, seals)
