"""When a next sign-in try is accepted, after failures: a pure rule, no database.

Failures in the window first slow the next try down (each one waits twice as long as
the one before), then lock for a while. Tries refused while waiting or locked are not
counted: someone who keeps knocking is not locked out for longer than the rule says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Waits beyond this are a lock in all but name; the lock says so.
LONGEST_WAIT = timedelta(minutes=5)


@dataclass(frozen=True)
class Limits:
    window: timedelta
    slow_after: int
    lock_after: int
    lock_for: timedelta

    @property
    def lookback(self) -> timedelta:
        """How far back failures can still matter (a lock begun at the window's end runs on)."""
        return self.window + self.lock_for


@dataclass(frozen=True)
class Verdict:
    """``retry_at`` None: a try is accepted now. ``locked``: a lock-out, not a slow-down."""

    retry_at: datetime | None
    locked: bool = False
    failures: int = 0


def verdict(failures: Sequence[datetime], now: datetime, limits: Limits) -> Verdict:
    """Whether a try at ``now`` is accepted, given the failure instants (any order)."""
    if not failures:
        return Verdict(None)
    last = max(failures)
    recent = sum(1 for at in failures if at > last - limits.window)
    if recent >= limits.lock_after:
        until = last + limits.lock_for
        return Verdict(until if until > now else None, locked=until > now, failures=recent)
    counted = sum(1 for at in failures if at > now - limits.window)
    if counted >= limits.slow_after:
        wait = min(timedelta(seconds=2 ** (counted - limits.slow_after + 1)), LONGEST_WAIT)
        until = last + wait
        return Verdict(until if until > now else None, failures=counted)
    return Verdict(None, failures=counted)
