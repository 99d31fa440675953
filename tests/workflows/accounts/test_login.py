"""Logging in, throttling, sessions and their audit trail, on both databases, with a frozen clock."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import AuditEvent, BadData, NotFound
from tests.workflows.accounts.people import LOGINS, OFFICER, PASSWORD, load_people
from workflows.accounts import (
    Identity,
    LoginAttempt,
    Refusal,
    SessionPolicy,
    authenticate,
    end_session,
    end_user_sessions,
    log_in,
    passwords,
    profiles,
    resume_session,
    security_events,
    set_password,
)
from workflows.accounts.models import UserSession
from workflows.org.models import User

HOME = "203.0.113.7"
ATTACKER = "198.51.100.9"


@pytest.fixture
def people(pe):
    load_people(pe)
    return pe


@dataclass(frozen=True)
class Outcome:
    token: str | None
    identity: Identity | None
    refusal: str | None
    retry_after: int


def attempt(pe, password, *, username=OFFICER, address=HOME, replacing=None):
    """``log_in`` once, in its own unit of work, flattened for short assertions."""
    with pe.unit_of_work("anonymous") as uow:
        result = log_in(uow, LoginAttempt(username, password, address, "pytest", replacing=replacing))
    refusal = result.refusal
    return Outcome(result.token, result.identity, refusal.reason if refusal else None, refusal.retry_after if refusal else 0)


def events(pe, name):
    with pe.read() as s:
        return s.scalars(select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.id)).all()


def test_the_right_password_opens_a_session_with_the_person_unit_and_roles(people, clock):
    result = attempt(people, PASSWORD)
    assert result.refusal is None and result.token
    profile = result.identity.profile
    assert (profile.username, profile.unit_code, profile.roles) == (OFFICER, "HP.X001.THCS01", ("officer",))
    assert profile.full_name == "Chuyên viên Trường THCS Hồng Bàng"
    assert result.identity.expires_at == clock.now() + timedelta(hours=12)
    with people.read() as s:
        row = s.scalars(select(UserSession)).one()
    assert row.id_hash != result.token and len(row.id_hash) == 64  # only the hash is kept
    assert (row.ip, row.user_agent, row.revoked_at) == (HOME, "pytest", None)
    [event] = events(people, "user_logged_in")
    assert (event.actor, event.subject, event.data["address"]) == (OFFICER, OFFICER, HOME)


def test_authenticate_returns_the_user_row_or_a_refusal_and_opens_no_session(people):
    with people.unit_of_work("anonymous") as uow:
        user = authenticate(uow, LoginAttempt(OFFICER, PASSWORD, HOME))
        refused = authenticate(uow, LoginAttempt(OFFICER, "sai", HOME))
        assert isinstance(user, User) and user.username == OFFICER
        assert refused == Refusal("bad_credentials", 0)
    with people.read() as s:
        assert s.scalars(select(UserSession)).all() == []


def test_a_login_name_in_another_case_finds_the_account(people):
    assert attempt(people, PASSWORD, username="  " + OFFICER.capitalize()).identity.profile.username == OFFICER


@pytest.mark.parametrize("password", ["sai-mat-khau", PASSWORD.upper(), "", PASSWORD + "x"])
def test_a_wrong_password_is_refused_and_audited(people, password):
    result = attempt(people, password)
    assert (result.token, result.refusal, result.retry_after) == (None, "bad_credentials", 0)
    [event] = events(people, "user_login_failed")
    assert (event.subject, event.data["reason"], event.data["failures"]) == (OFFICER, "bad_password", 1)


def test_an_unknown_name_is_refused_like_a_wrong_password_and_never_written_down(people):
    typed = "Mật-khẩu-gõ-nhầm-vào-ô-tên"
    result = attempt(people, PASSWORD, username=typed)
    assert result.refusal == "bad_credentials"
    [event] = events(people, "user_login_failed")
    assert event.subject is None and event.data["reason"] == "unknown_user"
    assert typed not in str(event.data) and len(event.data["unknown_username_sha256"]) == 16


def test_an_inactive_person_cannot_log_in(people):
    with people.unit_of_work("admin") as uow:
        uow.session.scalars(select(User).where(User.username == OFFICER)).one().active = False
    assert attempt(people, PASSWORD).refusal == "bad_credentials"
    assert events(people, "user_login_failed")[0].data["reason"] == "inactive"


def test_failures_slow_the_pair_then_a_success_clears_it(people, clock):
    for _ in range(3):
        assert attempt(people, "sai").retry_after == 0
    fourth = attempt(people, "sai")
    assert (fourth.refusal, fourth.retry_after) == ("bad_credentials", 5)
    blocked = attempt(people, PASSWORD)  # even the right password waits: the pair is blocked
    assert (blocked.refusal, blocked.retry_after, blocked.token) == ("throttled", 5, None)
    clock.advance(timedelta(seconds=5))
    assert attempt(people, "sai").retry_after == 10  # the fifth failure doubles the delay
    clock.advance(timedelta(seconds=10))
    assert attempt(people, PASSWORD).token
    assert attempt(people, "sai").retry_after == 0  # a success cleared the pair
    throttled = events(people, "user_login_throttled")
    assert [(e.subject, e.data["retry_after"]) for e in throttled] == [(OFFICER, 5)]


def test_blocked_attempts_do_not_count_nor_extend_the_wait(people, clock):
    for _ in range(4):
        attempt(people, "sai")
    for _ in range(20):
        assert attempt(people, "sai").refusal == "throttled"
    clock.advance(timedelta(seconds=5))
    assert attempt(people, "sai").retry_after == 10  # the fifth counted failure, not the 25th


def test_an_attacker_elsewhere_cannot_lock_the_real_person_out(people, clock):
    for _ in range(30):
        clock.advance(timedelta(minutes=15))  # the attacker waits out each block
        attempt(people, "doan-mo", address=ATTACKER)
    assert attempt(people, "doan-mo", address=ATTACKER).refusal == "throttled"
    assert attempt(people, PASSWORD, address=HOME).token  # the person at their own address


def test_a_sprayer_is_held_by_the_address_bucket_whatever_the_account(people, clock):
    names = [f"khong_co_{i}" for i in range(50)]
    for name in names:
        assert attempt(people, "123456", username=name, address=ATTACKER).retry_after == 0
    over = attempt(people, "123456", username="them_mot", address=ATTACKER)
    assert over.retry_after == 36
    # Everyone at that address waits too, even with the right password (documented risk), but
    # people elsewhere, and the same person at home, do not.
    assert attempt(people, PASSWORD, address=ATTACKER).refusal == "throttled"
    assert attempt(people, PASSWORD, address=HOME).token
    clock.advance(timedelta(seconds=36))
    assert attempt(people, PASSWORD, address=ATTACKER).token  # a success does not empty the bucket …
    assert attempt(people, "123456", username="lan_nua", address=ATTACKER).retry_after == 36  # … so this waits


def test_logging_in_again_from_the_same_browser_replaces_its_session(people):
    first = attempt(people, PASSWORD)
    second = attempt(people, PASSWORD, replacing=first.token)
    assert second.token != first.token
    with people.unit_of_work("web") as uow:
        assert resume_session(uow, first.token).refusal == "revoked"
        assert resume_session(uow, second.token).identity.profile.username == OFFICER
    with people.read() as s:
        reasons = sorted((r.revoked_reason or "open") for r in s.scalars(select(UserSession)))
    assert reasons == ["open", "replaced"]


def test_idle_sessions_end_after_thirty_minutes(people, clock):
    token = attempt(people, PASSWORD).token
    for _ in range(3):
        clock.advance(timedelta(minutes=29))
        with people.unit_of_work("web") as uow:
            assert resume_session(uow, token).identity is not None
    clock.advance(timedelta(minutes=30))
    with people.unit_of_work("web") as uow:
        assert resume_session(uow, token).refusal == "idle"
    with people.unit_of_work("web") as uow:
        assert resume_session(uow, token).refusal == "revoked"
    [event] = events(people, "user_session_expired")
    assert (event.subject, event.data["reason"]) == (OFFICER, "idle")


def test_sessions_end_after_twelve_hours_however_busy(people, clock):
    token = attempt(people, PASSWORD).token
    for _ in range(24):  # used every 29 min 59 s: 11 h 59 min 36 s in all
        clock.advance(timedelta(minutes=29, seconds=59))
        with people.unit_of_work("web") as uow:
            assert resume_session(uow, token).identity is not None
    clock.advance(timedelta(minutes=29, seconds=59))
    with people.unit_of_work("web") as uow:
        assert resume_session(uow, token).refusal == "expired"
    assert events(people, "user_session_expired")[0].data["reason"] == "expired"


def test_last_seen_is_written_at_most_once_a_minute(people, clock):
    token = attempt(people, PASSWORD).token
    login_at = clock.now()
    clock.advance(timedelta(seconds=59))
    with people.unit_of_work("web") as uow:
        resume_session(uow, token)
        assert not uow.session.dirty  # nothing to write
    clock.advance(timedelta(seconds=1))
    with people.unit_of_work("web") as uow:
        resume_session(uow, token)
    with people.read() as s:
        assert s.scalars(select(UserSession.last_seen_at)).one() == login_at + timedelta(minutes=1)


def test_logout_ends_the_session_and_is_audited(people):
    token = attempt(people, PASSWORD).token
    with people.unit_of_work(OFFICER) as uow:
        assert end_session(uow, token) == OFFICER
        assert end_session(uow, token) is None
    with people.unit_of_work("web") as uow:
        assert resume_session(uow, token).refusal == "revoked"
    assert events(people, "user_logged_out")[0].subject == OFFICER


def test_an_admin_ends_every_session_of_a_person(people):
    tokens = [attempt(people, PASSWORD).token for _ in range(3)]
    other = attempt(people, PASSWORD, username=LOGINS["leader"]).token
    with people.unit_of_work(LOGINS["admin"]) as uow:
        assert end_user_sessions(uow, OFFICER) == 3
    with people.unit_of_work("web") as uow:
        assert {resume_session(uow, t).refusal for t in tokens} == {"revoked"}
        assert resume_session(uow, other).identity is not None
    [event] = events(people, "user_sessions_ended")
    assert (event.actor, event.subject, event.data) == (LOGINS["admin"], OFFICER, {"sessions": 3})
    with people.unit_of_work("admin") as uow, pytest.raises(NotFound):
        end_user_sessions(uow, "khong_co_ai")


def test_a_new_password_is_checked_hashed_with_argon2id_and_ends_sessions(people):
    token = attempt(people, PASSWORD).token
    for bad, code in [("ngan", "password_too_short"), (OFFICER.upper(), "password_is_username"), ("x" * 257, "password_too_long")]:
        with people.unit_of_work("admin") as uow, pytest.raises(BadData) as refused:
            set_password(uow, OFFICER, bad)
        assert refused.value.code == code
    with people.unit_of_work("admin") as uow:
        assert set_password(uow, OFFICER, "mật khẩu mới dài") == 1
    with people.read() as s:
        stored = s.scalars(select(User.password_hash).where(User.username == OFFICER)).one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert attempt(people, PASSWORD).refusal == "bad_credentials"
    # The same text typed with decomposed diacritics (as some keyboards send it) still matches.
    decomposed = unicodedata.normalize("NFD", "mật khẩu mới dài")
    assert decomposed != "mật khẩu mới dài" and attempt(people, decomposed).token
    with people.unit_of_work("web") as uow:
        assert resume_session(uow, token).refusal == "revoked"


def test_a_login_rehashes_a_password_hashed_with_old_parameters(people):
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with people.unit_of_work("admin") as uow:
        uow.session.scalars(select(User).where(User.username == OFFICER)).one().password_hash = old
    assert passwords.needs_rehash(old)
    assert attempt(people, PASSWORD).token
    with people.read() as s:
        stored = s.scalars(select(User.password_hash).where(User.username == OFFICER)).one()
    assert stored != old and not passwords.needs_rehash(stored)


def test_inspectors_can_query_the_security_events(people, clock):
    start = clock.now()
    attempt(people, "sai")
    clock.advance(timedelta(minutes=1))
    token = attempt(people, PASSWORD).token
    with people.unit_of_work(OFFICER) as uow:
        end_session(uow, token)
    with people.unit_of_work("admin") as uow:  # not a security event
        uow.audit("something_else_happened", subject=OFFICER)
    with people.read() as s:
        found = security_events(s, since=start, username=OFFICER)
        assert [e.event for e in found] == ["user_logged_out", "user_logged_in", "user_login_failed"]
        assert security_events(s, since=start + timedelta(seconds=30), until=start + timedelta(minutes=2), username=OFFICER)[-1].event == "user_logged_in"


def test_profiles_name_the_demo_logins_in_order(people):
    with people.read() as s:
        found = profiles(s, [LOGINS["inspector"], "khong_co", LOGINS["clerk"]])
    assert [(p.username, p.unit_code, p.roles) for p in found] == [
        (LOGINS["inspector"], "HP.TTRA", ("inspector",)),
        (LOGINS["clerk"], "HP.VP", ("clerk",)),
    ]


def test_a_custom_session_policy_is_honoured(people, clock):
    token = attempt(people, PASSWORD).token
    clock.advance(timedelta(minutes=5))
    with people.unit_of_work("web") as uow:
        assert resume_session(uow, token, SessionPolicy(idle=timedelta(minutes=5))).refusal == "idle"
