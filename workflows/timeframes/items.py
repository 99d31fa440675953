"""The items of a phrase: periods ("Quý II", "Tháng 3-5/2026", "Năm học 2026-2027") and
cadences ("Hằng quý", "Định kỳ 6 tháng", "Từ năm 2026"). Each form is one pattern matched against
the whole normalised item and one function that builds its periods; the first match wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from workflows.timeframes import periods as P
from workflows.timeframes.model import Period
from workflows.timeframes.reading import Cadence, Part, Reading, once, recurring
from workflows.timeframes.refusals import not_understood

_TOKEN = r"([ivxlc]+|\d{1,3})"  # a quarter, semester or month number, checked after matching
_YS = r"(?:(?:/| năm )(\d{4}))?"  # an optional year after a quarter or a month
_DATE = r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?"

_ItemParser = Callable[[Reading, "re.Match[str]"], Part]
_ITEMS: list[tuple[re.Pattern[str], _ItemParser]] = []


def _item(pattern: str) -> Callable[[_ItemParser], _ItemParser]:
    def register(func: _ItemParser) -> _ItemParser:
        _ITEMS.append((re.compile(pattern), func))
        return func

    return register


@_item(r"(?:thường xuyên|liên tục)(?:,? liên tục)?(?: trong)?(?: năm (\d{4}))?")
def _continuous(ctx: Reading, m: re.Match[str]) -> Part:
    return Part("continuous", ((P.continuous_year(ctx.year_or_default(m[1])), "continuous"),))


_CADENCE_WORDS: dict[str, Cadence] = {
    "năm học": "school_year", "học kỳ": "semester", "năm": "year", "quý": "quarter", "tháng": "month",
}  # fmt: skip
_CADENCE_MONTHS: dict[int, Cadence] = {1: "month", 3: "quarter", 6: "half", 12: "year"}


def cadence_part(ctx: Reading, cadence: Cadence) -> Part:
    y = ctx.year
    if cadence == "month":
        return recurring(cadence, [P.month_period(y, m) for m in range(1, 13)], "month")
    if cadence == "quarter":
        return recurring(cadence, [P.quarter_period(y, q) for q in range(1, 5)], "quarter")
    if cadence == "half":
        return recurring(cadence, [P.half_period(y, 1), P.half_period(y, 2)], "half")
    if cadence == "school_year":
        return recurring(cadence, _in_year(y, [P.school_year_period(first, ctx.school) for first in (y - 1, y)]), "school_year")
    if cadence == "semester":
        semesters = [P.semester_period(first, s, ctx.school) for first in (y - 1, y) for s in (1, 2)]
        return recurring(cadence, _in_year(y, semesters), "semester")
    return recurring(cadence, [P.year_period(y)], "year")


def _in_year(year: int, periods: list[Period]) -> list[Period]:
    """The school years or semesters that run during part of ``year``: in a plan for 2026, "Theo
    năm học" is the school year under way (2025-2026) and the one that starts (2026-2027)."""
    return [p for p in periods if p.start.year <= year <= p.end.year]


@_item(r"(?:định kỳ )?(?:hằng|mỗi|theo) (năm học|học kỳ|năm|quý|tháng)|định kỳ (năm học|học kỳ|năm|quý|tháng)")
def _every(ctx: Reading, m: re.Match[str]) -> Part:
    return cadence_part(ctx, _CADENCE_WORDS[m[1] or m[2]])


@_item(r"(?:định kỳ )?(\d{1,2}) tháng(?:/lần| 1 lần)|định kỳ (\d{1,2}) tháng")
def _every_n_months(ctx: Reading, m: re.Match[str]) -> Part:
    n = int(m[1] or m[2])
    if n not in _CADENCE_MONTHS:
        ctx.refuse(
            f"Chu kỳ {n} tháng không được hỗ trợ: chỉ 1, 3, 6 hoặc 12 tháng (hằng tháng, hằng quý, 6 tháng, hằng năm).",
            f"A {n}-month cycle is not supported: only 1, 3, 6 or 12 months.",
        )
    return cadence_part(ctx, _CADENCE_MONTHS[n])


