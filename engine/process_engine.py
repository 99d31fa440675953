"""``ProcessEngine``: the configured engine a shell holds (database, clock, roles, sandbox, caches)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine import audit
from engine.bpmn import ProcessBundle, RoleCatalog, reparse
from engine.clock import Clock
from engine.db import checkpoint as db_checkpoint
from engine.db import session_factory
from engine.errors import StepFailed
from engine.forms import NO_FORM, Form
from engine.messages import render
from engine.models import Incident, Instance, ProcessDefinition
from engine.sandbox import Sandbox, SandboxEnvironment, default_sandbox
from engine.state import StateCodec
from engine.timer_flags import flag_timers
from engine.uow import UnitOfWork

log = logging.getLogger(__name__)

Hook = Callable[[UnitOfWork, Any], None]

SEAL_BATCH = 50_000  # events one seal run chains (one transaction)


@dataclass
class EngineHooks:
    """Where the domain plugs in, inside the step's transaction (e.g. to add outbox rows)."""

    task_created: list[Hook] = field(default_factory=list)
    # A guard: runs before a human task completes (its data already fits the task's form) and
    # before anything of the step runs; it refuses by raising (BadData, Forbidden, InvalidState).
    # Every completion passes here (engine.commands.complete_task, retry_incident included).
    task_completing: list[Hook] = field(default_factory=list)  # subject: TaskCompletion
    task_completed: list[Hook] = field(
        default_factory=list
    )  # subject: TaskCompletion (row + form data)
    instance_ended: list[Hook] = field(default_factory=list)
    instances_started: list[Hook] = field(
        default_factory=list
    )  # subject: InstancesStarted (once per start call)
    step_saved: list[Hook] = field(
        default_factory=list
    )  # subject: StepSaved (every later step of an instance)
    # A check of each process about to be stored by ``deploy`` (after the engine's own rules);
    # it refuses by raising ``DeployError`` naming the elements. Not run for a no-op deploy,
    # nor when a stored version is parsed again.
    definition_deploying: list[Hook] = field(default_factory=list)  # subject: ProcessBundle
    # Deadlines the timer sweep fired set-based, without a step (``engine.timer_flags``): the
    # domain updates its rows for all of them at once. ``step_saved`` does not fire for them.
    timers_fired: list[Hook] = field(default_factory=list)  # subject: TimersFired
    # When a step that declares ``gv:deadline`` opens: the domain resolves the rule on its
    # calendar and sets ``subject.due`` (``engine.task_rows.resolve_rule``); a bulk start asks
    # once per step for all its children. No hook: the rule is not applied.
    task_deadline: list[Hook] = field(default_factory=list)  # subject: task_rows.StepDeadline

    def add(self, name: str, hook: Hook) -> None:
        """Plug ``hook`` in at ``name`` once: installing the domain twice adds nothing."""
        hooks = getattr(self, name)
        if hook not in hooks:
            hooks.append(hook)

    def fire(self, name: str, uow: UnitOfWork, subject: Any) -> None:
        for hook in getattr(self, name):
            hook(uow, subject)


@dataclass(frozen=True)
class TaskCompletion:
    """What ``task_completing`` and ``task_completed`` hooks receive: the task row, the person's
    form data (already checked against ``form``), the instance and the task's form."""

    task: Any
    data: dict[str, Any]
    instance: Any
    form: Form = NO_FORM


@dataclass(frozen=True)
class InstancesStarted:
    """What an ``instances_started`` hook receives, once per ``start_instance`` or bulk start.

    ``children`` are the per-instance facts (``engine.bulk.ChildSpec``), in the order of
    ``instance_ids``; every instance of one call has the same ``open_tasks`` (element id, due) at
    start and is ``completed`` or not alike. Lets the domain add its rows with one bulk INSERT.
    """

    process_key: str
    instance_ids: list[Any]
    children: list[Any]
    open_tasks: list[tuple[str, datetime | None]]
    completed: bool


@dataclass(frozen=True)
class StepSaved:
    """What a ``step_saved`` hook receives after any step of an existing instance is written:
    the human task rows it opened, the timers that fired (element ids), and the instance (whose
    ``status`` says whether it ended or was cancelled)."""

    instance: Any
    opened: list[Any]
    fired_timers: list[str]


@dataclass(frozen=True)
class TimersFired:
    """What a ``timers_fired`` hook receives: (instance id, timer element id) of each deadline
    fired set-based in this transaction, at the unit of work's instant."""

    timers: list[tuple[Any, str]]


