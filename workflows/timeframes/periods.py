"""Building periods: their bounds, their Vietnamese labels and their keys.

Every label written here is a phrase the parser reads back to the same period (the round trip is
a tested property), so a label shown on a screen can be pasted into a plan and mean the same.

Keys, one shape per kind of period, never colliding:
``2026`` year · ``2026-Q2`` quarter · ``2026-03`` month · ``2026-H1`` half-year ·
``2026-2027`` school year · ``2026-2027-S1`` semester · ``2026-12-09`` a bare deadline (its last
allowed day) · ``A..B`` a range from the period keyed A to the one keyed B (``2026..2030``,
``2026-Q2..2026-Q3``, ``2026-03-01..2026-04-15``). A period cut short by a deadline inside it
keeps the key of the period it cuts: the report for March is ``2026-03`` whatever its due day.

Data cut-off (``cutoff_from``..``cutoff_to``). NĐ 09/2019 art. 12 fixes the days a periodic
report covers: a month, from the 15th of the month before to the 14th of the month; a quarter,
from the 15th of the month before it to the 14th of its last month; a half-year, 15/12-14/6 and
15/6-14/12; a year, 15/12 of the year before to 14/12. A period made of whole months (a month, a
quarter, a half, a year, a range or span of them) gets that window, from the 15th of the month
before its first month to the 14th of its last month; so do the years of continuous work.
School years, semesters, ranges of dates and bare deadlines are not NĐ 09 periods: their window
is the period itself. A deadline inside the period does not move the window: reports of one
period cover the same days whichever unit sends them (so that they add up), and a report due
before its window closes ("trước ngày 05 tháng cuối quý") gives the figures known then and
estimates the rest ("ước thực hiện"), as Vietnamese reports do.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date, timedelta
from typing import Literal

from workflows.timeframes.model import DEFAULT_SCHOOL_CALENDAR, Period, SchoolCalendar, due_after

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

# How a deadline was written: "trước ngày X" (late from 00:00 on X) or "đến hết ngày X" (X is
# the last allowed day). Both mean one instant; the label keeps the clerk's way of saying it.
Style = Literal["before", "through"]


def fmt(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# NĐ 09/2019 art. 12: a month's data runs from the 15th of the month before to the 14th.
CUTOFF_DAY = 14


def nd09_window(first: date, last: date) -> tuple[date, date]:
    """The data window of the whole months from ``first``'s to ``last``'s (NĐ 09/2019 art. 12)."""
    before = first.replace(day=1) - timedelta(days=1)
    return before.replace(day=CUTOFF_DAY + 1), last.replace(day=CUTOFF_DAY)


def _period(label: str, start: date, end: date, key: str, *, months: bool = True) -> Period:
    """A period due the day after ``end``; ``months``: made of whole months (its NĐ 09 window)."""
    cutoff = nd09_window(start, end) if months else (start, end)
    return Period(label=label, start=start, end=end, due=due_after(end), key=key, cutoff_from=cutoff[0], cutoff_to=cutoff[1])


def year_period(year: int) -> Period:
    return _period(f"Năm {year}", date(year, 1, 1), date(year, 12, 31), f"{year}")


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * quarter - 2
    return _period(f"Quý {ROMAN[quarter]}/{year}", date(year, first, 1), last_day(year, first + 2), f"{year}-Q{quarter}")


def quarter_range(y1: int, q1: int, y2: int, q2: int) -> Period:
    a, b = quarter_period(y1, q1), quarter_period(y2, q2)
    label = f"Quý {ROMAN[q1]}-{ROMAN[q2]}/{y1}" if y1 == y2 else f"Quý {ROMAN[q1]}/{y1} - Quý {ROMAN[q2]}/{y2}"
    return _period(label, a.start, b.end, f"{a.key}..{b.key}")


def month_period(year: int, month: int) -> Period:
    return _period(f"Tháng {month}/{year}", date(year, month, 1), last_day(year, month), f"{year}-{month:02d}")


def month_range(y1: int, m1: int, y2: int, m2: int) -> Period:
    a, b = month_period(y1, m1), month_period(y2, m2)
    label = f"Tháng {m1}-{m2}/{y1}" if y1 == y2 else f"Tháng {m1}/{y1} - Tháng {m2}/{y2}"
    return _period(label, a.start, b.end, f"{a.key}..{b.key}")


def half_period(year: int, half: int) -> Period:
    if half == 1:
        return _period(f"6 tháng đầu năm {year}", date(year, 1, 1), date(year, 6, 30), f"{year}-H1")
    return _period(f"6 tháng cuối năm {year}", date(year, 7, 1), date(year, 12, 31), f"{year}-H2")


def year_span(y1: int, y2: int) -> Period:
    return _period(f"Giai đoạn {y1}-{y2}", date(y1, 1, 1), date(y2, 12, 31), f"{y1}..{y2}")


def school_year_period(first_year: int, school: SchoolCalendar = DEFAULT_SCHOOL_CALENDAR) -> Period:
    start, end = school.year_bounds(first_year)
    return _period(f"Năm học {first_year}-{first_year + 1}", start, end, f"{first_year}-{first_year + 1}", months=False)


def semester_period(first_year: int, semester: int, school: SchoolCalendar = DEFAULT_SCHOOL_CALENDAR) -> Period:
    start, end = school.semester_bounds(first_year, semester)
    label = f"Học kỳ {ROMAN[semester]} năm học {first_year}-{first_year + 1}"
    return _period(label, start, end, f"{first_year}-{first_year + 1}-S{semester}", months=False)


def date_range(start: date, end: date) -> Period:
    return _period(f"Từ {fmt(start)} đến {fmt(end)}", start, end, f"{start.isoformat()}..{end.isoformat()}", months=False)


def deadline_text(end: date, style: Style) -> str:
    return f"trước ngày {fmt(end + timedelta(days=1))}" if style == "before" else f"đến hết ngày {fmt(end)}"


def deadline_period(end: date, style: Style) -> Period:
    """A bare deadline. It opens on 1 January of the year of its last allowed day: the plan's
    dispatch, not this start, is when the work is handed out; the start only has to be a day that
    no sensible deadline precedes."""
    text = deadline_text(end, style)
    return _period(text[0].upper() + text[1:], date(end.year, 1, 1), end, end.isoformat(), months=False)


def with_deadline(period: Period, end: date, style: Style) -> Period:
    """The period with the last day a deadline written for it sets: inside it, or for a monthly
    report, in the month after (``workflows.timeframes.deadlines``). Same key, same data window."""
    return replace(period, label=f"{period.label} ({deadline_text(end, style)})", end=end, due=due_after(end))


def continuous_year(year: int) -> Period:
    """Continuous work has no deadline; it is tracked, and reported on, year by year."""
    return replace(year_period(year), label=f"Thường xuyên năm {year}", due=None)
