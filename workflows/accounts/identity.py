"""Who a person is, as pages and the command line show them: name, unit, roles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.accounts.throttle import account_key
from workflows.org.models import OrgUnit, User, UserRole
from workflows.roles import ROLE_NAMES


@dataclass(frozen=True)
class Profile:
    username: str
    full_name: str
    unit_code: str
    unit_name: str
    roles: tuple[str, ...]  # role codes, in the order of workflows.roles.ROLE_NAMES
    unit_kind: str = ""  # workflows.org.kinds.UnitKind: lets the menu decide without a query


@dataclass(frozen=True)
class Identity:
    """A logged-in person: who, and the session's start and absolute end."""

    user_id: int
    profile: Profile
    logged_in_at: datetime
    expires_at: datetime


def profile_of(session: Session, user: User) -> Profile:
    unit = session.get(OrgUnit, user.unit_id)
    assert unit is not None, "app_user.unit_id is a foreign key"
    held = set(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
    roles = tuple(code for code in ROLE_NAMES if code in held)
    return Profile(user.username, user.full_name, unit.code, unit.name, roles, unit.kind)


def identity_of(session: Session, user: User, logged_in_at: datetime, expires_at: datetime) -> Identity:
    return Identity(user.id, profile_of(session, user), logged_in_at, expires_at)


def profiles(session: Session, usernames: Iterable[str]) -> list[Profile]:
    """The profiles of the accounts named that exist, in the order given."""
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(list(usernames))))}
    return [profile_of(session, users[name]) for name in usernames if name in users]


def find_user(session: Session, username: str) -> User | None:
    """The account a login names: exactly, else by a case-insensitive match when only one account
    has that name in any case (a phone capitalises the first letter)."""
    name = username.strip()
    if not name or len(name) > 100:
        return None
    exact = session.scalars(select(User).where(User.username == name)).first()
    if exact is not None:
        return exact
    matches = session.scalars(select(User).where(func.lower(User.username) == account_key(name)).limit(2)).all()
    return matches[0] if len(matches) == 1 else None
