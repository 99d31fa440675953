"""The engine's commands. Each loads, checks, changes and flushes inside the caller's unit of
work; none of them commits (Camunda 7's command pattern, one commit at the edge).
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.orm import Session, defer, object_session
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from engine import data_limits, steps
from engine.bpmn import load_bpmn
from engine.errors import BadData, InvalidState, NotFound
from engine.ids import new_id
from engine.models import HumanTask, Incident, Instance, OutboxMessage, ProcessDefinition, Timer
from engine.process_engine import InstancesStarted, StepSaved, TaskCompletion
from engine.state import SERIALIZER_VERSION
from engine.timers_spiff import reschedule
from engine.uow import UnitOfWork

# --- deploy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployed:
    key: str
    version: int
    created: bool  # False: identical XML was already the latest version (a no-op)
    definition_id: int


def deploy(uow: UnitOfWork, xml: bytes, *, source_name: str = "upload.bpmn") -> list[Deployed]:
    """Validate ``xml`` and store a new version of each executable process in it."""
    engine, session = uow.engine, uow.session
    sha256 = hashlib.sha256(xml).hexdigest()

    bundles = load_bpmn(
        xml, engine.roles, engine.sandbox, max_bytes=engine.max_bpmn_bytes, source_name=source_name
    )
    latest = {key: latest_definition(uow, key, required=False) for key in bundles}
    changed = [key for key, previous in latest.items() if previous is None or previous.sha256 != sha256]
    for key in changed:  # the domain's checks, before anything is stored
        engine.hooks.fire("definition_deploying", uow, bundles[key])
    results = []
    for key, bundle in bundles.items():
        previous = latest[key]
        if previous is not None and key not in changed:
            results.append(Deployed(key, previous.version, False, previous.id))
            continue
        definition = ProcessDefinition(
            key=key, version=(previous.version + 1 if previous else 1), name=bundle.name[:500],
            sha256=sha256, xml=xml, source_name=source_name[:500], deployed_at=uow.now, deployed_by=uow.actor,
        )  # fmt: skip
        session.add(definition)
        session.flush()
        engine.remember_bundle(definition.id, bundle)
        uow.audit("definition_deployed", subject=f"{key} v{definition.version}",
                  data={"key": key, "version": definition.version, "sha256": sha256, "source": source_name})  # fmt: skip
        results.append(Deployed(key, definition.version, True, definition.id))
    return results


# The latest version of a key, and one given version: built once (a bulk start asks at every call,
# e.g. at each of ~4,000 communes' hand-ons). The XML is left unloaded: ``engine.bundle`` reads it
# only when it has not parsed that version yet, and the callers want id, key and version.
_LATEST = (
    select(ProcessDefinition).options(defer(ProcessDefinition.xml))
    .where(ProcessDefinition.key == bindparam("key")).order_by(ProcessDefinition.version.desc()).limit(1)
)  # fmt: skip
_VERSION = (
    select(ProcessDefinition).options(defer(ProcessDefinition.xml))
    .where(ProcessDefinition.key == bindparam("key"), ProcessDefinition.version == bindparam("version"))
)  # fmt: skip
# session.info key of the unit of work's answers: {(key, version or None): definition}.
_KNOWN = "latest_definitions"


def latest_definition(
    uow: UnitOfWork, key: str, *, version: int | None = None, required: bool = True
) -> ProcessDefinition | None:
    """The latest version of ``key`` (or the given ``version``), asked once per unit of work.

    Remembered in the session, which lives as long as the unit of work: a dispatch's ~60 bulk
    starts ask once per process. A version inserted in this session forgets the key's answers
    (``_forget_on_insert``), and so does any rollback, a savepoint's too (``_forget_on_rollback``:
    a version deployed in a rolled-back savepoint stays in the session's identity map as if it
    were stored). A version another process deploys meanwhile is seen by the next unit of work,
    not by this one: one dispatch starts every child of a process on one version.
    """
    known: dict[tuple[str, int | None], ProcessDefinition] = uow.session.info.setdefault(_KNOWN, {})
    definition = known.get((key, version or None))
    if definition is None:
        if version:
            definition = uow.session.scalars(_VERSION, {"key": key, "version": version}).first()
        else:
            definition = uow.session.scalars(_LATEST, {"key": key}).first()
        if definition is not None:
            known[(key, version or None)] = definition
    if definition is None and required:
        raise NotFound("definition_not_found", key=key if version is None else f"{key} v{version}")
    return definition


@event.listens_for(ProcessDefinition, "after_insert")
def _forget_on_insert(_mapper: Any, _connection: Any, definition: ProcessDefinition) -> None:
    """A new version makes the session's "latest" of its key stale."""
    session = object_session(definition)
    known = session.info.get(_KNOWN) if session is not None else None
    if known:
        known.pop((definition.key, None), None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _transaction: Any) -> None:
    session.info.pop(_KNOWN, None)


