"""Everything the domain plugs into an engine, installed once per engine by every shell."""

from __future__ import annotations

from engine import ProcessEngine
from workflows.cascade import dispatch
from workflows.tracking import follow


def install(pe: ProcessEngine) -> ProcessEngine:
    """Tracking first (a ward's re-assignment must find its own tracking row), then the cascade."""
    follow.install(pe)
    dispatch.install(pe)
    return pe
