"""Deadlines written for periods: "trước ngày 15 hằng tháng", "trước ngày 05 tháng cuối quý",
"Hằng năm (trước ngày 10/12)", "Quý I (chậm nhất ngày 15/3)", "trước ngày 05 tháng sau". A rule
sets the last day of each period it follows, keeping its key; written alone, it brings its own
cadence or is a bare deadline.

Which month a monthly report covers. "trước ngày 05 hằng tháng" does not say which month the
report due on 05/02 is about; NĐ 09/2019 art. 12 does: a month's data runs from the 15th of the
month before to the 14th. A report can only cover a window that has closed by its deadline, and
the latest one closed is its own month's when its last allowed day is the 14th or later ("trước
ngày 15", "chậm nhất ngày 20": the report on that month), the previous month's when it is the
13th or earlier ("trước ngày 05", due on or before the 14th: the report on the month before).
So in a monthly cadence, a deadline on the 1st-14th belongs to the report on the month before:
the period keyed ``2026-01`` ("Tháng 1/2026 (trước ngày 05/02/2026)") runs from 01/01 to 04/02
and covers 15/12/2025-14/01/2026, and the year's twelve reports are those on January to December,
the last due 05/01 of the next year. A clerk reads "Tháng 1" as the report on January, and now it
is. "trước ngày 05 tháng sau" ("của tháng sau", "tháng tiếp theo") says the same in words, with
any day of the next month. A single named month keeps its own: "Tháng 3 (trước ngày 05)" is due
05/03, and "Tháng 3 (trước ngày 05/04)" is the report on March due 05/04 (a date written for a
month may fall in the month after it, never later). Periods of one monthly cadence then overlap
by the days before each deadline, while the next month has begun.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from workflows.timeframes import periods as P
from workflows.timeframes.items import cadence_part
from workflows.timeframes.model import Period
from workflows.timeframes.reading import Part, Reading, Unit, once

_KEYWORD = r"(?P<kw>trước|chậm nhất|hạn chót|hạn cuối|hạn|đến hết|đến)(?: vào)?(?: ngày)?"


@dataclass(frozen=True)
class Rule:
    """A deadline written inside a period: "trước ngày 15 hằng tháng", "chậm nhất ngày 10/12"."""

    shape: Literal["month_day", "quarter_day", "date"]
    style: P.Style
    day: int
    month: int | None = None
    year: int | None = None
    every: bool = False  # the clause names its own cadence ("hằng tháng", "hằng năm", "cuối quý")
    next_month: bool = False  # "tháng sau": the day is in the month after the one reported on


_RULES: tuple[tuple[re.Pattern[str], Literal["month_day", "quarter_day", "date"]], ...] = (
    (re.compile(rf"{_KEYWORD} (?P<d>\d{{1,2}}) tháng cuối(?: của)?(?: mỗi| hằng)? quý"), "quarter_day"),
    (re.compile(rf"{_KEYWORD} (?P<d>\d{{1,2}})(?:(?P<every>(?: của)? (?:hằng|mỗi) tháng)|(?P<next>(?: của)? tháng (?:sau|tiếp theo|kế tiếp)))?"), "month_day"),
    (re.compile(rf"{_KEYWORD} (?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})(?:/(?P<y>\d{{4}}))?(?P<every> hằng năm)?"), "date"),
)


def parse_rule(segment: str) -> Rule | None:
    for pattern, shape in _RULES:
        m = pattern.fullmatch(segment)
        if m:
            groups = m.groupdict()
            return Rule(
                shape=shape,
                style="before" if m["kw"] == "trước" else "through",
                day=int(m["d"]),
                month=int(groups["m"]) if groups.get("m") else None,
                year=int(groups["y"]) if groups.get("y") else None,
                every=shape == "quarter_day" or bool(groups.get("every")),
                next_month=bool(groups.get("next")),
            )
    return None


def _month_day_end(ctx: Reading, rule: Rule, year: int, month: int, allow_month_end: bool) -> date:
    if not 1 <= rule.day <= 31:
        ctx.refuse(f"Không có ngày {rule.day} trong tháng.", f"There is no day {rule.day} in a month.")
    days = calendar.monthrange(year, month)[1]
    if rule.style == "through":
        return date(year, month, min(rule.day, days))
    if rule.day > days or (rule.day == 1 and allow_month_end):
        # "trước ngày 31" in April, "trước ngày 01 hằng tháng": by the end of the month.
        return date(year, month, days)
    return date(year, month, rule.day) - timedelta(days=1)


def _next_month(period: Period) -> date:
    """The first day of the month after the one ``period`` starts in."""
    return (period.start.replace(day=1) + timedelta(days=32)).replace(day=1)


def _report_end(ctx: Reading, rule: Rule, period: Period, monthly: bool) -> date:
    """The last day of the report on the month ``period``: in that month, or in the next one for
    "tháng sau" and, in a monthly cadence, for a day before the month's data closes (module doc)."""
    own = _month_day_end(ctx, rule, period.start.year, period.start.month, allow_month_end=not rule.next_month)
    if rule.next_month or (monthly and own.day < P.CUTOFF_DAY):
        after = _next_month(period)
        return _month_day_end(ctx, rule, after.year, after.month, allow_month_end=False)
    return own


