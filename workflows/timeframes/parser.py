"""From the timeframe a clerk writes in a plan ("Quý II-III", "Hằng quý", "trước ngày 15 hằng
tháng") to a schedule of periods, each with its last allowed day and the instant it becomes late.

Conventions
-----------
Time. Every day is a day in Asia/Ho_Chi_Minh. A period's ``end`` is its last allowed day and its
``due`` is the instant it becomes late: 00:00 of the day after ``end``. "Quý II" is due
2026-07-01T00:00+07:00; "trước ngày 15 hằng tháng" is due at 00:00 on the 15th (end = the 14th),
because "trước ngày X" means before day X starts. "chậm nhất ngày X", "hạn X", "đến hết ngày X"
and a bare date "X" make X itself the last allowed day.

The year. ``year`` is the year a phrase without one is read in ("Quý II", "Tháng 3",
"trước 10/12"), and the year whose periods a recurring phrase lists: "Hằng quý" in 2026 is the
four quarters of 2026, "Hằng tháng" twelve months, "Định kỳ 6 tháng" the two halves, "Hằng năm"
the year itself. A phrase that names its year is read in that year, whatever ``year`` is.

Kinds. ``once``: one or more fixed periods. ``recurring``: a cadence; the periods are those of
``year``. ``continuous`` ("Thường xuyên"): no deadline; one period covering ``year`` with due
None, so the work is tracked year by year, and reporting on it follows the plan's reporting
regime, which is itself a timeframe parsed here.

Open-ended work. "2026 và duy trì", "2026 và các năm tiếp theo", "Từ năm 2026" recur yearly from
2026: for a ``year`` from 2026 on, the period is that year; before 2026 there is none (an empty,
not a refused, schedule: nothing falls due then).

Lists and ranges. A list ("Quý I, II", "Quý I và Quý II", "Tháng 3, 4") is several periods; a
trailing year ("Quý I, II/2026") belongs to every item of the list. A range ("Quý II-III",
"Tháng 3-5/2026", "từ 01/3 đến 15/4/2026", "Giai đoạn 2026-2030") is ONE period from the start of
the first to the end of the last: it is one piece of work with one deadline. Periods of a schedule
never overlap, with one exception: a regime that joins two cadences ("Định kỳ hằng quý (trước
ngày 05 tháng cuối quý) và hằng năm (trước ngày 10/12)") asks for two reports, a quarterly and a
yearly one, whose periods nest. "Thường xuyên" joined with a cadence ("Hằng năm và thường xuyên")
means the work goes on between the cadence's deadlines: the schedule is the cadence's.

"2026-2027". Two calendar years, one period 01/01/2026-31/12/2027, due 2028-01-01. The seeds
write spans of calendar years in the same column ("2026-2030", "2026-2027", "2026 và duy trì")
and write school years as "năm học …" or "Theo năm học"; so a bare "YYYY-YYYY" is calendar years
and a school year must say "năm học".

School years. "Theo năm học" is the school year that starts in ``year``, on the frame of the
Ministry's yearly decision (``SchoolCalendar``: opening on 5/9, "kết thúc học kỳ I trước ngày
18/1", "kết thúc năm học trước ngày 31/5"): Năm học 2026-2027 runs 05/09/2026-30/05/2027, due
2027-05-31T00:00+07:00. Not 1/9-31/8: the Ministry's own deadline for the school year is 31/5,
and a school-year task (teaching digital skills, say) is done when teaching ends, not when the
summer does. A bare "Học kỳ II" is refused: in a plan for 2026 it may mean spring 2026 or spring
2027, so the school year must be written.

Deadlines inside periods. "trước ngày 15 hằng tháng": recurring monthly; month M's period runs
from the 1st of M to the 14th, due at 00:00 on the 15th (the report of month M is made within M).
A day past the month's end means its last day ("trước ngày 31" in April is due 1 May), and
"trước ngày 01 hằng tháng" means by the end of each month. "trước ngày 05 tháng cuối quý":
recurring quarterly, due at 00:00 on the 5th of the quarter's last month. "Hằng năm (trước ngày
10/12)": yearly, due 10/12. "trước 10/12": once, due 2026-12-10T00:00+07:00 (end 9/12). A
deadline that falls outside its period ("Hằng tháng, trước ngày 10/12") is refused, never moved.

Never guess. A phrase not understood, a vague one ("sớm", "khi có yêu cầu"), or an impossible
one ("Quý V", "tháng 13", "32/12") raises ``TimeframeRefused`` with a Vietnamese message that
lists the accepted forms. Forms that would break the rules above are refused too: a deadline in
the next period ("trước ngày 05 tháng sau": its period would overlap the next one), weekly or
daily cycles, a "Học kỳ II" without its school year. Case, spacing, line breaks inside cells,
NFC/NFD and "hàng"/"hằng" do not matter (see ``normalise``).

Layout: ``normalise`` (spelling) → ``parser`` (lists, clauses, combining) → ``items`` (one
pattern per form) and ``deadlines`` (deadlines inside periods) → ``periods`` (bounds, labels, keys).
"""

