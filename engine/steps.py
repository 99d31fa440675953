"""Running one step of one instance: load the workflow, run it to its next wait state, save it,
and project what a person or the sweeper needs (ready human tasks, waiting timers) into rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import (
    JSON,
    DateTime,
    Integer,
    Uuid,
    bindparam,
    column,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import task_rows, task_tree
from engine.bpmn import ProcessBundle
from engine.clock import step_time
from engine.errors import ConflictError, EngineError, StepFailed
from engine.ids import new_id
from engine.messages import render
from engine.models import AuditEvent, HumanTask, Instance, Timer
from engine.process_engine import StepSaved
from engine.sandbox import find_script_error
from engine.state import SERIALIZER_VERSION
from engine.task_rows import is_timer
from engine.timers_spiff import timer_due
from engine.uow import EVENT_COLUMNS, TASK_COLUMNS, TIMER_COLUMNS, UnitOfWork, task_values

# Tasks one run may complete between two wait states. A process that needs more is looping
# without reaching a wait state (or should loop inside one script): the run fails with an
# incident instead of holding the transaction, and the database's write lock, for ever.
MAX_ENGINE_STEPS = 500


def all_workflows(workflow: BpmnWorkflow) -> list[Any]:
    return [workflow, *workflow.subprocesses.values()]


def tasks_in(workflow: BpmnWorkflow, **filters: Any) -> Iterable[SpiffTask]:
    """The tasks of the workflow and its sub-processes matching ``filters``, each once (the
    workflow's own iterator already descends into running sub-processes)."""
    seen: set[uuid.UUID] = set()
    for each in all_workflows(workflow):
        for task in each.get_tasks(**filters):
            if task.id not in seen:
                seen.add(task.id)
                yield task


def load(uow: UnitOfWork, instance: Instance, bundle: ProcessBundle) -> BpmnWorkflow:
    """The instance's workflow, its finished history compacted if deep (``engine.task_tree``).

    State that cannot be read raises ``StepFailed``: an incident on this instance, which leaves
    every other instance (and the sweep that met it) alone."""
    engine = uow.engine
    try:
        workflow = engine.codec.load(
            instance.state, bundle.spec, bundle.subprocess_specs, engine.script_engine
        )
        task_tree.tidy(workflow)
    except Exception as exc:  # noqa: BLE001 — whatever the stored bytes did, it is this instance's
        raise _state_failure(instance, "state_unreadable", exc) from exc
    return workflow


def waiting_timers(workflow: BpmnWorkflow) -> dict[uuid.UUID, tuple[SpiffTask, datetime]]:
    """The workflow's waiting timer tasks with a due instant, by SpiffWorkflow task id."""
    waiting: dict[uuid.UUID, tuple[SpiffTask, datetime]] = {}
    for task in tasks_in(workflow, state=TaskState.WAITING):
        _add_timer(waiting, task)
    return waiting


def waiting_and_ready(workflow: BpmnWorkflow) -> tuple[dict[uuid.UUID, tuple[SpiffTask, datetime]], dict[uuid.UUID, SpiffTask]]:
    """``waiting_timers`` and the ready user tasks (by id, in the tree's order), by one walk of the
    task tree instead of two: a save needs both (``sync_timers``, ``sync_human_tasks``), and a
    walk visits the whole tree. Both states are definite, so the walk prunes as each one did."""
    waiting: dict[uuid.UUID, tuple[SpiffTask, datetime]] = {}
    ready: dict[uuid.UUID, SpiffTask] = {}
    for task in tasks_in(workflow, state=TaskState.WAITING | TaskState.READY):
        if task.state == TaskState.WAITING:
            _add_timer(waiting, task)
        elif task.task_spec.manual:
            ready[task.id] = task
    return waiting, ready


def timers_waiting(workflow: BpmnWorkflow) -> tuple[bool, dict[uuid.UUID, tuple[SpiffTask, datetime]]]:
    """(whether the workflow waits on a timer, ``waiting_timers``) by one walk of the task tree: a
    step's load needs both, and a walk visits the whole tree."""
    waiting: dict[uuid.UUID, tuple[SpiffTask, datetime]] = {}
    waits = False
    for task in tasks_in(workflow, state=TaskState.WAITING):
        waits = _add_timer(waiting, task) or waits
    return waits, waiting


def _add_timer(waiting: dict[uuid.UUID, tuple[SpiffTask, datetime]], task: SpiffTask) -> bool:
    """Add ``task`` to ``waiting`` if it is a timer with a due instant; whether it is a timer."""
    if not is_timer(task):
        return False
    due = timer_due(task.task_spec.event_definition, task.internal_data)
    if due is not None:
        waiting[task.id] = (task, due)
    return True


def read_timer_rows(session: Session, instance_id: uuid.UUID, waiting: dict[uuid.UUID, tuple[SpiffTask, datetime]]) -> tuple[list[Timer], list[Timer]]:
    """(waiting rows, fired rows that may be of timers still waiting in ``waiting``) of an
    instance, in one SELECT: the step's ``sync_timers`` needs the first, ``catch_up`` the second
    (``fired_deadlines`` picks the rows at a waiting timer's own instant: none is earlier than
    the earliest)."""
    if waiting:
        earliest = min(due for _task, due in waiting.values())
        rows = session.scalars(_TIMER_ROWS_AND_FIRED, {"instance_id": instance_id, "earliest": earliest}).all()
    else:
        rows = session.scalars(_TIMER_ROWS, {"instance_id": instance_id}).all()
    return [row for row in rows if row.status == "waiting"], [row for row in rows if row.status == "fired"]


# Built once: building them cost more than running them (a step of an instance with a deadline).
# No expanding IN of the waiting timers' ids: its SQL is rendered again at every execution.
_TIMER_ROWS = select(Timer).where(Timer.instance_id == bindparam("instance_id"), Timer.status == "waiting")
_TIMER_ROWS_AND_FIRED = select(Timer).where(
    Timer.instance_id == bindparam("instance_id"),
    (Timer.status == "waiting") | ((Timer.status == "fired") & (Timer.due_at >= bindparam("earliest", type_=Timer.due_at.type))),
)  # fmt: skip


def fired_deadlines(
    waiting: dict[uuid.UUID, tuple[SpiffTask, datetime]], fired_rows: Iterable[Timer]
) -> list[tuple[SpiffTask, datetime]]:
    """The waiting timer tasks whose row says fired at the same due instant: deadlines the sweep
    fired set-based (``engine.timer_flags``) that the stored workflow has not seen yet. (A cycle's
    earlier firing leaves a fired row for its task too, at an earlier instant.)"""
    found: dict[uuid.UUID, tuple[SpiffTask, datetime]] = {}
    for row in fired_rows:
        current = waiting.get(row.spiff_task_id)
        if current is not None and current[1] == row.due_at:
            found[row.spiff_task_id] = current
    return list(found.values())


def fire_in_memory(deadlines: list[tuple[SpiffTask, datetime]]) -> None:
    """Fire each timer task at its own due instant (the sweep's, which may be ahead of the
    step's clock: ``giaoviec worker --now``), so its branch runs at the next engine steps."""
    for task, at in deadlines:
        with step_time(at):
            task.task_spec._update(task)


def catch_up(uow: UnitOfWork, instance: Instance, workflow: BpmnWorkflow, deadlines: list[tuple[SpiffTask, datetime]]) -> None:
    """Fire in ``workflow`` the deadlines the sweep already fired set-based (``fired_deadlines``).
    Runs right after loading, before the step's own action and before any gateway reads data: the
    deadline's script runs as if the sweep had stepped the instance (completing the task first
    would cancel the boundary event and lose its flag)."""
    if deadlines:
        run(uow, instance, workflow, {"kind": "run"}, lambda: fire_in_memory(deadlines))


def dump(uow: UnitOfWork, instance: Instance, workflow: BpmnWorkflow, new_instance: Instance | None = None) -> bytes:
    """The bytes to store for ``workflow``, its finished history compacted if deep; ``StepFailed``
    if it cannot be written (``new_instance``: as for ``run``)."""
    try:
        task_tree.tidy(workflow)
        return uow.engine.codec.dump(workflow)
    except Exception as exc:  # noqa: BLE001 — e.g. data too deep for the encoder
        raise _state_failure(instance, "state_unwritable", exc, new_instance) from exc


def _state_failure(instance: Instance, code: str, exc: Exception, new_instance: Instance | None = None) -> StepFailed:
    detail = render(code, detail=f"{type(exc).__name__}: {str(exc)[:300]}")
    return StepFailed(
        instance_id=instance.id, element_id=None, error_code=code, detail=detail,
        command={"kind": "run"}, new_instance=new_instance,
    )  # fmt: skip


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
    and the instance stays at its last wait state, with an incident that can be retried. So do
    a run of more than ``MAX_ENGINE_STEPS`` tasks and a task tree that grew deeper than
    SpiffWorkflow can walk (it would miss tasks and could call the instance completed).
    """
    current: SpiffTask | None = None
    completed = 0

    def remember(task: SpiffTask) -> None:
        nonlocal current, completed
        current, completed = task, completed + 1
        if completed > MAX_ENGINE_STEPS:
            raise EngineError("engine_steps_exceeded", limit=MAX_ENGINE_STEPS)

    with step_time(now or uow.now):
        try:
            if action is not None:
                action()
            workflow.do_engine_steps(will_complete_task=remember)
            task_tree.check_depth(workflow)
        except Exception as exc:
            # the engine step, or the user task
            failed = current if current is not None else getattr(exc, "task", None)
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
    elif isinstance(exc, EngineError):
        code, detail = exc.code, exc.message()
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
    new_instance: Instance | None = None,
) -> list[HumanTask]:
    """Write the workflow back and bring the instance's task and timer rows in line with it.

    Returns the task rows opened; fires ``step_saved`` unless this is the instance's start, given
    by ``new_instance`` (its state before the first step, kept with an incident if the state
    cannot be written; a start fires ``instances_started`` instead)."""
    try:
        if workflow.is_completed() and instance.status == "running":
            instance.status = "completed"
            instance.ended_at = uow.now
            uow.audit("instance_completed", instance_id=instance.id, subject=instance.process_key)
            uow.engine.hooks.fire("instance_ended", uow, instance)
        uow.touched.append(instance.id)
        waiting, ready = waiting_and_ready(workflow)
        fired = sync_timers(uow, instance, workflow, waiting, new=new_instance is not None)
        opened = sync_human_tasks(uow, instance, bundle, ready, new=new_instance is not None)
        # Last: the syncs read the tasks this step finished, which compaction may remove.
        state = dump(uow, instance, workflow, new_instance)
    except BaseException:
        # The task rows this step closed and opened are not written yet: they go with the step
        # (a sweep goes on with the next instance and commits; see ``uow.drop_task_rows``).
        uow.drop_task_rows()
        raise
    if uow.batch_writes:  # the batch writes its instances and queued task rows once (engine.timer_batch)
        instance.state, instance.serializer_version = state, SERIALIZER_VERSION
    elif new_instance is None and inspect(instance).persistent:
        write_instance(uow, instance, state=state, serializer_version=SERIALIZER_VERSION)
    else:  # a new instance: the ORM inserts it
        uow.write_task_rows()
        instance.state, instance.serializer_version = state, SERIALIZER_VERSION
    if new_instance is None:
        try:
            uow.engine.hooks.fire("step_saved", uow, StepSaved(instance, opened, fired))
        except BaseException:
            uow.session.expire(instance)  # written by Core: a savepoint's rollback would not expire it
            raise
    return opened


_INSTANCE = Instance.__table__
_INSTANCE_UPDATES: dict[tuple[str, ...], Any] = {}  # by the columns written, built once each


def write_instance(uow: UnitOfWork, instance: Instance, **values: Any) -> None:
    """UPDATE the loaded ``instance`` with ``values`` and whatever else the step changed in it,
    and write the task rows the step closed and opened (``uow.write_task_rows``), with Core
    statements built once per shape. The optimistic lock is kept by hand: ``WHERE id = :id AND
    version = :loaded``, version + 1, no row matched → ``ConflictError`` (the ORM's
    ``StaleDataError`` before, which ``uow.translate_db_error`` turned into the same). The object
    shows the new values as committed, so the ORM's flush leaves it alone.

    On PostgreSQL the task rows go in the same statement, as data-modifying CTEs: one round trip
    instead of three (the rows change whatever the lock says; a conflict rolls all back). So do
    the audit events recorded so far, unless a savepoint is open: a caller that rolls a savepoint
    back drops the events it recorded after its mark (``del uow.events[mark:]``), and events
    written here would take earlier ones down with it."""
    state = inspect(instance)
    for key in state.committed_state:  # changed by the step (status, ended_at, due_at, …)
        if key != "version":
            values.setdefault(key, state.dict[key])
    loaded = instance.version
    params = {f"v_{name}": value for name, value in values.items()}
    params.update(w_id=instance.id, w_version=loaded, v_version=loaded + 1)
    closed: list[dict[str, Any]] = []
    opened: list[HumanTask] = []
    closed_timers: list[dict[str, Any]] = []
    new_timers: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    if uow.session.get_bind().dialect.name == "postgresql":
        closed, opened = uow.take_task_rows()
        closed_timers, new_timers = uow.take_timer_rows()
        for i, row in enumerate(closed_timers):
            params.update({f"ct{i}_{name}": value for name, value in row.items()})
        for i, row in enumerate(new_timers):
            params.update({f"nt{i}_{name}": value for name, value in row.items()})
        if not uow.session.in_nested_transaction():
            events = uow.take_events()
        if events:
            params["events"] = [_event_json(n, event) for n, event in enumerate(events)]
        for i, row in enumerate(closed):
            params.update({f"c{i}_{name}": value for name, value in row.items()})
        for i, task in enumerate(opened):
            params.update({f"n{i}_{name}": value for name, value in task_values(task).items()})
    else:
        uow.write_task_rows()
    shape = (tuple(sorted(values)), len(closed), len(opened), len(closed_timers), len(new_timers), bool(events))
    statement = _INSTANCE_UPDATES.get(shape)
    if statement is None:
        statement = _INSTANCE_UPDATES[shape] = _instance_update(*shape)
    if uow.session.connection().execute(statement, params).rowcount != 1:
        raise ConflictError(id=str(instance.id))
    for name, value in values.items():
        set_committed_value(instance, name, value)
    set_committed_value(instance, "version", loaded + 1)


def _instance_update(columns: tuple[str, ...], n_closed: int, n_opened: int, n_closed_timers: int, n_new_timers: int,
                     with_events: bool) -> Any:  # fmt: skip
    statement = (
        update(_INSTANCE)
        .where(_INSTANCE.c.id == bindparam("w_id"), _INSTANCE.c.version == bindparam("w_version"))
        .values({name: bindparam(f"v_{name}") for name in (*columns, "version")})
    )  # fmt: skip
    # One single-row INSERT per row: a multi-row VALUES is not cached by SQLAlchemy (it was
    # compiled again at every completion). The timer rows after the task rows; a cycle timer's
    # closed row was written before (``sync_timers``), so no new waiting row meets, in this
    # statement, the waiting row it replaces.
    ctes = [
        *_row_ctes(HumanTask.__table__, ("c", "row_id", {"status": "new_status", "completed_at": "at", "completed_by": "by"}),
                   n_closed, ("n", TASK_COLUMNS), n_opened),
        *_row_ctes(Timer.__table__, ("ct", "t_id", {"status": "t_status", "fired_at": "t_fired_at"}),
                   n_closed_timers, ("nt", TIMER_COLUMNS), n_new_timers),
    ]  # fmt: skip
    if with_events:
        ctes.append(_events_insert())
    return statement.add_cte(*ctes) if ctes else statement


def _row_ctes(table: Any, closing: tuple[str, str, dict[str, str]], n_closed: int, opening: tuple[str, tuple[str, ...]], n_opened: int) -> list[Any]:
    """Data-modifying CTEs that close ``n_closed`` rows of ``table`` (``closing``: the parameters'
    prefix, the id's parameter, each column set and its parameter) and insert ``n_opened``
    (``opening``: the prefix and the columns): the parameters of row ``i`` are ``<prefix><i>_<name>``."""
    prefix, key, sets = closing
    closed = [
        update(table).where(table.c.id == bindparam(f"{prefix}{i}_{key}"))
        .values({column: bindparam(f"{prefix}{i}_{name}") for column, name in sets.items()}).cte(f"{prefix}{i}")
        for i in range(n_closed)
    ]  # fmt: skip
    prefix, columns = opening
    opened = [insert(table).values({name: bindparam(f"{prefix}{i}_{name}") for name in columns}).cte(f"{prefix}{i}") for i in range(n_opened)]
    return closed + opened


def _events_insert() -> Any:
    """The audit events as one JSON array, inserted in its order: the rows take their ids in that
    order (the sealer chains by id). One statement for any number of events: a multi-row VALUES
    would be compiled again at every step (SQLAlchemy does not cache it), and separate CTEs run in
    no set order."""
    events = AuditEvent.__table__
    types = {"instance_id": Uuid(), "task_id": Uuid(), "occurred_at": DateTime(timezone=True)}
    rows = func.json_to_recordset(bindparam("events", type_=JSON())).table_valued(
        column("n", Integer()), *(column(name, types.get(name, events.c[name].type)) for name in EVENT_COLUMNS)
    ).render_derived(name="e", with_types=True)  # fmt: skip
    chosen = select(*(rows.c[name] for name in EVENT_COLUMNS)).order_by(rows.c.n)
    return insert(events).from_select(list(EVENT_COLUMNS), chosen).cte("events")


def _event_json(n: int, event: dict[str, Any]) -> dict[str, Any]:
    """Audit event ``n`` as JSON for ``_events_insert``: instants and ids as text, read back by
    their columns' types."""
    return {"n": n} | {name: value.isoformat() if isinstance(value, datetime) else str(value) if isinstance(value, uuid.UUID) else value
            for name, value in event.items()}  # fmt: skip


_OPEN_TASK_ROWS = select(HumanTask).where(HumanTask.instance_id == bindparam("instance_id"), HumanTask.status == "open")


def sync_human_tasks(
    uow: UnitOfWork, instance: Instance, bundle: ProcessBundle, ready: dict[uuid.UUID, SpiffTask], *, new: bool = False
) -> list[HumanTask]:
    """Open a row for each ``ready`` user task (``waiting_and_ready``) without one; cancel the open
    rows whose task is no longer ready."""
    session = uow.session
    opened: list[HumanTask] = []
    if new:
        open_rows: list[HumanTask] = []  # a new instance has no rows yet
    elif instance.id in uow.open_tasks:  # read with the task being completed
        open_rows = [row for row in uow.open_tasks.pop(instance.id) if row.status == "open"]
    else:
        open_rows = list(session.scalars(_OPEN_TASK_ROWS, {"instance_id": instance.id}))
    known = {row.spiff_task_id for row in open_rows}
    for row in open_rows:
        if (
            row.status == "open" and row.spiff_task_id not in ready
        ):  # completed by this step: leave it
            uow.close_task(row, "cancelled")
            uow.audit(
                "task_cancelled", instance_id=instance.id, task_id=row.id, subject=row.element_id
            )
    new_tasks = [
        task_rows.resolve_rule(uow, task_rows.ready_task(task, bundle), unit_code=instance.unit_code, process_key=instance.process_key)
        for spiff_id, task in ready.items() if spiff_id not in known
    ]  # fmt: skip
    if not new_tasks:
        return opened
    owner = _owner(uow, instance, need_parent=any(task.needs_parent for task in new_tasks))
    for task in new_tasks:
        row = task_rows.human_task(new_id(uow.now), task, owner, instance.process_key, uow.now)
        opened.append(row)
        uow.audit("task_created", instance_id=instance.id, task_id=row.id, subject=task.element_id)
        uow.engine.hooks.fire("task_created", uow, row)
    # Not in the session: one Core INSERT after the hooks (their changes kept), by
    # ``write_instance`` or ``uow.write_task_rows`` (the ORM's flush cost more than the statement).
    uow.new_tasks.extend(opened)
    return opened


def _owner(uow: UnitOfWork, instance: Instance, *, need_parent: bool) -> task_rows.Owner:
    parent_unit = None
    if need_parent and instance.parent_id is not None:
        parent = uow.session.get(Instance, instance.parent_id)
        parent_unit = parent.unit_code if parent is not None else None
    return task_rows.Owner(instance.id, instance.unit_code, parent_unit, instance.plan_key,
                           instance.task_key, instance.period, instance.due_at)  # fmt: skip


def sync_timers(uow: UnitOfWork, instance: Instance, workflow: BpmnWorkflow,
                waiting: dict[uuid.UUID, tuple[SpiffTask, datetime]], *, new: bool = False) -> list[str]:  # fmt: skip
    """Insert rows for new ``waiting`` timers (``waiting_and_ready``), close rows whose timer fired
    or was cancelled.

    Returns the element ids of the timers that fired in this step (each also gets a
    ``timer_fired`` audit event).
    """
    session = uow.session
    if new:
        rows: list[Timer] = []  # a new instance has no rows yet
    elif instance.id in uow.timer_rows:
        rows = uow.timer_rows.pop(instance.id)  # read when the instance was loaded (``commands._load``)
    else:
        rows = list(session.scalars(_TIMER_ROWS, {"instance_id": instance.id}))
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
            uow.close_timer(row, "fired")
            fired.append(row.element_id)
            uow.audit(
                "timer_fired",
                instance_id=instance.id,
                subject=row.element_id,
                data={"timer": str(row.id), "due_at": row.due_at.isoformat()},
            )
        else:
            uow.close_timer(row, "cancelled")
    uow.timers_fired += len(fired)
    if any(row.spiff_task_id in waiting and row.spiff_task_id not in still_waiting for row in rows):
        # Free the partial unique index before a cycle timer's next row goes in. Only then: a
        # statement per step would keep a batch of steps (engine.timer_batch) from one executemany.
        uow.write_closed_timers()
    for spiff_id, (task, due) in waiting.items():
        if spiff_id not in still_waiting:
            uow.new_timers.append({
                "id": new_id(uow.now), "instance_id": instance.id, "spiff_task_id": spiff_id,
                "element_id": task.task_spec.bpmn_id, "due_at": due, "status": "waiting",
                "created_at": uow.now, "fired_at": None,
            })  # fmt: skip
    return fired
