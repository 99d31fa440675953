"""Accounts: passwords (argon2id), login with throttling, server-side sessions, and the security
events they leave in the audit trail. Domain code: no Flask; the web layer is a thin shell over
``log_in``, ``resume_session`` and ``end_session``.
"""

from workflows.accounts import messages as _messages  # noqa: F401  (registers the messages)
from workflows.accounts.commands import (
    demo_passwords_missing,
    end_user_sessions,
    set_demo_passwords,
    set_password,
)
from workflows.accounts.identity import Identity, Profile, profiles
from workflows.accounts.login import LoginAttempt, LoginResult, Refusal, authenticate, log_in
from workflows.accounts.queries import SECURITY_EVENTS, security_events
from workflows.accounts.sessions import Resumed, SessionPolicy, end_session, resume_session
from workflows.accounts.throttle import ThrottlePolicy

__all__ = [
    "Identity", "LoginAttempt", "LoginResult", "Profile", "Refusal", "Resumed", "SECURITY_EVENTS", "SessionPolicy", "ThrottlePolicy",
    "authenticate", "demo_passwords_missing", "end_session", "end_user_sessions", "log_in", "profiles", "resume_session", "security_events", "set_demo_passwords",
    "set_password",
]  # fmt: skip
