"""Administration through the one door: units, people and roles, delegations, the province's
calendar, the urging policy, email (a test message, resending failed ones), and what the admin
pages read. No Flask.

Every change asks ``workflows.authz.rules.decide_org`` first (``manage_units``, ``manage_users``,
``configure``: an administrator of the province), records a refusal (``action_refused``) in the
caller's unit of work and raises ``NotAllowed`` — an inspector reads every admin page and is
refused every change ("thanh tra chỉ được xem") — then calls the domain's own command
(``workflows.org.commands``, ``workflows.org.membership``, ``workflows.accounts``,
``workflows.calendar.days``, ``workflows.escalation.policy``, ``workflows.notify.resend``), which
audits the change. Nothing commits here.

An administrator may also record a leader's delegation (the signed decision on paper, entered by
the office) and revoke one; a leader delegating their own approvals is ``workflows.actions.org``.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from engine import (
    BadData,
    Claimed,
    DeliveryError,
    NotFound,
    OutboxMessage,
    UnitOfWork,
    WorkerHeartbeat,
    failed_messages,
)
from workflows.accounts import end_user_sessions
from workflows.accounts import set_password as set_account_password
from workflows.accounts.models import UserSession
from workflows.actions.plans import mark_external
from workflows.authz.actions import OrgAction
from workflows.authz.facts import load_user, unit_facts
from workflows.authz.model import UnitFacts, UserFacts
from workflows.authz.refusals import record_refusal
from workflows.authz.rules import day_of, decide_org
from workflows.calendar import days as calendar_days
from workflows.calendar.models import CalendarDay
from workflows.escalation import policy as escalation
from workflows.escalation.models import EscalationPolicy
from workflows.notify.resend import resend_failed
from workflows.notify.smtp import SENDER_ENV, URL_ENV, SmtpConfig, SmtpTransport
from workflows.org import commands as org
from workflows.org import membership
from workflows.org.models import Delegation, OrgUnit, UnitAlias, User, UserRole
from workflows.org.queries import province_root
from workflows.plans.models import Plan

PAGE_SIZE = 50
MAX_CHILDREN = 500  # a Sở has ~100 direct units, a commune ~30 schools; the bound is for safety
STALE_WORKER = timedelta(minutes=2)  # a sweep runs every 2 s: two minutes of silence is a stall
TEST_MAIL_TIMEOUT = 15.0  # seconds: the page waits for the server's answer


# --- who acts, and may they -----------------------------------------------------------------------



def _decide(uow: UnitOfWork, user: User, action: OrgAction, target: UnitFacts) -> UserFacts:
    """Allow, or record the refusal and raise it (``NotAllowed``)."""
    facts = load_user(uow.session, user, day_of(uow.now))
    decision = decide_org(facts, action, target, day_of(uow.now))
    if not decision.allowed:
        if decision.security_event:
            record_refusal(uow, facts, action.value, target, decision)
        decision.ensure()
    return facts


def check_change(uow: UnitOfWork, user: User, action: OrgAction = OrgAction.CONFIGURE) -> OrgUnit:
    """Refuse (recorded) anyone but an administrator of the province before a form is even read:
    a forged form of an inspector is refused as such, not as a form with errors."""
    root = province_root(uow.session, user)
    _decide(uow, user, action, unit_facts(root))
    return root


def check_read(uow: UnitOfWork, user: User) -> OrgUnit:
    """The admin pages are read by the province's administrators and inspectors; anyone else is
    refused (recorded, as "configure the system": what the pages are for)."""
    root = province_root(uow.session, user)
    facts = load_user(uow.session, user, day_of(uow.now))
    decision = decide_org(facts, OrgAction.CONFIGURE, unit_facts(root), day_of(uow.now))
    if decision.allowed or decision.refusal == "authz_read_only":  # an active inspector of the province
        return root
    if decision.security_event:
        record_refusal(uow, facts, OrgAction.CONFIGURE.value, unit_facts(root), decision)
    decision.ensure()
    return root


def may_change(session: Session, user: User, now: datetime) -> bool:
    """Whether the pages should offer the forms (an inspector sees none)."""
    facts = load_user(session, user, day_of(now))
    return decide_org(facts, OrgAction.CONFIGURE, unit_facts(province_root(session, user)), day_of(now)).allowed


def _unit_in_province(uow: UnitOfWork, root: OrgUnit, code: str) -> OrgUnit:
    unit = org.unit_by_code(uow, code)
    if unit.root_id != root.id:  # another province's unit is not even confirmed to exist
        raise NotFound("unit_not_found", code=code[:100])
    return unit


def _user_in_province(uow: UnitOfWork, root: OrgUnit, username: str) -> tuple[User, OrgUnit]:
    person = org.user_by_name(uow, username)
    unit = uow.session.get(OrgUnit, person.unit_id)
    assert unit is not None
    if unit.root_id != root.id:
        raise NotFound("user_not_found", username=username[:100])
    return person, unit


# --- units --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    kind: str
    active: bool
    children: int
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitsPage:
    unit: UnitRow  # the unit looked at (the Sở at first)
    trail: list[UnitRow]  # its ancestors, the Sở first
    children: list[UnitRow]
    external: list[UnitRow]  # bodies outside the sector (only at the Sở)


def units_page(uow: UnitOfWork, user: User, code: str | None = None) -> UnitsPage:
    """One level of the province's tree: a unit, its ancestors, its children with their counts."""
    root = check_read(uow, user)
    session = uow.session
    unit = _unit_in_province(uow, root, code) if code else root
    ids = [int(i) for i in unit.path.strip("/").split("/")]
    ancestors = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids[:-1])))}
    children = session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == unit.id).order_by(OrgUnit.kind, OrgUnit.code).limit(MAX_CHILDREN)
    ).all()
    counts = _child_counts(session, [unit.id, *(c.id for c in children)])
    aliases = _aliases(session, [unit.id])
    rows = [_row(c, counts) for c in children]
    return UnitsPage(
        unit=_row(unit, counts, aliases.get(unit.id, ())),
        trail=[_row(ancestors[i], counts) for i in ids[:-1] if i in ancestors],
        children=[r for r in rows if r.kind != "ngoai"],
        external=[r for r in rows if r.kind == "ngoai"],
    )


