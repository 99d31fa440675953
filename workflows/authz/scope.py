"""Reads scoped by the rules: SQL filters built from ``rules.read_scope``, and the actions a task
offers a user (``allowed_actions``), so that lists show only what ``view`` allows and a page shows
only buttons that will work.

* ``visible_units`` — the units whose work the user reads: a ``SELECT`` of ``org_unit`` ids (or
  codes), each subtree one range scan on the materialised path. Use it as
  ``Tracking.unit_id.in_(visible_units(...))`` or ``HumanTask.candidate_unit.in_(visible_units(...,
  column=OrgUnit.code))``.
* ``visible_work`` — a condition on ``tracking`` rows (dispatched plan work), exactly the rule's
  ``view``: the unit in a visible subtree, or the work assigned by one of the user's units (the
  plan's issuer, the parent instance's unit).
* ``visible_tasks`` — a condition on ``human_task`` rows: in one of the user's inboxes (candidate
  unit), or part of visible plan work. Work started by hand outside a plan has no ``tracking`` row:
  lists show its tasks only to the units whose inbox holds them (``decide_task`` still lets its
  unit's people open it directly).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import Session, aliased

from engine import HumanTask
from workflows.authz.actions import TaskAction
from workflows.authz.facts import load_user
from workflows.authz.model import TaskFacts, UserFacts
from workflows.authz.rules import ReadScope, decide_task, read_scope
from workflows.org.models import OrgUnit, User
from workflows.plans.models import Plan
from workflows.tracking.models import Tracking


def allowed_actions(user: UserFacts, task: TaskFacts, day: date) -> list[str]:
    """The task actions open to ``user`` on ``day``, in ``TaskAction`` order (no session)."""
    return [a.value for a in TaskAction if decide_task(user, a, task, day).allowed]


def scope_of(session: Session, user: User | UserFacts, day: date) -> ReadScope:
    return read_scope(user if isinstance(user, UserFacts) else load_user(session, user, day), day)


def visible_units(session: Session, user: User | UserFacts, day: date, *, column: Any = OrgUnit.id) -> Select[Any]:
    """``SELECT column FROM org_unit`` over the units whose work ``user`` may read on ``day``."""
    return select(column).where(_in_subtrees(scope_of(session, user, day)))


def visible_work(session: Session, user: User | UserFacts, day: date) -> ColumnElement[bool]:
    """A condition on ``Tracking`` rows: the plan work ``user`` may read on ``day``."""
    scope = scope_of(session, user, day)
    conditions = [Tracking.unit_id.in_(select(OrgUnit.id).where(_in_subtrees(scope)))]
    if scope.units:
        theirs = aliased(Tracking)
        conditions.append(Tracking.plan_id.in_(select(Plan.id).where(Plan.issuer_unit_id.in_(scope.units))))
        conditions.append(Tracking.parent_id.in_(select(theirs.instance_id).where(theirs.unit_id.in_(scope.units))))
    return or_(*conditions)


def visible_tasks(session: Session, user: User | UserFacts, day: date) -> ColumnElement[bool]:
    """A condition on ``HumanTask`` rows: the tasks ``user`` may see listed on ``day``."""
    facts = user if isinstance(user, UserFacts) else load_user(session, user, day)
    scope = read_scope(facts, day)
    inboxes = select(OrgUnit.code).where(or_(OrgUnit.id.in_(scope.units), _in_province(scope)))
    work = select(Tracking.instance_id).where(visible_work(session, facts, day))
    return or_(HumanTask.candidate_unit.in_(inboxes), HumanTask.instance_id.in_(work))


def _in_subtrees(scope: ReadScope) -> ColumnElement[bool]:
    paths = (*scope.subtrees, *([scope.province] if scope.province else []))
    if not paths:
        return false()
    return or_(*(OrgUnit.path.startswith(p, autoescape=True) for p in paths))


def _in_province(scope: ReadScope) -> ColumnElement[bool]:
    return OrgUnit.path.startswith(scope.province, autoescape=True) if scope.province else false()
