"""Questions about the organisation: subtrees, leaders, and who may approve for a unit today."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import NotFound
from workflows.org.models import Delegation, OrgUnit, User, UserRole


def find_unit(session: Session, code: str) -> OrgUnit:
    """The unit with this code; ``NotFound`` (with the code) otherwise."""
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == code.strip())).first()
    if unit is None:
        raise NotFound("unit_not_found", code=code)
    return unit


def province_root(session: Session, user: User) -> OrgUnit:
    """The root of the person's province (the Sở's tree): a root unit is its own root."""
    unit = session.get(OrgUnit, user.unit_id)
    assert unit is not None
    root = session.get(OrgUnit, unit.root_id or unit.id)
    assert root is not None
    return root


def subtree(session: Session, unit: OrgUnit, *, include_self: bool = True) -> Sequence[OrgUnit]:
    """The unit and everything below it: one range scan on the materialised path."""
    query = select(OrgUnit).where(OrgUnit.path.startswith(unit.path, autoescape=True))
    if not include_self:
        query = query.where(OrgUnit.id != unit.id)
    return session.scalars(query.order_by(OrgUnit.path)).all()


def users_with_role(session: Session, unit_id: int, role: str) -> Sequence[User]:
    return session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.unit_id == unit_id, User.active, UserRole.role == role).order_by(User.username)
    ).all()  # fmt: skip


@dataclass(frozen=True)
class Acting:
    """A user allowed to act in a role for a unit, possibly on behalf of a leader (ủy quyền)."""

    user: User
    on_behalf_of: User | None = None


def approvers(session: Session, unit_id: int, on: date) -> list[Acting]:
    """The unit's leaders, and whoever holds a leader's delegation on day ``on``."""
    leaders = list(users_with_role(session, unit_id, "leader"))
    acting = [Acting(leader) for leader in leaders]
    by_id = {leader.id: leader for leader in leaders}
    if by_id:
        delegations = session.scalars(
            select(Delegation).where(
                Delegation.from_user_id.in_(by_id), Delegation.revoked_at.is_(None),
                Delegation.starts_on <= on, Delegation.ends_on >= on,
            )
        ).all()  # fmt: skip
        for d in delegations:
            delegate = session.get(User, d.to_user_id)
            if delegate is not None and delegate.active:
                acting.append(Acting(delegate, on_behalf_of=by_id[d.from_user_id]))
    return acting


def may_approve(session: Session, user: User, unit_id: int, on: date) -> Acting | None:
    """How ``user`` may approve for the unit on ``on`` (as leader or on someone's behalf), or None."""
    for acting in approvers(session, unit_id, on):
        if acting.user.id == user.id:
            return acting
    return None
