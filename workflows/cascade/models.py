"""Periods of recurring plan tasks that open later (``dispatch_opening``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base, BigId


class DispatchOpening(Base):
    """One future period of a recurring task: dispatched by ``open_due_periods`` at ``opens_at``.

    ``status``: "waiting" until opened, then "opened" (or "cancelled" when the task is no longer
    active by then). The units are expanded when the period opens, not when the plan is dispatched.
    """

    __tablename__ = "dispatch_opening"
    __table_args__ = (
        UniqueConstraint("plan_task_id", "period_key"),
        Index("ix_dispatch_opening_due", "status", "opens_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(50))
    opens_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    created_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
