"""``tracking``: what a supervisor asks about an instance, without loading its workflow."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base

PHASES = ("new", "working", "submitted", "returned", "approved", "cancelled")
# Whose obligation a row is (see ``workflows.tracking.follow.role_of``): official figures count
# the lead's; the others are their own views, never mixed into the headline.
ROLES = ("lead", "coordinator", "ward", "school")


class Tracking(Base):
    """One dispatched instance (a unit's obligation for one task and period).

    ``phase`` is where the work is; the reported status also depends on the clock (in progress
    on time / overdue) and is computed in SQL by ``workflows.tracking.status``.
    ``due_at`` is the current deadline (an extension moves it), ``original_due_at`` the first one.
    ``completed_at`` is when the report that was finally approved had been submitted: a return
    does not stop the clock. ``late_since`` is the deadline that had already passed, unmet, when an
    extension or an amendment moved it: lateness once incurred stays (a grant never erases it).
    ``role`` is whose obligation this is (``ROLES``), fixed when the instance is started.
    ``late`` is kept by events (the deadline timer firing, completion
    after the deadline, an extension) so that the parent's ``n_late`` is a stored counter.
    The ``n_*`` columns count this instance's children: each child event changes them by a delta,
    O(1) whatever the number of siblings.
    """

    __tablename__ = "tracking"
    __table_args__ = (
        CheckConstraint(f"phase IN ({', '.join(repr(p) for p in PHASES)})", name="phase"),
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
        Index("ix_tracking_plan", "plan_id", "task_key", "period"),
        Index("ix_tracking_parent", "parent_id"),
        Index("ix_tracking_unit", "unit_id"),
        # The worker's sweep for open work past its deadline (``follow.mark_overdue``): open
        # phases, not yet late, due by now. Without it every sweep read the whole table.
        Index("ix_tracking_overdue", "phase", "late", "due_at"),
    )

    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"), primary_key=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    task_key: Mapped[str | None] = mapped_column(String(100))
    period: Mapped[str | None] = mapped_column(String(50))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    unit_code: Mapped[str | None] = mapped_column(String(100))
    process_key: Mapped[str] = mapped_column(String(100))
    phase: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20), default="lead", server_default="lead")
    due_at: Mapped[datetime | None]
    original_due_at: Mapped[datetime | None]
    late_since: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(default=False)
    returns: Mapped[int] = mapped_column(Integer, default=0)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    n_children: Mapped[int] = mapped_column(Integer, default=0)
    n_accepted: Mapped[int] = mapped_column(Integer, default=0)
    n_submitted: Mapped[int] = mapped_column(Integer, default=0)
    n_approved: Mapped[int] = mapped_column(Integer, default=0)
    n_late: Mapped[int] = mapped_column(Integer, default=0)
