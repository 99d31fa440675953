"""Timeframes: the phrases clerks write for when work is due, parsed into schedules of periods.

``parse_timeframe("Quý II", 2026)`` → ``Schedule(kind="once", periods=(Period("Quý II/2026",
2026-04-01, 2026-06-30, due=2026-07-01T00:00+07:00, key="2026-Q2"),), …)``. The conventions
(time zone, what "due" means, how each form reads) are in ``workflows.timeframes.parser``.
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
)
from workflows.timeframes.normalise import normalise
from workflows.timeframes.parser import parse_timeframe
from workflows.timeframes.refusals import ACCEPTED_EN, ACCEPTED_VI

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
    "normalise",
    "parse_timeframe",
]
