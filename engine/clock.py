"""The injected clock. This module is the only place in engine/ and workflows/ that reads the wall clock.

Every command takes its time from a ``Clock``; tests pass a ``FrozenClock`` and move it by hand,
as Temporal's time-skipping test environment does, so deadlines and timers are tested without sleeps.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real wall clock, for production shells (CLI, web, worker)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware instant")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


# SpiffWorkflow's timer events compute "now" deep inside the library; a step publishes its
# instant here so our timer event definitions (engine.bpmn_timers) read the injected time.
_step_now: contextvars.ContextVar[datetime] = contextvars.ContextVar("giaoviec_step_now")


@contextmanager
def step_time(now: datetime) -> Iterator[None]:
    token = _step_now.set(now)
    try:
        yield
    finally:
        _step_now.reset(token)


def current_step_time() -> datetime:
    try:
        return _step_now.get()
    except LookupError:
        raise RuntimeError("a workflow step ran outside engine.clock.step_time()") from None
