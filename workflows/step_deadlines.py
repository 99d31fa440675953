"""A step's own deadline rule (``gv:deadline``, set in the designer) resolved on the domain's calendar.

The engine asks through its ``task_deadline`` hook when a step that declares the rule opens
(``engine.StepDeadline``); the domain answers here, because working days and timeframes are its
knowledge:

- "N ngày làm việc": N working days after the day the step opens (that day never counts, as in
  "trong 5 ngày làm việc kể từ ngày nhận"), on the calendar of the province of the instance's
  unit — the government's holidays and make-up days with the days its administrator declared
  (``workflows.calendar.days.province_calendar``); the step becomes late at 00:00 of the day after
  the last allowed day (``workflows.timeframes.due_after``), like every deadline of the domain.
- a timeframe ("Quý II", "trước ngày 15/6"): read as dispatch reads a plan's timeframe
  (``workflows.timeframes.parse_timeframe`` for the year the step opens, with the same calendar);
  the first of its periods still due after the step opens, else the first of the next year's.

The engine then never lets the step's due pass the instance's own deadline (``engine.task_rows.due_of``).
A timeframe the domain does not understand is refused at deploy (``check_timeframes``), with its
step's id, rather than silently giving the step no deadline of its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine import (
    DeployError,
    Problem,
    ProcessBundle,
    ProcessEngine,
    StepDeadline,
    UnitOfWork,
    register,
)
from workflows.calendar.business import BusinessCalendar, national_calendar
from workflows.calendar.days import CALENDARS, province_calendar
from workflows.org.models import OrgUnit
from workflows.timeframes import LOCAL_TZ, TimeframeRefused, due_after, parse_timeframe

register({
    "step_deadline_timeframe_refused": (
        "Hạn xử lý của bước không đọc được: {reason}",
        "The step's deadline rule cannot be read: {reason_en}",
    ),
})  # fmt: skip


def install(pe: ProcessEngine) -> None:
    pe.hooks.add("task_deadline", on_task_deadline)
    pe.hooks.add("definition_deploying", check_timeframes)


def check_timeframes(uow: UnitOfWork, bundle: ProcessBundle) -> None:
    """Refuse a step whose ``gv:deadline`` timeframe the domain cannot read (it is read for the
    year the step opens; a phrase refused for this year is refused whatever the year)."""
    year = uow.now.astimezone(LOCAL_TZ).year
    problems = []
    for element_id, rule in sorted(bundle.deadlines.items()):
        if rule.timeframe is None:
            continue
        try:
            parse_timeframe(rule.timeframe, year)
        except TimeframeRefused as refused:
            problems.append(Problem("step_deadline_timeframe_refused", element_id, {"reason": refused.reason_vi, "reason_en": refused.reason_en}))
    if problems:
        raise DeployError(problems)


def on_task_deadline(uow: UnitOfWork, asked: StepDeadline) -> None:
    calendar = _calendar(uow, asked.unit_code, asked.opened_at)
    asked.due = resolve(asked.rule.working_days, asked.rule.timeframe, asked.opened_at, calendar)


def resolve(working_days: int | None, timeframe: str | None, opened_at: datetime, calendar: BusinessCalendar) -> datetime | None:
    """When a step opened at ``opened_at`` with this rule becomes late; None if the timeframe
    names no period still to come (or is not understood: the deploy check refuses those)."""
    if working_days is not None:
        return due_after(calendar.add_working_days(opened_at.astimezone(LOCAL_TZ).date(), working_days))
    if timeframe is None:
        return None
    year = opened_at.astimezone(LOCAL_TZ).year
    for each in (year, year + 1):
        try:
            schedule = parse_timeframe(timeframe, each, calendar=calendar)
        except (TimeframeRefused, ValueError):
            return None
        dues = [p.effective_due or p.due for p in schedule.periods]
        upcoming = sorted(due for due in dues if due is not None and due > opened_at)
        if upcoming:
            return upcoming[0]
    return None


def _calendar(uow: UnitOfWork, unit_code: str | None, opened_at: datetime) -> BusinessCalendar:
    """The province's calendar of ``unit_code`` (the national one for a unit not in the tree).

    Held for the unit of work (``session.info``, keyed by province and year): steps opened by one
    transaction read the province's declared days once. Declaring or removing a day in the same
    unit of work drops what is held (``workflows.calendar.days.forget_calendars``); another
    transaction's change is seen by the next unit of work, as without the cache."""
    unit = uow.session.execute(select(OrgUnit.id, OrgUnit.root_id).where(OrgUnit.code == unit_code)).first() if unit_code else None
    if unit is None:
        return national_calendar()
    year = opened_at.astimezone(LOCAL_TZ).year
    root = unit.root_id or unit.id
    held = uow.session.info.setdefault(CALENDARS, {})
    if (root, year) not in held:
        held[root, year] = province_calendar(uow.session, root, range(year, year + 3))
    calendar: BusinessCalendar = held[root, year]
    return calendar