def _latest_end(period: Period, unit: Unit) -> date:
    """The latest last day a deadline may give ``period``: its own end, or for a month (whose
    report may be due in the month after it), the end of the next month."""
    if unit != "month":
        return period.end
    after = _next_month(period)
    return P.last_day(after.year, after.month)


def _rule_end(ctx: Reading, rule: Rule, period: Period, unit: Unit, monthly: bool) -> date:
    if unit == "deadline":
        ctx.refuse(
            f'"{period.label}" đã là một thời hạn; không thể thêm hạn thứ hai.',
            f'"{period.label}" is already a deadline.',
        )
    if rule.shape == "month_day":
        if unit != "month":
            ctx.refuse(
                f'Hạn "ngày {rule.day}" chỉ dùng cho kỳ tháng (ví dụ "trước ngày {rule.day} hằng tháng"), không dùng cho "{period.label}".',
                f'A day-of-month deadline applies to months only, not to "{period.label}".',
            )
        return _report_end(ctx, rule, period, monthly)
    if rule.shape == "quarter_day":
        if unit != "quarter":
            ctx.refuse(
                f'Hạn "tháng cuối quý" chỉ dùng cho kỳ quý, không dùng cho "{period.label}".',
                f'A "last month of the quarter" deadline applies to quarters only, not to "{period.label}".',
            )
        return _month_day_end(ctx, rule, period.end.year, period.end.month, allow_month_end=False)
    assert rule.month is not None
    after = _next_month(period)
    # "Tháng 12 (trước ngày 05/01)": January of the year after.
    fallback = after.year if unit == "month" and rule.month == after.month else period.end.year
    day = ctx.day(str(rule.day), str(rule.month), rule.year, fallback)
    return day - timedelta(days=1) if rule.style == "before" else day


def apply_rule(ctx: Reading, rule: Rule, part: Part) -> Part:
    if rule.every and rule.shape == "date" and rule.year is not None:
        ctx.refuse('Hạn "hằng năm" không ghi năm cụ thể.', 'A yearly deadline names no year.')
    cut = []
    for period, unit in part.periods:
        end = _rule_end(ctx, rule, period, unit, monthly=part.cadence == "month")
        if not period.start <= end <= _latest_end(period, unit):
            ctx.refuse(
                f'Hạn "{P.deadline_text(end, rule.style)}" nằm ngoài kỳ "{period.label}" '
                f"({P.fmt(period.start)} - {P.fmt(period.end)}).",
                f'The deadline "{P.deadline_text(end, rule.style)}" lies outside "{period.label}".',
            )
        cut.append((P.with_deadline(period, end, rule.style), unit))
    return replace(part, periods=tuple(cut))


def standalone_rule(ctx: Reading, rule: Rule, segment: str) -> Part:
    """A deadline clause with no period before it: "trước ngày 15 hằng tháng", "trước 10/12"."""
    if rule.shape == "quarter_day":
        return apply_rule(ctx, rule, cadence_part(ctx, "quarter"))
    if rule.shape == "month_day":
        if not (rule.every or rule.next_month):
            ctx.refuse(
                f'"{segment}": ngày {rule.day} của tháng nào? Ghi "{segment} hằng tháng" hoặc ghi đủ ngày/tháng.',
                f'"{segment}": day {rule.day} of which month?',
            )
        return apply_rule(ctx, rule, cadence_part(ctx, "month"))
    if rule.every:
        return apply_rule(ctx, rule, cadence_part(ctx, "year"))
    assert rule.month is not None
    day = ctx.day(str(rule.day), str(rule.month), rule.year, ctx.year)
    end = day - timedelta(days=1) if rule.style == "before" else day
    return once(P.deadline_period(end, rule.style), "deadline")
