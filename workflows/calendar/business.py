"""Working days in Việt Nam's public administration: "N ngày làm việc" arithmetic.

A day is a working day unless it is a Saturday or Sunday, a public holiday, or a day off the
government or an admin declared; a make-up working day ("làm bù", usually a Saturday) is a
working day even on a weekend. Precedence, strongest first: admin make-up day, admin day off,
the government's make-up day, public holiday, weekend.

Holidays come from the ``holidays`` package (``country_holidays("VN")``): Tết Dương lịch, the
five working days of Tết Nguyên Đán (Labour Code 2019 art. 112; 16-20/02/2026), Giỗ Tổ Hùng
Vương, 30/4, 1/5, Quốc khánh 2/9 with its adjacent day, Ngày Văn hóa Việt Nam 24/11 from 2026,
days moved off a weekend ("nghỉ bù", e.g. 27/04/2026 for Giỗ Tổ on a Sunday), and the days the
government swapped ("Ngày nghỉ (thay cho ngày 22/08/2026)": 31/08/2026 off, Saturday 22/08/2026
worked). The package keeps the swapped-in Saturdays only inside its table of special holidays,
so ``_government_makeup_days`` reads them from there. The gap: a swap announced after the
installed package was released is unknown to it; the admin enters it (``extra_days_off`` and
``makeup_working_days``) until the package is upgraded.

Counting: "trong 5 ngày làm việc kể từ ngày nhận" does not count the day of receipt; the first
day counted is the next working day. So ``add_working_days(received, 5)`` is the last allowed
day, and ``workflows.timeframes.due_after`` of it is the instant the work becomes late.

Deadlines on a day off (Civil Code 2015, Điều 148 khoản 5): a time limit whose last day is a day
off ends at the end of the next working day. ``deadline_day`` is that day; the timeframes apply it
to every period (``workflows.timeframes``, "effective due"). Whose days off count is the caller's
choice: a province passes its own calendar (the admin's days off and make-up days);
``national_calendar()`` has the government's alone.

Pure: no database, no wall clock. Years outside those given are loaded on first use, so
arithmetic across New Year works.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from typing import Any

import holidays
from holidays.countries.vietnam import VietnamStaticHolidays

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


def _government_makeup_days() -> frozenset[date]:
    """The weekend days the government made working days in exchange for a day off.

    ``special_public_holidays`` maps a year to (month off, day off, month worked, day worked
    [, year worked]) tuples, or to one such tuple.
    """
    table: dict[int, Any] = VietnamStaticHolidays.special_public_holidays
    days = set()
    for year, entries in table.items():
        for entry in entries if isinstance(entries[0], tuple) else (entries,):
            if len(entry) >= 4:
                days.add(date(entry[4] if len(entry) > 4 else year, entry[2], entry[3]))
    return frozenset(days)


_GOVERNMENT_MAKEUP = _government_makeup_days()


class BusinessCalendar:
    """Working days for the given years, with an admin's extra days off and make-up days."""

    def __init__(
        self,
        years: Iterable[int] = (),
        *,
        extra_days_off: Iterable[date] = (),
        makeup_working_days: Iterable[date] = (),
    ) -> None:
        self._holidays = holidays.country_holidays("VN", years=sorted(set(years)), language="vi")
        self._extra_off = frozenset(extra_days_off)
        self._makeup = frozenset(makeup_working_days)
        clash = sorted(self._extra_off & self._makeup)
        if clash:
            days = ", ".join(d.strftime("%d/%m/%Y") for d in clash)
            raise ValueError(f"Ngày vừa là ngày nghỉ vừa là ngày làm bù: {days} / both a day off and a make-up day")

    def is_working_day(self, day: date) -> bool:
        if day in self._makeup:
            return True
        if day in self._extra_off:
            return False
        if day in _GOVERNMENT_MAKEUP:
            return True
        if day in self._holidays:
            return False
        return day.weekday() < _SATURDAY

    def holiday_name(self, day: date) -> str | None:
        """Why ``day`` is off, in Vietnamese; None for a working day or an ordinary weekend."""
        if self.is_working_day(day):
            return None
        if day in self._extra_off:
            return "Ngày nghỉ theo quyết định bổ sung"
        return self._holidays.get(day)

    def next_working_day(self, day: date, *, inclusive: bool = False) -> date:
        """The first working day after ``day`` (or ``day`` itself if ``inclusive`` and it works)."""
        if inclusive and self.is_working_day(day):
            return day
        day += _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def deadline_day(self, last_day: date) -> date:
        """The day a time limit whose last day is ``last_day`` really ends (Điều 148 khoản 5):
        ``last_day`` itself if it is a working day, else the next working day."""
        return self.next_working_day(last_day, inclusive=True)

    def previous_working_day(self, day: date) -> date:
        day -= _ONE_DAY
        while not self.is_working_day(day):
            day -= _ONE_DAY
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (before it if ``n`` < 0); ``start`` never
        counts, so ``add_working_days(received, 5)`` is the last day of "5 ngày làm việc kể từ ngày
        nhận". ``n`` = 0 gives ``start`` itself."""
        day = start
        for _ in range(abs(n)):
            day = self.next_working_day(day) if n > 0 else self.previous_working_day(day)
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days one steps over going from ``a`` to ``b``, ``a`` not counted:
        the working days in (a, b] when a <= b, minus those in [b, a) when b < a. So
        ``working_days_between(d, add_working_days(d, n)) == n`` for every n."""
        if b < a:
            return -sum(1 for i in range((a - b).days) if self.is_working_day(b + i * _ONE_DAY))
        return sum(1 for i in range(1, (b - a).days + 1) if self.is_working_day(a + i * _ONE_DAY))


@cache
def national_calendar() -> BusinessCalendar:
    """The government's holidays and make-up days, no province's additions; built once."""
    return BusinessCalendar()