# --- instances ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildSpec:
    """One child to start: the per-child facts, stored in instance columns (not workflow data)."""

    unit_code: str
    parent_id: uuid.UUID | None = None
    business_key: str | None = None
    plan_key: str | None = None
    task_key: str | None = None
    period: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class StartInstance:
    process_key: str
    data: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    unit_code: str | None = None
    parent_id: uuid.UUID | None = None
    business_key: str | None = None
    plan_key: str | None = None
    task_key: str | None = None
    period: str | None = None
    due_at: datetime | None = None


def start_instance(uow: UnitOfWork, cmd: StartInstance) -> Instance:
    data = check_data(cmd.data)
    definition = latest_definition(uow, cmd.process_key, version=cmd.version)
    assert definition is not None
    bundle = uow.engine.bundle(definition)
    workflow = steps.new_workflow(uow, bundle, data)
    instance = Instance(
        id=new_id(uow.now), definition_id=definition.id, process_key=definition.key,
        parent_id=cmd.parent_id, status="running", business_key=cmd.business_key,
        unit_code=cmd.unit_code, plan_key=cmd.plan_key, task_key=cmd.task_key, period=cmd.period,
        due_at=cmd.due_at, state=uow.engine.codec.dump(workflow), serializer_version=SERIALIZER_VERSION,
        started_at=uow.now, started_by=uow.actor,
    )  # fmt: skip
    initial = _copy_instance(instance)
    uow.session.add(instance)
    uow.session.flush()  # the instance row first: task and timer rows point to it
    uow.audit("instance_started", instance_id=instance.id, subject=f"{definition.key} v{definition.version}",
              data={"unit": cmd.unit_code, "parent": str(cmd.parent_id) if cmd.parent_id else None})  # fmt: skip
    steps.run(uow, instance, workflow, {"kind": "run"}, new_instance=initial)
    opened = steps.save(uow, instance, workflow, bundle, new_instance=initial)
    child = ChildSpec(unit_code=cmd.unit_code or "", parent_id=cmd.parent_id, business_key=cmd.business_key,
                      plan_key=cmd.plan_key, task_key=cmd.task_key, period=cmd.period, due_at=cmd.due_at)  # fmt: skip
    started = InstancesStarted(definition.key, [instance.id], [child], [(row.element_id, row.due_at) for row in opened],
                               instance.status != "running")  # fmt: skip
    uow.engine.hooks.fire("instances_started", uow, started)
    return instance


def _copy_instance(instance: Instance) -> Instance:
    columns = Instance.__table__.columns.keys()
    return Instance(**{name: getattr(instance, name) for name in columns if name != "version"})


def complete_task(
    uow: UnitOfWork, task_id: uuid.UUID, data: dict[str, Any] | None = None
) -> Instance:
    """Complete an open human task with the person's form ``data``; twice is an error."""
    data = check_data(data or {})
    found = _task_and_instance(uow, task_id)
    if found is None:
        raise NotFound("task_not_found", id=str(task_id))
    row, loaded = found
    if row.status == "completed":
        at = row.completed_at.isoformat(timespec="seconds") if row.completed_at else "?"
        raise InvalidState(
            "task_already_completed", id=str(task_id), at=at, by=row.completed_by or "?"
        )
    if row.status != "open":
        raise InvalidState("task_not_open", id=str(task_id), status=row.status)
    instance, workflow, bundle = _load(uow, row.instance_id, loaded)
    form = bundle.form(row.element_id)
    form.check(data, element_id=row.element_id)  # the step's allowlist, before anything runs
    try:
        spiff_task = workflow.get_task_from_id(row.spiff_task_id)
    except TaskNotFoundException:
        spiff_task = None
    if spiff_task is None or spiff_task.state != TaskState.READY:
        raise InvalidState("task_not_open", id=str(task_id), status="?")
    completion = TaskCompletion(row, data, instance, form)
    uow.engine.hooks.fire("task_completing", uow, completion)

    def complete() -> None:
        spiff_task.data.update(data)
        spiff_task.run()

    command = {"kind": "complete_task", "task_id": str(task_id), "data": data, "actor": uow.actor}
    steps.run(uow, instance, workflow, command, complete)
    uow.close_task(row, "completed", by=uow.actor)  # written with the step's other task rows
    uow.audit("task_completed", instance_id=instance.id, task_id=row.id, subject=row.element_id,
              data={"fields": sorted(data)})  # fmt: skip
    steps.save(uow, instance, workflow, bundle)
    uow.engine.hooks.fire("task_completed", uow, completion)
    return instance