from __future__ import annotations

import re

from workflows.timeframes.deadlines import apply_rule, parse_rule, standalone_rule
from workflows.timeframes.items import parse_item
from workflows.timeframes.model import (
    DEFAULT_SCHOOL_CALENDAR,
    MAX_YEAR,
    MIN_YEAR,
    Kind,
    Period,
    Schedule,
    SchoolCalendar,
)
from workflows.timeframes.normalise import normalise
from workflows.timeframes.reading import Part, Reading
from workflows.timeframes.refusals import refuse

_SPLIT = re.compile(r", | và ")
_CLAUSE_START = re.compile(r",? (?=(?:trước|chậm nhất|hạn chót|hạn cuối|hạn) )")
_BARE_ITEM = re.compile(r"(?:[ivxlc]+|\d{1,3})(?:-(?:[ivxlc]+|\d{1,3}))?(?:(?:/| năm )\d{4})?")
_UNIT_WORD = re.compile(r"^(quý|tháng) ")
_YEAR_SUFFIX = re.compile(r"(?:/| năm )\d{4}$")


def _segments(text: str) -> list[str]:
    segments = [s for s in _SPLIT.split(_CLAUSE_START.sub(", ", text)) if s]
    # "Quý I, II" and "Tháng 3 và 4": a bare number takes the unit of the item before it.
    for i in range(1, len(segments)):
        head = _UNIT_WORD.match(segments[i - 1])
        if head and _BARE_ITEM.fullmatch(segments[i]):
            segments[i] = f"{head[1]} {segments[i]}"
    # "Quý I, II/2026": a year written after the last item of a list belongs to all of it.
    for i in range(len(segments) - 2, -1, -1):
        here, after = _UNIT_WORD.match(segments[i]), _UNIT_WORD.match(segments[i + 1])
        year = _YEAR_SUFFIX.search(segments[i + 1])
        if here and after and here[1] == after[1] and year and not re.search(r"\d{4}", segments[i]):
            segments[i] += year[0]
    return segments


def _parts(ctx: Reading) -> list[Part]:
    parts: list[Part] = []
    pending: list[Part] = []
    for segment in _segments(ctx.normalised):
        rule = parse_rule(segment)
        if rule is None:
            pending.append(parse_item(ctx, segment))
            continue
        # A deadline clause belongs to every period item written before it since the last one.
        targets = [p for p in pending if p.kind != "continuous"]
        parts += [p for p in pending if p.kind == "continuous"]
        parts += [apply_rule(ctx, rule, p) for p in targets] if targets else [standalone_rule(ctx, rule, segment)]
        pending = []
    return parts + pending


def _combine(ctx: Reading, parts: list[Part]) -> Schedule:
    timed = [p for p in parts if p.kind != "continuous"]
    if not timed:
        unique = {period.key: period for part in parts for period, _ in part.periods}
        return Schedule("continuous", tuple(sorted(unique.values(), key=lambda p: p.start)), ctx.phrase, ctx.normalised)
    kind: Kind = "recurring" if any(p.kind == "recurring" for p in timed) else "once"
    owned = [(period, i) for i, part in enumerate(timed) for period, _ in part.periods]
    seen: dict[str, Period] = {}
    for period, _ in owned:
        if period.key in seen:
            ctx.refuse(f'"{period.label}" được ghi hai lần.', f'"{period.label}" is written twice.')
        seen[period.key] = period
    for n, (a, i) in enumerate(owned):
        for b, j in owned[n + 1 :]:
            if i != j and a.start <= b.end and b.start <= a.end and not _nested_cadences(timed[i], timed[j]):
                ctx.refuse(
                    f'"{a.label}" và "{b.label}" chồng lên nhau; hãy ghi thành một khoảng hoặc tách thành các kỳ rời nhau.',
                    f'"{a.label}" and "{b.label}" overlap; write one range or separate periods.',
                )
    ordered = sorted(seen.values(), key=lambda p: (p.end, -p.start.toordinal(), p.key))
    return Schedule(kind, tuple(ordered), ctx.phrase, ctx.normalised)


def _nested_cadences(a: Part, b: Part) -> bool:
    """Two cadences of one reporting regime (quarterly and yearly reports) may nest."""
    return a.kind == b.kind == "recurring" and a.cadence != b.cadence


def parse_timeframe(phrase: str, year: int, *, school_calendar: SchoolCalendar = DEFAULT_SCHOOL_CALENDAR) -> Schedule:
    """The schedule ``phrase`` means in ``year``; raises ``TimeframeRefused`` when it means nothing sure."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year {year} outside {MIN_YEAR}-{MAX_YEAR}")
    text = normalise(phrase)
    if not text:
        refuse(phrase, "Ô thời gian trống.", "The timeframe is empty.")
    ctx = Reading(phrase, text, year, school_calendar)
    return _combine(ctx, _parts(ctx))
