"""A person's inbox: mine (assigned to me), my unit's (my role is a candidate), delegated to me
(a leader's inbox I hold a delegation for), or all three; filters, sorted by deadline, counts per
scope, keyset pagination.

Every query reads ``human_task`` rows only, through its indexes (``ix_human_task_assignee_inbox``
for mine, ``ix_human_task_unit_inbox`` for a unit's): no join to the instance, no workflow ever
deserialized. The plan, task and period are columns of the row. The inboxes are, by the rules,
exactly the tasks the person may act on (``workflows.authz.rules``: the step's role in the step's
unit, own or delegated); what they may only read is in the plan views.

Counts per filter: the scopes' tabs, overdue and due soon (one statement), and on request
(``facets=True``) the rows per plan, period, work unit and status, each under every other filter,
so that a choice in the page says how many rows it leads to. A page's rows carry their plan's
number and title, the step's unit name and the work's unit (the instance's, a school for a commune
reviewing it): three batched look-ups per page, never one per row. ``export`` reads the same list,
every page of it, up to ``EXPORT_CAP`` rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine import HumanTask, Instance
from workflows.authz.facts import load_user
from workflows.authz.model import UserFacts
from workflows.authz.rules import WORK_ROLES, day_of, reaches
from workflows.calendar.business import BusinessCalendar, national_calendar
from workflows.org.models import OrgUnit, User
from workflows.plans.keys import plan_id_of, plan_key
from workflows.plans.models import Plan
from workflows.timeframes import LOCAL_TZ

SCOPES = ("mine", "unit", "delegated", "all")
STATUSES = ("open", "completed", "cancelled")
MAX_PAGE = 500
EXPORT_CAP = 10_000  # rows in one export: a province's whole open work fits; beyond, filter first
DUE_SOON_DAYS = 3  # working days: "due soon" when the page names no other horizon


@dataclass(frozen=True)
class Filters:
    overdue: bool = False
    due_within: int | None = None  # working days from today
    plan_id: int | None = None
    status: str = "open"
    period: str | None = None
    unit: str | None = None  # a unit below (or equal to) the person's: the step's or the work's unit
    instance_id: uuid.UUID | None = None  # one piece of work: where an email's link lands


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    counts: dict[str, int]
    next_after: str | None = None  # the keyset cursor of the next page, if any
    # With ``facets=True``: "plan", "period", "unit", "status" → [{"value", "label", "count"}].
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Export:
    items: list[dict[str, Any]]
    truncated: bool  # more rows matched than ``EXPORT_CAP``


@dataclass(frozen=True)
class _Lanes:
    """Who the person is in the inboxes: their username, and (unit code, role) pairs."""

    username: str
    own: tuple[tuple[str, str], ...]
    delegated: tuple[tuple[str, str], ...] = field(default=())


def inbox(session: Session, user: User | UserFacts, now: datetime, *, scope: str = "all", filters: Filters = Filters(),
          limit: int = 100, after: str | None = None, calendar: BusinessCalendar | None = None,
          facets: bool = False) -> Page:  # fmt: skip
    """One page of ``user``'s inbox at ``now``, and the counts of each scope under the filters."""
    if scope not in SCOPES:
        raise ValueError(f"scope: one of {', '.join(SCOPES)}")
    facts = user if isinstance(user, UserFacts) else load_user(session, user, day_of(now))
    conditions = _scopes(_lanes(facts, day_of(now)))
    where = _filters(facts, filters, now, calendar)
    soon = _due_by(now, filters.due_within if filters.due_within is not None else DUE_SOON_DAYS, calendar)
    # Every count in one statement over the rows of all three scopes (each an indexed lane).
    names = ("mine", "unit", "delegated")
    totals = session.execute(
        select(*(func.count().filter(conditions[n]) for n in names), func.count(),
               func.count().filter(and_(conditions[scope], HumanTask.due_at < now)),
               func.count().filter(and_(conditions[scope], soon)))
        .select_from(HumanTask).where(conditions["all"], *where)
    ).one()  # fmt: skip
    counts = {**dict(zip(names, totals[:3], strict=True)), "all": totals[3], "overdue": totals[4], "due_soon": totals[5]}
    query = select(*COLUMNS).where(conditions[scope], *where)
    if after:
        query = query.where(_after(after))
    rows = session.execute(_named(query.order_by(*ORDER).limit(min(limit, MAX_PAGE) + 1))).all()
    page = rows[: min(limit, MAX_PAGE)]
    next_after = _cursor(page[-1]) if len(rows) > len(page) and page else None
    found = _facets(session, facts, conditions[scope], filters, now, calendar) if facets else {}
    return Page(_items(session, page), counts, next_after, found)


