"""Everything the domain plugs into an engine, installed once per engine by every shell."""

from __future__ import annotations

from engine import ProcessEngine
from workflows.cascade import dispatch, reporting, signoff
from workflows.tracking import follow


def install(pe: ProcessEngine, signer: signoff.Signer | None = None) -> ProcessEngine:
    """Tracking first (a ward's re-assignment must find its own tracking row), then reports (the
    sign-off needs the approved version), then the cascade."""
    follow.install(pe)
    reporting.install(pe)
    signoff.install(pe, signer)
    dispatch.install(pe)
    return pe
