"""The values of the timeframe domain: a period, a schedule, a refusal, the school calendar.

All of them are immutable and compare by value, so a schedule parsed twice is equal to itself
and a period can be a dictionary key or go into a set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

# Every date a clerk writes is a day on the wall calendar of Việt Nam.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Years outside this window are almost always typing errors ("2062", "206"); refusing them
# beats storing a deadline forty years away.
MIN_YEAR = 1990
MAX_YEAR = 2100

Kind = Literal["once", "recurring", "continuous"]


def due_after(end: date) -> datetime:
    """The instant a period whose last allowed day is ``end`` becomes late: 00:00 local, next day."""
    return datetime.combine(end + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class Period:
    """One span of work with its deadline.

    ``end`` is the last allowed day; ``due`` is the instant the work becomes late (00:00 of the day
    after ``end``, Asia/Ho_Chi_Minh), or None for continuous work. ``key`` is a short ASCII id,
    stable across label wording, used as the ``period`` of a task instance.
    """

    label: str
    start: date
    end: date
    due: datetime | None
    key: str


@dataclass(frozen=True)
class Schedule:
    """What a timeframe phrase means for one year: its kind and the periods that fall to that year."""

    kind: Kind
    periods: tuple[Period, ...]
    phrase: str
    normalised: str


class TimeframeRefused(ValueError):
    """A phrase the parser does not understand, or understands to be impossible.

    ``message_vi`` and ``message_en`` give the reason and list the accepted forms; ``reason_vi``
    and ``reason_en`` give the reason alone, for places with room for one line.
    """

    def __init__(self, phrase: str, message_vi: str, message_en: str, *, reason_vi: str = "", reason_en: str = "") -> None:
        super().__init__(message_vi)
        self.phrase = phrase
        self.message_vi = message_vi
        self.message_en = message_en
        self.reason_vi = reason_vi or message_vi
        self.reason_en = reason_en or message_en


@dataclass(frozen=True)
class SchoolCalendar:
    """The school year's frame, as the Ministry's yearly decision on the school-year calendar sets it.

    Defaults follow the frame for 2025-2026 (and the years before it): opening ceremony on 5/9,
    "kết thúc học kỳ I trước ngày 18/1", "kết thúc năm học trước ngày 31/5". The two ``*_due``
    fields are read as the parser reads "trước ngày …": the instant the period becomes late, so the
    first semester's last day is 17/1 and the school year's is 30/5. The second semester starts on
    the day the first one is due. A province that shifts its calendar passes its own values.
    """

    start: tuple[int, int] = (9, 5)
    first_semester_due: tuple[int, int] = (1, 18)
    due: tuple[int, int] = (5, 31)

    def __post_init__(self) -> None:
        for month, day in (self.start, self.first_semester_due, self.due):
            # 2024 is a leap year, so this accepts every real day but 29/2, which is refused
            # because it would not exist in most school years.
            date(2024, month, day)
            if (month, day) == (2, 29):
                raise ValueError("29/2 cannot bound a school year")
        if not (self.start[0] >= 7 and self.first_semester_due[0] < 7 and self.due[0] < 7):
            raise ValueError("a school year starts in Jul-Dec and ends in Jan-Jun")
        if self.first_semester_due >= self.due:
            raise ValueError("the first semester must end before the school year")

    def year_bounds(self, first_year: int) -> tuple[date, date]:
        """First and last day of the school year that starts in ``first_year``."""
        return date(first_year, *self.start), date(first_year + 1, *self.due) - timedelta(days=1)

    def semester_bounds(self, first_year: int, semester: int) -> tuple[date, date]:
        """First and last day of semester 1 or 2 of the school year that starts in ``first_year``."""
        start, end = self.year_bounds(first_year)
        split = date(first_year + 1, *self.first_semester_due)
        return (start, split - timedelta(days=1)) if semester == 1 else (split, end)


DEFAULT_SCHOOL_CALENDAR = SchoolCalendar()
