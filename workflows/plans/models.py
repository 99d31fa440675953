"""Plans (kế hoạch), their sections and tasks, as issued and as amended."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base, BigId


class Plan(Base):
    """A plan as issued; one per (province, year, số ký hiệu) when it has a number."""

    __tablename__ = "plan"
    __table_args__ = (
        Index("ix_plan_root", "root_id", "year"),
        Index("ix_plan_number", "root_id", "year", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    issuer_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    number: Mapped[str | None] = mapped_column(String(100))  # số ký hiệu, e.g. "637/KH-SGDĐT"
    issued_on: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(1000))
    year: Mapped[int]
    legal_bases: Mapped[list[str]] = mapped_column(JSON, default=list)
    reporting_regime: Mapped[str | None] = mapped_column(Text)
    default_authority: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    source_name: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class PlanSection(Base):
    __tablename__ = "plan_section"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int]


class PlanTask(Base):
    """One line of the task appendix, with what its cells resolved to and its "6 rõ" problems.

    ``lead`` and ``coordinators`` hold targets: ``{"unit_id": 7}`` or ``{"group": "institutions"}``
    (groups are expanded over the tree at dispatch, so a school opened later is included).
    """

    __tablename__ = "plan_task"
    __table_args__ = (Index("ix_plan_task_plan", "plan_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    position: Mapped[int]
    stt: Mapped[str] = mapped_column(String(20))
    section_code: Mapped[str | None] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    deliverable: Mapped[str | None] = mapped_column(Text)
    lead_text: Mapped[str | None] = mapped_column(Text)
    lead: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    coordinators_text: Mapped[str | None] = mapped_column(Text)
    coordinators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    timeframe_text: Mapped[str | None] = mapped_column(Text)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    authority: Mapped[str | None] = mapped_column(String(300))
    problems: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    exception_reason: Mapped[str | None] = mapped_column(Text)
    exception_by: Mapped[str | None] = mapped_column(String(200))
    exception_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="active")
    source_row: Mapped[int | None]