def _child_counts(session: Session, ids: list[int]) -> dict[int, int]:
    query = select(OrgUnit.parent_id, func.count()).where(OrgUnit.parent_id.in_(ids)).group_by(OrgUnit.parent_id)
    return {parent: count for parent, count in session.execute(query) if parent is not None}


def _aliases(session: Session, ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    for unit_id, alias in session.execute(select(UnitAlias.unit_id, UnitAlias.alias).where(UnitAlias.unit_id.in_(ids)).order_by(UnitAlias.alias)):
        found.setdefault(unit_id, []).append(alias)
    return {k: tuple(v) for k, v in found.items()}


def _row(unit: OrgUnit, counts: Mapping[int, int], aliases: tuple[str, ...] = ()) -> UnitRow:
    return UnitRow(unit.code, unit.name, unit.kind, unit.active, counts.get(unit.id, 0), aliases)


def add_unit(uow: UnitOfWork, user: User, cmd: org.AddUnit) -> OrgUnit:
    """A new unit under ``cmd.parent_code`` (a unit of the administrator's province)."""
    root = province_root(uow.session, user)
    parent = _unit_in_province(uow, root, cmd.parent_code or root.code)
    _decide(uow, user, OrgAction.MANAGE_UNITS, unit_facts(parent))
    return org.add_unit(uow, cmd, parent=parent)


def add_aliases(uow: UnitOfWork, user: User, code: str, names: Iterable[str]) -> None:
    """More names a unit goes by in documents."""
    root = province_root(uow.session, user)
    unit = _unit_in_province(uow, root, code)
    _decide(uow, user, OrgAction.MANAGE_UNITS, unit_facts(unit))
    org.add_aliases(uow, unit, names)


def add_external_body(uow: UnitOfWork, user: User, name: str) -> str:
    """A body outside the sector that plans name (kind "ngoai" under the Sở); its code."""
    root = check_change(uow, user, OrgAction.MANAGE_UNITS)
    return mark_external(uow, None, name, root=root)


# --- people -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    username: str
    full_name: str
    email: str | None
    unit_code: str
    unit_name: str
    roles: tuple[str, ...]
    active: bool
    open_sessions: int = 0


@dataclass(frozen=True)
class PeoplePage:
    rows: list[PersonRow]
    next_after: str | None  # the keyset cursor: the last username shown


def people(uow: UnitOfWork, user: User, *, query: str = "", after: str | None = None, limit: int = PAGE_SIZE) -> PeoplePage:
    """The province's people by username, 50 a page; ``query`` matches a username, a name or a
    unit code (part of it)."""
    root = check_read(uow, user)
    stmt = (select(User, OrgUnit).join(OrgUnit, OrgUnit.id == User.unit_id).where(OrgUnit.root_id == root.id)
            .order_by(User.username).limit(limit + 1))  # fmt: skip
    text = " ".join(query.split())[:100]
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(func.lower(User.username).like(like) | func.lower(User.full_name).like(like) | func.lower(OrgUnit.code).like(like))
    if after:
        stmt = stmt.where(User.username > after)
    found = uow.session.execute(stmt).all()
    rows = _people(uow.session, found[:limit], uow.now)
    return PeoplePage(rows, rows[-1].username if len(found) > limit else None)


def person(uow: UnitOfWork, user: User, username: str) -> PersonRow:
    root = check_read(uow, user)
    found, unit = _user_in_province(uow, root, username)
    return _people(uow.session, [(found, unit)], uow.now)[0]


def _people(session: Session, found: Iterable[Any], now: datetime) -> list[PersonRow]:
    pairs = list(found)
    ids = [u.id for u, _ in pairs]
    roles: dict[int, list[str]] = {}
    for user_id, role in session.execute(select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(ids))):
        roles.setdefault(user_id, []).append(role)
    sessions = dict(session.execute(
        select(UserSession.user_id, func.count()).where(UserSession.user_id.in_(ids), UserSession.revoked_at.is_(None))
        .group_by(UserSession.user_id)
    ).all())  # fmt: skip
    order = ("leader", "officer", "clerk", "admin", "inspector")
    return [PersonRow(u.username, u.full_name, u.email, unit.code, unit.name, tuple(r for r in order if r in roles.get(u.id, [])),
                      u.active, sessions.get(u.id, 0)) for u, unit in pairs]  # fmt: skip


