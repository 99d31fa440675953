"""Bounds on work, never on time: what a test counts (Python statements run, bytes inflated) is
the same on an idle laptop and on a CI runner shared with a compiler, so the test fails only when
the code does more work. How long the work takes is measured in bench/, not asserted here.

``HANG_GUARD`` is the one wall-clock number tests may use: how long to wait for another thread or
process before calling it hung. It is never a measure of speed, so it is generous.
"""

from __future__ import annotations

import gc
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

HANG_GUARD = 600.0  # seconds


@dataclass
class Work:
    statements: int = 0  # Python lines run, in every frame (library code included)
    inflated: int = 0  # bytes zlib produced (ZIP members are deflated), kept or not


class WorkExceeded(BaseException):
    """Raised inside the code under test when it runs past its statement limit: a runaway loop
    fails the test instead of hanging it. A BaseException, so ``except Exception`` lets it through."""


@contextmanager
def counted(*, zip_bytes: bool = False, limit: int | None = None) -> Iterator[Work]:
    """Count the work done inside the block, in this thread; stop it past ``limit`` statements."""
    work = Work()

    def trace(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if event == "line":
            work.statements += 1
            if limit is not None and work.statements > limit:
                sys.settrace(None)
                frame.f_trace = None
                raise WorkExceeded(f"more than {limit} statements")
        return trace

    original = zlib.decompressobj
    if zip_bytes:
        zlib.decompressobj = lambda *a, **k: _CountingDecompressor(original(*a, **k), work)  # type: ignore[assignment]
    previous = sys.gettrace()
    # No cyclic garbage collection inside the block: a collection would run other objects'
    # weakref callbacks here, counting their lines (and raising WorkExceeded inside them, where
    # it is "ignored" and fails the test as an unraisable exception) at a moment nobody chose.
    collecting = gc.isenabled()
    gc.disable()
    sys.settrace(trace)
    try:
        yield work
    finally:
        sys.settrace(previous)
        if collecting:
            gc.enable()
        zlib.decompressobj = original


class _CountingDecompressor:
    """A zlib decompressor that adds what it produces to ``work.inflated``."""

    def __init__(self, inner: Any, work: Work) -> None:
        self._inner, self._work = inner, work

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        out: bytes = self._inner.decompress(data, max_length)
        self._work.inflated += len(out)
        return out

    def flush(self, *length: int) -> bytes:
        out: bytes = self._inner.flush(*length)
        self._work.inflated += len(out)
        return out

    def __getattr__(self, name: str) -> Any:  # eof, unconsumed_tail, unused_data
        return getattr(self._inner, name)


def run_counted(fn: Callable[[], Any], **options: Any) -> tuple[Any, Work]:
    """``fn()``'s result (or the exception it raised, for the caller to inspect) and its work."""
    with counted(**options) as work:
        try:
            result = fn()
        except Exception as exc:
            result = exc
    return result, work
