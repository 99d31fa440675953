"""The values of the timeframe domain: a period, a schedule, a refusal, the school calendar.

All of them are immutable and compare by value, so a schedule parsed twice is equal to itself
and a period can be a dictionary key or go into a set.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from workflows.calendar import BusinessCalendar

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


def last_allowed_day(due: datetime) -> date:
    """The last day work due at ``due`` may be done: the day before when due at 00:00 local."""
    local = due.astimezone(LOCAL_TZ)
    return local.date() - timedelta(days=1) if local.time() == time(0) else local.date()


def effective_due(due: datetime, calendar: BusinessCalendar) -> datetime:
    """When work due at ``due`` is really late: a last allowed day that is a day off of
    ``calendar`` moves to the end of the next working day (Civil Code 2015, Điều 148 khoản 5);
    otherwise ``due`` itself. "trước ngày 15/02/2026" (last day Saturday 14/02, in Tết) is late
    from 24/02/2026 00:00: Tết runs to Sunday 22/02, Monday 23/02 is the last day."""
    last = last_allowed_day(due)
    return due if calendar.is_working_day(last) else due_after(calendar.deadline_day(last))


def typed_deadline(text: str) -> datetime:
    """A deadline a person typed in ISO 8601. A date alone means the end of that day (late from
    00:00 the next day, as "đến hết ngày" reads); a time without an offset is Việt Nam's. Raises
    ``ValueError`` with a bilingual message for anything else."""
    raw = text.strip()
    try:
        if len(raw) == len("2026-02-14"):
            return due_after(date.fromisoformat(raw))
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"Hạn không hợp lệ: {raw!r}; ghi ngày 2026-02-14 hoặc thời điểm 2026-02-14T17:00 / not an ISO date or instant") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class Period:
    """One span of work with its deadline and the data it reports on.

    ``end`` is the last allowed day; ``due`` is the instant the work becomes late as written
    (00:00 of the day after ``end``, Asia/Ho_Chi_Minh), or None for continuous work.
    ``effective_due`` is ``due`` moved past days off (``effective_due``, Điều 148): what dispatch
    gives instances and what urging counts from; ``parse_timeframe`` sets it with the calendar it
    is given (``with_calendar``), and it is None until then. ``key`` is a short ASCII id, stable
    across label wording, used as the ``period`` of a task instance. ``cutoff_from`` and
    ``cutoff_to`` are the first and last day of the data a report of the period covers (NĐ
    09/2019 art. 12; see ``periods``), shown on the report.
    """

    label: str
    start: date
    end: date
    due: datetime | None
    key: str
    cutoff_from: date | None = None
    cutoff_to: date | None = None
    effective_due: datetime | None = None

    def with_calendar(self, calendar: BusinessCalendar) -> Period:
        """This period with its effective due on ``calendar``."""
        return replace(self, effective_due=effective_due(self.due, calendar) if self.due is not None else None)


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
