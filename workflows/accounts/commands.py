"""Administering accounts: passwords and ending a person's sessions. Commands in the caller's
unit of work, audited, never committing."""

from __future__ import annotations

from sqlalchemy import Select, select, update

from engine import UnitOfWork
from workflows.accounts import passwords
from workflows.accounts.models import UserSession
from workflows.org.commands import user_by_name
from workflows.org.models import OrgUnit, User


def set_password(uow: UnitOfWork, username: str, password: str) -> int:
    """Give ``username`` a new password (checked against the policy) and end their open sessions,
    as a reset must; return how many sessions ended."""
    user = user_by_name(uow, username)
    passwords.check_policy(password, user.username)
    user.password_hash = passwords.hash_password(password)
    ended = _end_sessions(uow, user, "password_changed")
    uow.audit("user_password_set", subject=user.username, data={"sessions_ended": ended})
    return ended


def end_user_sessions(uow: UnitOfWork, username: str) -> int:
    """End every open session of ``username`` (an administrator's action); return how many."""
    user = user_by_name(uow, username)
    ended = _end_sessions(uow, user, "ended_by_admin")
    uow.audit("user_sessions_ended", subject=user.username, data={"sessions": ended})
    return ended


def set_demo_passwords(uow: UnitOfWork, root_code: str, password: str) -> int:
    """Give every person of a demo province the same password; return how many people.

    One hash is computed and stored for all of them: hashing each of the ~4,000 demo people
    separately would take minutes, and identical hashes reveal nothing beyond what is already
    said, that the demo people share one password. Never use this outside a demo.
    """
    passwords.check_policy(password, "")
    count = uow.session.execute(
        update(User).where(User.unit_id.in_(_province_units(root_code))).values(password_hash=passwords.hash_password(password))
        .execution_options(synchronize_session=False)
    ).rowcount  # fmt: skip
    uow.audit("demo_passwords_set", subject=root_code, data={"people": count})
    return count


def demo_passwords_missing(uow: UnitOfWork, root_code: str) -> bool:
    """Whether some person of the demo province has no password yet."""
    missing = select(User.id).where(User.unit_id.in_(_province_units(root_code)), User.password_hash.is_(None)).limit(1)
    return uow.session.scalars(missing).first() is not None


def _province_units(root_code: str) -> Select[tuple[int]]:
    root_id = select(OrgUnit.id).where(OrgUnit.code == root_code).scalar_subquery()
    return select(OrgUnit.id).where(OrgUnit.root_id == root_id)


def _end_sessions(uow: UnitOfWork, user: User, reason: str) -> int:
    return uow.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=uow.now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
