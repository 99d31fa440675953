"""Stepping a batch of claimed instances whose due timers move a token, with a few statements
per batch instead of a dozen per instance.

``engine.timer_sweep`` has claimed and locked the instances. Here, for the whole batch:

1. one SELECT each for the instances, their timer rows (waiting, and fired ones the catch-up
   needs) and their open human tasks — what ``commands._load`` and the step's syncs would
   read one instance at a time (handed to the step through ``uow.timer_rows`` and
   ``uow.open_tasks``, as a completion does);
2. each instance's workflow loaded, caught up and run in memory (``steps.load``,
   ``steps.catch_up``, ``steps.run``). None of these writes anything: one that fails
   (``StepFailed``, or any other error of that instance) gets its incident and is left out;
3. the others saved (``steps.save``: rows, events, hooks) inside ONE savepoint and flushed
   once, so each table's rows go as one executemany (the instances' UPDATE keeps its
   ``WHERE version = :loaded``). If anything in that phase fails short of the database, the
   savepoint rolls back and those instances are stepped again one by one, each in its own
   savepoint, as before (``step_one``): a failing instance still only fails itself. The
   instances' UPDATE goes as one executemany too (``_write_instances``), still fenced by
   ``version``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine import commands, steps
from engine.errors import StepFailed
from engine.models import HumanTask, Instance, Timer
from engine.process_engine import open_incident
from engine.uow import UnitOfWork

log = logging.getLogger(__name__)


def step_instances(
    uow: UnitOfWork, instance_ids: Sequence[uuid.UUID], now: datetime
) -> tuple[int, int, int]:
    """Fire the due timers of the claimed ``instance_ids``; returns (stepped, fired, failed)."""
    if not instance_ids:
        return 0, 0, 0
    session = uow.session
    session.flush()
    instances = {
        row.id: row
        for row in session.scalars(select(Instance).where(Instance.id.in_(instance_ids)))
    }
    timers: dict[uuid.UUID, list[Timer]] = {instance_id: [] for instance_id in instance_ids}
    for row in session.scalars(
        select(Timer).where(
            Timer.instance_id.in_(instance_ids), Timer.status.in_(("waiting", "fired"))
        )
    ):
        timers[row.instance_id].append(row)
    tasks: dict[uuid.UUID, list[HumanTask]] = {instance_id: [] for instance_id in instance_ids}
    for task in session.scalars(
        select(HumanTask).where(HumanTask.instance_id.in_(instance_ids), HumanTask.status == "open")
    ):
        tasks[task.instance_id].append(task)

    failed = 0
    ready: list[tuple[Instance, Any, Any]] = []
    for instance_id in instance_ids:
        instance = instances.get(instance_id)
        rows = timers[instance_id]
        if (
            instance is None
            or instance.status != "running"
            or not any(r.status == "waiting" and r.due_at <= now for r in rows)
        ):
            continue  # another sweeper (or a person) fired or ended it between the claim and now
        try:
            ready.append((instance, *_run(uow, instance, rows)))
        except Exception as exc:  # noqa: BLE001 — whatever one instance does, the others still fire
            failed += 1
            uow.timer_rows.pop(instance_id, None)
            _incident(uow, instance_id, exc, now)
        else:
            uow.open_tasks[instance_id] = tasks[instance_id]
    return _save(uow, ready, now, failed)


def _run(uow: UnitOfWork, instance: Instance, rows: list[Timer]) -> tuple[Any, Any]:
    """Load, catch up and run one instance in memory, as ``commands.resume`` does; no writes."""
    bundle = uow.engine.bundle_by_id(uow.session, instance.definition_id)
    workflow = steps.load(uow, instance, bundle)
    waits, waiting = steps.timers_waiting(workflow)
    if waits:
        uow.timer_rows[instance.id] = [row for row in rows if row.status == "waiting"]
        fired = [row for row in rows if row.status == "fired" and row.spiff_task_id in waiting]
        steps.catch_up(uow, instance, workflow, steps.fired_deadlines(waiting, fired))
    else:
        uow.timer_rows[instance.id] = []
    steps.run(uow, instance, workflow, {"kind": "run"}, workflow.refresh_timers)
    return workflow, bundle


def _save(
    uow: UnitOfWork, ready: list[tuple[Instance, Any, Any]], now: datetime, failed: int
) -> tuple[int, int, int]:
    session = uow.session
    events, before = len(uow.events), uow.timers_fired
    savepoint = session.begin_nested()
    uow.batch_writes = True
    try:
        for instance, workflow, bundle in ready:
            steps.save(uow, instance, workflow, bundle)
        uow.write_task_rows()  # the batch's closed and opened rows: one statement each
        _write_instances(session, [instance for instance, _workflow, _bundle in ready])
        session.flush()
        savepoint.commit()
    except SQLAlchemyError:
        raise  # the database failed, not an instance: the whole sweep rolls back and retries
    except Exception as exc:  # noqa: BLE001 — find the instance that failed: one by one, as before
        uow.batch_writes = False  # the retry steps one instance at a time, each written at once
        log.info(
            "batch of %d timer steps failed (%s); stepping them one by one",
            len(ready),
            type(exc).__name__,
        )
        savepoint.rollback()
        # The saves before the failure marked the task rows they closed as committed
        # (``uow.close_task``) and may have written rows: the rollback undid the rows, not the
        # objects. Read them again, or the retry would see a rolled-back status or version.
        session.expire_all()
        uow.drop_task_rows()
        del uow.events[events:]
        uow.timers_fired = before
        stepped = 0
        for instance, _workflow, _bundle in ready:
            uow.timer_rows.pop(instance.id, None)
            uow.open_tasks.pop(instance.id, None)
            ok, _fired = step_one(uow, instance.id, now)
            stepped, failed = stepped + ok, failed + (not ok)
        return stepped, uow.timers_fired - before, failed
    finally:
        uow.batch_writes = False
    return len(ready), uow.timers_fired - before, failed


def _write_instances(session: Any, instances: list[Instance]) -> None:
    """UPDATE the batch's changed instances with one executemany per set of changed columns,
    each ``WHERE id = :id AND version = :loaded`` (the optimistic lock, checked on the summed
    row count), then mark the objects clean. The ORM would send one UPDATE per instance: it
    never batches a mapper with a ``version_id_col``."""
    table, mapper = Instance.__table__, inspect(Instance)
    columns = [prop.key for prop in mapper.column_attrs if prop.key != "version"]
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    written: list[tuple[Instance, dict[str, Any], int]] = []
    for instance in instances:
        state = inspect(instance)
        changed = {
            key: getattr(instance, key) for key in columns if state.attrs[key].history.has_changes()
        }
        if changed:
            version = instance.version
            groups.setdefault(tuple(sorted(changed)), []).append(
                {**changed, "_id": instance.id, "_version": version, "version": version + 1}
            )
            written.append((instance, changed, version + 1))
    conn = session.connection()
    statement = update(table).where(
        table.c.id == bindparam("_id"), table.c.version == bindparam("_version")
    )
    for rows in groups.values():
        if conn.execute(statement, rows).rowcount != len(rows):
            raise StaleDataError(
                f"instance UPDATE matched fewer than {len(rows)} rows: changed by another transaction"
            )
    for instance, changed, version in written:
        for key, value in changed.items():
            set_committed_value(instance, key, value)
        set_committed_value(instance, "version", version)


def step_one(uow: UnitOfWork, instance_id: uuid.UUID, now: datetime) -> tuple[bool, int]:
    """Step one instance in its own savepoint (``commands.resume``); a failure becomes its
    incident. Returns (stepped, timers fired)."""
    session = uow.session
    before, events = uow.timers_fired, len(uow.events)
    savepoint = session.begin_nested()
    try:
        commands.resume(uow, instance_id)
        session.flush()
        savepoint.commit()
    except SQLAlchemyError:
        raise  # the database failed, not this instance: the whole sweep rolls back and retries
    except Exception as exc:  # noqa: BLE001 — whatever one instance does, the others still fire
        savepoint.rollback()
        del uow.events[events:]  # the failed step's events go with it
        uow.timers_fired = before
        _incident(uow, instance_id, exc, now)
        return False, 0
    return True, uow.timers_fired - before


def _incident(uow: UnitOfWork, instance_id: uuid.UUID, exc: Exception, now: datetime) -> None:
    failure = exc if isinstance(exc, StepFailed) else _unexpected(instance_id, exc)
    incident = open_incident(uow.session, failure, now)
    uow.session.flush()
    uow.audit("incident_raised", instance_id=instance_id, subject=failure.element_id,
              data={"incident": incident.id, "code": failure.error_code, "message": failure.detail})  # fmt: skip


def _unexpected(instance_id: object, exc: Exception) -> StepFailed:
    """A failure that is not a step's own (e.g. a bug in a hook), as an incident on its instance."""
    log.error("timer step of instance %s failed", instance_id, exc_info=exc)
    detail = (str(exc).splitlines() or [""])[0][:500] or type(exc).__name__
    return StepFailed(instance_id=instance_id, element_id=None, error_code=type(exc).__name__[:50],
                      detail=detail, command={"kind": "run"})  # fmt: skip