def create_user(uow: UnitOfWork, user: User, cmd: org.AddUser, password: str | None = None) -> User:
    """A new person of a unit of the province, with roles and (optionally) a first password."""
    root = province_root(uow.session, user)
    unit = _unit_in_province(uow, root, cmd.unit_code)
    _decide(uow, user, OrgAction.MANAGE_USERS, unit_facts(unit))
    created = org.add_user(uow, cmd, unit=unit)
    if password:
        set_account_password(uow, created.username, password)
    return created


def _manage(uow: UnitOfWork, user: User, username: str) -> User:
    root = province_root(uow.session, user)
    target, unit = _user_in_province(uow, root, username)
    _decide(uow, user, OrgAction.MANAGE_USERS, unit_facts(unit))
    return target


def set_roles(uow: UnitOfWork, user: User, username: str, roles: Iterable[str]) -> None:
    _manage(uow, user, username)
    membership.set_roles(uow, username, roles)


def set_active(uow: UnitOfWork, user: User, username: str, active: bool) -> int:
    """Activate or deactivate; deactivating ends the person's sessions now. Returns how many."""
    _manage(uow, user, username)
    membership.set_active(uow, username, active)
    return 0 if active else end_user_sessions(uow, username)


def end_sessions(uow: UnitOfWork, user: User, username: str) -> int:
    _manage(uow, user, username)
    return end_user_sessions(uow, username)


def set_password(uow: UnitOfWork, user: User, username: str, password: str) -> int:
    """A new password (argon2id, the policy checked) that ends the person's sessions."""
    _manage(uow, user, username)
    return set_account_password(uow, username, password)


# --- delegations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DelegationRow:
    id: int
    giver: str
    giver_name: str
    receiver: str
    receiver_name: str
    starts_on: date
    ends_on: date
    reason: str | None
    revoked_at: datetime | None
    created_by: str

    def state(self, today: date) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if today > self.ends_on:
            return "ended"
        return "current" if today >= self.starts_on else "future"


