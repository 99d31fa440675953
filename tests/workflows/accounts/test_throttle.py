"""The throttling rules, as pure functions: delays grow per (account, address), the address
bucket leaks, nothing counts the account alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflows.accounts.throttle import (
    Counter,
    ThrottlePolicy,
    address_after_failure,
    address_key,
    address_level,
    pair_after_failure,
    pair_after_success,
    pair_delay,
    pair_key,
    wait_seconds,
)

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
POLICY = ThrottlePolicy()


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(1, 0), (2, 0), (3, 0), (4, 5), (5, 10), (6, 20), (7, 40), (11, 640), (12, 900), (13, 900), (10_000, 900)],
)
def test_pair_delays_grow_after_three_free_failures_up_to_fifteen_minutes(failures, delay):
    assert pair_delay(failures, POLICY) == timedelta(seconds=delay)


def test_a_pair_blocks_from_the_fourth_failure_and_forgets_after_a_quiet_day():
    counter = Counter()
    for _ in range(3):
        counter = pair_after_failure(counter, NOW, POLICY)
        assert wait_seconds(counter, NOW) == 0
    counter = pair_after_failure(counter, NOW, POLICY)
    assert (counter.level, wait_seconds(counter, NOW)) == (4, 5)
    assert wait_seconds(counter, NOW + timedelta(seconds=4.5)) == 1  # whole seconds, rounded up
    assert wait_seconds(counter, NOW + timedelta(seconds=5)) == 0
    later = pair_after_failure(counter, NOW + timedelta(hours=24), POLICY)
    assert (later.level, later.blocked_until) == (1, None)


def test_success_clears_the_pair():
    assert pair_after_success(NOW) == Counter(0.0, NOW, None)


def test_the_address_bucket_holds_fifty_then_one_failure_per_36_seconds():
    counter = Counter()
    for _ in range(50):
        counter = address_after_failure(counter, NOW, POLICY)
    assert wait_seconds(counter, NOW) == 0
    counter = address_after_failure(counter, NOW, POLICY)
    assert wait_seconds(counter, NOW) == 36
    # After the wait the bucket is back at its capacity: the next failure waits 36 s again.
    again = address_after_failure(counter, NOW + timedelta(seconds=36), POLICY)
    assert wait_seconds(again, NOW + timedelta(seconds=36)) == 36
    assert address_level(counter, NOW + timedelta(hours=1), POLICY) == 0.0


def test_an_office_of_fifty_people_mistyping_twice_a_day_is_never_slowed():
    counter, instant = Counter(), NOW
    for _ in range(100):  # 100 failures spread over a working day of 8 hours
        counter = address_after_failure(counter, instant, POLICY)
        assert wait_seconds(counter, instant) == 0
        instant += timedelta(minutes=4, seconds=48)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("", "unknown"),
        ("not an address", "not an address"),
    ],
)
def test_addresses_are_keyed_by_ipv4_or_ipv6_slash_64(raw, key):
    assert address_key(raw) == key


def test_the_pair_key_ignores_case_spaces_and_unicode_composition():
    assert pair_key("  Hp_X001_LD ", "203.0.113.7") == pair_key("hp_x001_ld", "203.0.113.7")
    assert pair_key("Nguyễn", "::1") == pair_key("Nguye\u0302\u0303n", "::1")
