"""Reading an instance's workflow from outside a step, as its next step would see it.

The stored state lags behind the timer rows by design: a deadline fired set-based
(``engine.timer_flags``) is a fired row while its timer task still waits in the stored state,
until the instance's next step catches up (``steps.catch_up``). So nothing outside the engine
should decode ``Instance.state`` itself; ``read_workflow`` applies the fired deadlines in memory
(their scripts run, e.g. ``qua_han = True``) and stores nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy.orm import Session

from engine import steps
from engine.clock import step_time
from engine.models import Instance

if TYPE_CHECKING:
    from engine.process_engine import ProcessEngine


def read_workflow(engine: ProcessEngine, session: Session, instance: Instance) -> BpmnWorkflow:
    """The instance's workflow with the deadlines already fired applied (in memory only)."""
    bundle = engine.bundle_by_id(session, instance.definition_id)
    workflow = engine.codec.load(instance.state, bundle.spec, bundle.subprocess_specs, engine.script_engine)
    waiting = steps.waiting_timers(workflow)
    if not waiting:
        return workflow
    _, fired = steps.read_timer_rows(session, instance.id, waiting)
    deadlines = steps.fired_deadlines(waiting, fired)
    if deadlines:
        with step_time(max([engine.clock.now(), *(at for _, at in deadlines)])):
            steps.fire_in_memory(deadlines)
            workflow.do_engine_steps()
    return workflow