_TASK, _INSTANCE = HumanTask.__table__, Instance.__table__


def _task_with_its_instance() -> Any:
    task_id = bindparam("task_id")
    of_task = select(_TASK.c.instance_id).where(_TASK.c.id == task_id).scalar_subquery()
    return (
        select(*_TASK.c, *_INSTANCE.c).join_from(_TASK, _INSTANCE, _INSTANCE.c.id == _TASK.c.instance_id)
        # Two index searches (the primary key; instance and status), not a scan of the instance's
        # history: a task returned a thousand times has thousands of completed rows.
        .where(((_TASK.c.instance_id == of_task) & (_TASK.c.status == "open")) | (_TASK.c.id == task_id))
    )  # fmt: skip


# Built once: building the statement cost more than running it (bench/README.md, completion).
# A Core statement: the ORM's handling of its rows (its compile state, a loader built per
# execution for each entity) cost more than the SELECT itself (bench/README.md, h20-read).
_TASK_WITH_ITS_INSTANCE = _task_with_its_instance()
# The same through the ORM, for a listener only the ORM's loading fires (``_task_and_instance``).
_ORM_TASK_WITH_ITS_INSTANCE = select(HumanTask, Instance).from_statement(_TASK_WITH_ITS_INSTANCE)


class _Rows:
    """Persistent objects of one mapped table from Core rows, as the ORM's loading makes them
    (``sqlalchemy.orm.loading._instance``): a row whose object the session holds gives that
    object, with only its unloaded (expired) attributes set from the row, as the ORM does; any
    other row a new object with every column loaded and no change pending, in the session's
    identity map."""

    def __init__(self, model: Any, start: int) -> None:
        self.mapper = inspect(model)
        table = self.mapper.local_table
        self.keys = tuple(self.mapper.get_property_by_column(column).key for column in table.columns)
        [key_column] = self.mapper.primary_key
        self.start, self.stop = start, start + len(self.keys)
        self.key_at = start + list(table.columns).index(key_column)

    def watched(self) -> bool:
        """Whether a ``load`` or ``refresh`` listener waits on this class: only the ORM's loading
        fires them."""
        dispatch = self.mapper.class_manager.dispatch
        return bool(dispatch.load or dispatch.refresh)

    def object(self, session: Session, row: Any) -> Any:
        identity = self.mapper.identity_key_from_primary_key((row[self.key_at],))
        held = session.identity_map.get(identity)
        values = row[self.start : self.stop]
        if held is not None:
            unloaded = instance_state(held).unloaded
            for key, value in zip(self.keys, values, strict=True):
                if key in unloaded:
                    set_committed_value(held, key, value)
            return held
        made = self.mapper.class_manager.new_instance()
        state = instance_state(made)
        state.dict.update(zip(self.keys, values, strict=True))
        # What the ORM's loading does to a new object of a row; the public way to the same state
        # (``make_transient_to_detached``, ``Session.add``) took back half of what the Core read saves.
        state.key, state.identity_token, state.session_id = identity, None, session.hash_key
        session.identity_map._add_unpresent(state, identity)
        return made


_TASK_ROWS, _INSTANCE_ROWS = _Rows(HumanTask, 0), _Rows(Instance, len(_TASK.columns))


def _task_and_instance(uow: UnitOfWork, task_id: uuid.UUID) -> tuple[HumanTask, Instance] | None:
    """The task row and its instance, with the instance's other open task rows, by one query (two
    round trips less per completion: ``steps.sync_human_tasks`` takes the open rows from
    ``uow.open_tasks``). The instance is returned, not only left in the session: the identity map
    holds objects weakly, and an instance nobody references is gone before ``_load`` asks for it.

    The objects are those the ORM's query would give (``_Rows``); a ``load``, ``refresh`` or
    ``loaded_as_persistent`` listener, which only the ORM's loading fires, gets that query."""
    session = uow.session
    if _TASK_ROWS.watched() or _INSTANCE_ROWS.watched() or session.dispatch.loaded_as_persistent:
        rows = session.execute(_ORM_TASK_WITH_ITS_INSTANCE, {"task_id": task_id}).all()
    else:
        found = session.connection().execute(_TASK_WITH_ITS_INSTANCE, {"task_id": task_id}).all()
        if not found:
            return None
        of_all = _INSTANCE_ROWS.object(session, found[0])  # every row is of the task's instance
        rows = [(_TASK_ROWS.object(session, row), of_all) for row in found]
    mine = [(task, instance) for task, instance in rows if task.id == task_id]
    if not mine:
        return None
    task, instance = mine[0]
    uow.open_tasks[instance.id] = [each for each, _ in rows if each.status == "open"]
    return task, instance


