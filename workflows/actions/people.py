"""The people of the organisation as a shell lists them: ``users --unit --role``, and the
``--as USERNAME`` every action names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import NotFound
from workflows.org.models import OrgUnit, User, UserRole


def user_named(session: Session, username: str) -> User:
    row = session.scalars(select(User).where(User.username == username.strip())).first()
    if row is None:
        raise NotFound("user_not_found", username=username[:100])
    return row


def person_acting(session: Session, actor: str) -> User | None:
    """The person a shell's actor names, whose rights then apply; ``None`` for the console
    operator (a name that is nobody's)."""
    return session.scalars(select(User).where(User.username == actor.strip())).first()


def list_users(session: Session, *, unit: str | None = None, role: str | None = None) -> list[dict[str, Any]]:
    """``[{"username", "name", "unit", "roles": [...]}]`` by username; a role filter keeps the
    people holding it (with all their roles)."""
    query = select(User, OrgUnit.code).join(OrgUnit, OrgUnit.id == User.unit_id)
    if unit is not None:
        query = query.where(OrgUnit.code == unit.strip())
    if role is not None:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role.strip())))
    rows = session.execute(query.order_by(User.username)).all()
    roles: dict[int, list[str]] = {}
    ids = [u.id for u, _ in rows]
    for user_id, name in session.execute(select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(ids)).order_by(UserRole.role)):
        roles.setdefault(user_id, []).append(name)
    return [{"username": u.username, "name": u.full_name, "unit": code, "roles": roles.get(u.id, [])}
            for u, code in rows]  # fmt: skip
