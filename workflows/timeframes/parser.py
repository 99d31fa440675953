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

Lists and ranges. A range ("Quý II-III", "Tháng 3-5/2026", "từ 01/3 đến 15/4/2026", "Giai đoạn
2026-2030") is ONE period from the start of the first to the end of the last: it is one piece of
work with one deadline. So is a list of consecutive quarters or consecutive months ("Quý I, II",
"Quý I và Quý II", "Tháng 3, 4", "Quý IV/2026, Quý I/2027"): one span with one deliverable, due
after its last day, exactly as the range; a clerk who lists the quarters a piece of work spans
means the span (Hải Phòng's "Báo cáo đánh giá; Quý I, II" is one report due 01/07). Only a
recurring word makes one period each: "Hằng quý", or "Định kỳ quý I, II" (two periods). A list
that is not consecutive ("Quý I, III"), mixes units ("Tháng 3, Quý II") or names school years
("Năm học 2025-2026 và 2026-2027": each school year has its own review) stays separate periods. A
trailing year ("Quý I, II/2026") belongs to every item of the list. Periods of a schedule never
overlap, with two exceptions: a regime that joins two cadences ("Định kỳ hằng quý (trước ngày 05
tháng cuối quý) và hằng năm (trước ngày 10/12)") asks for two reports, a quarterly and a yearly
one, whose periods nest; and a monthly report due early in the next month ("trước ngày 05 hằng
tháng") runs into the next month's period (see ``deadlines``). "Thường xuyên" joined with a
cadence ("Hằng năm và thường xuyên") means the work goes on between the cadence's deadlines: the
schedule is the cadence's.

"2026-2027". Two calendar years, one period 01/01/2026-31/12/2027, due 2028-01-01. The seeds
write spans of calendar years in the same column ("2026-2030", "2026-2027", "2026 và duy trì")
and write school years as "năm học …" or "Theo năm học"; so a bare "YYYY-YYYY" is calendar years
and a school year must say "năm học".

School years. "Theo năm học" is every school year that runs during part of ``year``: in a plan for
2026, issued in February, the school year under way (2025-2026) and the one that starts in
September (2026-2027); "Hằng học kỳ" likewise lists the semesters that run during ``year``. School
years follow the frame of the Ministry's yearly decision (``SchoolCalendar``: opening on 5/9, "kết
thúc học kỳ I trước ngày 18/1", "kết thúc năm học trước ngày 31/5"): Năm học 2026-2027 runs
05/09/2026-30/05/2027, due 2027-05-31T00:00+07:00. Not 1/9-31/8: the Ministry's own deadline for
the school year is 31/5, and a school-year task (teaching digital skills, say) is done when
teaching ends, not when the summer does. A bare "Học kỳ II" is refused: in a plan for 2026 it may
mean spring 2026 or spring 2027, so the school year must be written.

Deadlines inside periods. "trước ngày 15 hằng tháng": recurring monthly; month M's period runs
from the 1st of M to the 14th, due at 00:00 on the 15th (the report of month M is made within M).
"trước ngày 05 hằng tháng" and "trước ngày 05 tháng sau": the report on month M is due at 00:00
on the 5th of M+1 (NĐ 09/2019's data cut-off decides, see ``deadlines``), so the periods of 2026
are the reports on January to December 2026, the last due 05/01/2027.
A day past the month's end means its last day ("trước ngày 31" in April is due 1 May), and
"trước ngày 01 hằng tháng" means by the end of each month. "trước ngày 05 tháng cuối quý":
recurring quarterly, due at 00:00 on the 5th of the quarter's last month. "Hằng năm (trước ngày
10/12)": yearly, due 10/12. "trước 10/12": once, due 2026-12-10T00:00+07:00 (end 9/12). A
deadline that falls outside its period ("Hằng tháng, trước ngày 10/12") is refused, never moved
(a month's may fall in the month after it: the report on the month).

Never guess. A phrase not understood, a vague one ("sớm", "khi có yêu cầu"), or an impossible
one ("Quý V", "tháng 13", "32/12") raises ``TimeframeRefused`` with a Vietnamese message that
lists the accepted forms. Forms that would break the rules above are refused too: weekly or
daily cycles, a "Học kỳ II" without its school year. Case, spacing, line breaks inside cells,
NFC/NFD and "hàng"/"hằng" do not matter (see ``normalise``).

Days off. ``due`` is the deadline as written; ``effective_due`` is when the work is really late
on ``calendar`` (default: the national holidays; a province passes its own, with its admin's days
off and make-up days): a last allowed day that is a day off ends at the end of the next working
day (Civil Code 2015, Điều 148 khoản 5). "trước ngày 15 hằng tháng" in February 2026 is due
15/02 00:00 as written, but 14/02 falls in Tết (14-22/02), so it is late from 24/02 00:00.
Dispatch gives instances the effective due. A date typed without a time ("31/12/2026",
"2026-02-14") is the end of that day, and so is one typed elsewhere (``typed_deadline``).

Data cut-off. Every period carries the days its report covers (``cutoff_from``..``cutoff_to``,
NĐ 09/2019 art. 12), shown on the report; see ``periods``.

Layout: ``normalise`` (spelling) → ``parser`` (lists, clauses, combining) → ``items`` (one
pattern per form) and ``deadlines`` (deadlines inside periods) → ``periods`` (bounds, labels, keys).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from workflows.calendar import BusinessCalendar, national_calendar
from workflows.timeframes import periods as P
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
from workflows.timeframes.reading import Part, Reading, once
from workflows.timeframes.refusals import refuse

_SPLIT = re.compile(r", | và ")
_CLAUSE_START = re.compile(r",? (?=(?:trước|chậm nhất|hạn chót|hạn cuối|hạn) )")
_BARE_ITEM = re.compile(r"(?:[ivxlc]+|\d{1,3})(?:-(?:[ivxlc]+|\d{1,3}))?(?:(?:/| năm )\d{4})?")
_UNIT_WORD = re.compile(r"^(?:định kỳ )?(quý|tháng) ")
_YEAR_SUFFIX = re.compile(r"(?:/| năm )\d{4}$")
_SCHOOL_YEAR = re.compile(r"\d{4}-(?:\d{2}|\d{4})")
_EACH = re.compile(r"định kỳ (?=(?:quý|tháng) )")  # "Định kỳ quý I, II": one period each


def _segments(text: str) -> list[str]:
    segments = [s for s in _SPLIT.split(_CLAUSE_START.sub(", ", text)) if s]
    # "Quý I, II" and "Tháng 3 và 4": a bare number takes the unit of the item before it;
    # "Năm học 2025-2026 và 2026-2027": a bare pair of years is a school year after one.
    for i in range(1, len(segments)):
        head = _UNIT_WORD.match(segments[i - 1])
        if head and _BARE_ITEM.fullmatch(segments[i]):
            segments[i] = f"{head[1]} {segments[i]}"
        elif segments[i - 1].startswith("năm học ") and _SCHOOL_YEAR.fullmatch(segments[i]):
            segments[i] = f"năm học {segments[i]}"
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
    each = False  # the items since the last deadline clause were introduced by "định kỳ"
    for segment in _segments(ctx.normalised):
        rule = parse_rule(segment)
        if rule is None:
            if _EACH.match(segment):
                each, segment = True, _EACH.sub("", segment, count=1)
            pending.append(parse_item(ctx, segment))
            continue
        # A deadline clause belongs to every period item written before it since the last one.
        targets = [p for p in pending if p.kind != "continuous"]
        parts += [p for p in pending if p.kind == "continuous"]
        targets = targets if each else _join_consecutive(targets)
        parts += [apply_rule(ctx, rule, p) for p in targets] if targets else [standalone_rule(ctx, rule, segment)]
        pending, each = [], False
    return parts + (pending if each else _join_consecutive(pending))


def _join_consecutive(parts: list[Part]) -> list[Part]:
    """A list of consecutive quarters, or of consecutive months, as one span ("Quý I, II" →
    "Quý I-II"); any other list as it is."""
    if len(parts) < 2 or any(p.kind != "once" or len(p.periods) != 1 for p in parts):
        return parts
    units = {unit for p in parts for _, unit in p.periods}
    if units != {"quarter"} and units != {"month"}:
        return parts
    periods = sorted((p.periods[0][0] for p in parts), key=lambda p: p.start)
    if any(b.start != a.end + timedelta(days=1) for a, b in zip(periods, periods[1:], strict=False)):
        return parts
    first, last = periods[0].start, periods[-1].start
    if units == {"quarter"}:
        return [once(P.quarter_range(first.year, (first.month + 2) // 3, last.year, (last.month + 2) // 3), "range")]
    return [once(P.month_range(first.year, first.month, last.year, last.month), "range")]


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


def parse_timeframe(
    phrase: str, year: int, *, school_calendar: SchoolCalendar = DEFAULT_SCHOOL_CALENDAR,
    calendar: BusinessCalendar | None = None,
) -> Schedule:  # fmt: skip
    """The schedule ``phrase`` means in ``year``, its effective dues on ``calendar`` (the
    province's; default the national holidays); raises ``TimeframeRefused`` when it means nothing sure."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year {year} outside {MIN_YEAR}-{MAX_YEAR}")
    text = normalise(phrase)
    if not text:
        refuse(phrase, "Ô thời gian trống.", "The timeframe is empty.")
    ctx = Reading(phrase, text, year, school_calendar)
    schedule = _combine(ctx, _parts(ctx))
    days = calendar or national_calendar()
    return replace(schedule, periods=tuple(p.with_calendar(days) for p in schedule.periods))
