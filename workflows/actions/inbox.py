"""A person's inbox: mine (assigned to me), my unit's (my role is a candidate), delegated to me
(a leader's inbox I hold a delegation for), or all three; filters, sorted by deadline, counts per
scope, keyset pagination.

Every query reads ``human_task`` rows only, through its indexes (``ix_human_task_assignee_inbox``
for mine, ``ix_human_task_unit_inbox`` for a unit's): no join to the instance, no workflow ever
deserialized. The plan, task and period are columns of the row. The inboxes are, by the rules,
exactly the tasks the person may act on (``workflows.authz.rules``: the step's role in the step's
unit, own or delegated); what they may only read is in the plan views.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from engine import HumanTask
from workflows.authz.facts import load_user
from workflows.authz.model import UserFacts
from workflows.authz.rules import WORK_ROLES, day_of, reaches
from workflows.calendar.business import BusinessCalendar, national_calendar
from workflows.org.models import OrgUnit, User
from workflows.plans.keys import plan_id_of, plan_key
from workflows.timeframes import LOCAL_TZ

SCOPES = ("mine", "unit", "delegated", "all")
MAX_PAGE = 500


@dataclass(frozen=True)
class Filters:
    overdue: bool = False
    due_within: int | None = None  # working days from today
    plan_id: int | None = None
    status: str = "open"
    period: str | None = None
    unit: str | None = None  # a unit below (or equal to) the person's: only its inbox


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    counts: dict[str, int]
    next_after: str | None = None  # the keyset cursor of the next page, if any


@dataclass(frozen=True)
class _Lanes:
    """Who the person is in the inboxes: their username, and (unit code, role) pairs."""

    username: str
    own: tuple[tuple[str, str], ...]
    delegated: tuple[tuple[str, str], ...] = field(default=())


def inbox(session: Session, user: User | UserFacts, now: datetime, *, scope: str = "all", filters: Filters = Filters(),
          limit: int = 100, after: str | None = None, calendar: BusinessCalendar | None = None) -> Page:  # fmt: skip
    """One page of ``user``'s inbox at ``now``, and the counts of each scope under the filters."""
    if scope not in SCOPES:
        raise ValueError(f"scope: one of {', '.join(SCOPES)}")
    facts = user if isinstance(user, UserFacts) else load_user(session, user, day_of(now))
    lanes = _lanes(facts, day_of(now))
    where = _filters(session, facts, filters, now, calendar)
    conditions = _scopes(lanes)
    # Every count in one statement over the rows of all three scopes (each an indexed lane).
    names = ("mine", "unit", "delegated")
    totals = session.execute(
        select(*(func.count().filter(conditions[n]) for n in names), func.count(),
               func.count().filter(and_(conditions[scope], HumanTask.due_at < now)))
        .select_from(HumanTask).where(conditions["all"], *where)
    ).one()  # fmt: skip
    counts = {**dict(zip(names, totals[:3], strict=True)), "all": totals[3], "overdue": totals[4]}
    query = select(*COLUMNS).where(conditions[scope], *where)
    if after:
        query = query.where(_after(after))
    rows = session.execute(query.order_by(*ORDER).limit(min(limit, MAX_PAGE) + 1)).all()
    page = rows[: min(limit, MAX_PAGE)]
    next_after = _cursor(page[-1]) if len(rows) > len(page) and page else None
    return Page([_item(r) for r in page], counts, next_after)


COLUMNS = (HumanTask.id, HumanTask.instance_id, HumanTask.element_id, HumanTask.name, HumanTask.candidate_unit,
           HumanTask.candidate_role, HumanTask.assignee, HumanTask.due_at, HumanTask.status, HumanTask.plan_key,
           HumanTask.task_key, HumanTask.period)  # fmt: skip
# By deadline, tasks without one last; the id breaks ties (the keyset).
ORDER = (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)


def _lanes(user: UserFacts, day: date) -> _Lanes:
    if not user.active or not user.unit.active:
        return _Lanes(user.username, ())
    own, delegated = [], []
    for reach in reaches(user, day):
        pairs = [(reach.unit.code, role) for role in sorted(reach.roles & WORK_ROLES)]
        (delegated if reach.delegation else own).extend(pairs)
    return _Lanes(user.username, tuple(own), tuple(dict.fromkeys(delegated)))


def _in_lanes(pairs: Sequence[tuple[str, str]], *, unassigned: bool) -> ColumnElement[bool]:
    if not pairs:
        return false()
    by_unit: dict[str, list[str]] = {}
    for unit, role in pairs:
        by_unit.setdefault(unit, []).append(role)
    lanes = or_(*(and_(HumanTask.candidate_unit == unit, HumanTask.candidate_role.in_(roles)) for unit, roles in by_unit.items()))
    return and_(lanes, HumanTask.assignee.is_(None)) if unassigned else lanes


def _scopes(lanes: _Lanes) -> dict[str, ColumnElement[bool]]:
    if not lanes.own and not lanes.delegated:
        return dict.fromkeys(SCOPES, false())
    mine = HumanTask.assignee == lanes.username
    unit = _in_lanes(lanes.own, unassigned=True)
    delegated = _in_lanes(lanes.delegated, unassigned=False)
    # No constant FALSE among the terms of "all": the planner then unions the indexed lanes.
    every = or_(mine, *(c for c, pairs in ((unit, lanes.own), (delegated, lanes.delegated)) if pairs))
    return {"mine": mine, "unit": unit, "delegated": delegated, "all": every}


def _filters(session: Session, user: UserFacts, f: Filters, now: datetime, calendar: BusinessCalendar | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [HumanTask.status == f.status]
    if f.overdue:
        where.append(HumanTask.due_at < now)
    if f.due_within is not None:
        last = (calendar or national_calendar()).add_working_days(day_of(now), f.due_within)
        where.append(HumanTask.due_at <= datetime.combine(last, time(23, 59, 59), LOCAL_TZ))
    if f.plan_id is not None:
        where.append(HumanTask.plan_key == plan_key(f.plan_id))
    if f.period:
        where.append(HumanTask.period == f.period)
    if f.unit:
        below = select(OrgUnit.code).where(OrgUnit.code == f.unit.strip(), OrgUnit.path.startswith(user.unit.path, autoescape=True))
        where.append(HumanTask.candidate_unit.in_(below))
    return where


def _item(row: Any) -> dict[str, Any]:
    return {
        "task_id": str(row.id), "instance_id": str(row.instance_id), "step": row.element_id, "name": row.name,
        "unit": row.candidate_unit, "role": row.candidate_role, "assignee": row.assignee,
        "due": row.due_at.isoformat() if row.due_at else None, "status": row.status,
        "plan_id": plan_id_of(row.plan_key), "task_stt": row.task_key, "period": row.period,
    }  # fmt: skip


def _cursor(row: Any) -> str:
    return f"{row.due_at.isoformat() if row.due_at else '-'}|{row.id}"


def _after(cursor: str) -> ColumnElement[bool]:
    """The rows after the cursor in ``ORDER``: (due IS NULL, due, id) > the cursor's."""
    due_text, _, id_text = cursor.partition("|")
    task_id = uuid.UUID(id_text)
    if due_text == "-":
        return and_(HumanTask.due_at.is_(None), HumanTask.id > task_id)
    due = datetime.fromisoformat(due_text)
    return or_(HumanTask.due_at.is_(None), HumanTask.due_at > due, and_(HumanTask.due_at == due, HumanTask.id > task_id))
