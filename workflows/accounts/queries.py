"""What inspectors ask of logins: the security events in the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import AuditEvent

SECURITY_EVENTS = (
    "user_logged_in", "user_login_failed", "user_login_throttled", "user_logged_out",
    "user_session_expired", "user_session_ended", "user_sessions_ended", "user_password_set",
)  # fmt: skip


def security_events(
    session: Session, *, since: datetime, until: datetime | None = None, username: str | None = None, limit: int = 500
) -> Sequence[AuditEvent]:
    """Login, logout, failure, throttling and session events from ``since``, newest first
    (served by the audit trail's (event, occurred_at) index)."""
    query = select(AuditEvent).where(AuditEvent.event.in_(SECURITY_EVENTS), AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    if username is not None:
        query = query.where(AuditEvent.subject == username)
    return session.scalars(query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)).all()
