"""A person's standing in the organisation: which roles they hold, whether the account is active.

Commands in the caller's unit of work, audited with the old and the new value, never committing.
(Creating people, units and delegations is ``workflows.org.commands``.) Deactivating does not end
sessions by itself: ``workflows.accounts.sessions`` refuses an inactive person's session at the
next request, and the administrator's action also ends them at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete

from engine import BadData, UnitOfWork
from workflows.org.commands import roles_of, user_by_name
from workflows.org.models import User, UserRole
from workflows.roles import ROLE_NAMES


def set_roles(uow: UnitOfWork, username: str, roles: Iterable[str]) -> User:
    """``username`` holds exactly ``roles`` from now on (none is allowed: an account kept for
    the record)."""
    wanted = list(dict.fromkeys(r.strip() for r in roles if r.strip()))
    unknown = [r for r in wanted if r not in ROLE_NAMES]
    if unknown:
        raise BadData("role_unknown", role=unknown[0][:40], roles=", ".join(ROLE_NAMES))
    user = user_by_name(uow, username)
    old = sorted(roles_of(uow, user))
    if sorted(wanted) == old:
        return user
    uow.session.execute(delete(UserRole).where(UserRole.user_id == user.id, UserRole.role.not_in(wanted)))
    uow.session.add_all(UserRole(user_id=user.id, role=r) for r in wanted if r not in old)
    uow.session.flush()
    uow.audit("user_roles_set", subject=user.username, data={"old": old, "new": sorted(wanted)})
    return user


def set_active(uow: UnitOfWork, username: str, active: bool) -> User:
    """Activate or deactivate an account (never deleted: its history names it)."""
    user = user_by_name(uow, username)
    if user.active != active:
        user.active = active
        uow.session.flush()
        uow.audit("user_activated" if active else "user_deactivated", subject=user.username, data={})
    return user
