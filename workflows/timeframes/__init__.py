"""Timeframes: the phrases clerks write for when work is due, parsed into schedules of periods.

``parse_timeframe("Quý II", 2026)`` → ``Schedule(kind="once", periods=(Period("Quý II/2026",
2026-04-01, 2026-06-30, due=2026-07-01T00:00+07:00, key="2026-Q2", cutoff 15/03-14/06/2026,
effective_due=2026-07-01T00:00+07:00),), …)``. The conventions (time zone, what "due" and
"effective due" mean, how each form reads) are in ``workflows.timeframes.parser``.
"""

from workflows.timeframes.model import (
    DEFAULT_SCHOOL_CALENDAR,
    LOCAL_TZ,
    Kind,
    Period,
    Schedule,
    SchoolCalendar,
    TimeframeRefused,
    due_after,
    effective_due,
    last_allowed_day,
    typed_deadline,
)
from workflows.timeframes.normalise import normalise
from workflows.timeframes.parser import parse_timeframe
from workflows.timeframes.refusals import ACCEPTED_EN, ACCEPTED_VI
from workflows.timeframes.stored import effective_due_of, period_json, schedule_json

__all__ = [
    "ACCEPTED_EN",
    "ACCEPTED_VI",
    "DEFAULT_SCHOOL_CALENDAR",
    "LOCAL_TZ",
    "Kind",
    "Period",
    "Schedule",
    "SchoolCalendar",
    "TimeframeRefused",
    "due_after",
    "effective_due",
    "effective_due_of",
    "last_allowed_day",
    "normalise",
    "parse_timeframe",
    "period_json",
    "schedule_json",
    "typed_deadline",
]
