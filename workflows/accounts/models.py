"""Server-side login sessions and login throttling state.

Both live in the database so that every web process (and a restart) sees the same sessions and
the same counts of failed logins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base

REVOKE_REASONS = ("logout", "idle", "expired", "ended_by_admin", "replaced", "user_inactive", "password_changed")


class UserSession(Base):
    """One login. The browser holds a random token; only its SHA-256 is stored, so a copy of the
    table does not let anyone take over a session."""

    __tablename__ = "user_session"
    __table_args__ = (
        Index("ix_user_session_user", "user_id", "revoked_at"),
        CheckConstraint(
            "revoked_reason IS NULL OR revoked_reason IN (" + ", ".join(f"'{r}'" for r in REVOKE_REASONS) + ")", name="revoked_reason"
        ),
    )

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(300))
    revoked_at: Mapped[datetime | None]  # revoked: logged out, timed out or ended by an administrator
    revoked_reason: Mapped[str | None] = mapped_column(String(20))


class LoginThrottle(Base):
    """Failed logins counted for one key: an (account, address) pair or an address alone.

    ``level`` is the count of failures still held against the key (the address bucket leaks, the
    pair's count is forgotten after a quiet day); ``blocked_until`` is when the next try is heard.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (CheckConstraint("scope IN ('pair', 'address')", name="scope"),)

    scope: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    level: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]