def delegations(uow: UnitOfWork, user: User, *, limit: int = 200) -> list[DelegationRow]:
    """The province's delegations, the newest period first (the latest ``limit``)."""
    root = check_read(uow, user)
    giver, receiver, unit = aliased(User), aliased(User), aliased(OrgUnit)
    rows = uow.session.execute(
        select(Delegation, giver, receiver).join(giver, giver.id == Delegation.from_user_id)
        .join(receiver, receiver.id == Delegation.to_user_id).join(unit, unit.id == giver.unit_id)
        .where(unit.root_id == root.id).order_by(Delegation.starts_on.desc(), Delegation.id.desc()).limit(limit)
    ).all()  # fmt: skip
    return [DelegationRow(d.id, g.username, g.full_name, r.username, r.full_name, d.starts_on, d.ends_on, d.reason, d.revoked_at,
                          d.created_by) for d, g, r in rows]  # fmt: skip


def record_delegation(uow: UnitOfWork, user: User, giver: str, receiver: str, starts_on: date, ends_on: date,
                      reason: str | None = None) -> Delegation:  # fmt: skip
    """Record a leader's signed delegation: both people of the province."""
    root = province_root(uow.session, user)
    _, giver_unit = _user_in_province(uow, root, giver)
    _user_in_province(uow, root, receiver)
    _decide(uow, user, OrgAction.MANAGE_USERS, unit_facts(giver_unit))
    return org.delegate(uow, giver, receiver, starts_on, ends_on, reason)


def revoke_delegation(uow: UnitOfWork, user: User, delegation_id: int) -> None:
    root = province_root(uow.session, user)
    found = uow.session.get(Delegation, delegation_id)
    giver = uow.session.get(User, found.from_user_id) if found else None
    unit = uow.session.get(OrgUnit, giver.unit_id) if giver else None
    if unit is None or unit.root_id != root.id:
        raise NotFound("bad_data", detail=f"delegation {delegation_id}")
    _decide(uow, user, OrgAction.MANAGE_USERS, unit_facts(unit))
    org.revoke_delegation(uow, delegation_id)


# --- the province's calendar --------------------------------------------------------------------


def declared_days(uow: UnitOfWork, user: User, year: int) -> list[CalendarDay]:
    root = check_read(uow, user)
    return calendar_days.declared_days(uow.session, root.id, year=year)


def calendar_of(uow: UnitOfWork, user: User, year: int) -> list[tuple[date, str | None, bool]]:
    """The days of ``year`` that differ from an ordinary week, as the worker's calendar has them
    (the government's and the province's): (day, why it is off, or None, whether it is worked)."""
    root = check_read(uow, user)
    calendar = calendar_days.province_calendar(uow.session, root.id, [year])
    day, found = date(year, 1, 1), []
    while day.year == year:
        working, weekend = calendar.is_working_day(day), day.weekday() >= 5
        if working == weekend:  # a weekday off, or a weekend day worked ("làm bù")
            found.append((day, calendar.holiday_name(day), working))
        day += timedelta(days=1)
    return found


def declare_day(uow: UnitOfWork, user: User, day: date, kind: str, note: str | None = None) -> CalendarDay:
    root = check_change(uow, user)
    return calendar_days.declare_day(uow, root.id, day, kind, note)


def remove_day(uow: UnitOfWork, user: User, day_id: int) -> None:
    root = check_change(uow, user)
    calendar_days.remove_day(uow, root.id, day_id)


# --- urging policy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyRow:
    scope_kind: str
    scope_key: str
    settings: dict[str, Any]
    updated_at: datetime
    updated_by: str


def policies(uow: UnitOfWork, user: User) -> tuple[escalation.Policy, list[PolicyRow]]:
    """The province's merged policy, and the stored rows that concern it: its own, its plans'
    and the processes' (a process's settings apply in every province)."""
    root = check_read(uow, user)
    plans = [str(i) for i in uow.session.scalars(select(Plan.id).where(Plan.root_id == root.id))]
    rows = uow.session.scalars(
        select(EscalationPolicy).where(
            ((EscalationPolicy.scope_kind == "province") & (EscalationPolicy.scope_key == root.code))
            | (EscalationPolicy.scope_kind == "process")
            | ((EscalationPolicy.scope_kind == "plan") & EscalationPolicy.scope_key.in_(plans))
        ).order_by(EscalationPolicy.scope_kind, EscalationPolicy.scope_key)
    ).all()  # fmt: skip
    merged = escalation.policy_for(uow.session, root_code=root.code, plan_id=None, process_key=None)
    return merged, [PolicyRow(r.scope_kind, r.scope_key, dict(r.settings), r.updated_at, r.updated_by) for r in rows]


