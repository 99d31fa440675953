"""A province's own days off and make-up working days: declared by its administrator, stored in
``calendar_day``, and merged into the ``BusinessCalendar`` the worker urges with.

Commands in the caller's unit of work, audited, never committing. ``province_calendar`` is the one
way to get a province's calendar from the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import BadData, InvalidState, NotFound, UnitOfWork, register
from workflows.calendar.business import BusinessCalendar
from workflows.calendar.models import KINDS, CalendarDay
from workflows.names import column_length

register({
    "calendar_day_bad_kind": ("Loại ngày “{kind}” không hợp lệ: ngày nghỉ hoặc ngày làm bù.",
                              "The kind of day “{kind}” is invalid: a day off or a make-up working day."),
    "calendar_day_exists": ("Ngày {day} đã được khai báo; hãy xóa khai báo cũ trước.",
                            "The day {day} is declared already; remove the old declaration first."),
    "calendar_day_not_found": ("Không tìm thấy ngày đã khai báo số {id}.", "No declared day {id}."),
})  # fmt: skip


CALENDARS = "giaoviec.calendar.provinces"  # session.info key: (province, year) → BusinessCalendar


def forget_calendars(uow: UnitOfWork) -> None:
    """Drop the calendars this unit of work holds (``workflows.step_deadlines._calendar``)."""
    uow.session.info.pop(CALENDARS, None)


def declared_days(session: Session, root_id: int, *, year: int | None = None) -> list[CalendarDay]:
    """The province's declared days, by day (one year's, or all)."""
    query = select(CalendarDay).where(CalendarDay.root_id == root_id)
    if year is not None:
        query = query.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    return list(session.scalars(query.order_by(CalendarDay.day)))


def province_calendar(session: Session, root_id: int, years: Iterable[int]) -> BusinessCalendar:
    """The government's holidays for ``years`` with the province's own days off and make-up days."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.root_id == root_id)).all()
    return BusinessCalendar(years, extra_days_off=[d for d, k in rows if k == "day_off"],
                            makeup_working_days=[d for d, k in rows if k == "makeup"])  # fmt: skip


def declare_day(uow: UnitOfWork, root_id: int, day: date, kind: str, note: str | None = None) -> CalendarDay:
    """Declare ``day`` a day off (``day_off``) or a make-up working day (``makeup``) in the
    province; a day already declared is refused (remove it first: the change stays visible)."""
    if kind not in KINDS:
        raise BadData("calendar_day_bad_kind", kind=kind[:20])
    note = " ".join((note or "").split())[: column_length(CalendarDay.note)] or None
    existing = uow.session.scalars(select(CalendarDay).where(CalendarDay.root_id == root_id, CalendarDay.day == day)).first()
    if existing is not None:
        raise InvalidState("calendar_day_exists", day=day.strftime("%d/%m/%Y"))
    row = CalendarDay(root_id=root_id, day=day, kind=kind, note=note, created_at=uow.now, created_by=uow.actor)
    uow.session.add(row)
    uow.session.flush()
    forget_calendars(uow)
    uow.audit("calendar_day_declared", subject=day.isoformat(), data={"province": root_id, "kind": kind, "note": note})
    return row


def remove_day(uow: UnitOfWork, root_id: int, day_id: int) -> None:
    """Remove a declared day of the province (the government's calendar applies again)."""
    row = uow.session.get(CalendarDay, day_id)
    if row is None or row.root_id != root_id:
        raise NotFound("calendar_day_not_found", id=day_id)
    uow.audit("calendar_day_removed", subject=row.day.isoformat(), data={"province": root_id, "kind": row.kind, "note": row.note})
    uow.session.delete(row)
    uow.session.flush()
    forget_calendars(uow)
