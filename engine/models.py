"""The engine's tables. Every fact a person asks about is an indexed row; workflow state is a blob
that only a step ever reads.

Invariants that must never break live in the database (unique and partial indexes, foreign keys,
CHECK constraints), as in Indico's models, not only in Python.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite's INTEGER PRIMARY KEY is its rowid only when spelled INTEGER, so BigInteger becomes
# Integer there; on PostgreSQL it stays BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC instants on both databases (SQLite keeps no offset, so we store UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timezone-aware instants")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UtcDateTime(),
        uuid.UUID: Uuid(),
        dict[str, Any]: JSON(),
    }


class ProcessDefinition(Base):
    """One deployed version of one process (BPMN ``process`` id = ``key``)."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    xml: Mapped[bytes] = mapped_column(LargeBinary)  # exactly as uploaded; sha256 is of these bytes
    source_name: Mapped[str] = mapped_column(String(500))
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(200))


class Instance(Base):
    """One persisted SpiffWorkflow workflow: one unit's obligation for one task and period.

    ``version`` is the optimistic lock (Camunda's ``REV_``): SQLAlchemy adds
    ``WHERE version = :loaded`` to every UPDATE, so a step that lost a race changes nothing.
    """

    __tablename__ = "instance"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'completed', 'cancelled')", name="status"),
        Index("ix_instance_parent", "parent_id"),
        Index("ix_instance_plan", "plan_key", "task_key", "period"),
        Index("ix_instance_definition_status", "definition_id", "status"),
        Index("ix_instance_business_key", "business_key"),  # engine.bulk skips keys already started
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    process_key: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("instance.id"))
    status: Mapped[str] = mapped_column(String(20), default="running")
    business_key: Mapped[str | None] = mapped_column(String(200))
    unit_code: Mapped[str | None] = mapped_column(String(100))
    plan_key: Mapped[str | None] = mapped_column(String(100))
    task_key: Mapped[str | None] = mapped_column(String(100))
    period: Mapped[str | None] = mapped_column(String(50))
    due_at: Mapped[datetime | None]
    state: Mapped[bytes] = mapped_column(LargeBinary)
    serializer_version: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(200))
    ended_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """A ready user task, projected from the workflow so that inbox queries never load workflows."""

    __tablename__ = "human_task"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'completed', 'cancelled')", name="status"),
        UniqueConstraint("instance_id", "spiff_task_id"),
        Index("ix_human_task_unit_inbox", "candidate_unit", "status", "due_at"),
        Index("ix_human_task_assignee_inbox", "assignee", "status", "due_at"),
        Index("ix_human_task_plan", "plan_key", "task_key", "period"),
        Index("ix_human_task_instance", "instance_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    spiff_task_id: Mapped[uuid.UUID]
    process_key: Mapped[str] = mapped_column(String(100))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(500))
    lane: Mapped[str | None] = mapped_column(String(200))
    candidate_unit: Mapped[str | None] = mapped_column(String(100))
    candidate_role: Mapped[str | None] = mapped_column(String(50))
    assignee: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="open")
    plan_key: Mapped[str | None] = mapped_column(String(100))
    task_key: Mapped[str | None] = mapped_column(String(100))
    period: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(200))


class Timer(Base):
    """A waiting timer event (deadline, boundary, reminder, cycle) with the instant it is due."""

    __tablename__ = "timer"
    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'fired', 'cancelled')", name="status"),
        Index(
            "ix_timer_due_waiting",
            "due_at",
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
        # A step reads its instance's waiting timers and the fired ones it may catch up on
        # (``steps.read_timer_rows``): the partial indexes above cannot serve the fired rows, and
        # without this every such step scanned the whole table. It also serves the cascade from
        # ``instance``.
        Index("ix_timer_instance", "instance_id", "status"),
        Index(
            "uq_timer_waiting_task",
            "instance_id",
            "spiff_task_id",
            unique=True,
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    spiff_task_id: Mapped[uuid.UUID]
    element_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A side effect (email, webhook) written in the same transaction as the state change.

    The id is the idempotency key: a deliverer derives the email Message-ID from it, so a resend
    after a crash is recognisably the same message.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        Index(
            "ix_outbox_message_pending",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str | None] = mapped_column(String(320))
    payload: Mapped[dict[str, Any]]
    instance_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("instance.id", ondelete="SET NULL"))
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Incident(Base):
    """A step that failed inside the process; the instance stays at its last wait state.

    ``command`` records what was being done (e.g. completing a task with some data) so that
    ``retry`` can run it again once the cause is fixed. ``resolution`` says how it was closed:
    "retried" (the step ran), or "moot" (its instance had ended or was cancelled; ``reason`` why).
    """

    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'resolved')", name="status"),
        Index("ix_incident_instance", "instance_id", "status"),
        Index("ix_incident_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    element_id: Mapped[str | None] = mapped_column(String(200))
    error_code: Mapped[str] = mapped_column(String(50))
    message: Mapped[str] = mapped_column(Text)
    command: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), default="open")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """One thing that happened: who did what, when, on which instance or task. Append-only.

    Rows are written by every command without any shared lock; ``AuditSeal`` chains them
    afterwards (see engine.audit). Database triggers refuse UPDATE and DELETE. Ids are positive:
    the sealer looks for rows above the last sealed id, so a row with id 0 or less would never be
    chained (verify reports any such row written before the constraint existed).
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint("id > 0", name="id_positive"),
        Index("ix_audit_event_instance", "instance_id", "id"),
        Index("ix_audit_event_actor", "actor", "occurred_at"),
        Index("ix_audit_event_event", "event", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime]
    event: Mapped[str] = mapped_column(String(80))
    actor: Mapped[str] = mapped_column(String(200))
    on_behalf_of: Mapped[str | None] = mapped_column(String(200))
    instance_id: Mapped[uuid.UUID | None]
    task_id: Mapped[uuid.UUID | None]
    subject: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict[str, Any]]


class AuditSeal(Base):
    """The hash chain over audit events, in the order the sealer saw them committed."""

    __tablename__ = "audit_seal"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(ForeignKey("audit_event.id"), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime]


class WorkerHeartbeat(Base):
    """One row per worker process: who is sweeping, since when, last seen, how many sweeps.

    An operator sees a stalled worker (``last_seen`` old, ``status`` still "running"); a worker
    stopped by SIGTERM says "stopped". Correctness never depends on it: claims are row locks and
    every step is fenced by the instance's ``version``.
    """

    __tablename__ = "worker_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    last_seen: Mapped[datetime]
    sweeps: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="running")
    last_error: Mapped[str | None] = mapped_column(Text)
