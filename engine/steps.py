"""Running one step of one instance: load the workflow, run it to its next wait state, save it,
and project what a person or the sweeper needs (ready human tasks, waiting timers) into rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.bpmn import ProcessBundle
from engine.clock import step_time
from engine.errors import StepFailed
from engine.ids import new_id
from engine.models import HumanTask, Instance, Timer
from engine.process_engine import StepSaved
from engine.sandbox import find_script_error
from engine.state import SERIALIZER_VERSION
from engine.timers_spiff import timer_due
from engine.uow import UnitOfWork


def all_workflows(workflow: BpmnWorkflow) -> list[Any]:
    return [workflow, *workflow.subprocesses.values()]


def tasks_in(workflow: BpmnWorkflow, **filters: Any) -> Iterable[SpiffTask]:
    for each in all_workflows(workflow):
        yield from each.get_tasks(**filters)


def load(uow: UnitOfWork, instance: Instance, bundle: ProcessBundle) -> BpmnWorkflow:
    engine = uow.engine
    return engine.codec.load(
        instance.state, bundle.spec, bundle.subprocess_specs, engine.script_engine
    )


def new_workflow(uow: UnitOfWork, bundle: ProcessBundle, data: dict[str, Any]) -> BpmnWorkflow:
    workflow = BpmnWorkflow(
        bundle.spec, bundle.subprocess_specs, script_engine=uow.engine.script_engine
    )
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    return workflow


def run(
    uow: UnitOfWork,
    instance: Instance,
    workflow: BpmnWorkflow,
    command: dict[str, Any],
    action: Callable[[], None] | None = None,
    *,
    new_instance: Instance | None = None,
    now: datetime | None = None,
) -> None:
    """Run ``action`` (e.g. completing a user task), then the engine to the next wait state.

    Any failure inside the process becomes ``StepFailed``: the caller's transaction rolls back
    and the instance stays at its last wait state, with an incident that can be retried.
    """
    current: list[SpiffTask] = []

    def remember(task: SpiffTask) -> None:
        current[:] = [task]

    with step_time(now or uow.now):
        try:
            if action is not None:
                action()
            workflow.do_engine_steps(will_complete_task=remember)
        except Exception as exc:
            failed = (
                current[0] if current else getattr(exc, "task", None)
            )  # the engine step, or the user task
            element_id = failed.task_spec.bpmn_id if failed is not None else None
            raise _failure(instance, element_id, exc, command, new_instance) from exc


def _failure(
    instance: Instance,
    element_id: str | None,
    exc: Exception,
    command: dict[str, Any],
    new_instance: Instance | None,
) -> StepFailed:
    script_error = find_script_error(exc)  # the exception itself or one it wraps
    if script_error is not None:
        code, detail = script_error.code, script_error.message()
    else:
        code, detail = type(exc).__name__, (str(exc).splitlines() or [type(exc).__name__])[0][:500]
    return StepFailed(
        instance_id=instance.id, element_id=element_id, error_code=code, detail=detail,
        command=command, new_instance=new_instance,
    )  # fmt: skip


def save(
    uow: UnitOfWork,
    instance: Instance,
    workflow: BpmnWorkflow,
    bundle: ProcessBundle,
    *,
    new: bool = False,
) -> list[HumanTask]:
    """Write the workflow back and bring the instance's task and timer rows in line with it.

    Returns the task rows opened; fires ``step_saved`` unless the instance is ``new`` (its start
    fires ``instances_started`` instead)."""
    instance.state = uow.engine.codec.dump(workflow)
    instance.serializer_version = SERIALIZER_VERSION
    if workflow.is_completed() and instance.status == "running":
        instance.status = "completed"
        instance.ended_at = uow.now
        uow.audit("instance_completed", instance_id=instance.id, subject=instance.process_key)
        uow.engine.hooks.fire("instance_ended", uow, instance)
    uow.touched.append(instance.id)
    fired = sync_timers(uow, instance, workflow)
    opened = sync_human_tasks(uow, instance, workflow, bundle)
    if not new:
        uow.engine.hooks.fire("step_saved", uow, StepSaved(instance, opened, fired))
    return opened


def sync_human_tasks(
    uow: UnitOfWork, instance: Instance, workflow: BpmnWorkflow, bundle: ProcessBundle
) -> list[HumanTask]:
    session = uow.session
    opened: list[HumanTask] = []
    ready = {t.id: t for t in tasks_in(workflow, state=TaskState.READY, manual=True)}
    open_rows = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
    ).all()
    known = {row.spiff_task_id for row in open_rows}
    for row in open_rows:
        if (
            row.status == "open" and row.spiff_task_id not in ready
        ):  # completed by this step: leave it
            row.status = "cancelled"
            row.completed_at = uow.now
            uow.audit(
                "task_cancelled", instance_id=instance.id, task_id=row.id, subject=row.element_id
            )
    for spiff_id, task in ready.items():
        if spiff_id in known:
            continue
        element_id = task.task_spec.bpmn_id
        row = HumanTask(
            id=new_id(uow.now), instance_id=instance.id, spiff_task_id=spiff_id,
            process_key=instance.process_key, element_id=element_id,
            name=task.task_spec.bpmn_name or element_id, lane=bundle.lanes.get(element_id),
            candidate_unit=_party_unit(uow, instance, task, bundle.parties.get(element_id)),
            candidate_role=bundle.roles.get(element_id),
            assignee=None, due_at=_deadline(task) or instance.due_at, status="open",
            plan_key=instance.plan_key, task_key=instance.task_key, period=instance.period,
            created_at=uow.now,
        )  # fmt: skip
        session.add(row)
        opened.append(row)
        uow.audit("task_created", instance_id=instance.id, task_id=row.id, subject=element_id)
        uow.engine.hooks.fire("task_created", uow, row)
    return opened


def _party_unit(
    uow: UnitOfWork, instance: Instance, task: SpiffTask, variable: str | None
) -> str | None:
    """The unit whose inbox gets the task: the instance's own, or another party's (the unit named
    by the lane's process variable, else the parent instance's unit)."""
    if variable is None:
        return instance.unit_code
    named = task.data.get(variable)
    if isinstance(named, str) and named.strip():
        return named.strip()
    if instance.parent_id is not None:
        parent = uow.session.get(Instance, instance.parent_id)
        if parent is not None and parent.unit_code:
            return parent.unit_code
    return instance.unit_code


def _deadline(task: SpiffTask) -> datetime | None:
    """The earliest timer boundary event on this task: in BPMN that is its deadline."""
    parent = task.parent
    if parent is None:
        return None
    dues = [
        due
        for sibling in parent.children
        if sibling is not task and sibling.state == TaskState.WAITING and _is_timer(sibling)
        and isinstance(sibling.task_spec, BoundaryEvent)  # not a timer on a parallel branch
        and (due := timer_due(sibling.task_spec.event_definition, sibling.internal_data)) is not None
    ]  # fmt: skip
    return min(dues, default=None)


def _is_timer(task: SpiffTask) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)


def sync_timers(uow: UnitOfWork, instance: Instance, workflow: BpmnWorkflow) -> list[str]:
    """Insert rows for new waiting timers, close rows whose timer fired or was cancelled.

    Returns the element ids of the timers that fired in this step (each also gets a
    ``timer_fired`` audit event).
    """
    session = uow.session
    waiting: dict[uuid.UUID, tuple[SpiffTask, datetime]] = {}
    for task in tasks_in(workflow, state=TaskState.WAITING):
        if _is_timer(task):
            due = timer_due(task.task_spec.event_definition, task.internal_data)
            if due is not None:
                waiting[task.id] = (task, due)
    rows = session.scalars(
        select(Timer).where(Timer.instance_id == instance.id, Timer.status == "waiting")
    ).all()
    fired: list[str] = []
    still_waiting: set[uuid.UUID] = set()
    for row in rows:
        current = waiting.get(row.spiff_task_id)
        if current is not None and current[1] == row.due_at:
            still_waiting.add(row.spiff_task_id)
            continue
        spiff_task = workflow.get_task_from_id(row.spiff_task_id) if current is None else current[0]
        if current is not None or (
            spiff_task is not None
            and spiff_task.state in (TaskState.READY, TaskState.STARTED, TaskState.COMPLETED)
        ):
            row.status, row.fired_at = "fired", uow.now
            fired.append(row.element_id)
            uow.audit(
                "timer_fired",
                instance_id=instance.id,
                subject=row.element_id,
                data={"timer": str(row.id), "due_at": row.due_at.isoformat()},
            )
        else:
            row.status = "cancelled"
    uow.timers_fired += len(fired)
    if rows:
        session.flush()  # free the partial unique index before a cycle timer's next row goes in
    for spiff_id, (task, due) in waiting.items():
        if spiff_id not in still_waiting:
            session.add(Timer(
                id=new_id(uow.now), instance_id=instance.id, spiff_task_id=spiff_id,
                element_id=task.task_spec.bpmn_id, due_at=due, status="waiting", created_at=uow.now,
            ))  # fmt: skip
    return fired
