"""The day's urging (đôn đốc) of every province, once per province and local day.

For each province (a root ``so`` unit) from the policy's ``digest_hour`` on: claim the day (an
``escalation_run`` row, unique per province and day, so a second sweep, or a second worker, sends
nothing new), read the open work in one query, decide each instance's notices with its policy
(``workflows.escalation.policy``), write the notices, one audit event per notice (the task's
history shows who was told what), and one digest per person (``workflows.escalation.digest``).

Who is told, a ladder: reminders go to the unit's officers (its leaders if it has none), the
overdue notice to its leaders (else officers), the escalation to the leaders of the parent unit
(the Sở's for a unit directly under it), the weekly list to the office's leaders and officers.
Only active people with an email address count; an item that reaches nobody is counted in
``RunResult.unreached`` and in the run's audit event.

Submitted work is not urged: the report is with the reviewing unit, not the one that owes it.
Rows are written with executemany (``engine.insert_rows``): a province may have 60,000 open
instances on the day of a common deadline.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import AuditEvent, UnitOfWork, insert_rows
from workflows.calendar import BusinessCalendar
from workflows.calendar.days import province_calendar
from workflows.escalation.digest import Item, Person, queue_digests
from workflows.escalation.models import EscalationRun, Notice
from workflows.escalation.policy import (
    ESCALATED,
    OVERDUE,
    WEEKLY,
    Overrides,
    Schedule,
    last_allowed_day,
)
from workflows.org.models import OrgUnit, User, UserRole
from workflows.plans.models import Plan, PlanTask
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking

DEFAULT_BASE_URL = "http://localhost:5000"
URGED_PHASES = ("new", "working", "returned")
MAX_CATCH_UP = timedelta(days=14)  # after a longer stop, older notices are history, not news
EVENTS = {OVERDUE: "overdue_notice_queued", ESCALATED: "escalation_queued", WEEKLY: "weekly_list_queued"}
REMINDER_EVENT = "reminder_queued"
MAX_UNREACHED_LISTED = 50


@dataclass(frozen=True)
class RunResult:
    notices: int = 0
    digests: int = 0
    skipped_provinces: tuple[str, ...] = ()  # already run today, or before the digest hour
    unreached: int = 0  # items whose unit (or parent, or office) has nobody with an email


def run_escalations(
    uow: UnitOfWork, now: datetime | None = None, *, base_url: str = DEFAULT_BASE_URL,
    calendar: BusinessCalendar | None = None,
) -> RunResult:  # fmt: skip
    """Run the day's urging of every province not yet urged today; flushes, never commits."""
    now = now or uow.now
    local = now.astimezone(LOCAL_TZ)
    years = range(local.year - 1, local.year + 2)
    session = uow.session
    overrides = Overrides.load(session)
    roots = session.execute(select(OrgUnit.id, OrgUnit.code).where(OrgUnit.parent_id.is_(None), OrgUnit.kind == "so").order_by(OrgUnit.code)).all()
    notices = digests = unreached = 0
    skipped: list[str] = []
    for root_id, root_code in roots:
        if local.hour < overrides.policy(root_code).digest_hour:
            skipped.append(root_code)
            continue
        run = _claim_day(session, root_id, local.date(), now)
        if run is None:
            skipped.append(root_code)
            continue
        # Each province urges on its own calendar: the government's days with its admin's days
        # off and make-up days (``calendar_day``), unless the caller fixed one.
        days = calendar or province_calendar(session, root_id, years)
        schedule = Schedule(days, local.date(), _since(session, root_id, local.date()))
        province = _Province(uow, root_id, root_code, overrides, schedule, base_url)
        result = province.urge(run)
        notices, digests, unreached = notices + result.notices, digests + result.digests, unreached + result.unreached
    return RunResult(notices, digests, tuple(skipped), unreached)


