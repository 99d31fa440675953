"""A province's own calendar days: days off and make-up working days an administrator declares.

The government's holidays come from the ``holidays`` package (``workflows.calendar.business``);
these rows are what it cannot know: a day off or a swapped Saturday announced after the installed
package was released, or a province's own decision. One row per (province, day): a day is either
off or worked, never both (``BusinessCalendar`` refuses a day that is both).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base, BigId

KINDS = ("day_off", "makeup")


class CalendarDay(Base):
    """``day_off``: not a working day although the calendar says so; ``makeup``: a working day
    although it is a weekend or holiday ("làm bù")."""

    __tablename__ = "calendar_day"
    __table_args__ = (
        UniqueConstraint("root_id", "day"),
        CheckConstraint("kind IN ('day_off', 'makeup')", name="kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
