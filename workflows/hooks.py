"""Everything the domain plugs into an engine, installed once per engine by every shell."""

from __future__ import annotations

from engine import ProcessEngine
from workflows import process_contract, step_deadlines
from workflows.actions import guard as action_guard
from workflows.cascade import dispatch, reporting, signoff
from workflows.tracking import follow


def install(pe: ProcessEngine, signer: signoff.Signer | None = None, *, guard: bool = True) -> ProcessEngine:
    """The guard first (``workflows.actions.guard``: no human task completes unless the rules allow
    the person; ``guard=False`` only for a harness that drives the processes as the engine itself,
    as the domain's tests of the cascade do), then the process contract (its checks refuse before
    anything else runs), then tracking (a ward's re-assignment must find its own tracking row), then
    reports (the sign-off needs the approved version), then the cascade; and the business calendar
    that resolves a step's own deadline rule (``workflows.step_deadlines``)."""
    if guard:
        action_guard.install(pe)
    process_contract.install(pe)
    follow.install(pe)
    reporting.install(pe)
    signoff.install(pe, signer)
    dispatch.install(pe)
    step_deadlines.install(pe)
    return pe
