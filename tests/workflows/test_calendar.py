"""The business calendar: Vietnamese holidays, make-up days, admin days off, working-day sums."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.calendar import BusinessCalendar, national_calendar

CAL = BusinessCalendar(range(2024, 2028))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_tet_2026_is_monday_16_to_friday_20_february() -> None:
    # The government's schedule: nine days off, Saturday 14/02 to Sunday 22/02/2026, of which the
    # five weekdays are Tết holidays (Labour Code 2019 art. 112).
    assert [d for d in days(date(2026, 2, 12), date(2026, 2, 24)) if not CAL.is_working_day(d)] == days(date(2026, 2, 14), date(2026, 2, 22))
    assert CAL.holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"
    assert CAL.is_working_day(date(2026, 2, 13)) and CAL.is_working_day(date(2026, 2, 23))


def test_30_april_and_1_may() -> None:
    assert not CAL.is_working_day(date(2026, 4, 30))
    assert not CAL.is_working_day(date(2026, 5, 1))
    # 2025: 1/5 was a Thursday; Friday 2/5 off in exchange for Saturday 26/4.
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.is_working_day(date(2025, 4, 26))


def test_hung_kings_day_on_a_sunday_is_moved_to_monday() -> None:
    assert not CAL.is_working_day(date(2026, 4, 27))
    assert CAL.holiday_name(date(2026, 4, 27)) == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"


def test_national_day_has_a_second_day_and_2026_swaps_a_saturday() -> None:
    assert not CAL.is_working_day(date(2026, 9, 2))
    assert not CAL.is_working_day(date(2026, 9, 1))  # the adjacent day (2 days since 2021)
    assert not CAL.is_working_day(date(2026, 8, 31))  # off in exchange for ...
    assert CAL.is_working_day(date(2026, 8, 22))  # ... Saturday 22/08/2026, worked
    assert not CAL.is_working_day(date(2027, 9, 3))


def test_new_year_and_vietnam_culture_day() -> None:
    assert not CAL.is_working_day(date(2026, 1, 1))
    assert not CAL.is_working_day(date(2026, 11, 24))


def test_weekends_are_off() -> None:
    assert not CAL.is_working_day(date(2026, 3, 7))
    assert not CAL.is_working_day(date(2026, 3, 8))
    assert CAL.is_working_day(date(2026, 3, 9))
    assert CAL.holiday_name(date(2026, 3, 7)) is None


def test_an_admin_make_up_saturday_is_a_working_day() -> None:
    cal = BusinessCalendar([2026], makeup_working_days=[date(2026, 1, 10)])
    assert cal.is_working_day(date(2026, 1, 10))
    assert cal.add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 10)


def test_an_admin_day_off_is_not_a_working_day() -> None:
    cal = BusinessCalendar([2026], extra_days_off=[date(2026, 1, 2)])
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.holiday_name(date(2026, 1, 2)) == "Ngày nghỉ theo quyết định bổ sung"
    assert cal.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)


def test_an_admin_day_off_overrides_a_government_make_up_day() -> None:
    cal = BusinessCalendar([2026], extra_days_off=[date(2026, 8, 22)])
    assert not cal.is_working_day(date(2026, 8, 22))


def test_a_day_cannot_be_both_off_and_worked() -> None:
    with pytest.raises(ValueError, match="vừa là ngày nghỉ vừa là ngày làm bù"):
        BusinessCalendar([2026], extra_days_off=[date(2026, 1, 10)], makeup_working_days=[date(2026, 1, 10)])


def test_five_working_days_across_tet() -> None:
    # Received Friday 13/02/2026: the count starts on the next working day, Monday 23/02.
    assert CAL.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)
    assert CAL.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5


def test_received_on_a_holiday_counts_from_the_next_working_day() -> None:
    assert CAL.add_working_days(date(2026, 2, 17), 1) == date(2026, 2, 23)


def test_negative_n_counts_backwards() -> None:
    assert CAL.add_working_days(date(2026, 2, 23), -1) == date(2026, 2, 13)
    assert CAL.add_working_days(date(2026, 5, 4), -1) == date(2026, 4, 29)  # 30/4 and 1/5 are off
    assert CAL.working_days_between(date(2026, 2, 23), date(2026, 2, 13)) == -1
    assert CAL.add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 7)


def test_arithmetic_crosses_into_years_not_loaded() -> None:
    cal = BusinessCalendar([2026])
    assert cal.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 5)  # 1/1/2027 is off


def test_next_working_day() -> None:
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert CAL.next_working_day(date(2026, 2, 12)) == date(2026, 2, 13)
    assert CAL.next_working_day(date(2026, 2, 13), inclusive=True) == date(2026, 2, 13)
    assert CAL.next_working_day(date(2026, 2, 14), inclusive=True) == date(2026, 2, 23)


dates = st.dates(date(2024, 1, 1), date(2027, 12, 31))


@given(dates, st.integers(min_value=1, max_value=120))
def test_adding_working_days_lands_on_a_working_day(start: date, n: int) -> None:
    assert CAL.is_working_day(CAL.add_working_days(start, n))
    assert CAL.is_working_day(CAL.add_working_days(start, -n))


@given(dates, st.integers(min_value=-120, max_value=120))
def test_working_days_between_inverts_adding(start: date, n: int) -> None:
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


@given(dates, dates)
def test_working_days_between_is_antisymmetric_on_working_days(a: date, b: date) -> None:
    a, b = CAL.next_working_day(a, inclusive=True), CAL.next_working_day(b, inclusive=True)
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)


def test_a_limit_ending_on_a_day_off_ends_on_the_next_working_day() -> None:
    # Civil Code 2015, Điều 148 khoản 5.
    assert CAL.deadline_day(date(2026, 2, 14)) == date(2026, 2, 23)  # Tết 14-22/02/2026
    assert CAL.deadline_day(date(2026, 4, 30)) == date(2026, 5, 4)  # 30/4, 1/5, then a weekend
    assert CAL.deadline_day(date(2026, 2, 13)) == date(2026, 2, 13)  # a working day stays
    assert BusinessCalendar(makeup_working_days=[date(2026, 3, 14)]).deadline_day(date(2026, 3, 14)) == date(2026, 3, 14)
    assert BusinessCalendar(extra_days_off=[date(2026, 3, 16)]).deadline_day(date(2026, 3, 14)) == date(2026, 3, 17)


def test_the_national_calendar_is_built_once_and_loads_any_year() -> None:
    assert national_calendar() is national_calendar()
    assert not national_calendar().is_working_day(date(2026, 2, 17))
    assert not national_calendar().is_working_day(date(2031, 1, 1))
