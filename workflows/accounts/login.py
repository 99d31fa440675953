"""Logging in: throttle, check the password, open a session, audit — in the caller's unit of work.

A refused login is a result, not an exception, so that the caller commits it: the failure count
and the audit event must persist exactly when the login did not succeed. The throttle rows of
the (account, address) pair and of the address are created if missing and locked (``FOR
UPDATE`` on PostgreSQL; SQLite's write transaction is exclusive already) before the password is
checked, so that parallel guesses for one pair are counted one after another, not all let
through before the first failure is written. See ``workflows.accounts.throttle`` for the design.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine import UnitOfWork
from workflows.accounts import passwords, throttle
from workflows.accounts.identity import Identity, find_user, identity_of
from workflows.accounts.models import LoginThrottle
from workflows.accounts.sessions import (
    DEFAULT_SESSIONS,
    SessionPolicy,
    end_session,
    start_session,
    token_hash,
)
from workflows.org.models import User


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    password: str
    address: str
    user_agent: str = ""
    replacing: str | None = None  # the token this browser held; its session ends on success


@dataclass(frozen=True)
class Refusal:
    """Why a login was refused: "bad_credentials" (whatever was wrong: the person is not told
    which) or "throttled"; ``retry_after`` (seconds) is set when the attempt is, or has just
    become, throttled."""

    reason: str
    retry_after: int = 0


@dataclass(frozen=True)
class LoginResult:
    """A new session (``token``, ``identity``) or a ``refusal``."""

    token: str | None = None
    identity: Identity | None = None
    refusal: Refusal | None = None


def authenticate(uow: UnitOfWork, attempt: LoginAttempt, *, throttling: throttle.ThrottlePolicy = throttle.DEFAULT_THROTTLING) -> User | Refusal:
    """The account ``attempt`` proves, or why not. Throttles, checks the password, counts and
    audits a failure or a throttled attempt, clears the pair and re-hashes an old hash on success."""
    now = uow.now
    address = throttle.address_key(attempt.address)
    pair_row = _locked_counter(uow, "pair", throttle.pair_key(attempt.username, attempt.address))
    address_row = _locked_counter(uow, "address", address)
    pair, by_address = _counter(pair_row), _counter(address_row)
    user = find_user(uow.session, attempt.username)
    subject, named = _who(attempt.username, user)

    wait = max(throttle.wait_seconds(pair, now), throttle.wait_seconds(by_address, now))
    if wait:
        uow.audit("user_login_throttled", subject=subject, data={**named, "address": address, "retry_after": wait})
        return Refusal("throttled", wait)

    matched = passwords.verify(user.password_hash if user is not None else None, attempt.password)
    if user is None or not matched or not user.active:
        pair = throttle.pair_after_failure(pair, now, throttling)
        by_address = throttle.address_after_failure(by_address, now, throttling)
        _store(pair_row, pair)
        _store(address_row, by_address)
        reason = "unknown_user" if user is None else "bad_password" if not matched else "inactive"
        uow.audit("user_login_failed", subject=subject,
                  data={**named, "address": address, "reason": reason, "failures": int(pair.level)})  # fmt: skip
        return Refusal("bad_credentials", max(throttle.wait_seconds(pair, now), throttle.wait_seconds(by_address, now)))

    _store(pair_row, throttle.pair_after_success(now))
    assert user.password_hash is not None  # it matched
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(attempt.password)
    return user


def log_in(
    uow: UnitOfWork,
    attempt: LoginAttempt,
    *,
    throttling: throttle.ThrottlePolicy = throttle.DEFAULT_THROTTLING,
    sessions: SessionPolicy = DEFAULT_SESSIONS,
) -> LoginResult:
    """Authenticate and open a session; on success the unit of work acts as the person from then
    on, and the session this browser held before (``attempt.replacing``) ends."""
    outcome = authenticate(uow, attempt, throttling=throttling)
    if isinstance(outcome, Refusal):
        return LoginResult(refusal=outcome)
    if attempt.replacing:
        end_session(uow, attempt.replacing, reason="replaced")
    uow.actor = outcome.username
    token = start_session(uow, outcome, address=attempt.address, user_agent=attempt.user_agent)
    uow.audit("user_logged_in", subject=outcome.username,
              data={"address": throttle.address_key(attempt.address), "session": token_hash(token)[:12]})  # fmt: skip
    return LoginResult(token=token, identity=identity_of(uow.session, outcome, uow.now, uow.now + sessions.absolute))


def _who(username: str, user: User | None) -> tuple[str | None, dict[str, str]]:
    """How an attempt names its account in the audit trail. A name that matches no account is
    kept only as a short hash: people type their password into the name field by mistake, and
    the trail must never hold a password."""
    if user is not None:
        return user.username, {}
    digest = hashlib.sha256(throttle.account_key(username).encode()).hexdigest()[:16]
    return None, {"unknown_username_sha256": digest}


def _locked_counter(uow: UnitOfWork, scope: str, key: str) -> LoginThrottle:
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    uow.session.execute(
        insert(LoginThrottle).values(scope=scope, key=key, level=0.0, updated_at=uow.now, blocked_until=None).on_conflict_do_nothing()
    )
    return uow.session.scalars(
        select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key).with_for_update()
    ).one()


def _counter(row: LoginThrottle) -> throttle.Counter:
    return throttle.Counter(row.level, row.updated_at, row.blocked_until)


def _store(row: LoginThrottle, counter: throttle.Counter) -> None:
    assert counter.updated_at is not None
    row.level, row.updated_at, row.blocked_until = counter.level, counter.updated_at, counter.blocked_until