def set_escalation_policy(uow: UnitOfWork, user: User, scope_kind: str, scope_key: str, settings: Mapping[str, Any]) -> EscalationPolicy:
    """Replace one scope's settings: the province (its own code only), one of its plans, or a
    process. The domain validates and audits (``escalation_policy_set``)."""
    root = check_change(uow, user)
    key = scope_key.strip()
    if scope_kind == "province" and key != root.code:
        raise BadData(detail=f"chỉ đặt được cho tỉnh của mình ({root.code}) / only your own province ({root.code})")
    if scope_kind == "plan":
        plan = uow.session.get(Plan, int(key)) if key.isdigit() else None
        if plan is None or plan.root_id != root.id:
            raise NotFound("plan_not_found", id=key[:20])
    return escalation.set_policy(uow, scope_kind, key, settings)


# --- email ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """What the page shows of the mail settings (never the password)."""

    config: SmtpConfig | None
    problem: str | None  # why there is no usable configuration

    @property
    def security(self) -> str:
        if self.config is None:
            return ""
        return "smtps" if self.config.implicit_tls else "starttls" if self.config.starttls else "none"


def smtp_settings(overrides: Mapping[str, str] | None = None) -> SmtpSettings:
    """The worker's mail settings: ``GIAOVIEC_SMTP_URL`` and ``GIAOVIEC_MAIL_FROM`` (the
    environment, or the application's configuration over it)."""
    environ = {**os.environ, **{k: v for k, v in (overrides or {}).items() if k in (URL_ENV, SENDER_ENV) and v}}
    try:
        return SmtpSettings(SmtpConfig.from_env(environ), None)
    except ValueError as exc:
        return SmtpSettings(None, str(exc))


@dataclass(frozen=True)
class TestMail:
    sent: bool
    error: str | None = None


def send_test_email(uow: UnitOfWork, user: User, settings: SmtpSettings, recipient: str) -> TestMail:
    """Send one email to ``recipient`` now with the worker's settings, and say what the server
    answered; audited (``smtp_test_sent`` / ``smtp_test_failed``)."""
    check_change(uow, user)
    if settings.config is None:
        uow.audit("smtp_test_failed", subject="smtp", data={"recipient": recipient[:320], "error": settings.problem})
        return TestMail(False, settings.problem)
    config = dataclasses.replace(settings.config, timeout=min(settings.config.timeout, TEST_MAIL_TIMEOUT))
    message = Claimed(
        id=uuid.uuid4(), kind="smtp_test", recipient=recipient.strip()[:320], attempts=1, instance_id=None, claimed_at=uow.now,
        payload={"subject": "Thư thử nghiệm từ hệ thống Giao việc",
                 "text": f"Thư này do {user.full_name} ({user.username}) gửi từ trang quản trị để kiểm tra cấu hình thư điện tử.\n\n"
                         "This is a test email sent from the administration page."},
    )  # fmt: skip
    try:
        SmtpTransport(config).send(message)
    except DeliveryError as exc:
        error = str(exc)[:500]
        uow.audit("smtp_test_failed", subject="smtp", data={"recipient": message.recipient, "host": config.host, "error": error})
        return TestMail(False, error)
    uow.audit("smtp_test_sent", subject="smtp", data={"recipient": message.recipient, "host": config.host, "id": str(message.id)})
    return TestMail(True)


def failed_emails(uow: UnitOfWork, user: User, *, limit: int = 200) -> list[OutboxMessage]:
    check_read(uow, user)
    return failed_messages(uow.session, limit=limit)


def resend_email(uow: UnitOfWork, user: User, message_id: uuid.UUID) -> OutboxMessage:
    check_change(uow, user)
    return resend_failed(uow, message_id)


# --- workers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerRow:
    worker_id: str
    host: str
    pid: int
    started_at: datetime
    last_seen: datetime
    sweeps: int
    status: str  # running | stopped | stalled (running, but silent for STALE_WORKER)
    last_error: str | None


def workers(uow: UnitOfWork, user: User) -> list[WorkerRow]:
    check_read(uow, user)
    rows = uow.session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_seen.desc()).limit(100)).all()
    return [WorkerRow(r.worker_id, r.host, r.pid, r.started_at, r.last_seen, r.sweeps,
                      "stalled" if r.status == "running" and uow.now - r.last_seen > STALE_WORKER else r.status, r.last_error)
            for r in rows]  # fmt: skip
