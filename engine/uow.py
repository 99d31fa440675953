"""The unit of work: one transaction per command, committed once, at the edge.

A shell (CLI command, web request, worker job) opens ``with engine.unit_of_work(actor) as uow``,
calls commands that only load, check, change and flush, and the ``with`` block commits. Errors
from the database become engine errors a person can read; a ``StepFailed`` is rolled back and its
incident written in a fresh transaction, so the instance stays at its last wait state.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import ConflictError, DatabaseBusy, EngineError, StepFailed
from engine.models import AuditEvent, HumanTask, Timer

if TYPE_CHECKING:
    from engine.process_engine import ProcessEngine

_INSERT_EVENTS = insert(AuditEvent.__table__)  # built once: one per commit otherwise
_TASK = HumanTask.__table__
_CLOSE_TASKS = (
    update(_TASK).where(_TASK.c.id == bindparam("row_id"))
    .values(status=bindparam("new_status"), completed_at=bindparam("at"), completed_by=bindparam("by"))
)  # fmt: skip
_INSERT_TASKS = insert(_TASK)
TASK_COLUMNS = tuple(_TASK.columns.keys())
_TIMER = Timer.__table__
_CLOSE_TIMERS = (
    update(_TIMER).where(_TIMER.c.id == bindparam("t_id"))
    .values(status=bindparam("t_status"), fired_at=bindparam("t_fired_at"))
)  # fmt: skip
_INSERT_TIMERS = insert(_TIMER)
TIMER_COLUMNS = tuple(_TIMER.columns.keys())
EVENT_COLUMNS = ("occurred_at", "event", "actor", "on_behalf_of", "instance_id", "task_id", "subject", "data")


def task_values(row: HumanTask) -> dict[str, Any]:
    """The column values of a task row object (e.g. after the ``task_created`` hooks changed it)."""
    return {name: getattr(row, name) for name in TASK_COLUMNS}


class UnitOfWork:
    def __init__(self, engine: ProcessEngine, actor: str, *, on_behalf_of: str | None = None, now: datetime | None = None) -> None:
        self.engine = engine
        self.actor = actor
        self.on_behalf_of = on_behalf_of
        self.now = now or engine.clock.now()
        self.session: Session = engine.write_session()
        self.touched: list[uuid.UUID] = []  # instances changed, for the conflict message
        self.timers_fired = 0
        # The waiting timer rows of each instance loaded (``commands._load``), for its step's
        # ``steps.sync_timers``: read once with the fired rows the catch-up needs.
        self.timer_rows: dict[uuid.UUID, list[Any]] = {}
        # The open human task rows of an instance whose task is being completed, read with the
        # task (``commands._task_and_instance``), for ``steps.sync_human_tasks``.
        self.open_tasks: dict[uuid.UUID, list[Any]] = {}
        # Called after the last flush and just before COMMIT; tests use it to pause a session
        # at the most delicate instant (Camunda's CompetingJoinTest does the same).
        self.before_commit: list[Callable[[UnitOfWork], None]] = []
        # Audit events wait here and go in with one executemany just before COMMIT: nothing reads
        # them inside the step, and an ORM object per event cost more than its INSERT (bench/).
        self.events: list[dict[str, Any]] = []
        # Task rows this step closed (completed, cancelled), written by one Core UPDATE
        # (``write_task_rows``) instead of the ORM's flush: see ``close_task``.
        self.closed_tasks: list[dict[str, Any]] = []
        self._closed_rows: list[HumanTask] = []
        # Task rows this step opened, not in the session: INSERTed by ``write_task_rows`` after
        # the ``task_created`` hooks (whose changes they keep) or with the instance's UPDATE.
        self.new_tasks: list[HumanTask] = []
        # Timer rows this step closed (fired, cancelled) and opened, the same way: UPDATE and
        # INSERT parameters, written with the task rows.
        self.closed_timers: list[dict[str, Any]] = []
        self._closed_timer_rows: list[Timer] = []
        self.new_timers: list[dict[str, Any]] = []
        # Set by a batch of steps (``engine.timer_batch``): each step's save leaves its instance to
        # the ORM and its task rows queued, and the batch writes them once, a statement per table.
        self.batch_writes = False

    def audit(self, event: str, *, instance_id: uuid.UUID | None = None, task_id: uuid.UUID | None = None,
              subject: str | None = None, data: dict[str, Any] | None = None, **fields: Any) -> None:  # fmt: skip
        """Record ``event`` by this unit of work's actor (``on_behalf_of`` may be given per event);
        it is written with the step, at commit (``write_events``)."""
        self.events.append(dict(zip(EVENT_COLUMNS, (
            self.now, event, self.actor, fields.get("on_behalf_of", self.on_behalf_of), instance_id, task_id, subject, data or {},
        ), strict=True)))  # fmt: skip

    def take_events(self) -> list[dict[str, Any]]:
        """The events recorded and not written yet, for the caller to write (in order: the sealer
        chains them by id)."""
        rows, self.events = self.events, []
        return rows

    def write_events(self) -> None:
        """INSERT the events recorded so far (``steps.write_instance`` may have written some)."""
        if self.events:
            self.session.connection().execute(_INSERT_EVENTS, self.take_events())

    def close_task(self, row: HumanTask, status: str, *, by: str | None = None) -> None:
        """Mark the loaded task ``row`` ``status`` as of now: the object shows it at once (as
        committed, so the ORM's flush leaves it alone), the row is written by
        ``write_task_rows``: at the step's save, or at the latest just before COMMIT."""
        set_committed_value(row, "status", status)
        set_committed_value(row, "completed_at", self.now)
        set_committed_value(row, "completed_by", by)
        self.closed_tasks.append({"row_id": row.id, "new_status": status, "at": self.now, "by": by})
        self._closed_rows.append(row)

    def close_timer(self, row: Timer, status: str) -> None:
        """Mark the loaded timer ``row`` fired or cancelled, as ``close_task`` does a task row."""
        set_committed_value(row, "status", status)
        if status == "fired":
            set_committed_value(row, "fired_at", self.now)
        self.closed_timers.append({"t_id": row.id, "t_status": status, "t_fired_at": row.fired_at})
        self._closed_timer_rows.append(row)

    def write_closed_timers(self) -> None:
        """UPDATE the timer rows closed so far, now: a cycle timer's next row for the same task
        may go in only once the partial unique index of waiting rows is free."""
        closed, self.closed_timers, self._closed_timer_rows = self.closed_timers, [], []
        if closed:
            self.session.connection().execute(_CLOSE_TIMERS, closed)

    def drop_task_rows(self) -> None:
        """Forget the task and timer rows of a step that failed before writing them; the rows it
        closed show their loaded values again (read back from the database when next used)."""
        for closed in (*self._closed_rows, *self._closed_timer_rows):
            self.session.expire(closed)
        self.take_task_rows()
        self.take_timer_rows()

    def take_task_rows(self) -> tuple[list[dict[str, Any]], list[HumanTask]]:
        """The task rows closed (``close_task``: UPDATE parameters) and opened (``new_tasks``)
        and not written yet, for the caller to write."""
        closed, opened = self.closed_tasks, self.new_tasks
        self.closed_tasks, self._closed_rows, self.new_tasks = [], [], []
        return closed, opened

    def take_timer_rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The timer rows closed (``close_timer``) and opened (``new_timers``) and not written yet."""
        closed, opened = self.closed_timers, self.new_timers
        self.closed_timers, self._closed_timer_rows, self.new_timers = [], [], []
        return closed, opened

    def write_task_rows(self) -> None:
        """UPDATE the task rows closed, INSERT the rows opened, then the same for timer rows,
        each with one Core statement built once (``steps.write_instance`` folds them into its own
        statement on PostgreSQL)."""
        closed, opened = self.take_task_rows()
        connection = self.session.connection()
        if closed:
            connection.execute(_CLOSE_TASKS, closed)
        if opened:
            connection.execute(_INSERT_TASKS, [task_values(row) for row in opened])
        self.write_closed_timers()  # before the new rows: a waiting row's index entry is freed first
        new_timers, self.new_timers = self.new_timers, []
        if new_timers:
            connection.execute(_INSERT_TIMERS, new_timers)

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        try:
            if exc is None:
                self._commit()
                return False
            self.session.rollback()
        finally:
            self.session.close()
        if isinstance(exc, StepFailed):
            self.engine.record_incident(exc, actor=self.actor)
        translated = translate_db_error(exc, self.touched)
        if translated is not None:
            raise translated from exc
        return False

    def _commit(self) -> None:
        try:
            self.write_task_rows()
            self.session.flush()
            self.write_events()
            for hook in self.before_commit:
                hook(self)
            self.session.commit()
        except BaseException as exc:
            self.session.rollback()
            translated = translate_db_error(exc, self.touched)
            if translated is not None:
                raise translated from exc
            raise
        self.engine.after_commit()  # no audit seal here: the worker seals (docs/engine.md)


def translate_db_error(exc: BaseException | None, touched: list[uuid.UUID]) -> EngineError | None:
    """A lost race or a busy database, in words; ``None`` for anything that is not one."""
    subject = ", ".join(str(i) for i in touched[-1:]) or "?"
    if isinstance(exc, StaleDataError):
        return ConflictError(id=subject)
    if isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower():
        return DatabaseBusy()
    if isinstance(exc, IntegrityError) and "unique" in str(exc.orig).lower():
        return ConflictError(id=subject)
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in {"40001", "40P01", "55P03"}:
        return ConflictError(id=subject)  # serialization failure, deadlock, lock not available
    return None
