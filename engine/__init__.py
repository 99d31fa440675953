"""giaoviec's BPM core: BPMN in, persisted SpiffWorkflow instances, rows for every fact.

No Flask, no domain: the shells (CLI, web, worker) and the domain (``workflows``) use only what
is exported here.
"""

from engine.audit import Verification, seal_pending, verify
from engine.bpmn import ProcessBundle, RoleCatalog
from engine.bulk import (
    BulkResult,
    BulkStartFailed,
    ChildSpec,
    insert_rows,
    start_event,
    start_instances,
)
from engine.clock import Clock, FrozenClock, SystemClock
from engine.commands import (
    Deployed,
    StartInstance,
    add_outbox_message,
    cancel_instance,
    complete_task,
    deploy,
    move_deadline,
    resume,
    retry_incident,
    start_instance,
)
from engine.db import default_database_url, make_engine
from engine.errors import (
    BadData,
    ConflictError,
    DatabaseBusy,
    DeployError,
    EngineError,
    Forbidden,
    InvalidState,
    NotFound,
    ScriptError,
    StepFailed,
)
from engine.messages import Problem, render
from engine.migrate import upgrade
from engine.models import (
    AuditEvent,
    AuditSeal,
    Base,
    BigId,
    HumanTask,
    Incident,
    Instance,
    OutboxMessage,
    ProcessDefinition,
    Timer,
)
from engine.process_engine import InstancesStarted, ProcessEngine, StepSaved, TaskCompletion
from engine.sandbox import Sandbox
from engine.timer_sweep import SweepResult, fire_due_timers
from engine.uow import UnitOfWork

__all__ = [
    "AuditEvent", "AuditSeal", "Base", "BigId", "BadData", "BulkResult", "BulkStartFailed", "ChildSpec", "Clock", "ConflictError", "DatabaseBusy", "DeployError",
    "Deployed", "EngineError", "Forbidden", "FrozenClock", "HumanTask", "Incident", "Instance", "InvalidState",
    "NotFound", "OutboxMessage", "Problem", "ProcessBundle", "ProcessDefinition", "ProcessEngine",
    "RoleCatalog", "Sandbox", "ScriptError", "StartInstance", "StepFailed", "SweepResult",
    "SystemClock", "TaskCompletion", "Timer", "UnitOfWork", "Verification", "add_outbox_message", "cancel_instance", "complete_task", "insert_rows", "InstancesStarted", "move_deadline", "StepSaved",
    "default_database_url", "deploy", "fire_due_timers", "make_engine", "render", "resume",
    "retry_incident", "seal_pending", "start_event", "start_instance", "start_instances", "upgrade", "verify",
]  # fmt: skip
