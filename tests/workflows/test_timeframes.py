"""The timeframe parser: every phrase of the seed plans, the variants clerks type, refusals, and
properties (deadlines, order, spelling insensitivity, label round trip)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fixtures.shared import SEEDS
from workflows.calendar import BusinessCalendar, national_calendar
from workflows.plans.extract import extract_plan
from workflows.timeframes import (
    LOCAL_TZ,
    Period,
    Schedule,
    SchoolCalendar,
    TimeframeRefused,
    effective_due,
    normalise,
    parse_timeframe,
    typed_deadline,
)
from workflows.timeframes import periods as P

Y = 2026


def at0(day: str) -> str:
    return f"{day}T00:00:00+07:00"


def rows(schedule: Schedule) -> list[tuple[str, str, str, str | None]]:
    return [(p.key, p.start.isoformat(), p.end.isoformat(), p.due.isoformat() if p.due else None) for p in schedule.periods]


QUARTERS = [
    ("2026-Q1", "2026-01-01", "2026-03-31", at0("2026-04-01")),
    ("2026-Q2", "2026-04-01", "2026-06-30", at0("2026-07-01")),
    ("2026-Q3", "2026-07-01", "2026-09-30", at0("2026-10-01")),
    ("2026-Q4", "2026-10-01", "2026-12-31", at0("2027-01-01")),
]
YEAR = [("2026", "2026-01-01", "2026-12-31", at0("2027-01-01"))]
CONTINUOUS = [("2026", "2026-01-01", "2026-12-31", None)]
QUARTERS_DUE_5TH = [
    ("2026-Q1", "2026-01-01", "2026-03-04", at0("2026-03-05")),
    ("2026-Q2", "2026-04-01", "2026-06-04", at0("2026-06-05")),
    ("2026-Q3", "2026-07-01", "2026-09-04", at0("2026-09-05")),
    ("2026-Q4", "2026-10-01", "2026-12-04", at0("2026-12-05")),
]
YEAR_DUE_10_12 = [("2026", "2026-01-01", "2026-12-09", at0("2026-12-10"))]
MONTHS_DUE_15TH = [(f"2026-{m:02d}", f"2026-{m:02d}-01", f"2026-{m:02d}-14", at0(f"2026-{m:02d}-15")) for m in range(1, 13)]
MONTHS = [(p.key, p.start.isoformat(), p.end.isoformat(), at0((p.end + timedelta(days=1)).isoformat())) for p in (P.month_period(Y, m) for m in range(1, 13))]

# Every timeframe in the seeds' task appendices ("Thời gian", "Thời gian thực hiện") and
# reporting regimes, as the text extraction gives it (line breaks of wrapped cells included),
# with what it means for 2026. (seed file prefix, phrase, kind, periods)
SEED_PHRASES = [
    # 000 Đồng Nai, NQ 57 2026 — "4. Chế độ báo cáo định kỳ"
    ("000", "định kỳ hằng tháng", "recurring", MONTHS),
    ("000", "trước ngày 15 hằng tháng", "recurring", MONTHS_DUE_15TH),
    # 001 Hải Phòng, CĐS 2026 — Phụ lục 2, column "Thời gian"
    ("001", "Hàng \n\nquý", "recurring", QUARTERS),
    ("001", "Quý I, II", "once", [("2026-Q1..2026-Q2", "2026-01-01", "2026-06-30", at0("2026-07-01"))]),
    ("001", "Quý I", "once", QUARTERS[:1]),
    ("001", "Quý II", "once", QUARTERS[1:2]),
    ("001", "Quý III", "once", QUARTERS[2:3]),
    ("001", "Quý IV", "once", QUARTERS[3:]),
    ("001", "Thường \n\nxuyên", "continuous", CONTINUOUS),
    ("001", "Quý II-\n\nIII", "once", [("2026-Q2..2026-Q3", "2026-04-01", "2026-09-30", at0("2026-10-01"))]),
    # 002 THCS Tiên Thắng, NQ 57 — Phụ lục 3, column "Thời gian thực hiện"
    ("002", "Thường \nxuyên", "continuous", CONTINUOUS),
    ("002", "Hằng năm", "recurring", YEAR),
    ("002", "2026 và các \nnăm tiếp \n\ntheo", "recurring", YEAR),
    ("002", "2026-2027", "once", [("2026..2027", "2026-01-01", "2027-12-31", at0("2028-01-01"))]),
    ("002", "2026 và \nduy trì", "recurring", YEAR),
    ("002", "2026 và \n\nduy trì", "recurring", YEAR),
    ("002", "2026-2030", "once", [("2026..2030", "2026-01-01", "2030-12-31", at0("2031-01-01"))]),
    ("002", "Theo năm \nhọc", "recurring", [("2025-2026", "2025-09-05", "2026-05-30", at0("2026-05-31")),
                                             ("2026-2027", "2026-09-05", "2027-05-30", at0("2027-05-31"))]),
    ("002", "Từ năm \n2026", "recurring", YEAR),
    ("002", "Hằng năm \n\nvà thường \n\nxuyên", "recurring", YEAR),
    # 003 Ninh Bình, NQ 57 — "Định kỳ hàng quý (…) và hàng năm (…) báo cáo"
    ("003", "Định kỳ hàng quý (trước ngày 05 tháng cuối quý) và hàng năm (trước ngày 10/12)", "recurring", QUARTERS_DUE_5TH + YEAR_DUE_10_12),
    ("003", "hàng quý (trước ngày 05 tháng cuối quý)", "recurring", QUARTERS_DUE_5TH),
    ("003", "trước ngày 05 tháng cuối quý", "recurring", QUARTERS_DUE_5TH),
    ("003", "hàng năm (trước ngày 10/12)", "recurring", YEAR_DUE_10_12),
    ("003", "trước ngày 10/12", "once", [("2026-12-09", "2026-01-01", "2026-12-09", at0("2026-12-10"))]),
    ("003", "ngày 10/10 hàng năm", "recurring", [("2026-10-10", "2026-01-01", "2026-10-10", at0("2026-10-11"))]),
    # 004 Bình Thuận, NQ 03 — "Định kỳ hàng năm tổ chức đánh giá", "báo cáo … định kì hàng Quý"
    ("004", "Định kỳ hàng năm", "recurring", YEAR),
    ("004", "định kì hàng\nQuý", "recurring", QUARTERS),
    # Spans of years in the seeds' objectives.
    ("000", "Năm 2027 - 2028", "once", [("2027..2028", "2027-01-01", "2028-12-31", at0("2029-01-01"))]),
    ("000", "Đến hết năm 2026", "once", [("2026-12-31", "2026-01-01", "2026-12-31", at0("2027-01-01"))]),
    ("000", "năm học 2025 – 2026", "once", [("2025-2026", "2025-09-05", "2026-05-30", at0("2026-05-31"))]),
    ("000", "giai đoạn 2025-2030", "once", [("2025..2030", "2025-01-01", "2030-12-31", at0("2031-01-01"))]),
]

SEED_REFUSALS = [("004", "đột xuất khi có yêu cầu")]


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("seed", "phrase", "kind", "expected"), SEED_PHRASES, ids=[f"{s}:{_squash(p)}" for s, p, *_ in SEED_PHRASES])
def test_every_seed_phrase(seed: str, phrase: str, kind: str, expected: list[tuple[str, str, str, str | None]]) -> None:
    schedule = parse_timeframe(phrase, Y)
    assert (schedule.kind, rows(schedule)) == (kind, expected)
    assert schedule.phrase == phrase


@pytest.mark.parametrize(("seed", "phrase"), [(s, p) for s, p, *_ in SEED_PHRASES] + SEED_REFUSALS)
def test_seed_phrases_are_quoted_from_the_seeds(seed: str, phrase: str) -> None:
    (path,) = SEEDS.glob(f"{seed}_*.txt")
    assert _squash(phrase) in _squash(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("seed", "phrase"), SEED_REFUSALS)
def test_seed_phrases_without_a_deadline_are_refused(seed: str, phrase: str) -> None:
    with pytest.raises(TimeframeRefused, match="không nêu một thời hạn xác định"):
        parse_timeframe(phrase, Y)


# --- variants clerks type -----------------------------------------------------------------------

VARIANTS = [
    ("Quý 2", "once", ["2026-Q2"]),
    ("quý II/2026", "once", ["2026-Q2"]),
    ("Quý 2/2027", "once", ["2027-Q2"]),
    ("Quý II năm 2027", "once", ["2027-Q2"]),
    ("QUÝ 02", "once", ["2026-Q2"]),
    ("Q3/2026", "once", ["2026-Q3"]),
    ("Quý Ⅱ", "once", ["2026-Q2"]),
    # A list of consecutive quarters or months is one span; any other list, one period each.
    ("Quý I và Quý II", "once", ["2026-Q1..2026-Q2"]),
    ("Quý I và II", "once", ["2026-Q1..2026-Q2"]),
    ("Quý I, II, III", "once", ["2026-Q1..2026-Q3"]),
    ("Quý II, I", "once", ["2026-Q1..2026-Q2"]),
    ("Quý IV/2026, Quý I/2027", "once", ["2026-Q4..2027-Q1"]),
    ("Quý I + Quý III", "once", ["2026-Q1", "2026-Q3"]),
    ("Quý I, III", "once", ["2026-Q1", "2026-Q3"]),
    ("Quý I, II, IV", "once", ["2026-Q1", "2026-Q2", "2026-Q4"]),
    ("Quý I; Quý IV", "once", ["2026-Q1", "2026-Q4"]),
    ("Quý I, II/2027", "once", ["2027-Q1..2027-Q2"]),
    ("Quý I, II năm 2027", "once", ["2027-Q1..2027-Q2"]),
    ("Quý IV/2026, Quý II/2027", "once", ["2026-Q4", "2027-Q2"]),
    ("Định kỳ quý I, II", "once", ["2026-Q1", "2026-Q2"]),
    ("Định kỳ tháng 3, 4", "once", ["2026-03", "2026-04"]),
    ("Tháng 3, Quý II", "once", ["2026-03", "2026-Q2"]),
    ("Quý 2-3", "once", ["2026-Q2..2026-Q3"]),
    ("Quý II – Quý III", "once", ["2026-Q2..2026-Q3"]),
    ("Từ quý II đến hết quý IV", "once", ["2026-Q2..2026-Q4"]),
    ("Quý IV/2026 - Quý I/2027", "once", ["2026-Q4..2027-Q1"]),
    ("trong quý III", "once", ["2026-Q3"]),
    ("Tháng 3", "once", ["2026-03"]),
    ("tháng 03/2026", "once", ["2026-03"]),
    ("Tháng 3 năm 2027", "once", ["2027-03"]),
    ("3/2026", "once", ["2026-03"]),
    ("Tháng 3, 4", "once", ["2026-03..2026-04"]),
    ("tháng 3, 4, 5/2026", "once", ["2026-03..2026-05"]),
    ("Tháng 12/2026 và tháng 1/2027", "once", ["2026-12..2027-01"]),
    ("Tháng 3, 5", "once", ["2026-03", "2026-05"]),
    ("Tháng 3-5/2026", "once", ["2026-03..2026-05"]),
    ("Từ tháng 11/2026 đến tháng 2/2027", "once", ["2026-11..2027-02"]),
    ("Tháng 9 hằng năm", "recurring", ["2026-09"]),
    ("Quý I hàng năm", "recurring", ["2026-Q1"]),
    ("6 tháng đầu năm", "once", ["2026-H1"]),
    ("06 tháng cuối năm", "once", ["2026-H2"]),
    ("Sáu tháng đầu năm 2027", "once", ["2027-H1"]),
    ("Định kỳ 6 tháng", "recurring", ["2026-H1", "2026-H2"]),
    ("6 tháng/lần", "recurring", ["2026-H1", "2026-H2"]),
    ("Định kỳ 03 tháng", "recurring", [q[0] for q in QUARTERS]),
    ("Hằng tháng", "recurring", [f"2026-{m:02d}" for m in range(1, 13)]),
    ("Hàng tháng", "recurring", [f"2026-{m:02d}" for m in range(1, 13)]),
    ("Mỗi quý", "recurring", [q[0] for q in QUARTERS]),
    ("Theo quý", "recurring", [q[0] for q in QUARTERS]),
    ("Hằng quý", "recurring", [q[0] for q in QUARTERS]),
    ("Năm 2026", "once", ["2026"]),
    ("2027", "once", ["2027"]),
    ("trong năm 2026", "once", ["2026"]),
    ("Giai đoạn 2026-2030", "once", ["2026..2030"]),
    ("Từ năm 2026 đến năm 2030", "once", ["2026..2030"]),
    ("2026 - 2027", "once", ["2026..2027"]),
    ("Năm học 2026-2027", "once", ["2026-2027"]),
    ("năm học 2026-27", "once", ["2026-2027"]),
    ("Học kỳ I năm học 2026-2027", "once", ["2026-2027-S1"]),
    ("HK II năm học 2026-2027", "once", ["2026-2027-S2"]),
    ("Học kì 2 (năm học 2025-2026)", "once", ["2025-2026-S2"]),
    ("Hằng học kỳ", "recurring", ["2025-2026-S1", "2025-2026-S2", "2026-2027-S1"]),
    ("Hằng năm học", "recurring", ["2025-2026", "2026-2027"]),
    ("Năm học 2025-2026 và 2026-2027", "once", ["2025-2026", "2026-2027"]),
    ("Năm học 2025-2026, 2026-27", "once", ["2025-2026", "2026-2027"]),
    ("năm học 2025-2026 và năm học 2026-2027", "once", ["2025-2026", "2026-2027"]),
    ("31/12/2026", "once", ["2026-12-31"]),
    ("ngày 15/3/2026", "once", ["2026-03-15"]),
    ("Ngày 15 tháng 3 năm 2026", "once", ["2026-03-15"]),
    ("15-03-2026", "once", ["2026-03-15"]),
    ("2026-03-15", "once", ["2026-03-15"]),
    ("Trước 10/12", "once", ["2026-12-09"]),
    ("trước ngày 10/12/2027", "once", ["2027-12-09"]),
    ("chậm nhất ngày 10/12", "once", ["2026-12-10"]),
    ("Hạn chót 30/6/2026", "once", ["2026-06-30"]),
    ("Từ 01/3 đến 15/4/2026", "once", ["2026-03-01..2026-04-15"]),
    ("01/3/2026 - 15/4/2026", "once", ["2026-03-01..2026-04-15"]),
    ("Thường xuyên, liên tục", "continuous", ["2026"]),
    ("Liên tục", "continuous", ["2026"]),
    ("Thường xuyên và hằng quý", "recurring", [q[0] for q in QUARTERS]),
    ("Năm 2026 và các năm tiếp theo", "recurring", ["2026"]),
    ("Từ năm 2026 trở đi", "recurring", ["2026"]),
    ("Hằng quý, hằng năm", "recurring", [q[0] for q in QUARTERS[:3]] + ["2026-Q4", "2026"]),
    ("trước ngày 05 tháng sau", "recurring", [f"2026-{m:02d}" for m in range(1, 13)]),
    ("Hằng tháng (trước ngày 05 của tháng sau)", "recurring", [f"2026-{m:02d}" for m in range(1, 13)]),
    ("Hằng tháng, trước ngày 05", "recurring", [f"2026-{m:02d}" for m in range(1, 13)]),
    ("trước ngày 10 tháng tiếp theo", "recurring", [f"2026-{m:02d}" for m in range(1, 13)]),
]


@pytest.mark.parametrize(("phrase", "kind", "keys"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_variants(phrase: str, kind: str, keys: list[str]) -> None:
    schedule = parse_timeframe(phrase, Y)
    assert (schedule.kind, [p.key for p in schedule.periods]) == (kind, keys)


def test_a_quarter_is_due_at_midnight_after_its_last_day() -> None:
    (q2,) = parse_timeframe("Quý II", 2026).periods
    due = datetime(2026, 7, 1, tzinfo=LOCAL_TZ)  # Tuesday 30/06 is a working day: no shift
    assert q2 == Period("Quý II/2026", date(2026, 4, 1), date(2026, 6, 30), due, "2026-Q2",
                        cutoff_from=date(2026, 3, 15), cutoff_to=date(2026, 6, 14), effective_due=due)  # fmt: skip
    assert q2.due is not None and q2.due.isoformat() == "2026-07-01T00:00:00+07:00"


def test_before_the_15th_of_each_month() -> None:
    march = parse_timeframe("trước ngày 15 hằng tháng", 2026).periods[2]
    assert (march.label, march.start, march.end) == ("Tháng 3/2026 (trước ngày 15/03/2026)", date(2026, 3, 1), date(2026, 3, 14))
    assert march.due == datetime(2026, 3, 15, tzinfo=LOCAL_TZ)


def test_before_the_5th_of_the_quarters_last_month() -> None:
    dues = [p.due for p in parse_timeframe("trước ngày 05 tháng cuối quý", 2026).periods]
    assert dues == [datetime(2026, m, 5, tzinfo=LOCAL_TZ) for m in (3, 6, 9, 12)]


def test_before_10_12_is_once_due_on_the_10th() -> None:
    schedule = parse_timeframe("trước 10/12", 2026)
    assert schedule.kind == "once"
    assert [(p.end, p.due) for p in schedule.periods] == [(date(2026, 12, 9), datetime(2026, 12, 10, tzinfo=LOCAL_TZ))]


def test_day_past_the_months_end_means_its_last_day() -> None:
    periods = parse_timeframe("trước ngày 31 hằng tháng", 2026).periods
    assert periods[1].due == datetime(2026, 3, 1, tzinfo=LOCAL_TZ)  # February has no 31st
    assert periods[2].due == datetime(2026, 3, 31, tzinfo=LOCAL_TZ)
    assert [p.end for p in parse_timeframe("trước ngày 01 hằng tháng", 2026).periods][:2] == [date(2026, 1, 31), date(2026, 2, 28)]


def test_latest_on_a_day_makes_that_day_the_last() -> None:
    april = parse_timeframe("chậm nhất ngày 20 hằng tháng", 2026).periods[3]
    assert (april.end, april.due) == (date(2026, 4, 20), datetime(2026, 4, 21, tzinfo=LOCAL_TZ))


def test_open_ended_work_has_no_period_before_it_starts() -> None:
    assert parse_timeframe("2026 và duy trì", 2025) == Schedule("recurring", (), "2026 và duy trì", "từ năm 2026")
    assert [p.key for p in parse_timeframe("2026 và duy trì", 2028).periods] == ["2028"]


def test_recurring_phrases_list_the_requested_year() -> None:
    assert [p.key for p in parse_timeframe("Hằng quý", 2031).periods] == ["2031-Q1", "2031-Q2", "2031-Q3", "2031-Q4"]
    assert [p.key for p in parse_timeframe("Theo năm học", 2031).periods] == ["2030-2031", "2031-2032"]


def test_continuous_work_has_one_period_without_a_deadline() -> None:
    schedule = parse_timeframe("Thường xuyên", 2026)
    assert schedule.periods == (Period("Thường xuyên năm 2026", date(2026, 1, 1), date(2026, 12, 31), None, "2026",
                                       cutoff_from=date(2025, 12, 15), cutoff_to=date(2026, 12, 14)),)  # fmt: skip


def test_a_province_may_shift_the_school_calendar() -> None:
    school = SchoolCalendar(start=(9, 1), first_semester_due=(1, 15), due=(6, 1))
    _, s2, s1 = parse_timeframe("Hằng học kỳ", 2026, school_calendar=school).periods
    assert (s2.key, s2.start, s2.end) == ("2025-2026-S2", date(2026, 1, 15), date(2026, 5, 31))
    assert (s1.key, s1.start, s1.end) == ("2026-2027-S1", date(2026, 9, 1), date(2027, 1, 14))
    with pytest.raises(ValueError):
        SchoolCalendar(start=(1, 5))


def test_school_year_defaults_follow_the_ministrys_frame() -> None:
    (s1,) = parse_timeframe("Học kỳ I năm học 2025-2026", 2026).periods
    assert (s1.start, s1.end, s1.due) == (date(2025, 9, 5), date(2026, 1, 17), datetime(2026, 1, 18, tzinfo=LOCAL_TZ))


def test_a_deadline_keeps_the_key_of_the_period_it_cuts() -> None:
    (q1,) = parse_timeframe("Quý I (trước ngày 15/3)", 2026).periods
    assert (q1.key, q1.label, q1.end) == ("2026-Q1", "Quý I/2026 (trước ngày 15/03/2026)", date(2026, 3, 14))


def test_keys_are_short_ascii_and_distinct_across_shapes() -> None:
    phrases = ["Năm 2026", "Quý II", "Tháng 3", "6 tháng đầu năm", "Năm học 2026-2027", "Học kỳ I năm học 2026-2027",
               "2026-2027", "Quý II-III", "trước 10/12", "từ 01/3 đến 15/4/2026"]  # fmt: skip
    keys = [parse_timeframe(p, 2026).periods[0].key for p in phrases]
    assert keys == ["2026", "2026-Q2", "2026-03", "2026-H1", "2026-2027", "2026-2027-S1", "2026..2027",
                    "2026-Q2..2026-Q3", "2026-12-09", "2026-03-01..2026-04-15"]  # fmt: skip
    assert all(re.fullmatch(r"[0-9A-Z.-]{4,24}", k) for k in keys)


# --- refusals -----------------------------------------------------------------------------------

REFUSALS = [
    ("sớm", "không nêu một thời hạn xác định"),
    ("khi có yêu cầu", "không nêu một thời hạn xác định"),
    ("Theo yêu cầu", "không nêu một thời hạn xác định"),
    ("cuối năm", "không nêu một thời hạn xác định"),
    ("Quý V", 'Không có "Quý V"'),
    ("Quý 5/2026", 'Không có "Quý 5"'),
    ("Quý 0", 'Không có "Quý 0"'),
    ("tháng 13", 'Không có "tháng 13"'),
    ("Tháng 0/2026", 'Không có "tháng 0"'),
    ("32/12", "Ngày 32/12 không tồn tại"),
    ("29/2/2026", "Ngày 29/2/2026 không tồn tại"),
    ("Học kỳ II", "thiếu năm học"),
    ("Học kỳ III năm học 2026-2027", 'Không có "Học kỳ III"'),
    ("Năm học 2026-2028", "không hợp lệ"),
    ("2027-2026", "năm sau phải lớn hơn"),
    ("Quý III-II", "kỳ đầu phải trước kỳ cuối"),
    ("Từ 15/4 đến 01/3/2026", "ngày đầu sau ngày cuối"),
    ("Quý I, Quý I", "được ghi hai lần"),
    ("Quý I, Quý I-II", "chồng lên nhau"),
    ("Hằng tháng, trước ngày 10/12", "nằm ngoài kỳ"),
    ("Hằng quý, trước ngày 15 hằng tháng", "chỉ dùng cho kỳ tháng"),
    ("Năm 2026, trước ngày 05 tháng cuối quý", "chỉ dùng cho kỳ quý"),
    ("trước ngày 15", "của tháng nào"),
    ("định kỳ", "thiếu chu kỳ"),
    ("định kỳ 4 tháng", "Chu kỳ 4 tháng"),
    ("Hằng tuần", "chưa được hỗ trợ"),
    ("Quý I (trước ngày 05 tháng sau)", "chỉ dùng cho kỳ tháng"),
    ("Tháng 3 (trước ngày 05/5)", "nằm ngoài kỳ"),
    ("Năm học 2025-2026 và 2026-2028", "không hợp lệ"),
    ("Tháng 9/2026 hằng năm", "vừa nêu năm"),
    ("Năm 3026", "nằm ngoài khoảng"),
    ("", "trống"),
    ("abc", 'Không hiểu thời gian "abc"'),
    ("Quý I và xyz", 'Không hiểu "xyz" trong'),
]


@pytest.mark.parametrize(("phrase", "reason"), REFUSALS, ids=[r[0] or "empty" for r in REFUSALS])
def test_refusals_say_why_and_list_the_accepted_forms(phrase: str, reason: str) -> None:
    with pytest.raises(TimeframeRefused) as caught:
        parse_timeframe(phrase, Y)
    refusal = caught.value
    assert reason in refusal.reason_vi
    assert refusal.phrase == phrase
    assert refusal.message_vi.startswith(refusal.reason_vi)
    for form in ("Quý II-III", "Hằng quý", "trước ngày 15 hằng tháng", "Thường xuyên", "Năm học 2026-2027"):
        assert form in refusal.message_vi
    assert "Accepted forms" in refusal.message_en
    assert str(refusal) == refusal.message_vi


def test_year_argument_out_of_range_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="outside"):
        parse_timeframe("Quý I", 20260)


# --- properties ---------------------------------------------------------------------------------

years = st.integers(min_value=2000, max_value=2090)
quarters = st.integers(min_value=1, max_value=4)
months = st.integers(min_value=1, max_value=12)
ARABIC_OR_ROMAN = st.sampled_from(["roman", "arabic", "padded"])


def _quarter_text(q: int, style: str) -> str:
    return {"roman": P.ROMAN[q], "arabic": str(q), "padded": f"0{q}"}[style]


def _start_of_next_quarter(y: int, q: int) -> datetime:
    return datetime(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1, tzinfo=LOCAL_TZ)


@given(years, quarters, ARABIC_OR_ROMAN, st.sampled_from(["/", " năm "]))
def test_a_quarter_is_due_when_the_next_one_starts(y: int, q: int, style: str, sep: str) -> None:
    (period,) = parse_timeframe(f"Quý {_quarter_text(q, style)}{sep}{y}", 2026).periods
    assert period.due == _start_of_next_quarter(y, q)
    assert period.due.utcoffset() == timedelta(hours=7)


@st.composite
def phrases(draw: st.DrawFn) -> str:
    """Single-cadence phrases of every shape (the composite seed regime nests by design)."""
    y, q, m = draw(years), draw(quarters), draw(months)
    q2, m2 = draw(st.integers(min_value=q, max_value=4)), draw(st.integers(min_value=m, max_value=12))
    day = draw(st.integers(min_value=1, max_value=31))
    return draw(
        st.sampled_from(
            [
                f"Quý {_quarter_text(q, draw(ARABIC_OR_ROMAN))}/{y}",
                f"Quý {P.ROMAN[q]}-{P.ROMAN[q2]}/{y}" if q2 > q else f"Quý {q}",
                ", ".join(f"Quý {P.ROMAN[i]}" for i in sorted(draw(st.sets(quarters, min_size=1)))),
                f"Tháng {m}/{y}",
                f"Tháng {m}-{m2}/{y}" if m2 > m else f"tháng {m}",
                " và ".join(f"tháng {i}" for i in sorted(draw(st.sets(months, min_size=1, max_size=4)))),
                "Hằng quý", "Hằng tháng", "Định kỳ 6 tháng", "Hằng năm", "Theo năm học", "Hằng học kỳ",
                f"trước ngày {day} hằng tháng", f"chậm nhất ngày {day} hằng tháng", f"trước ngày {day} tháng sau",
                f"trước ngày {day:02d} tháng cuối quý", f"Hằng quý (chậm nhất ngày {day} tháng cuối quý)",
                f"{y} và duy trì", f"Giai đoạn {y}-{y + draw(st.integers(1, 9))}", f"Năm học {y}-{y + 1}",
                f"6 tháng đầu năm {y}", "6 tháng cuối năm", f"trước {min(day, 28)}/{m}", f"{min(day, 28)}/{m}/{y}",
                "Thường xuyên", "Hằng năm và thường xuyên",
            ]
        )
    )  # fmt: skip


@given(phrases(), years)
def test_periods_are_sorted_disjoint_and_due_the_day_after_their_end(phrase: str, year: int) -> None:
    schedule = parse_timeframe(phrase, year)
    ps = schedule.periods
    pairs = list(zip(ps, ps[1:], strict=False))
    assert all(p.start <= p.end and p.cutoff_from and p.cutoff_to and p.cutoff_from < p.cutoff_to for p in ps)
    assert all(a.start < b.start and a.end < b.end for a, b in pairs)
    if not re.search(r"hằng tháng|tháng sau", phrase):  # a monthly report may run into next month's
        assert all(a.end < b.start for a, b in pairs)
    for p in ps:
        if schedule.kind == "continuous":
            assert p.due is None
        else:
            assert p.due == datetime.combine(p.end + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
    assert len({p.key for p in ps}) == len(ps)


@given(phrases(), years)
def test_the_effective_due_is_the_end_of_the_first_working_day_from_the_last_day(phrase: str, year: int) -> None:
    cal = national_calendar()
    for p in parse_timeframe(phrase, year).periods:
        if p.due is None:
            assert p.effective_due is None
            continue
        assert p.effective_due is not None and p.effective_due.time() == time(0)
        real = p.effective_due.date() - timedelta(days=1)
        assert cal.is_working_day(real) and p.end <= real
        assert not any(cal.is_working_day(p.end + timedelta(days=i)) for i in range((real - p.end).days))


ACCEPTED = [p for _, p, *_ in SEED_PHRASES] + [p for p, *_ in VARIANTS]


@st.composite
def respelled(draw: st.DrawFn) -> tuple[str, str]:
    """A phrase and the same phrase as a PDF, Excel or a hurried clerk might give it."""
    phrase = draw(st.sampled_from(ACCEPTED))
    out = []
    for char in phrase:
        if char == " ":
            out.append(draw(st.sampled_from([" ", "  ", "\n", " \n", "\t", " \n\n"])))
        elif char in "-/,":
            out.append(draw(st.sampled_from(["", " "])) + char + draw(st.sampled_from(["", " ", "\n"])))
        else:
            out.append(char.upper() if draw(st.booleans()) else char.lower())
    text = draw(st.sampled_from(["", " ", "\n"])) + "".join(out) + draw(st.sampled_from(["", " ", "\n", "."]))
    if draw(st.booleans()):
        text = re.sub("(?i)h(à|ằ)ng", lambda m: draw(st.sampled_from(["hàng", "hằng", "Hàng", "HẰNG"])), text)
    return phrase, unicodedata.normalize("NFD", text) if draw(st.booleans()) else text


@given(respelled(), years)
def test_case_spacing_unicode_and_hang_hang_do_not_matter(pair: tuple[str, str], year: int) -> None:
    phrase, variant = pair
    a, b = parse_timeframe(phrase, year), parse_timeframe(variant, year)
    assert (b.kind, b.periods, b.normalised) == (a.kind, a.periods, a.normalised)


@st.composite
def labelled_periods(draw: st.DrawFn) -> Period:
    y, q, m = draw(years), draw(quarters), draw(months)
    first, last = sorted(draw(st.lists(st.dates(date(2000, 1, 1), date(2090, 12, 31)), min_size=2, max_size=2)))
    q_end, m_end = draw(st.integers(1, 8)), draw(st.integers(1, 20))
    base = draw(
        st.sampled_from(
            [
                P.year_period(y), P.quarter_period(y, q), P.month_period(y, m), P.half_period(y, 1 + (m > 6)),
                P.quarter_range(y, q, y + (q + q_end - 1) // 4, (q + q_end - 1) % 4 + 1),
                P.month_range(y, m, y + (m + m_end - 1) // 12, (m + m_end - 1) % 12 + 1),
                P.year_span(y, y + 1 + q_end), P.school_year_period(y), P.semester_period(y, 1 + (m > 6)),
                P.date_range(first, last), P.deadline_period(last, draw(st.sampled_from(["before", "through"]))),
                P.continuous_year(y),
            ]
        )
    )  # fmt: skip
    if base.key[4:5] == "-" and len(base.key) == 10 or base.due is None or not draw(st.booleans()):
        return base  # bare deadlines and continuous work take no second deadline
    latest, after = base.end, base.end + timedelta(days=1)
    if re.fullmatch(r"\d{4}-\d{2}", base.key) and draw(st.booleans()):  # the report on a month, due the month after
        latest = P.last_day(after.year, after.month)
    end = base.start + timedelta(days=draw(st.integers(0, (latest - base.start).days)))
    return P.with_deadline(base, end, draw(st.sampled_from(["before", "through"])))


@given(labelled_periods(), years)
def test_a_label_parses_back_to_its_period(period: Period, year: int) -> None:
    assert parse_timeframe(period.label, year).periods == (period.with_calendar(national_calendar()),)


def test_normalise_folds_spelling_without_changing_meaning() -> None:
    assert normalise("Hàng \n\nquý") == "hằng quý"
    assert normalise("Quý II-\n\nIII") == "quý ii-iii"
    assert normalise(unicodedata.normalize("NFD", "Học kì I (năm học 2026 – 2027)")) == "học kỳ i năm học 2026-2027"
    assert normalise("2026 và các \nnăm tiếp \n\ntheo") == "từ năm 2026"


# --- lists of quarters and months ---------------------------------------------------------------


def test_haiphongs_quy_i_ii_is_one_report_due_on_1_july() -> None:
    (span,) = parse_timeframe("Quý I, II", 2026).periods
    assert (span.label, span.key, span.start, span.end) == ("Quý I-II/2026", "2026-Q1..2026-Q2", date(2026, 1, 1), date(2026, 6, 30))
    assert span.due == span.effective_due == datetime(2026, 7, 1, tzinfo=LOCAL_TZ)
    assert (span.cutoff_from, span.cutoff_to) == (date(2025, 12, 15), date(2026, 6, 14))  # NĐ 09's first half-year
    assert parse_timeframe("Quý I và Quý II", 2026).periods == (span,)
    assert parse_timeframe("Quý I-II", 2026).periods == (span,)


def test_a_list_of_consecutive_months_is_one_span_due_after_its_last_day() -> None:
    (span,) = parse_timeframe("tháng 3, 4", 2026).periods
    assert (span.label, span.start, span.end) == ("Tháng 3-4/2026", date(2026, 3, 1), date(2026, 4, 30))
    # Due 01/05 as written; 30/04 and 01/05 are holidays, 02-03/05 a weekend: late from 05/05.
    assert (span.due, span.effective_due) == (datetime(2026, 5, 1, tzinfo=LOCAL_TZ), datetime(2026, 5, 5, tzinfo=LOCAL_TZ))


def test_a_list_that_is_not_consecutive_or_says_dinh_ky_stays_one_period_each() -> None:
    q1, q3 = parse_timeframe("Quý I, III", 2026).periods
    assert [(q1.key, q1.due), (q3.key, q3.due)] == [("2026-Q1", datetime(2026, 4, 1, tzinfo=LOCAL_TZ)), ("2026-Q3", datetime(2026, 10, 1, tzinfo=LOCAL_TZ))]
    q1, q2 = parse_timeframe("Định kỳ quý I, II", 2026).periods
    assert [(q1.key, q1.due), (q2.key, q2.due)] == [("2026-Q1", datetime(2026, 4, 1, tzinfo=LOCAL_TZ)), ("2026-Q2", datetime(2026, 7, 1, tzinfo=LOCAL_TZ))]
    assert [p.key for p in parse_timeframe("Hằng quý", 2026).periods] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]


def test_a_deadline_after_a_consecutive_list_cuts_the_span() -> None:
    (span,) = parse_timeframe("Quý I, II (trước ngày 15/6)", 2026).periods
    assert (span.key, span.end, span.due) == ("2026-Q1..2026-Q2", date(2026, 6, 14), datetime(2026, 6, 15, tzinfo=LOCAL_TZ))
    # Sunday 14/06: the last day is Monday 15/06.
    assert span.effective_due == datetime(2026, 6, 16, tzinfo=LOCAL_TZ)


# --- which month a monthly report covers (NĐ 09/2019 art. 12) -----------------------------------

# "trước ngày 05 hằng tháng" in 2026, counted by hand on the 2026 calendar: (key, label, last
# allowed day, nominal due, effective due, data from, data to). Shifted: 04/04 is a Saturday
# (→ Monday 06/04), 04/07 a Saturday (→ 06/07), 04/10 a Sunday (→ 05/10).
MONTHLY_BY_THE_5TH = [
    ("2026-01", "Tháng 1/2026 (trước ngày 05/02/2026)", "2026-02-04", "2026-02-05", "2026-02-05", "2025-12-15", "2026-01-14"),
    ("2026-02", "Tháng 2/2026 (trước ngày 05/03/2026)", "2026-03-04", "2026-03-05", "2026-03-05", "2026-01-15", "2026-02-14"),
    ("2026-03", "Tháng 3/2026 (trước ngày 05/04/2026)", "2026-04-04", "2026-04-05", "2026-04-07", "2026-02-15", "2026-03-14"),
    ("2026-04", "Tháng 4/2026 (trước ngày 05/05/2026)", "2026-05-04", "2026-05-05", "2026-05-05", "2026-03-15", "2026-04-14"),
    ("2026-05", "Tháng 5/2026 (trước ngày 05/06/2026)", "2026-06-04", "2026-06-05", "2026-06-05", "2026-04-15", "2026-05-14"),
    ("2026-06", "Tháng 6/2026 (trước ngày 05/07/2026)", "2026-07-04", "2026-07-05", "2026-07-07", "2026-05-15", "2026-06-14"),
    ("2026-07", "Tháng 7/2026 (trước ngày 05/08/2026)", "2026-08-04", "2026-08-05", "2026-08-05", "2026-06-15", "2026-07-14"),
    ("2026-08", "Tháng 8/2026 (trước ngày 05/09/2026)", "2026-09-04", "2026-09-05", "2026-09-05", "2026-07-15", "2026-08-14"),
    ("2026-09", "Tháng 9/2026 (trước ngày 05/10/2026)", "2026-10-04", "2026-10-05", "2026-10-06", "2026-08-15", "2026-09-14"),
    ("2026-10", "Tháng 10/2026 (trước ngày 05/11/2026)", "2026-11-04", "2026-11-05", "2026-11-05", "2026-09-15", "2026-10-14"),
    ("2026-11", "Tháng 11/2026 (trước ngày 05/12/2026)", "2026-12-04", "2026-12-05", "2026-12-05", "2026-10-15", "2026-11-14"),
    ("2026-12", "Tháng 12/2026 (trước ngày 05/01/2027)", "2027-01-04", "2027-01-05", "2027-01-05", "2026-11-15", "2026-12-14"),
]


def _report_rows(phrase: str) -> list[tuple[str, ...]]:
    return [
        (p.key, p.label, p.end.isoformat(), p.due.date().isoformat(), p.effective_due.date().isoformat(),
         p.cutoff_from.isoformat(), p.cutoff_to.isoformat())  # fmt: skip
        for p in parse_timeframe(phrase, 2026).periods
        if p.due and p.effective_due and p.cutoff_from and p.cutoff_to
    ]


@pytest.mark.parametrize("phrase", ["trước ngày 05 hằng tháng", "trước ngày 05 tháng sau", "Hằng tháng (trước ngày 05 của tháng sau)", "Hằng tháng, trước ngày 05"])
def test_a_report_due_by_the_5th_is_the_report_on_the_month_before(phrase: str) -> None:
    # Twelve reports on January to December 2026: none on December 2025, the last due 05/01/2027.
    assert _report_rows(phrase) == [tuple(row) for row in MONTHLY_BY_THE_5TH]
    january = parse_timeframe(phrase, 2026).periods[0]
    assert (january.start, january.due) == (date(2026, 1, 1), datetime(2026, 2, 5, tzinfo=LOCAL_TZ))
    assert all(p.due and p.due.time() == time(0) for p in parse_timeframe(phrase, 2026).periods)


def test_the_cut_off_on_the_14th_decides_the_month() -> None:
    first = {phrase: parse_timeframe(phrase, 2026).periods[0] for phrase in (
        "trước ngày 14 hằng tháng", "trước ngày 15 hằng tháng", "chậm nhất ngày 13 hằng tháng", "chậm nhất ngày 14 hằng tháng")}  # fmt: skip
    # Due on the 14th (last day the 13th): January's data (to 14/01) is not closed, so it is the
    # report on the month before, due 14/02. Due on the 15th: January's own report.
    assert [(p.key, p.end) for p in first.values()] == [
        ("2026-01", date(2026, 2, 13)), ("2026-01", date(2026, 1, 14)), ("2026-01", date(2026, 2, 13)), ("2026-01", date(2026, 1, 14)),
    ]  # fmt: skip


def test_thang_sau_takes_any_day_of_the_next_month() -> None:
    january, *_, december = parse_timeframe("trước ngày 20 tháng sau", 2026).periods
    assert (january.label, january.end) == ("Tháng 1/2026 (trước ngày 20/02/2026)", date(2026, 2, 19))
    # Thursday 19/02 is in Tết (14-22/02): late from 24/02, not 20/02.
    assert (january.due, january.effective_due) == (datetime(2026, 2, 20, tzinfo=LOCAL_TZ), datetime(2026, 2, 24, tzinfo=LOCAL_TZ))
    assert (december.key, december.due) == ("2026-12", datetime(2027, 1, 20, tzinfo=LOCAL_TZ))


def test_a_named_month_keeps_its_own_day_unless_a_date_says_the_next_month() -> None:
    (march,) = parse_timeframe("Tháng 3 (trước ngày 05)", 2026).periods
    assert (march.key, march.end) == ("2026-03", date(2026, 3, 4))
    (report,) = parse_timeframe("Tháng 3 (trước ngày 05/4)", 2026).periods
    assert (report.key, report.end, report.cutoff_from, report.cutoff_to) == ("2026-03", date(2026, 4, 4), date(2026, 2, 15), date(2026, 3, 14))
    (december,) = parse_timeframe("Tháng 12 (trước ngày 05/01)", 2026).periods
    assert (december.key, december.due) == ("2026-12", datetime(2027, 1, 5, tzinfo=LOCAL_TZ))


def test_nd09_windows_of_quarters_halves_and_years() -> None:
    windows = {p.key: (p.cutoff_from, p.cutoff_to) for phrase in ("Hằng quý", "Định kỳ 6 tháng", "Hằng năm") for p in parse_timeframe(phrase, 2026).periods}
    assert windows == {
        "2026-Q1": (date(2025, 12, 15), date(2026, 3, 14)), "2026-Q2": (date(2026, 3, 15), date(2026, 6, 14)),
        "2026-Q3": (date(2026, 6, 15), date(2026, 9, 14)), "2026-Q4": (date(2026, 9, 15), date(2026, 12, 14)),
        "2026-H1": (date(2025, 12, 15), date(2026, 6, 14)), "2026-H2": (date(2026, 6, 15), date(2026, 12, 14)),
        "2026": (date(2025, 12, 15), date(2026, 12, 14)),
    }  # fmt: skip
    # A deadline inside the period leaves the window alone (the figures of one period add up).
    q1 = parse_timeframe("trước ngày 05 tháng cuối quý", 2026).periods[0]
    assert (q1.end, q1.cutoff_from, q1.cutoff_to) == (date(2026, 3, 4), date(2025, 12, 15), date(2026, 3, 14))
    (school_year,) = parse_timeframe("Năm học 2026-2027", 2026).periods
    assert (school_year.cutoff_from, school_year.cutoff_to) == (date(2026, 9, 5), date(2027, 5, 30))


# --- school years -------------------------------------------------------------------------------


def test_theo_nam_hoc_in_2026_is_the_school_year_under_way_and_the_next() -> None:
    this, following = parse_timeframe("Theo năm học", 2026).periods
    assert (this.key, this.start, this.end) == ("2025-2026", date(2025, 9, 5), date(2026, 5, 30))
    # Saturday 30/05/2026: the last day is Monday 01/06.
    assert (this.due, this.effective_due) == (datetime(2026, 5, 31, tzinfo=LOCAL_TZ), datetime(2026, 6, 2, tzinfo=LOCAL_TZ))
    assert (following.key, following.start, following.end) == ("2026-2027", date(2026, 9, 5), date(2027, 5, 30))


def test_two_school_years_are_two_periods() -> None:
    a, b = parse_timeframe("Năm học 2025-2026 và 2026-2027", 2026).periods
    assert [(a.label, a.key), (b.label, b.key)] == [("Năm học 2025-2026", "2025-2026"), ("Năm học 2026-2027", "2026-2027")]


# --- deadlines and days off (Civil Code 2015, Điều 148) -----------------------------------------


def test_a_february_deadline_in_tet_2026_ends_on_the_first_working_day_after() -> None:
    february = parse_timeframe("trước ngày 15 hằng tháng", 2026).periods[1]
    assert (february.key, february.end, february.due) == ("2026-02", date(2026, 2, 14), datetime(2026, 2, 15, tzinfo=LOCAL_TZ))
    # Tết: Saturday 14/02 to Sunday 22/02. The last day is Monday 23/02; late from 24/02 00:00.
    assert february.effective_due == datetime(2026, 2, 24, tzinfo=LOCAL_TZ)


def test_the_15th_of_each_month_in_2026_moved_where_the_14th_is_off() -> None:
    moved = {p.key: p.effective_due.date() for p in parse_timeframe("trước ngày 15 hằng tháng", 2026).periods if p.effective_due != p.due and p.effective_due}
    # 14/02 Tết; 14/03 a Saturday; 14/06 a Sunday; 14/11 a Saturday. Every other 14th is a weekday.
    assert moved == {"2026-02": date(2026, 2, 24), "2026-03": date(2026, 3, 17), "2026-06": date(2026, 6, 16), "2026-11": date(2026, 11, 17)}


def test_a_date_typed_without_a_time_is_the_end_of_that_day() -> None:
    (day,) = parse_timeframe("2026-02-14", 2026).periods
    assert (day.end, day.due, day.effective_due) == (date(2026, 2, 14), datetime(2026, 2, 15, tzinfo=LOCAL_TZ), datetime(2026, 2, 24, tzinfo=LOCAL_TZ))
    assert typed_deadline("2026-02-14") == datetime(2026, 2, 15, tzinfo=LOCAL_TZ)
    assert typed_deadline(" 2026-02-14T17:00 ") == datetime(2026, 2, 14, 17, tzinfo=LOCAL_TZ)
    assert typed_deadline("2026-02-14T10:00:00+00:00") == datetime(2026, 2, 14, 17, tzinfo=LOCAL_TZ)
    with pytest.raises(ValueError, match="Hạn không hợp lệ"):
        typed_deadline("14/02/2026")


def test_an_instant_on_a_day_off_ends_with_the_next_working_day() -> None:
    cal = national_calendar()
    assert effective_due(datetime(2026, 2, 14, 17, tzinfo=LOCAL_TZ), cal) == datetime(2026, 2, 24, tzinfo=LOCAL_TZ)
    on_a_working_day = datetime(2026, 2, 13, 17, tzinfo=LOCAL_TZ)
    assert effective_due(on_a_working_day, cal) == on_a_working_day


def test_the_provinces_calendar_is_the_one_used() -> None:
    # An admin's day off on Tuesday 31/03/2026 moves Q1 to Wednesday 01/04 (late from 02/04) ...
    province = BusinessCalendar(extra_days_off=[date(2026, 3, 31)])
    (q1,) = parse_timeframe("Quý I", 2026, calendar=province).periods
    assert (q1.due, q1.effective_due) == (datetime(2026, 4, 1, tzinfo=LOCAL_TZ), datetime(2026, 4, 2, tzinfo=LOCAL_TZ))
    # ... and a make-up Saturday 14/03/2026 keeps March's 15th where it is written.
    worked = BusinessCalendar(makeup_working_days=[date(2026, 3, 14)])
    march = parse_timeframe("trước ngày 15 hằng tháng", 2026, calendar=worked).periods[2]
    assert march.effective_due == march.due == datetime(2026, 3, 15, tzinfo=LOCAL_TZ)
    assert parse_timeframe("trước ngày 15 hằng tháng", 2026).periods[2].effective_due == datetime(2026, 3, 17, tzinfo=LOCAL_TZ)


DEMO = Path(__file__).resolve().parents[2] / "workflows" / "plans" / "demo" / "hai_phong_2026_chuyen_doi_so.xlsx"


def _demo_moved(year: int) -> dict[tuple[str, str], tuple[date, date]]:
    tasks = extract_plan(DEMO.read_bytes(), DEMO.name).tasks
    return {
        (t.stt, p.key): (p.due.date(), p.effective_due.date())
        for t in tasks for p in parse_timeframe(t.timeframe or "", year).periods
        if p.due and p.effective_due and p.effective_due != p.due
    }  # fmt: skip


def test_the_haiphong_appendix_in_2026_is_due_on_working_days() -> None:
    # Its deadlines are quarters' ends: 31/03 Tue, 30/06 Tue, 30/09 Wed, 31/12 Thu; none moves.
    assert _demo_moved(2026) == {}


def test_the_haiphong_appendix_in_2028_moves_the_third_and_fourth_quarters() -> None:
    # 30/09/2028 is a Saturday (→ Monday 02/10); 31/12/2028 a Sunday and 01/01/2029 New Year (→ Tuesday 02/01).
    q3, q4 = (date(2028, 10, 1), date(2028, 10, 3)), (date(2029, 1, 1), date(2029, 1, 3))
    quarterly = ("1", "3", "5", "24")  # "Hàng quý"
    expected = {(stt, "2028-Q3"): q3 for stt in (*quarterly, "10", "26", "28")}  # and "Quý III"
    expected |= {(stt, "2028-Q4"): q4 for stt in (*quarterly, "6", "29")}  # and "Quý IV"
    expected[("17", "2028-Q2..2028-Q3")] = q3  # "Quý II-III"
    assert _demo_moved(2028) == expected