class ProcessEngine:
    def __init__(
        self,
        db: Engine,
        *,
        clock: Clock,
        roles: RoleCatalog,
        sandbox: Sandbox | None = None,
        max_bpmn_bytes: int = 5 * 1024 * 1024,
        seal_interval: timedelta = timedelta(seconds=1),
        set_based_deadlines: bool = True,
        seal_after_commit: bool = False,
    ) -> None:
        self.db = db
        self.clock = clock
        self.roles = roles
        self.sandbox = sandbox or default_sandbox()
        self.max_bpmn_bytes = max_bpmn_bytes
        self.codec = StateCodec()
        self.script_engine = PythonScriptEngine(environment=SandboxEnvironment(self.sandbox))
        self.hooks = EngineHooks()
        self._write = session_factory(db, write=True)
        self._read = session_factory(db, write=False)
        self._bundles: dict[int, ProcessBundle] = {}
        self._bundles_lock = threading.Lock()
        self._flag_timers: dict[int, frozenset[str]] = {}
        # On by default: 100,000 deadlines fire in a minute instead of hours (bench/README.md). A
        # deadline fired so reaches the stored process data (``qua_han``) at the instance's next
        # step, before anything of that step runs (``steps.catch_up``); readers from outside a step
        # use ``engine.read_workflow``, which applies it in memory (docs/engine.md, timers).
        self.set_based_deadlines = set_based_deadlines
        # Off by default: a command commits its audit events and returns; the worker seals them
        # (``seal_all`` every sweep) and ``audit verify`` seals first. Sealing on the request path
        # cost a second write transaction per command (bench/README.md). On, a commit seals at most
        # once per ``seal_interval`` (a shell that runs with no worker may want it).
        self.seal_after_commit = seal_after_commit
        self.seal_interval = seal_interval
        self._last_seal: datetime | None = None

    def unit_of_work(
        self, actor: str, *, on_behalf_of: str | None = None, now: datetime | None = None
    ) -> UnitOfWork:
        return UnitOfWork(self, actor, on_behalf_of=on_behalf_of, now=now)

    def write_session(self) -> Session:
        return self._write()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; it never commits. Rows stay readable after the block (detached)."""
        session = self._read()
        try:
            yield session
        finally:
            session.close()

    def bundle(self, definition: ProcessDefinition) -> ProcessBundle:
        """The parsed spec of a definition version, parsed once per process (specs are immutable)."""
        cached = self._bundles.get(definition.id)
        if cached is not None:
            return cached
        with self._bundles_lock:
            if definition.id not in self._bundles:
                self._bundles[definition.id] = reparse(
                    definition.xml, self.roles, self.sandbox, definition.key
                )
            return self._bundles[definition.id]

    def bundle_by_id(self, session: Session, definition_id: int) -> ProcessBundle:
        """The cached bundle, loading the definition (and its XML) only on a cache miss."""
        cached = self._bundles.get(definition_id)
        if cached is not None:
            return cached
        definition = session.get(ProcessDefinition, definition_id)
        assert definition is not None, "instances reference existing definitions (foreign key)"
        return self.bundle(definition)

    def flag_timers(self, session: Session, definition_id: int) -> frozenset[str]:
        """The deadline timers of a definition version that the sweep fires set-based (none unless
        ``set_based_deadlines``)."""
        if not self.set_based_deadlines:
            return frozenset()
        found = self._flag_timers.get(definition_id)
        if found is None:
            found = self._flag_timers[definition_id] = flag_timers(self.bundle_by_id(session, definition_id))
        return found

    def remember_bundle(self, definition_id: int, bundle: ProcessBundle) -> None:
        with self._bundles_lock:
            self._bundles.setdefault(definition_id, bundle)

    def record_incident(self, failure: StepFailed, *, actor: str) -> None:
        """Write the incident of a rolled-back step in its own transaction (and re-word the error)."""
        if failure.instance_id is None:
            return  # a bulk start failed before any instance existed (engine.bulk): nothing to attach to
        now = self.clock.now()
        with self._write() as session, session.begin():
            if (
                failure.new_instance is not None
                and session.get(Instance, failure.new_instance.id) is None
            ):
                session.add(failure.new_instance)
                session.flush()
            incident = open_incident(session, failure, now)
            audit.record(
                session, event="incident_raised", actor=actor, now=now, instance_id=failure.instance_id,
                subject=failure.element_id, data={"incident": incident.id, "code": failure.error_code, "message": failure.detail},
            )  # fmt: skip
            session.flush()
            failure.params["incident"] = incident.id
        failure.args = (render(failure.code, **failure.params),)
        self.after_commit()

    def seal_audit(self, limit: int = SEAL_BATCH) -> int:
        """One seal run (its own transaction): chains up to ``limit`` committed events."""
        with self._write() as session, session.begin():
            return audit.seal_pending(session, self.clock.now(), limit=limit)

    def seal_all(self) -> int:
        """Seal every event committed so far, in runs of ``SEAL_BATCH`` (the worker's job)."""
        total = 0
        while (sealed := self.seal_audit()) == SEAL_BATCH:
            total += sealed
        return total + sealed

    def checkpoint(self) -> int:
        """SQLite: copy the WAL into the database file (the worker's job, never a commit's;
        ``engine.db.checkpoint``). The frames copied; 0 on PostgreSQL."""
        return db_checkpoint(self.db)

    def after_commit(self) -> None:
        """What a unit of work does once committed: nothing, unless ``seal_after_commit``."""
        if self.seal_after_commit:
            self.seal_audit_quietly()

    def seal_audit_quietly(self) -> int:
        """Seal after a commit, at most once per ``seal_interval``; a failure here never fails the
        command (the next seal, the worker or ``audit verify`` catches up)."""
        now = self.clock.now()
        if self._last_seal is not None and now - self._last_seal < self.seal_interval:
            return 0
        self._last_seal = now
        try:
            return self.seal_audit()
        except SQLAlchemyError as exc:
            log.warning("audit sealing deferred: %s", exc)
            return 0


def open_incident(session: Session, failure: StepFailed, now: datetime) -> Incident:
    """One open incident per instance, element and error: a repeat only counts another attempt."""
    existing = session.scalars(
        select(Incident).where(
            Incident.instance_id == failure.instance_id,
            Incident.status == "open",
            Incident.element_id == failure.element_id,
            Incident.error_code == failure.error_code,
        )
    ).first()
    if existing is not None:
        existing.attempts += 1
        existing.message = failure.detail
        existing.command = failure.command
        return existing
    incident = Incident(
        instance_id=failure.instance_id, element_id=failure.element_id, error_code=failure.error_code,
        message=failure.detail, command=failure.command, status="open", attempts=1, created_at=now,
    )  # fmt: skip
    session.add(incident)
    return incident
