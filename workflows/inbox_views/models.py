"""Saved inbox filters, kept on the server so that they follow a person from one computer to the
next (a school office shares machines)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base, BigId


class SavedFilter(Base):
    """One person's named inbox filter: ``query`` holds the inbox's own query parameters (scope,
    overdue, due_within, plan, status, period, unit) as the page writes them, so applying it is a
    link to ``/inbox?…``. A name is unique per person: saving under it again replaces the query."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