def _load(uow: UnitOfWork, instance_id: uuid.UUID, instance: Instance | None = None) -> tuple[Instance, Any, Any]:
    if instance is None:
        instance = uow.session.get(Instance, instance_id)
    if instance is None:
        raise NotFound("instance_not_found", id=str(instance_id))
    if instance.status == "cancelled":
        raise InvalidState("instance_not_running", id=str(instance_id), status=instance.status)
    bundle = uow.engine.bundle_by_id(uow.session, instance.definition_id)
    workflow = steps.load(uow, instance, bundle)
    waits, waiting = steps.timers_waiting(workflow)
    if waits:
        # One SELECT serves both the catch-up below and the step's ``steps.sync_timers``.
        rows, fired = steps.read_timer_rows(uow.session, instance.id, waiting)
        uow.timer_rows[instance.id] = rows
        steps.catch_up(uow, instance, workflow, steps.fired_deadlines(waiting, fired))
    else:
        uow.timer_rows[instance.id] = []  # rows mirror the stored state's waiting timers: none
    return instance, workflow, bundle


def resume(uow: UnitOfWork, instance_id: uuid.UUID, data: dict[str, Any] | None = None) -> Instance:
    """Run an instance's engine steps again (after an incident, or to fire due timers).

    ``data`` (an operator's correction) is merged into the data of the tasks about to run.
    """
    instance, workflow, bundle = _load(uow, instance_id)
    fix = check_data(data or {})

    def refresh() -> None:
        if fix:
            for task in steps.tasks_in(workflow, state=TaskState.READY):
                task.data.update(fix)
        workflow.refresh_timers()

    steps.run(uow, instance, workflow, {"kind": "run"}, refresh)
    steps.save(uow, instance, workflow, bundle)
    return instance


def retry_incident(
    uow: UnitOfWork, incident_id: int, *, data: dict[str, Any] | None = None
) -> Instance:
    """Run the failed step again; on success the incident is resolved in the same transaction."""
    incident = uow.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident_not_found", id=incident_id)
    if incident.status != "open":
        raise InvalidState("incident_not_open", id=incident_id)
    command = dict(incident.command)
    if command.get("kind") == "complete_task":
        merged = {**command.get("data", {}), **(data or {})}
        instance = complete_task(uow, uuid.UUID(command["task_id"]), merged)
    else:
        instance = resume(uow, incident.instance_id, data)
    _close_incident(uow, incident, "retried")
    return instance


MAX_REASON_CHARS = 2_000
_MAX_ID = 2**63 - 1  # the largest BIGINT: a larger number names no row and must not reach the driver


def resolve_incident(uow: UnitOfWork, incident_id: int, *, reason: str) -> Incident:
    """Close an open incident without running its step again ("moot"): its instance has ended or
    was cancelled, so the step can never matter. An incident of a running instance is refused:
    closing it would hide an instance stuck at its last wait state (retry it, or cancel first)."""
    reason = unicodedata.normalize("NFC", reason).strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise BadData("incident_reason_required", limit=MAX_REASON_CHARS)
    incident = uow.session.get(Incident, incident_id) if 0 < incident_id <= _MAX_ID else None
    if incident is None:
        raise NotFound("incident_not_found", id=incident_id)
    if incident.status != "open":
        raise InvalidState("incident_not_open", id=incident_id)
    instance = uow.session.get(Instance, incident.instance_id)
    if instance is not None and instance.status == "running":
        raise InvalidState("incident_resolve_running", id=incident_id)
    _close_incident(uow, incident, "moot", reason)
    uow.session.flush()
    return incident


def _close_incident(uow: UnitOfWork, incident: Incident, resolution: str, reason: str | None = None) -> None:
    incident.status, incident.resolved_at, incident.resolved_by = "resolved", uow.now, uow.actor
    incident.resolution, incident.reason = resolution, reason
    data: dict[str, Any] = {"incident": incident.id, "resolution": resolution}
    if reason is not None:
        data["reason"] = reason
    uow.audit("incident_resolved", instance_id=incident.instance_id, subject=incident.element_id, data=data)


