"""Escalation policies (declarative, per province / plan / process) and what was sent."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base, BigId


class EscalationPolicy(Base):
    """Settings overriding the defaults for a scope: ``scope_kind`` "province" (key: the Sở's
    code), "plan" (key: plan id) or "process" (key: process key). The most specific wins per
    setting: plan, then process, then province, then ``workflows.escalation.policy.DEFAULT``."""

    __tablename__ = "escalation_policy"
    __table_args__ = (UniqueConstraint("scope_kind", "scope_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope_kind: Mapped[str] = mapped_column(String(20))
    scope_key: Mapped[str] = mapped_column(String(100))
    settings: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))


class EscalationRun(Base):
    """The daily urging run of a province: at most one per (province, local day)."""

    __tablename__ = "escalation_run"
    __table_args__ = (UniqueConstraint("root_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    day: Mapped[date]
    ran_at: Mapped[datetime]
    notices: Mapped[int] = mapped_column(Integer, default=0)
    digests: Mapped[int] = mapped_column(Integer, default=0)


class Notice(Base):
    """One item of one person's digest: a reminder, an overdue notice or an escalation about one
    instance (shown on the task), and the outbox message that carried it."""

    __tablename__ = "escalation_notice"
    __table_args__ = (
        UniqueConstraint("instance_id", "kind", "day", "username"),
        Index("ix_escalation_notice_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("escalation_run.id", ondelete="CASCADE"))
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    day: Mapped[date]
    username: Mapped[str] = mapped_column(String(200))
    outbox_id: Mapped[uuid.UUID | None]
