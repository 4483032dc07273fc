"""Failed sign-ins first slow the next try down, then lock: the pure rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trace.throttle import LONGEST_WAIT, Limits, verdict

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
LIMITS = Limits(window=timedelta(minutes=15), slow_after=3, lock_after=10, lock_for=timedelta(minutes=15))


def failures(n: int, *, every: timedelta = timedelta(seconds=1), last: datetime = NOW) -> list[datetime]:
    return [last - every * i for i in range(n)]


def test_no_failures_accept_a_try_at_once():
    assert verdict([], NOW, LIMITS).retry_at is None


def test_failures_below_the_slow_down_threshold_accept_a_try_at_once():
    assert verdict(failures(2), NOW, LIMITS).retry_at is None


def test_the_third_failure_makes_the_next_try_wait_two_seconds():
    found = verdict(failures(3), NOW, LIMITS)

    assert found.retry_at == NOW + timedelta(seconds=2) and not found.locked


def test_each_further_failure_doubles_the_wait():
    waits = [verdict(failures(n), NOW, LIMITS).retry_at - NOW for n in (3, 4, 5, 6)]

    assert waits == [timedelta(seconds=s) for s in (2, 4, 8, 16)]


def test_a_wait_never_exceeds_the_longest_wait_before_the_lock():
    limits = Limits(window=timedelta(hours=1), slow_after=1, lock_after=100, lock_for=timedelta(minutes=15))

    assert verdict(failures(30), NOW, limits).retry_at - NOW == LONGEST_WAIT


def test_a_try_after_the_wait_is_accepted():
    assert verdict(failures(3), NOW + timedelta(seconds=2), LIMITS).retry_at is None


def test_the_tenth_failure_in_the_window_locks_for_fifteen_minutes():
    found = verdict(failures(10), NOW, LIMITS)

    assert found.locked and found.retry_at == NOW + timedelta(minutes=15)


def test_the_lock_ends_after_its_time():
    assert verdict(failures(10), NOW + timedelta(minutes=15), LIMITS).retry_at is None


def test_failures_spread_wider_than_the_window_do_not_lock():
    spread = failures(10, every=timedelta(minutes=2))  # 18 minutes from first to last

    assert not verdict(spread, NOW, LIMITS).locked


def test_failures_older_than_the_window_are_forgotten():
    assert verdict(failures(5, last=NOW - timedelta(minutes=16)), NOW, LIMITS).retry_at is None
