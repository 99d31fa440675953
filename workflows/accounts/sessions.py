"""Server-side login sessions: a random token in the browser, its SHA-256 in ``user_session``.

A session ends when its person logs out, when it has been idle too long, when it is too old
whatever its use (absolute timeout), when its person logs in again from the same browser, when
the person is deactivated, or when an administrator ends that person's sessions. Timeouts are
checked whenever the browser comes back; ``last_seen_at`` is written at most once per
``touch_every``, so a page view costs no write in the common case and the idle timeout is
enforced to within that much.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine import UnitOfWork
from workflows.accounts.identity import Identity, identity_of
from workflows.accounts.models import UserSession
from workflows.org.models import User


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    touch_every: timedelta = timedelta(minutes=1)


DEFAULT_SESSIONS = SessionPolicy()


@dataclass(frozen=True)
class Resumed:
    """The person behind a browser's token, or why there is none ("unknown", "revoked", "idle",
    "expired", "user_inactive")."""

    identity: Identity | None = None
    refusal: str | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def timeout_reason(created_at: datetime, last_seen_at: datetime, now: datetime, policy: SessionPolicy) -> str | None:
    """"expired" past the absolute timeout, "idle" past the idle one, else None."""
    if now - created_at >= policy.absolute:
        return "expired"
    if now - last_seen_at >= policy.idle:
        return "idle"
    return None


def start_session(uow: UnitOfWork, user: User, *, address: str, user_agent: str) -> str:
    """Open a session for ``user``; return the token for the browser (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    uow.session.add(UserSession(
        id_hash=token_hash(token), user_id=user.id, created_at=uow.now, last_seen_at=uow.now,
        ip=address[:64], user_agent=user_agent[:300],
    ))  # fmt: skip
    uow.session.flush()
    return token


def resume_session(uow: UnitOfWork, token: str, policy: SessionPolicy = DEFAULT_SESSIONS) -> Resumed:
    """Who holds ``token`` now; a session found timed out (or whose person was deactivated) is
    ended here and audited as ``user_session_expired``."""
    row = uow.session.get(UserSession, token_hash(token))
    if row is None:
        return Resumed(refusal="unknown")
    if row.revoked_at is not None:
        return Resumed(refusal="revoked")
    user = uow.session.get(User, row.user_id)
    assert user is not None, "user_session.user_id is a foreign key"
    reason = timeout_reason(row.created_at, row.last_seen_at, uow.now, policy)
    if reason is None and not user.active:
        reason = "user_inactive"
    if reason is not None:
        _revoke(row, uow.now, reason)
        uow.audit("user_session_expired", subject=user.username, data={"reason": reason, "session": row.id_hash[:12]})
        return Resumed(refusal=reason)
    if uow.now - row.last_seen_at >= policy.touch_every:
        row.last_seen_at = uow.now
    return Resumed(identity=identity_of(uow.session, user, row.created_at, row.created_at + policy.absolute))


def end_session(uow: UnitOfWork, token: str, reason: str = "logout") -> str | None:
    """End the session behind ``token``; return its person's username (None if it was not open).
    A logout is audited as ``user_logged_out``, another reason as ``user_session_ended``."""
    row = uow.session.get(UserSession, token_hash(token))
    if row is None or row.revoked_at is not None:
        return None
    user = uow.session.get(User, row.user_id)
    assert user is not None, "user_session.user_id is a foreign key"
    _revoke(row, uow.now, reason)
    event = "user_logged_out" if reason == "logout" else "user_session_ended"
    uow.audit(event, subject=user.username, data={"reason": reason, "session": row.id_hash[:12]})
    return user.username


def _revoke(row: UserSession, now: datetime, reason: str) -> None:
    row.revoked_at = now
    row.revoked_reason = reason
