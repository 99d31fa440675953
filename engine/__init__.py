"""giaoviec's BPM core: BPMN in, persisted SpiffWorkflow instances, rows for every fact.

No Flask, no domain: the shells (CLI, web, worker) and the domain (``workflows``) use only what
is exported here.
"""

from engine.audit import Anchor, Finding, Verification, seal_pending, verify
from engine.audit_anchor import (
    Publication,
    anchor_line,
    default_anchor_path,
    parse_anchor,
    publish_head,
    read_anchors,
)
from engine.bpmn import ProcessBundle, RoleCatalog
from engine.bpmn_check import Checked, validate_bpmn
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
    resolve_incident,
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
from engine.forms import FIELD_TYPES, Form, FormField, FormRejected
from engine.gv import GV_NS
from engine.messages import Problem, register, render
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
    WorkerHeartbeat,
)
from engine.outbox import (
    Claimed,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    Transport,
    TransportUnavailable,
    deliver_due,
    failed_messages,
)
from engine.process_engine import (
    InstancesStarted,
    ProcessEngine,
    StepSaved,
    TaskCompletion,
    TimersFired,
)
from engine.queries import inbox
from engine.reading import read_workflow
from engine.sandbox import Sandbox
from engine.task_rows import StepDeadline
from engine.timer_sweep import SweepResult, fire_due_timers
from engine.uow import UnitOfWork
from engine.version_move import (
    InstanceVerdict,
    MovePlan,
    MoveResult,
    Obstacle,
    move_instances,
    plan_move,
)

__all__ = [
    "Anchor", "Finding", "Publication", "default_anchor_path", "parse_anchor", "publish_head", "read_anchors", "resolve_incident",
    "AuditEvent", "AuditSeal", "Base", "BigId", "BadData", "BulkResult", "BulkStartFailed", "ChildSpec", "Clock", "ConflictError", "DatabaseBusy", "DeployError",
    "Deployed", "EngineError", "FIELD_TYPES", "Forbidden", "Form", "FormField", "FormRejected", "GV_NS", "FrozenClock", "HumanTask", "Incident", "Instance", "InvalidState",
    "NotFound", "OutboxMessage", "Problem", "ProcessBundle", "ProcessDefinition", "ProcessEngine",
    "RoleCatalog", "Sandbox", "ScriptError", "StartInstance", "StepFailed", "SweepResult",
    "SystemClock", "TaskCompletion", "Timer", "UnitOfWork", "Verification", "add_outbox_message", "cancel_instance", "complete_task", "insert_rows", "InstancesStarted", "move_deadline", "StepSaved", "StepDeadline", "TimersFired",
    "default_database_url", "deploy", "fire_due_timers", "make_engine", "render", "resume",
    "retry_incident", "seal_pending", "start_event", "start_instance", "start_instances", "upgrade", "verify",
    # For the shells and the domain (they import nothing else of the engine: an import-linter contract).
    "WorkerHeartbeat", "Claimed", "DeliveryError", "PermanentDeliveryError", "TransientDeliveryError", "Transport",
    "TransportUnavailable", "anchor_line", "deliver_due", "failed_messages", "inbox", "register", "read_workflow",
    # Moving running instances to another version of their process (the designer's migrate).
    "Checked", "validate_bpmn", "InstanceVerdict", "MovePlan", "MoveResult", "Obstacle", "move_instances", "plan_move",
]  # fmt: skip
