"""Deadlines written inside periods: "trước ngày 15 hằng tháng", "trước ngày 05 tháng cuối quý",
"Hằng năm (trước ngày 10/12)", "Quý I (chậm nhất ngày 15/3)". A rule cuts each period it follows
short, keeping its key; written alone, it brings its own cadence or is a bare deadline.
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


_RULES: tuple[tuple[re.Pattern[str], Literal["month_day", "quarter_day", "date"]], ...] = (
    (re.compile(rf"{_KEYWORD} (?P<d>\d{{1,2}}) tháng cuối(?: của)?(?: mỗi| hằng)? quý"), "quarter_day"),
    (re.compile(rf"{_KEYWORD} (?P<d>\d{{1,2}})(?P<every>(?: của)? (?:hằng|mỗi) tháng)?"), "month_day"),
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


def _rule_end(ctx: Reading, rule: Rule, period: Period, unit: Unit) -> date:
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
        return _month_day_end(ctx, rule, period.start.year, period.start.month, allow_month_end=True)
    if rule.shape == "quarter_day":
        if unit != "quarter":
            ctx.refuse(
                f'Hạn "tháng cuối quý" chỉ dùng cho kỳ quý, không dùng cho "{period.label}".',
                f'A "last month of the quarter" deadline applies to quarters only, not to "{period.label}".',
            )
        return _month_day_end(ctx, rule, period.end.year, period.end.month, allow_month_end=False)
    assert rule.month is not None
    day = ctx.day(str(rule.day), str(rule.month), rule.year, period.end.year)
    return day - timedelta(days=1) if rule.style == "before" else day


def apply_rule(ctx: Reading, rule: Rule, part: Part) -> Part:
    if rule.every and rule.shape == "date" and rule.year is not None:
        ctx.refuse('Hạn "hằng năm" không ghi năm cụ thể.', 'A yearly deadline names no year.')
    cut = []
    for period, unit in part.periods:
        end = _rule_end(ctx, rule, period, unit)
        if not period.start <= end <= period.end:
            ctx.refuse(
                f'Hạn "{P.deadline_text(end, rule.style)}" nằm ngoài kỳ "{period.label}" '
                f"({P.fmt(period.start)} - {P.fmt(period.end)}).",
                f'The deadline "{P.deadline_text(end, rule.style)}" lies outside "{period.label}".',
            )
        cut.append((P.cut_short(period, end, rule.style), unit))
    return replace(part, periods=tuple(cut))


def standalone_rule(ctx: Reading, rule: Rule, segment: str) -> Part:
    """A deadline clause with no period before it: "trước ngày 15 hằng tháng", "trước 10/12"."""
    if rule.shape == "quarter_day":
        return apply_rule(ctx, rule, cadence_part(ctx, "quarter"))
    if rule.shape == "month_day":
        if not rule.every:
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
