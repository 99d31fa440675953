"""Starting many instances of one process version at once (dispatching a plan: one instance per
task, unit and period, tens of thousands in one transaction).

Every child of one call starts from the same start data at the same instant, so every child's
workflow runs the same first steps to the same first wait state. ``start_instances`` therefore
builds the SpiffWorkflow workflow **once**, runs it to its first wait state once (with
``steps.run`` semantics), serializes it once and projects its ready human tasks and waiting
timers once; then it writes N instance rows that share those state bytes, and their task, timer
and audit rows, with bulk INSERTs. Creating, running and serializing a workflow costs ~0.47 ms
and a whole ``start_instance`` 2.4 ms (SQLite) to 4 ms (PostgreSQL); 60,000 children take ~3.3 s
on SQLite and ~4 s on PostgreSQL, 1.5-1.6 times the databases' raw executemany of the same rows
(``bench/bulk_bench.py``).

What is per child and what is shared
    The start ``data`` is the SAME for every child and goes into the workflow. What differs per
    child (unit, parent, business key, plan/task/period, due date) lives only in instance
    columns, and from there in the projected rows, built by the same code as ``start_instance``
    builds them (``engine.task_rows``): a human task's ``candidate_unit`` is the child's unit, or
    for a party lane ("… đơn vị giao") the unit its variable names, else the child's parent's
    unit; its ``due_at`` is the earliest timer boundary on the task, else the child's
    ``due_at``. A script that needs a per-child fact
    in workflow data cannot be bulk-started; nor can a timer whose due depends on per-child data
    (e.g. a boundary timer "at the instance's deadline" would need ``due_at`` in the workflow):
    timers computed from the start instant are the same for every child of one call (one
    ``uow.now``), which is what sharing the state assumes.

Sharing state bytes
    All children of one call store identical state, so SpiffWorkflow task UUIDs repeat across
    instances. Nothing assumes them globally unique: ``human_task`` is unique per
    ``(instance_id, spiff_task_id)``, waiting timers likewise (partial index), and every lookup by
    a SpiffWorkflow task id goes through a loaded workflow or is filtered by instance
    (``commands.complete_task``, ``steps.sync_human_tasks``, ``steps.sync_timers``). Tasks that
    later steps create get fresh UUIDs in each instance.

What differs from a one-by-one start, on purpose
    ``version`` is 1 (a ``start_instance`` row is inserted, then updated by its first step, so it
    is at 2; only equality with the loaded value matters to the lock). Hooks (``task_created``,
    ``instance_ended``) fire once per row, on a transient object before it is inserted; what a
    hook sets on it is written. The audit trail, below.

Idempotency
    A child with a ``business_key`` that an instance already carries is skipped (counted in
    ``BulkResult.skipped``). Business keys are not unique in the schema (callers use them as tags
    too), so bulk starts serialize their check-then-insert: SQLite's ``BEGIN IMMEDIATE`` already
    makes the unit of work the only writer; on PostgreSQL a transaction-level advisory lock is
    taken before the check. ``start_instance`` does not check business keys.

Failure
    If the first steps fail, ``BulkStartFailed`` (a ``StepFailed``) is raised before anything is
    written, and no incident is recorded: there is no instance to attach one to. Fix the process
    or the data and call again (the business keys make a repeated dispatch safe).

Audit
    By default one ``instances_started`` event per ``SUMMARY_CHUNK`` children (actor, instant,
    written at commit with the unit of work's own events, in the order they were recorded;
    ``subject`` "key vN"; in ``data`` the instance ids with their units and parents, and the
    tasks and timers each child opened). Who started instance X, and when: ``start_event``
    finds the event at ``occurred_at = X.started_at`` (indexed) that names X. The per-row
    events ``start_instance`` writes (``instance_started`` + ``task_created`` per child) would
    double the rows of a 60,000-child dispatch and hand the sealer 120,000 events to chain,
    50,000 per seal after later, unrelated commits (bench/bulk_bench.py measures both);
    ``per_instance_audit=True`` writes them anyway, e.g. for a small dispatch whose instances'
    own histories should read exactly like a one-by-one start.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import String, Table, bindparam, func, insert, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from engine import steps, task_rows
from engine.commands import ChildSpec, InstancesStarted, check_data, latest_definition
from engine.errors import BadData, StepFailed
from engine.ids import new_id
from engine.models import AuditEvent, HumanTask, Instance, Timer
from engine.state import SERIALIZER_VERSION
from engine.timers_spiff import timer_due
from engine.uow import UnitOfWork

# pg_advisory_xact_lock key that serializes bulk starts on PostgreSQL ("giaoviec bulk").
BULK_START_LOCK_KEY = 0x67760B01
# Business keys per "already started?" query (well under both databases' bind-parameter limits).
KEY_QUERY_CHUNK = 2_000
# Instances named by one summarising ``instances_started`` audit event (~40 KB of ids).
SUMMARY_CHUNK = 1_000


@dataclass(frozen=True)
class BulkResult:
    created: int
    skipped: int  # children whose business key an instance already had
    instance_ids: list[uuid.UUID]  # the created instances, in the order of their children


class BulkStartFailed(StepFailed):
    """The first steps of a bulk start failed; nothing was written and no incident recorded."""

    code = "start_failed"


@dataclass(frozen=True)
class _TimerShape:
    spiff_task_id: uuid.UUID
    element_id: str
    due_at: datetime


def start_instances(
    uow: UnitOfWork,
    process_key: str,
    children: Sequence[ChildSpec],
    *,
    data: dict[str, Any],
    version: int | None = None,
    per_instance_audit: bool = False,
) -> BulkResult:
    """Start one instance of ``process_key`` per child, all with the same start ``data``.

    Each child behaves exactly like one started by ``start_instance`` with the same data and the
    child's columns. Children whose ``business_key`` an instance already carries are skipped.
    The audit trail gets one ``instances_started`` event per ``SUMMARY_CHUNK`` children (their ids
    in ``data``), or with ``per_instance_audit`` the very events ``start_instance`` writes for
    each child. Flushes (bulk INSERTs), never commits.
    """
    data = check_data(data)
    _check_children(children)
    definition = latest_definition(uow, process_key, version=version)
    assert definition is not None
    todo = _not_started_yet(uow, children)
    skipped = len(children) - len(todo)
    if not todo:
        return BulkResult(0, skipped, [])

    engine, now = uow.engine, uow.now
    bundle = engine.bundle(definition)
    workflow = steps.new_workflow(uow, bundle, data)
    command = {
        "kind": "start_instances",
        "process_key": definition.key,
        "version": definition.version,
    }
    probe = Instance()
    try:
        steps.run(uow, probe, workflow, command)
        # Computed once, shared by every child: what steps.save would project, and the state bytes.
        completed = workflow.is_completed()
        timers = _waiting_timers(workflow)
        tasks = [task_rows.ready_task(task, bundle) for task in steps.tasks_in(workflow, state=TaskState.READY, manual=True)]
        state = steps.dump(uow, probe, workflow)
    except StepFailed as failure:
        raise BulkStartFailed(
            instance_id=None, element_id=failure.element_id, error_code=failure.error_code,
            detail=failure.detail, command=command,
        ) from failure  # fmt: skip

    ids = [new_id(now) for _ in todo]
    instances = _Rows(
        shared={
            "definition_id": definition.id, "process_key": definition.key,
            "status": "completed" if completed else "running", "state": state,
            "serializer_version": SERIALIZER_VERSION, "started_at": now, "started_by": uow.actor,
            "ended_at": now if completed else None, "version": 1,
        },
        columns=("id", "parent_id", "business_key", "unit_code", "plan_key", "task_key", "period", "due_at"),
        values=[
            (instance_id, c.parent_id, c.business_key, c.unit_code, c.plan_key, c.task_key, c.period, c.due_at)
            for instance_id, c in zip(ids, todo, strict=True)
        ],
    )  # fmt: skip
    timer_rows = [
        _Rows(
            shared={"spiff_task_id": t.spiff_task_id, "element_id": t.element_id, "due_at": t.due_at,
                    "status": "waiting", "created_at": now, "fired_at": None},
            columns=("id", "instance_id"),
            values=[(new_id(now), instance_id) for instance_id in ids],
        )
        for t in timers
    ]  # fmt: skip
    session = uow.session
    session.flush()  # what the caller added before goes in first (e.g. the parent instance)
    # One bulk start is one dispatch of one province's plan: its children share the calendar, so
    # a step's gv:deadline is resolved once, on the first child's unit.
    tasks = [task_rows.resolve_rule(uow, t, unit_code=todo[0].unit_code, process_key=definition.key) for t in tasks]
    parents = task_rows.parent_units(session, (c.parent_id for c in todo) if any(t.needs_parent for t in tasks) else ())
    owners = [
        task_rows.Owner(instance_id, c.unit_code, parents.get(c.parent_id) if c.parent_id else None,
                        c.plan_key, c.task_key, c.period, c.due_at)
        for instance_id, c in zip(ids, todo, strict=True)
    ]  # fmt: skip
    human_rows = [
        _Rows(
            shared=t.shared_columns(definition.key, now), columns=("id", *task_rows.OWNER_COLUMNS),
            values=[(new_id(now), *task_rows.owner_values(t, owner)) for owner in owners],
        )
        for t in tasks
    ]  # fmt: skip
    if per_instance_audit:
        events = _per_instance_events(uow, definition, todo, ids, human_rows, completed)
    else:
        events = _summary_events(uow, definition, todo, ids, tasks, timers, completed)

    if completed:
        instances = _through_hooks(uow, "instance_ended", Instance, instances)
    _insert(session, Instance.__table__, instances)
    for rows in timer_rows:
        _insert(session, Timer.__table__, rows)
    for rows in human_rows:
        _insert(session, HumanTask.__table__, _through_hooks(uow, "task_created", HumanTask, rows))
    if per_instance_audit:
        _insert(session, AuditEvent.__table__, events)
    else:
        # A few rows: they go in with the unit of work's own events, one INSERT fewer per call.
        uow.events.extend(events.dicts())
    uow.touched.extend(ids)
    started = InstancesStarted(
        definition.key, ids, todo, [(t.element_id, t.deadline) for t in tasks], completed
    )
    uow.engine.hooks.fire("instances_started", uow, started)
    return BulkResult(len(ids), skipped, ids)


def _per_instance_events(uow: UnitOfWork, definition: Any, todo: list[ChildSpec], ids: list[uuid.UUID],
                         human_rows: list[_Rows], completed: bool) -> _Rows:  # fmt: skip
    """What ``start_instance`` records for each child, in the same order."""
    subject = f"{definition.key} v{definition.version}"
    values: list[tuple[Any, ...]] = []
    for i, (instance_id, child) in enumerate(zip(ids, todo, strict=True)):
        parent = str(child.parent_id) if child.parent_id else None
        values.append(
            (
                "instance_started",
                instance_id,
                None,
                subject,
                {"unit": child.unit_code, "parent": parent},
            )
        )
        if completed:
            values.append(("instance_completed", instance_id, None, definition.key, {}))
        for rows in human_rows:
            values.append(
                ("task_created", instance_id, rows.values[i][0], rows.shared["element_id"], {})
            )
    return _Rows(_event_shared(uow), ("event", "instance_id", "task_id", "subject", "data"), values)


def _summary_events(uow: UnitOfWork, definition: Any, todo: list[ChildSpec], ids: list[uuid.UUID],
                    tasks: list[task_rows.ReadyTask], timers: list[_TimerShape], completed: bool) -> _Rows:  # fmt: skip
    """One ``instances_started`` event per ``SUMMARY_CHUNK`` children, naming each instance.

    Who started instance X and when: the event with ``occurred_at = X.started_at`` (indexed with
    the event name) whose ``data["instances"]`` holds X.
    """
    subject = f"{definition.key} v{definition.version}"
    values: list[tuple[Any, ...]] = []
    chunks = range(0, len(ids), SUMMARY_CHUNK)
    for n, first in enumerate(chunks, 1):
        part = slice(first, first + SUMMARY_CHUNK)
        parents = sorted({str(c.parent_id) for c in todo[part] if c.parent_id})
        values.append(("instances_started", None, None, subject, {
            "instances": [str(i) for i in ids[part]], "units": [c.unit_code for c in todo[part]],
            "parents": parents, "tasks": [t.element_id for t in tasks], "timers": [t.element_id for t in timers],
            "completed": completed, "part": n, "parts": len(chunks), "total": len(ids),
        }))  # fmt: skip
    return _Rows(_event_shared(uow), ("event", "instance_id", "task_id", "subject", "data"), values)


def _event_shared(uow: UnitOfWork) -> dict[str, Any]:
    return {"occurred_at": uow.now, "actor": uow.actor, "on_behalf_of": uow.on_behalf_of}


def start_event(session: Session, instance: Instance) -> AuditEvent | None:
    """The audit event that records who started ``instance`` and when, however it was started."""
    own = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.instance_id == instance.id, AuditEvent.event == "instance_started")
        .limit(1)
    ).first()
    if own is not None:
        return own
    wanted = str(instance.id)
    candidates = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.event == "instances_started", AuditEvent.occurred_at == instance.started_at
        )
        .order_by(AuditEvent.id)
    )
    return next((event for event in candidates if wanted in event.data.get("instances", ())), None)


# --- bulk INSERT ----------------------------------------------------------------------------


@dataclass
class _Rows:
    """Rows for one table: ``shared`` values are the same in every row; ``values`` holds, per row,
    the values of ``columns``."""

    shared: dict[str, Any]
    columns: tuple[str, ...]
    values: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        return [
            dict(self.shared, **dict(zip(self.columns, row, strict=True))) for row in self.values
        ]


def _insert(session: Session, table: Table, rows: _Rows) -> None:
    """One executemany INSERT, with each shared value converted for the database once.

    SQLAlchemy's ``session.execute(insert(table), dicts)`` converts every value of every row
    (about half of the time on SQLite, see bench/bulk_bench.py); here the column types' own bind
    processors run once per shared value and once per varying value. The statement is compiled
    once per (dialect, table, columns) (``_compiled_insert``): compiling it cost 0.15-0.2 ms, as
    much as a commune's whole hand-on INSERT of 16 rows.
    """
    if not rows.values:
        return
    connection = session.connection()
    names = (*rows.columns, *rows.shared)
    sql, processors, pick = _compiled_insert(connection.dialect, table, names)
    shared = [
        (p(value) if (p := processors[name]) else value) for name, value in rows.shared.items()
    ]
    varying = [(i, p) for i, name in enumerate(rows.columns) if (p := processors[name]) is not None]
    converted: list[list[Any]] = []
    for row in rows.values:
        values = list(row)
        for i, process in varying:
            values[i] = process(values[i])
        values += shared
        converted.append(values)
    params: list[Any]
    if pick is not None:
        params = [pick(values) for values in converted]
    else:
        params = [dict(zip(names, values, strict=True)) for values in converted]
    connection.exec_driver_sql(sql, params)


_Compiled = tuple[str, dict[str, Any], Any]
_COMPILED: dict[tuple[Any, ...], _Compiled] = {}


def _compiled_insert(dialect: Any, table: Table, names: tuple[str, ...]) -> _Compiled:
    """(SQL, bind processor per column, row → positional parameters or None) of the executemany
    INSERT of ``names`` into ``table``. Cached per dialect object (its bind processors depend on
    the engine's settings, e.g. a JSON serializer), table and column set: none of them changes
    while the process runs, and the callers use a handful of column sets."""
    key = (dialect, table, names)
    found = _COMPILED.get(key)
    if found is not None:
        return found
    compiled = insert(table).compile(
        dialect=dialect, column_keys=list(names), for_executemany=True
    )  # no RETURNING
    if set(compiled.binds) != set(names):  # e.g. a column with a default that we did not fill
        raise RuntimeError(
            f"bulk insert into {table.name}: binds {sorted(compiled.binds)} != {sorted(names)}"
        )
    processors = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect)
        for name, bind in compiled.binds.items()
    }
    pick = None
    if compiled.positional:
        assert compiled.positiontup is not None
        pick = itemgetter(*(names.index(name) for name in compiled.positiontup))
    found = (compiled.string, processors, pick)
    if len(_COMPILED) >= 256:  # bounded (a test suite makes an engine per database)
        _COMPILED.clear()
    _COMPILED[key] = found
    return found


# --- checks ---------------------------------------------------------------------------------


def _check_children(children: Sequence[ChildSpec]) -> None:
    seen: set[str] = set()
    for child in children:
        if not isinstance(child, ChildSpec):
            raise BadData(detail=f"cần ChildSpec / a ChildSpec is required: {child!r}")
        if not child.unit_code:
            raise BadData(detail="thiếu mã đơn vị / unit_code is required")
        if child.due_at is not None and child.due_at.tzinfo is None:
            raise BadData(
                detail=f"thời hạn không có múi giờ / naive due_at: {child.due_at.isoformat()}"
            )
        key = child.business_key
        if key is not None:
            if key in seen:
                raise BadData(detail=f"khóa nghiệp vụ trùng / duplicate business_key: {key!r}")
            seen.add(key)


# "Which of these business keys does an instance carry?", built once (a commune's hand-on asks at
# each of ~4,000 calls). On PostgreSQL a join with unnest(array): index probes whatever the plan.
# IN (...) and = ANY(...) became sequential scans with a linear search per row once psycopg
# prepared the statement and PostgreSQL chose a generic plan (3 s per 2,000 keys over 120,000 rows).
_GIVEN = func.unnest(bindparam("keys", type_=postgresql.ARRAY(String))).table_valued("key").render_derived(name="given")
_KEYS_TAKEN_PG = select(Instance.business_key).join(_GIVEN, Instance.business_key == _GIVEN.c.key)
_KEYS_TAKEN = select(Instance.business_key).where(Instance.business_key.in_(bindparam("keys", expanding=True)))


def _not_started_yet(uow: UnitOfWork, children: Sequence[ChildSpec]) -> list[ChildSpec]:
    """The children whose business key no instance carries yet (children without one always start)."""
    keys = [child.business_key for child in children if child.business_key is not None]
    if not keys:
        return list(children)
    session = uow.session
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Held until COMMIT: a concurrent bulk start waits here, then sees our rows (READ COMMITTED).
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": BULK_START_LOCK_KEY})
    existing: set[str] = set()
    for first in range(0, len(keys), KEY_QUERY_CHUNK):
        chunk = keys[first : first + KEY_QUERY_CHUNK]
        existing.update(session.scalars(_KEYS_TAKEN_PG if postgres else _KEYS_TAKEN, {"keys": chunk}))
    if not existing:
        return list(children)
    return [child for child in children if child.business_key not in existing]


# --- the shared projection (what steps.save would write for each child) ----------------------


def _waiting_timers(workflow: Any) -> list[_TimerShape]:
    """``steps.sync_timers`` for a new instance: one row per waiting timer with a due instant."""
    shapes = []
    for task in steps.tasks_in(workflow, state=TaskState.WAITING):
        if task_rows.is_timer(task):
            due = timer_due(task.task_spec.event_definition, task.internal_data)
            if due is not None:
                shapes.append(_TimerShape(task.id, task.task_spec.bpmn_id, due))
    return shapes


def _through_hooks(uow: UnitOfWork, hook: str, model: type[Any], rows: _Rows) -> _Rows:
    """Fire ``hook`` once per row, as the one-by-one path does, on a transient object; what a hook
    changes on it is written. Costs an ORM object per row, so only when hooks are registered."""
    if not getattr(uow.engine.hooks, hook):
        return rows
    columns = (*rows.columns, *rows.shared)
    values = []
    for row in rows.dicts():
        obj = model(**row)
        uow.engine.hooks.fire(hook, uow, obj)
        values.append(tuple(getattr(obj, name) for name in columns))
    return _Rows({}, columns, values)


def insert_rows(session: Session, table: Table, *, shared: dict[str, Any], columns: tuple[str, ...], values: list[tuple[Any, ...]]) -> None:
    """One executemany INSERT of ``values`` (per-row ``columns``) plus the ``shared`` values: for
    the domain's rows that go with a bulk start (see ``_insert``)."""
    _insert(session, table, _Rows(shared, columns, values))