def cancel_instance(uow: UnitOfWork, instance_id: uuid.UUID, *, reason: str) -> list[Instance]:
    """Cancel a running instance and its running descendants (e.g. a plan task withdrawn).

    Their open tasks and waiting timers are closed, their open incidents resolved as moot (with
    the same reason); the workflow state is kept as it was, for the record. Returns the instances
    cancelled (none if it had already ended).
    """
    root = uow.session.get(Instance, instance_id)
    if root is None:
        raise NotFound("instance_not_found", id=str(instance_id))
    cancelled: list[Instance] = []
    todo = [root]
    while todo:
        instance = todo.pop()
        todo.extend(
            uow.session.scalars(
                select(Instance).where(
                    Instance.parent_id == instance.id, Instance.status == "running"
                )
            )
        )
        if instance.status != "running":
            continue
        instance.status, instance.ended_at = "cancelled", uow.now
        for row in uow.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.status == "open"
            )
        ):
            row.status, row.completed_at = "cancelled", uow.now
        for timer in uow.session.scalars(
            select(Timer).where(Timer.instance_id == instance.id, Timer.status == "waiting")
        ):
            timer.status = "cancelled"
        for incident in uow.session.scalars(
            select(Incident).where(Incident.instance_id == instance.id, Incident.status == "open")
        ):
            _close_incident(uow, incident, "moot", reason)
        uow.audit(
            "instance_cancelled",
            instance_id=instance.id,
            subject=instance.process_key,
            data={"reason": reason},
        )
        uow.touched.append(instance.id)
        uow.engine.hooks.fire("step_saved", uow, StepSaved(instance, [], []))
        cancelled.append(instance)
    uow.session.flush()
    return cancelled


def move_deadline(
    uow: UnitOfWork, instance_id: uuid.UUID, due: datetime, *, variable: str | None = None
) -> Instance:
    """Move a running instance's deadline to ``due``: its ``due_at``, the timers that were due at
    the old deadline (the deadline boundary events), the open tasks' due and, when named, the
    process ``variable`` holding the deadline (so that later rounds use the new one)."""
    if due.tzinfo is None:
        raise BadData(detail=f"thời hạn không có múi giờ / naive due: {due.isoformat()}")
    instance, workflow, bundle = _load(uow, instance_id)
    if instance.status != "running":
        raise InvalidState("instance_not_running", id=str(instance_id), status=instance.status)
    old = instance.due_at
    rows = uow.session.scalars(
        select(Timer).where(Timer.instance_id == instance.id, Timer.status == "waiting")
    ).all()
    moved = 0
    for row in rows:
        if old is not None and row.due_at != old:
            continue
        task = workflow.get_task_from_id(row.spiff_task_id)
        reschedule(task.task_spec.event_definition, task.internal_data, due)
        row.due_at = due
        moved += 1
    if variable is not None:
        value = due.isoformat()
        for sub in steps.all_workflows(workflow):
            if variable in sub.data_objects:
                sub.data_objects[variable] = value
        for task in steps.tasks_in(workflow):
            if variable in task.data and not task.state & TaskState.FINISHED_MASK:
                task.data[variable] = value
    for row in uow.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
    ):
        if row.due_at == old or row.due_at is None:
            row.due_at = due
    instance.due_at = due
    uow.audit("deadline_moved", instance_id=instance.id, subject=instance.process_key,
              data={"from": old.isoformat() if old else None, "to": due.isoformat(), "timers": moved})  # fmt: skip
    steps.save(uow, instance, workflow, bundle)
    return instance


# --- outbox ---------------------------------------------------------------------------------


def add_outbox_message(
    uow: UnitOfWork, kind: str, payload: dict[str, Any], *, recipient: str | None = None,
    instance_id: uuid.UUID | None = None, dedupe_key: str | None = None,
) -> OutboxMessage:  # fmt: skip
    """Queue a side effect; it exists only if the surrounding step commits."""
    message = OutboxMessage(
        id=new_id(uow.now), kind=kind, recipient=recipient, payload=check_data(payload),
        instance_id=instance_id, dedupe_key=dedupe_key, status="pending", attempts=0,
        created_at=uow.now, next_attempt_at=uow.now,
    )  # fmt: skip
    uow.session.add(message)
    return message


# --- data -----------------------------------------------------------------------------------


def check_data(data: Any) -> dict[str, Any]:
    """Process data must be a JSON object of variables, bounded in depth, keys and size (it is
    stored with every step and read back before the next; see engine/data_limits.py)."""
    if not isinstance(data, dict):
        raise BadData(detail="cần một đối tượng JSON {…} / a JSON object is required")
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise BadData(detail=f"tên biến không hợp lệ / invalid variable name: {key!r}")
    problem = data_limits.variables_problem(data)
    if problem is not None:
        raise BadData(problem.code, **problem.params)
    return data
