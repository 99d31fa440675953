"""Building the rules' inputs from the database, in few queries: the only part of
``workflows.authz`` that touches a session.

* ``load_user``: the user and their unit, the delegations they hold on the day (with each giver,
  the giver's unit and roles), the roles — three statements at most.
* ``load_task``: the human task, its instance, the parent instance's unit, the plan's issuer (read
  through the instance's ``tracking`` row), then the units named — two statements.
* ``load_plan``, ``load_unit``: one statement each.

The assigning units of a task are the parent instance's unit and the plan's issuer: facts the rows
hold. A coordinating unit's instance (``phoi_hop``, or a commune's ``xa_phuong_trien_khai`` for a
coordinating school) was assigned by the lead unit, which only its workflow data
(``don_vi_giao``) records; until a row records it, the lead sees that work only through the
review tasks its inbox receives (see the report of issue 12's authorization branch).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from engine import HumanTask, Instance, NotFound
from workflows.authz.model import DelegationFacts, PlanFacts, TaskFacts, UnitFacts, UserFacts
from workflows.authz.rules import day_of
from workflows.org.models import Delegation, OrgUnit, User, UserRole
from workflows.plans.models import Plan
from workflows.tracking.models import Tracking


def unit_facts(row: OrgUnit) -> UnitFacts:
    return UnitFacts(id=row.id, code=row.code, name=row.name, kind=row.kind, path=row.path, active=row.active)


def load_unit(session: Session, code: str) -> UnitFacts:
    row = session.scalars(select(OrgUnit).where(OrgUnit.code == code.strip())).first()
    if row is None:
        raise NotFound("unit_not_found", code=code)
    return unit_facts(row)


# Built once: a fresh alias per call costs the ORM a new adaptation of the statement each time.
_GIVER, _GIVER_UNIT = aliased(User), aliased(OrgUnit)


def load_user(session: Session, user: User | str, day: date) -> UserFacts:
    """The facts of ``user`` (a row, or a username) on ``day``: the person, their unit and roles in
    one statement, the delegations they hold in a second, their givers' roles only if there are any."""
    who = User.username == user.strip() if isinstance(user, str) else User.id == user.id
    found = session.execute(_USER_UNIT_ROLES.where(who)).all()
    if not found:
        raise NotFound("user_not_found", username=user if isinstance(user, str) else user.username)
    row, unit = found[0][0], found[0][1]
    own_roles = frozenset(role for _, _, role in found if role is not None)
    giver, giver_unit = _GIVER, _GIVER_UNIT
    held = session.execute(
        select(Delegation, giver, giver_unit)
        .join(giver, giver.id == Delegation.from_user_id)
        .join(giver_unit, giver_unit.id == giver.unit_id)
        .where(Delegation.to_user_id == row.id, Delegation.starts_on <= day, Delegation.ends_on >= day)
    ).all()
    roles = _roles(session, [g.id for _, g, _ in held]) if held else {}
    delegations = tuple(
        DelegationFacts(
            id=d.id, giver_id=g.id, giver_username=g.username, giver_active=g.active,
            giver_roles=roles.get(g.id, frozenset()), giver_unit=unit_facts(gu), role=d.role,
            starts_on=d.starts_on, ends_on=d.ends_on,
            revoked_on=day_of(d.revoked_at) if d.revoked_at is not None else None,
        )
        for d, g, gu in held
    )  # fmt: skip
    return UserFacts(id=row.id, username=row.username, full_name=row.full_name, active=row.active,
                     unit=unit_facts(unit), roles=own_roles, delegations=delegations)  # fmt: skip


# The person, their unit and each of their roles (a row per role; one with NULL when they have none).
_USER_UNIT_ROLES = (
    select(User, OrgUnit, UserRole.role)
    .join(OrgUnit, OrgUnit.id == User.unit_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
)


def _roles(session: Session, user_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    found: dict[int, set[str]] = {}
    for user_id, role in session.execute(select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(set(user_ids)))):
        found.setdefault(user_id, set()).add(role)
    return {user_id: frozenset(roles) for user_id, roles in found.items()}


def load_task(session: Session, task_id: uuid.UUID) -> TaskFacts:
    """The facts of one human task and the work it belongs to."""
    parent = aliased(Instance)
    found = session.execute(
        select(HumanTask, Instance, parent.unit_code, Plan.issuer_unit_id)
        .join(Instance, Instance.id == HumanTask.instance_id)
        .outerjoin(parent, parent.id == Instance.parent_id)
        .outerjoin(Tracking, Tracking.instance_id == Instance.id)
        .outerjoin(Plan, Plan.id == Tracking.plan_id)
        .where(HumanTask.id == task_id)
    ).first()
    if found is None:
        raise NotFound("task_not_found", id=str(task_id))
    task, instance, parent_code, issuer_id = found
    codes = {c for c in (instance.unit_code, task.candidate_unit, parent_code) if c}
    units = session.scalars(select(OrgUnit).where(or_(OrgUnit.code.in_(codes), OrgUnit.id == issuer_id))).all()
    by_code = {u.code: unit_facts(u) for u in units}
    by_id = {u.id: by_code[u.code] for u in units}
    assigners = [by_code.get(parent_code or ""), by_id.get(issuer_id or 0)]
    return TaskFacts(
        id=task.id, instance_id=instance.id, process_key=task.process_key, step=task.element_id, name=task.name,
        status=task.status, unit=by_code.get(instance.unit_code or ""), candidate_unit=by_code.get(task.candidate_unit or ""),
        candidate_role=task.candidate_role, assignee=task.assignee,
        assigners=tuple(dict.fromkeys(a for a in assigners if a is not None)),
    )  # fmt: skip


def load_plan(session: Session, plan_id: int) -> PlanFacts:
    found = session.execute(select(Plan, OrgUnit).join(OrgUnit, OrgUnit.id == Plan.issuer_unit_id).where(Plan.id == plan_id)).first()
    if found is None:
        raise NotFound("plan_not_found", id=plan_id)
    plan, issuer = found
    return PlanFacts(id=plan.id, issuer=unit_facts(issuer), label=plan.number or plan.title[:120])