@_item(r"(?:định kỳ )?(?:hằng|mỗi|theo) (tuần|ngày)")
def _weekly_or_daily(ctx: Reading, m: re.Match[str]) -> Part:
    # Plans set weekly work inside units, not as tasks tracked across the province; a cadence of
    # 52 or 365 task instances a year per unit would flood every inbox.
    ctx.refuse(
        f'Chu kỳ "hằng {m[1]}" chưa được hỗ trợ: ngắn nhất là hằng tháng.',
        f'A "{m[1]}" cycle is not supported: the shortest is monthly.',
    )


@_item(r"định kỳ")
def _no_cycle(ctx: Reading, m: re.Match[str]) -> Part:
    ctx.refuse('"Định kỳ" thiếu chu kỳ: hằng tháng, hằng quý, 6 tháng hay hằng năm?', '"Định kỳ" needs a cycle.')


@_item(r"từ (?:năm )?(\d{4})")
def _from_year(ctx: Reading, m: re.Match[str]) -> Part:
    first = ctx.check_year(int(m[1]))
    return recurring("year", [P.year_period(ctx.year)] if ctx.year >= first else [], "year")


@_item(r"(?:giai đoạn |năm |các năm )?(\d{4})-(\d{2}|\d{4})|(?:giai đoạn )?từ (?:năm )?(\d{4}) đến (?:hết )?(?:năm )?(\d{4})")
def _span(ctx: Reading, m: re.Match[str]) -> Part:
    first = ctx.check_year(int(m[1] or m[3]))
    return once(P.year_span(first, ctx.end_year(first, m[2] or m[4])), "span")


@_item(r"(?:cả )?(?:năm )?(\d{4})")
def _year(ctx: Reading, m: re.Match[str]) -> Part:
    return once(P.year_period(ctx.check_year(int(m[1]))), "year")


@_item(rf"quý {_TOKEN}-{_TOKEN}{_YS}")
def _quarters_short(ctx: Reading, m: re.Match[str]) -> Part:
    y, q1, q2 = ctx.year_or_default(m[3]), ctx.quarter(m[1]), ctx.quarter(m[2])
    ctx.ordered(P.quarter_period(y, q1), P.quarter_period(y, q2))
    return once(P.quarter_range(y, q1, y, q2), "range")


@_item(rf"(?:từ )?quý {_TOKEN}{_YS}(?:-| đến (?:hết )?)quý {_TOKEN}{_YS}")
def _quarters_long(ctx: Reading, m: re.Match[str]) -> Part:
    y2 = ctx.year_or_default(m[4])
    y1 = ctx.check_year(int(m[2])) if m[2] else y2
    q1, q2 = ctx.quarter(m[1]), ctx.quarter(m[3])
    ctx.ordered(P.quarter_period(y1, q1), P.quarter_period(y2, q2))
    return once(P.quarter_range(y1, q1, y2, q2), "range")


@_item(rf"quý {_TOKEN}{_YS}")
def _quarter(ctx: Reading, m: re.Match[str]) -> Part:
    return once(P.quarter_period(ctx.year_or_default(m[2]), ctx.quarter(m[1])), "quarter")


@_item(rf"tháng {_TOKEN}-{_TOKEN}{_YS}")
def _months_short(ctx: Reading, m: re.Match[str]) -> Part:
    y = ctx.year_or_default(m[3])
    m1, m2 = ctx.month(m[1]), ctx.month(m[2])
    ctx.ordered(P.month_period(y, m1), P.month_period(y, m2))
    return once(P.month_range(y, m1, y, m2), "range")


@_item(rf"(?:từ )?tháng {_TOKEN}{_YS}(?:-| đến (?:hết )?)tháng {_TOKEN}{_YS}")
def _months_long(ctx: Reading, m: re.Match[str]) -> Part:
    y2 = ctx.year_or_default(m[4])
    y1 = ctx.check_year(int(m[2])) if m[2] else y2
    m1, m2 = ctx.month(m[1]), ctx.month(m[3])
    ctx.ordered(P.month_period(y1, m1), P.month_period(y2, m2))
    return once(P.month_range(y1, m1, y2, m2), "range")


@_item(rf"tháng {_TOKEN}{_YS}|(\d{{1,2}})/(\d{{4}})")
def _month(ctx: Reading, m: re.Match[str]) -> Part:
    return once(P.month_period(ctx.year_or_default(m[2] or m[4]), ctx.month(m[1] or m[3])), "month")


@_item(r"6 tháng (đầu|cuối) năm(?:(?: |/)(\d{4}))?")
def _half(ctx: Reading, m: re.Match[str]) -> Part:
    return once(P.half_period(ctx.year_or_default(m[2]), 1 if m[1] == "đầu" else 2), "half")