def _claim_day(session: Session, root_id: int, day: date, now: datetime) -> EscalationRun | None:
    """The province's run of ``day``, or None if it exists already (committed by anyone)."""
    if session.scalar(select(EscalationRun.id).where(EscalationRun.root_id == root_id, EscalationRun.day == day)) is not None:
        return None
    run = EscalationRun(root_id=root_id, day=day, ran_at=now, notices=0, digests=0)
    try:
        # On PostgreSQL a concurrent run of the same day waits on the unique index, then fails
        # here once the other commits: only this province is skipped, not the whole sweep.
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        return None
    return run


def _since(session: Session, root_id: int, today: date) -> date:
    """The window's exclusive start: the previous run's day (notices of days missed in between
    are caught up), at most ``MAX_CATCH_UP`` back; yesterday for a first run."""
    previous = session.scalar(select(func.max(EscalationRun.day)).where(EscalationRun.root_id == root_id, EscalationRun.day < today))
    return max(previous, today - MAX_CATCH_UP) if previous else today - timedelta(days=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


@dataclass
class _Tally:
    notices: int = 0
    digests: int = 0
    unreached: int = 0
    unreached_items: list[str] = field(default_factory=list)


class _Province:
    """One province's run: its people by unit and role, its office, its open work."""

    def __init__(self, uow: UnitOfWork, root_id: int, root_code: str, overrides: Overrides, schedule: Schedule, base_url: str) -> None:
        self.uow, self.session = uow, uow.session
        self.root_id, self.root_code = root_id, root_code
        self.overrides, self.schedule, self.base_url = overrides, schedule, base_url
        self.people, self.roles = self._people()
        office = self.session.scalar(select(OrgUnit.id).where(OrgUnit.code == overrides.policy(root_code).office_code(root_code), OrgUnit.root_id == root_id))
        self.office = [*self.roles[(office, "leader")], *self.roles[(office, "officer")]] if office else []

    def _people(self) -> tuple[dict[str, Person], defaultdict[tuple[int | None, str], list[str]]]:
        """Everyone of the province who can receive mail, by (unit, role)."""
        rows = self.session.execute(
            select(User.unit_id, UserRole.role, User.username, User.email, User.full_name)
            .join(UserRole, UserRole.user_id == User.id).join(OrgUnit, OrgUnit.id == User.unit_id)
            .where(OrgUnit.root_id == self.root_id, User.active, User.email.is_not(None), User.email != "",
                   UserRole.role.in_(("leader", "officer")))
            .order_by(User.username)
        ).all()  # fmt: skip
        people: dict[str, Person] = {}
        roles: defaultdict[tuple[int | None, str], list[str]] = defaultdict(list)
        for unit_id, role, username, email, full_name in rows:
            people[username] = Person(username, email or "", full_name)
            roles[(unit_id, role)].append(username)
        return people, roles

    def _either(self, unit_id: int | None, first: str, then: str) -> list[str]:
        return self.roles[(unit_id, first)] or self.roles[(unit_id, then)]

    def recipients(self, kind: str, row: Row[Any]) -> list[str] | None:
        """Usernames to tell; None when the kind does not apply (the Sở has no parent)."""
        if kind == OVERDUE:
            return self._either(row.unit_id, "leader", "officer")
        if kind == ESCALATED:
            return None if row.parent_id is None else self._either(row.parent_id, "leader", "officer")
        if kind == WEEKLY:
            return list(dict.fromkeys(self.office))
        return self._either(row.unit_id, "officer", "leader")  # a reminder, or due today

    def open_work(self) -> Sequence[Any]:
        """The province's urged work whose notices can fall in the window: one query, bounded by
        the farthest reminder and (when no weekly list is due) the longest escalation."""
        policies = self.overrides.all_policies(self.root_code)
        cal, today, since = self.schedule.calendar, self.schedule.today, self.schedule.since
        farthest = max((max(p.remind_before, default=0) for p in policies), default=0)
        where = [OrgUnit.root_id == self.root_id, Tracking.phase.in_(URGED_PHASES), Tracking.due_at.is_not(None),
                 Tracking.due_at <= _midnight(cal.add_working_days(today, farthest + 1))]  # fmt: skip
        if not any(self.schedule.weekly_list_due(p.weekly_list_weekday) for p in policies):
            longest = max((p.escalate_after or 1 for p in policies), default=1)
            where.append(Tracking.due_at > _midnight(cal.add_working_days(since, -(longest + 1))))
        return self.session.execute(
            select(Tracking.instance_id, Tracking.plan_id, Tracking.process_key, Tracking.task_key, Tracking.period,
                   Tracking.phase, Tracking.due_at, Tracking.unit_id, OrgUnit.parent_id, OrgUnit.code, OrgUnit.name)
            .join(OrgUnit, OrgUnit.id == Tracking.unit_id).where(*where)
        ).all()  # fmt: skip

    def _titles(self) -> dict[tuple[int, str], tuple[str, dict[str, str]]]:
        """(plan, task number) → (content, period labels by key), for the province's plans."""
        rows = self.session.execute(
            select(PlanTask.plan_id, PlanTask.stt, PlanTask.content, PlanTask.schedule)
            .where(PlanTask.plan_id.in_(select(Plan.id).where(Plan.root_id == self.root_id)))
        ).all()  # fmt: skip
        titles: dict[tuple[int, str], tuple[str, dict[str, str]]] = {}
        for plan_id, stt, content, schedule in rows:
            labels = {p["key"]: p.get("label") or p["key"] for p in (schedule or {}).get("periods") or [] if "key" in p}
            titles.setdefault((plan_id, stt), (content, labels))
        return titles

    def urge(self, run: EscalationRun) -> _Tally:
        tally = _Tally()
        titles = self._titles()
        last_days: dict[datetime, date] = {}
        items: defaultdict[str, list[Item]] = defaultdict(list)
        for row in self.open_work():
            last_day = last_days.get(row.due_at) or last_days.setdefault(row.due_at, last_allowed_day(row.due_at))
            standing = self.schedule.standing(self.overrides.policy(self.root_code, row.plan_id, row.process_key), last_day)
            for kind in standing.kinds:
                usernames = self.recipients(kind, row)
                if usernames is None:
                    continue
                if not usernames:
                    tally.unreached += 1
                    if len(tally.unreached_items) < MAX_UNREACHED_LISTED:
                        tally.unreached_items.append(f"{row.code}:{kind}")
                    continue
                content, labels = titles.get((row.plan_id, row.task_key), (row.task_key or row.process_key, {}))
                period = labels.get(row.period, row.period) if row.period else None
                item = Item(row.instance_id, kind, row.name, content, period, last_day, standing.remaining, standing.late, row.phase)
                for username in usernames:
                    items[username].append(item)
        day = self.schedule.today
        outbox, tally.digests = queue_digests(self.uow, day, self.people, items, self.base_url)
        self._record(run, day, items, outbox)
        tally.notices = sum(len(mine) for mine in items.values())
        run.notices, run.digests = tally.notices, tally.digests
        self.uow.audit("urging_run_completed", subject=self.root_code, data={
            "run": run.id, "day": day.isoformat(), "since": self.schedule.since.isoformat(), "notices": tally.notices,
            "digests": tally.digests, "unreached": tally.unreached, "unreached_items": tally.unreached_items,
        })  # fmt: skip
        return tally

    def _record(self, run: EscalationRun, day: date, items: dict[str, list[Item]], outbox: dict[str, uuid.UUID]) -> None:
        """The notices and their audit events, each table with one executemany."""
        notices, events = [], []
        for username, mine in items.items():
            message = outbox[username]
            for item in mine:
                notices.append((item.instance_id, item.kind, username, message))
                data = {"kind": item.kind, "last_day": item.last_day.isoformat(), "outbox_id": str(message), "run": run.id}
                events.append((EVENTS.get(item.kind, REMINDER_EVENT), item.instance_id, username, data))
        insert_rows(self.session, cast(Table, Notice.__table__), shared={"run_id": run.id, "day": day},
                    columns=("instance_id", "kind", "username", "outbox_id"), values=notices)  # fmt: skip
        insert_rows(self.session, cast(Table, AuditEvent.__table__),
                    shared={"occurred_at": self.uow.now, "actor": self.uow.actor, "on_behalf_of": None, "task_id": None},
                    columns=("event", "instance_id", "subject", "data"), values=events)  # fmt: skip
