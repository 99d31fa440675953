"""Reading one phrase: its context (year, school calendar) and the checks every form shares.

A ``Part`` is what one item of a phrase contributes; ``Reading`` carries the phrase being read,
so that any check deep in the grammar can refuse it with the clerk's own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, NoReturn

from workflows.timeframes.model import MAX_YEAR, MIN_YEAR, Kind, Period, SchoolCalendar
from workflows.timeframes.refusals import refuse

Unit = Literal["year", "quarter", "month", "half", "span", "school_year", "semester", "range", "deadline", "continuous"]
Cadence = Literal["year", "quarter", "month", "half", "school_year", "semester"]
ROMAN_TOKENS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


@dataclass(frozen=True)
class Part:
    """What one item of a phrase contributes: its periods, each with the unit it is made of."""

    kind: Kind
    periods: tuple[tuple[Period, Unit], ...]
    cadence: Cadence | None = None


def once(period: Period, unit: Unit) -> Part:
    return Part("once", ((period, unit),))


def recurring(cadence: Cadence, items: list[Period], unit: Unit) -> Part:
    return Part("recurring", tuple((p, unit) for p in items), cadence)


class Reading:
    def __init__(self, phrase: str, normalised: str, year: int, school: SchoolCalendar) -> None:
        self.phrase = phrase
        self.normalised = normalised
        self.year = year
        self.school = school

    def refuse(self, reason_vi: str, reason_en: str) -> NoReturn:
        refuse(self.phrase, reason_vi, reason_en)

    def check_year(self, value: int) -> int:
        if not MIN_YEAR <= value <= MAX_YEAR:
            self.refuse(
                f"Năm {value} nằm ngoài khoảng {MIN_YEAR}-{MAX_YEAR}; có thể đã gõ nhầm.",
                f"The year {value} is outside {MIN_YEAR}-{MAX_YEAR}; probably a typing error.",
            )
        return value

    def year_or_default(self, raw: str | None) -> int:
        return self.check_year(int(raw)) if raw else self.year

    def end_year(self, first: int, raw: str) -> int:
        """The second year of "2026-2030" or "2026-27"."""
        value = first // 100 * 100 + int(raw) if len(raw) == 2 else int(raw)
        if value <= first:
            self.refuse(
                f'Khoảng năm "{first}-{raw}" không hợp lệ: năm sau phải lớn hơn năm trước.',
                f'The years "{first}-{raw}" are not a range: the second must be later.',
            )
        return self.check_year(value)

    def quarter(self, token: str) -> int:
        value = ROMAN_TOKENS.get(token) or (int(token) if token.isdigit() else 0)
        if not 1 <= value <= 4:
            self.refuse(
                f'Không có "Quý {token.upper()}": quý chỉ từ I đến IV (hoặc 1 đến 4).',
                f'There is no quarter "{token.upper()}": quarters are I-IV (or 1-4).',
            )
        return value

    def semester(self, token: str) -> int:
        value = ROMAN_TOKENS.get(token) or (int(token) if token.isdigit() else 0)
        if value not in (1, 2):
            self.refuse(
                f'Không có "Học kỳ {token.upper()}": chỉ có học kỳ I và học kỳ II.',
                f'There is no semester "{token.upper()}": only I and II.',
            )
        return value

    def month(self, token: str) -> int:
        value = int(token) if token.isdigit() else 0
        if not 1 <= value <= 12:
            self.refuse(
                f'Không có "tháng {token}": tháng chỉ từ 1 đến 12 (viết bằng số).',
                f'There is no month "{token}": months are 1-12, in digits.',
            )
        return value

    def day(self, d: str, m: str, y: int | None, fallback_year: int) -> date:
        try:
            return date(self.check_year(y) if y is not None else fallback_year, int(m), int(d))
        except ValueError:
            written = f"{d}/{m}" + (f"/{y}" if y is not None else "")
            self.refuse(f"Ngày {written} không tồn tại.", f"There is no date {written}.")

    def ordered(self, first: Period, last: Period) -> None:
        if first.start >= last.start:
            self.refuse(
                f'Khoảng "{first.label} - {last.label}" không hợp lệ: kỳ đầu phải trước kỳ cuối.',
                f'The range "{first.label} - {last.label}" is reversed or empty.',
            )