@_item(r"năm học (\d{4})-(\d{2}|\d{4})")
def _school_year(ctx: Reading, m: re.Match[str]) -> Part:
    first = ctx.check_year(int(m[1]))
    _check_school_year(ctx, first, m[2])
    return once(P.school_year_period(first, ctx.school), "school_year")


@_item(rf"học kỳ {_TOKEN}(?: năm học |/)(\d{{4}})-(\d{{2}}|\d{{4}})")
def _semester(ctx: Reading, m: re.Match[str]) -> Part:
    first = ctx.check_year(int(m[2]))
    _check_school_year(ctx, first, m[3])
    return once(P.semester_period(first, ctx.semester(m[1]), ctx.school), "semester")


@_item(rf"học kỳ {_TOKEN}")
def _bare_semester(ctx: Reading, m: re.Match[str]) -> Part:
    n = ctx.semester(m[1])
    y = ctx.year
    ctx.refuse(
        f'"Học kỳ {P.ROMAN[n]}" thiếu năm học: ghi rõ, ví dụ "Học kỳ {P.ROMAN[n]} năm học {y - 1}-{y}" '
        f'hoặc "Học kỳ {P.ROMAN[n]} năm học {y}-{y + 1}".',
        f'"Học kỳ {P.ROMAN[n]}" needs its school year, e.g. "Học kỳ {P.ROMAN[n]} năm học {y}-{y + 1}".',
    )


def _check_school_year(ctx: Reading, first: int, raw: str) -> None:
    if ctx.end_year(first, raw) != first + 1:
        ctx.refuse(
            f'Năm học "{first}-{raw}" không hợp lệ: năm học kéo dài từ năm này sang năm sau, ví dụ {first}-{first + 1}.',
            f'"{first}-{raw}" is not a school year: it spans two consecutive years, e.g. {first}-{first + 1}.',
        )


@_item(rf"(?:từ )?(?:ngày )?{_DATE}(?:-| đến (?:hết )?(?:ngày )?){_DATE}")
def _date_range(ctx: Reading, m: re.Match[str]) -> Part:
    end = ctx.day(m[4], m[5], int(m[6]) if m[6] else None, ctx.year)
    start = ctx.day(m[1], m[2], int(m[3]) if m[3] else None, end.year)
    if start > end:
        ctx.refuse(
            f"Khoảng ngày {P.fmt(start)} - {P.fmt(end)} không hợp lệ: ngày đầu sau ngày cuối.",
            f"The dates {P.fmt(start)} - {P.fmt(end)} are reversed.",
        )
    return once(P.date_range(start, end), "range")


@_item(rf"(?:ngày )?{_DATE}")
def _through_date(ctx: Reading, m: re.Match[str]) -> Part:
    end = ctx.day(m[1], m[2], int(m[3]) if m[3] else None, ctx.year)
    return once(P.deadline_period(end, "through"), "deadline")


@_item(r"(?:đến hết|đến) năm (\d{4})")
def _through_year(ctx: Reading, m: re.Match[str]) -> Part:
    return once(P.deadline_period(date(ctx.check_year(int(m[1])), 12, 31), "through"), "deadline")


def parse_item(ctx: Reading, segment: str) -> Part:
    text = re.sub(r"^(?:trong|vào) ", "", segment)
    if text.endswith(" hằng năm") and not text.startswith(("định kỳ", "hằng", "mỗi", "theo")):
        return _yearly(ctx, segment, text.removesuffix(" hằng năm"))
    for pattern, parse in _ITEMS:
        match = pattern.fullmatch(text)
        if match:
            return parse(ctx, match)
    not_understood(ctx.phrase, segment, ctx.normalised)


def _yearly(ctx: Reading, segment: str, head: str) -> Part:
    """A fixed period of each year: "Tháng 9 hằng năm", "Quý I hằng năm"."""
    if re.search(r"\d{4}", head):
        ctx.refuse(
            f'"{segment}" vừa nêu năm vừa ghi "hằng năm": bỏ năm, hoặc bỏ "hằng năm".',
            f'"{segment}" names a year and says "every year": drop one.',
        )
    part = parse_item(ctx, head)
    if part.kind != "once":
        not_understood(ctx.phrase, segment, ctx.normalised)
    return replace(part, kind="recurring", cadence="year")
