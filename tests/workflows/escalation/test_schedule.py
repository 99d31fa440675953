"""Which notices a deadline calls for on which day: pure, with the real 2026 calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engine import BadData
from workflows.calendar import BusinessCalendar
from workflows.escalation.policy import (
    DEFAULT,
    Policy,
    Schedule,
    last_allowed_day,
    merged,
    validate,
)
from workflows.timeframes import LOCAL_TZ

CAL = BusinessCalendar([2026])
Q1_LAST = date(2026, 3, 31)  # Tuesday; "Quý I" is due 2026-04-01 00:00


def kinds(day: date, last_day: date, policy: Policy = DEFAULT, since: date | None = None) -> tuple[str, ...]:
    return Schedule(CAL, day, since or day - timedelta(days=1)).standing(policy, last_day).kinds


@pytest.mark.parametrize(
    ("due_at", "last_day"),
    [
        (datetime(2026, 4, 1, tzinfo=LOCAL_TZ), date(2026, 3, 31)),
        (datetime(2026, 3, 31, 17, tzinfo=UTC), date(2026, 3, 31)),  # the same instant, in UTC
        (datetime(2026, 4, 10, 23, 59, 59, tzinfo=LOCAL_TZ), date(2026, 4, 10)),  # an extension's deadline
        (datetime(2026, 4, 1, 0, 0, 1, tzinfo=LOCAL_TZ), date(2026, 4, 1)),
    ],
)
def test_the_last_allowed_day(due_at, last_day):
    assert last_allowed_day(due_at) == last_day


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 25), ()),
        (date(2026, 3, 26), ("nhac_truoc_3",)),  # Thursday: Friday, Monday, Tuesday to go
        (date(2026, 3, 27), ()),
        (date(2026, 3, 28), ()),  # the weekend in between is not counted
        (date(2026, 3, 30), ("nhac_truoc_1",)),
        (date(2026, 3, 31), ("den_han",)),
        (date(2026, 4, 1), ("qua_han",)),
        (date(2026, 4, 2), ("vuot_cap",)),
        (date(2026, 4, 3), ()),
        (date(2026, 4, 6), ("danh_sach_tuan",)),  # Monday
        (date(2026, 4, 13), ("danh_sach_tuan",)),  # every Monday while it stays late
    ],
)
def test_the_default_days_of_a_quarterly_deadline(day, expected):
    assert kinds(day, Q1_LAST) == expected


@pytest.mark.parametrize(
    ("day", "expected", "remaining"),
    [
        (date(2026, 2, 11), ("nhac_truoc_3",), 3),  # 12, 13 and 23 February to go
        (date(2026, 2, 12), (), 2),
        (date(2026, 2, 13), ("nhac_truoc_1",), 1),  # the last working day before Tết
        (date(2026, 2, 16), (), 1),  # Giao thừa … Mùng bốn: nothing is sent on a day off
        (date(2026, 2, 20), (), 1),
        (date(2026, 2, 23), ("den_han",), 0),
    ],
)
def test_tet_is_not_counted(day, expected, remaining):
    # Due 00:00 on Tuesday 24 February 2026: the last day is the first working day after Tết.
    standing = Schedule(CAL, day, day - timedelta(days=1)).standing(DEFAULT, date(2026, 2, 23))
    assert (standing.kinds, standing.remaining) == (expected, remaining)


def test_a_last_day_on_a_saturday_is_urged_on_the_friday_before():
    saturday = date(2026, 3, 14)
    assert kinds(date(2026, 3, 12), saturday) == ("nhac_truoc_1",)
    assert kinds(date(2026, 3, 13), saturday) == ("den_han",)
    # Monday: the first working day after; also the weekly list's day
    assert kinds(date(2026, 3, 16), saturday) == ("qua_han", "danh_sach_tuan")


def test_giỗ_tổ_and_may_day_move_the_weekly_list_and_the_reminders():
    # 27/04/2026 is Giỗ Tổ's day in lieu (a Monday): the list goes on Tuesday.
    assert kinds(date(2026, 4, 27), Q1_LAST) == ()
    assert kinds(date(2026, 4, 28), Q1_LAST) == ("danh_sach_tuan",)
    # Last day Monday 04/05: 30/04 and 01/05 are off, so the day-before reminder is on 29/04.
    assert kinds(date(2026, 4, 29), date(2026, 5, 4)) == ("nhac_truoc_1",)
    assert kinds(date(2026, 4, 24), date(2026, 5, 4)) == ("nhac_truoc_3",)


def test_missed_days_are_caught_up_without_stale_reminders():
    # No run since Wednesday 25/03: Thursday's 3-day reminder is superseded by Monday's.
    assert kinds(date(2026, 3, 30), Q1_LAST, since=date(2026, 3, 25)) == ("nhac_truoc_1",)
    # No run on 1 and 2 April: the overdue notice and the escalation both go on Friday.
    assert kinds(date(2026, 4, 3), Q1_LAST, since=date(2026, 3, 31)) == ("qua_han", "vuot_cap")


def test_a_policy_changes_the_days():
    policy = merged({"remind_before": [5], "on_the_day": False, "escalate_after": 3, "weekly_list_weekday": None})
    assert kinds(date(2026, 3, 24), Q1_LAST, policy) == ("nhac_truoc_5",)
    assert [kinds(d, Q1_LAST, policy) for d in (date(2026, 3, 26), date(2026, 3, 30), date(2026, 3, 31))] == [(), (), ()]
    assert kinds(date(2026, 4, 2), Q1_LAST, policy) == ()
    assert kinds(date(2026, 4, 3), Q1_LAST, policy) == ("vuot_cap",)
    assert kinds(date(2026, 4, 6), Q1_LAST, policy) == ()
    quiet = merged({"overdue_notice": False, "escalate_after": None})
    assert kinds(date(2026, 4, 1), Q1_LAST, quiet) == kinds(date(2026, 4, 2), Q1_LAST, quiet) == ()


def test_settings_merge_per_setting_most_specific_last():
    province, process, plan = {"escalate_after": 4, "remind_before": [2]}, {"on_the_day": False}, {"remind_before": [5, 1]}
    assert merged(province, process, plan) == Policy(remind_before=(5, 1), on_the_day=False, escalate_after=4)
    assert merged({"no_longer_a_setting": 1}) == DEFAULT


def test_every_problem_is_listed_at_once():
    with pytest.raises(BadData) as caught:
        validate("plan", {"remind_before": [0, "3"], "on_the_day": "yes", "escalate_after": True,
                          "weekly_list_weekday": 7, "digest_hour": 8, "colour": "red"})  # fmt: skip
    message = str(caught.value)
    for expected in (
        "remind_before: danh sách các số ngày khác nhau từ 1 đến 20",
        "on_the_day: true hoặc false / true or false",
        "escalate_after: số ngày làm việc từ 1 đến 60",
        "weekly_list_weekday: 0 (thứ Hai) đến 6 (Chủ nhật)",
        "digest_hour: chỉ đặt cho cả tỉnh / only for a whole province",
        "colour: không có thiết lập này",
    ):
        assert expected in message
    assert validate("province", {"remind_before": [1, 5, 3], "digest_hour": 6}) == {"remind_before": [5, 3, 1], "digest_hour": 6}
    with pytest.raises(BadData, match="remind_before"):
        validate("province", {"remind_before": [2, 2]})