def export(session: Session, user: User | UserFacts, now: datetime, *, scope: str = "all", filters: Filters = Filters(),
           calendar: BusinessCalendar | None = None, cap: int = EXPORT_CAP) -> Export:  # fmt: skip
    """Every row of the list ``inbox`` pages through (same scope, filters and order), at most
    ``cap``: one query, the rows enriched as a page's are."""
    if scope not in SCOPES:
        raise ValueError(f"scope: one of {', '.join(SCOPES)}")
    facts = user if isinstance(user, UserFacts) else load_user(session, user, day_of(now))
    conditions = _scopes(_lanes(facts, day_of(now)))
    query = select(*COLUMNS).where(conditions[scope], *_filters(facts, filters, now, calendar))
    rows = session.execute(_named(query.order_by(*ORDER).limit(cap + 1))).all()
    return Export(_items(session, rows[:cap]), len(rows) > cap)


COLUMNS = (HumanTask.id, HumanTask.instance_id, HumanTask.element_id, HumanTask.name, HumanTask.candidate_unit,
           HumanTask.candidate_role, HumanTask.assignee, HumanTask.due_at, HumanTask.status, HumanTask.plan_key,
           HumanTask.task_key, HumanTask.period)  # fmt: skip
# By deadline, tasks without one last; the id breaks ties (the keyset).
ORDER = (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
# Built once (a fresh alias per call costs the ORM a new adaptation of the statement each time).
_STEP_UNIT, _WORK_UNIT = aliased(OrgUnit), aliased(OrgUnit)


def _named(rows: Select[Any]) -> Select[Any]:
    """``rows`` (a page, already limited through the inbox's indexes) with the work's unit and
    both units' names joined by primary and unique keys: one statement for the page and its
    names instead of three, and no list of a hundred ids to render into the SQL."""
    page = rows.subquery()
    return (
        select(page, Instance.unit_code.label("work_unit"), _STEP_UNIT.name.label("unit_name"),
               _WORK_UNIT.name.label("work_unit_name"))
        .outerjoin(Instance, Instance.id == page.c.instance_id)
        .outerjoin(_STEP_UNIT, _STEP_UNIT.code == page.c.candidate_unit)
        .outerjoin(_WORK_UNIT, _WORK_UNIT.code == Instance.unit_code)
        .order_by(page.c.due_at.is_(None), page.c.due_at, page.c.id)
    )  # fmt: skip


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


@lru_cache(maxsize=4096)  # one entry per person's lanes: the expressions are immutable and shared
def _scopes(lanes: _Lanes) -> dict[str, ColumnElement[bool]]:
    if not lanes.own and not lanes.delegated:
        return dict.fromkeys(SCOPES, false())
    mine = HumanTask.assignee == lanes.username
    unit = _in_lanes(lanes.own, unassigned=True)
    delegated = _in_lanes(lanes.delegated, unassigned=False)
    # No constant FALSE among the terms of "all": the planner then unions the indexed lanes.
    every = or_(mine, *(c for c, pairs in ((unit, lanes.own), (delegated, lanes.delegated)) if pairs))
    return {"mine": mine, "unit": unit, "delegated": delegated, "all": every}


def _due_by(now: datetime, days: int, calendar: BusinessCalendar | None) -> ColumnElement[bool]:
    """Due by the end of the ``days``-th working day from today (overdue rows included)."""
    last = (calendar or national_calendar()).add_working_days(day_of(now), days)
    return HumanTask.due_at <= datetime.combine(last, time(23, 59, 59), LOCAL_TZ)


def _units_below(user: UserFacts, code: str | None = None) -> Any:
    """Codes of the units at or below the person's (one code, when given)."""
    query = select(OrgUnit.code).where(OrgUnit.path.startswith(user.unit.path, autoescape=True))
    return query.where(OrgUnit.code == code.strip()) if code is not None else query


def _filters(user: UserFacts, f: Filters, now: datetime, calendar: BusinessCalendar | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [HumanTask.status == f.status] if f.status else []  # "": any status
    if f.overdue:
        where.append(HumanTask.due_at < now)
    if f.due_within is not None:
        where.append(_due_by(now, f.due_within, calendar))
    if f.plan_id is not None:
        where.append(HumanTask.plan_key == plan_key(f.plan_id))
    if f.period:
        where.append(HumanTask.period == f.period)
    if f.instance_id is not None:
        where.append(HumanTask.instance_id == f.instance_id)
    if f.unit:
        below = _units_below(user, f.unit)
        # The step's unit, or the work's: a commune reviewing its schools' reports picks a school.
        # The work's unit is the instance's, read by primary key for the rows already in the lanes.
        work = exists(select(Instance.id).where(Instance.id == HumanTask.instance_id, Instance.unit_code.in_(below)))
        where.append(or_(HumanTask.candidate_unit.in_(below), work))
    return where


def _facets(session: Session, user: UserFacts, scope: ColumnElement[bool], f: Filters, now: datetime,
            calendar: BusinessCalendar | None) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    """Rows per plan, period, work unit and status in the scope, each under the other filters."""

    def grouped(column: Any, without: Filters, *joins: Any) -> list[tuple[Any, int]]:
        query = select(column, func.count()).select_from(HumanTask)
        for target, on in joins:
            query = query.join(target, on)
        query = query.where(scope, *_filters(user, without, now, calendar), column.is_not(None))
        return [(value, n) for value, n in session.execute(query.group_by(column).order_by(column)).all()]

    plans = grouped(HumanTask.plan_key, replace(f, plan_id=None))
    titles = _plans(session, {plan_id_of(key) for key, _ in plans})
    by_plan = [{"value": pid, "label": _plan_label(titles.get(pid), pid), "count": n}
               for key, n in plans if (pid := plan_id_of(key)) is not None]  # fmt: skip
    periods = [{"value": p, "label": p, "count": n} for p, n in grouped(HumanTask.period, replace(f, period=None))]
    below = OrgUnit.path.startswith(user.unit.path, autoescape=True)
    units = grouped(OrgUnit.code, replace(f, unit=None), (Instance, Instance.id == HumanTask.instance_id),
                    (OrgUnit, and_(OrgUnit.code == Instance.unit_code, below)))  # fmt: skip
    names = _unit_names(session, {code for code, _ in units})
    by_unit = sorted(({"value": c, "label": names.get(c, c), "count": n} for c, n in units), key=lambda u: u["label"])
    found = dict(grouped(HumanTask.status, replace(f, status="")))
    statuses = [{"value": s, "label": s, "count": found.get(s, 0)} for s in STATUSES]
    return {"plan": by_plan, "period": periods, "unit": by_unit, "status": statuses}


def _items(session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows as the shells show them, with their plan (one look-up for the page's few plans)
    and the names ``_named`` joined."""
    plans = _plans(session, {plan_id_of(r.plan_key) for r in rows})
    items = []
    for row in rows:
        item = _item(row)
        plan = plans.get(item["plan_id"])
        work_unit = row.work_unit or None
        item.update(plan_number=plan[0] if plan else None, plan_title=plan[1] if plan else None,
                    plan_label=_plan_label(plan, item["plan_id"]) if item["plan_id"] is not None else None,
                    unit_name=row.unit_name, work_unit=work_unit, work_unit_name=row.work_unit_name if work_unit else None)  # fmt: skip
        items.append(item)
    return items


def _chunks(values: set[Any], size: int = 1_000) -> list[list[Any]]:
    ordered = sorted(v for v in values if v is not None)
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def _plans(session: Session, ids: set[int | None]) -> dict[int, tuple[str | None, str]]:
    found: dict[int, tuple[str | None, str]] = {}
    for chunk in _chunks(ids):
        found.update((pid, (number, title)) for pid, number, title in session.execute(select(Plan.id, Plan.number, Plan.title).where(Plan.id.in_(chunk))))
    return found


def _plan_label(plan: tuple[str | None, str] | None, plan_id: int) -> str:
    """"637/KH-SGDĐT — title" (the title alone for a plan without a number)."""
    if plan is None:
        return f"#{plan_id}"
    number, title = plan
    return f"{number} — {title}" if number else title


def _unit_names(session: Session, codes: set[str | None]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(codes):
        found.update((code, name) for code, name in session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(chunk))))
    return found


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
