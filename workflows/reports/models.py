"""Report versions, their attachments, and the content-addressed bytes behind them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine import Base, BigId

REPORT_STATUSES = ("draft", "submitted", "returned", "approved")


class Report(Base):
    """One version of a unit's report for one instance; versions are never edited, only added.

    ``figures`` holds ``{"indicator_id", "code", "numerator", "denominator"}`` with the numbers as
    decimal strings, so that no float ever touches them. ``content_hash`` is the sha256 of the
    canonical JSON of the text, the figures and the attachments' hashes
    (``workflows.reports.inputs.content_hash``). ``consolidated_from`` lists the child reports a
    consolidated (ward) report was built from; ``None`` for a unit's own report.
    """

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("instance_id", "version"),
        CheckConstraint(
            f"status IN ({', '.join(repr(s) for s in REPORT_STATUSES)})", name="status"
        ),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_report_plan", "plan_id", "task_key", "period"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    unit_code: Mapped[str] = mapped_column(String(100))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    task_key: Mapped[str | None] = mapped_column(String(100))
    period: Mapped[str | None] = mapped_column(String(50))
    ket_qua: Mapped[str] = mapped_column(Text, default="")
    kho_khan: Mapped[str] = mapped_column(Text, default="")
    kien_nghi: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    review_note: Mapped[str | None] = mapped_column(Text)
    consolidated_from: Mapped[list[int] | None] = mapped_column(JSON)

    # Loaded with the report (never lazily): the hash covers them, and reports are often read in a
    # session that is closed before they are verified.
    attachments: Mapped[list[ReportAttachment]] = relationship(
        lazy="selectin",
        order_by="ReportAttachment.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Blob(Base):
    """Bytes stored once per content (sha256), in the database so that a submission is atomic.

    ``data`` is deferred: listing reports and attachments never pulls megabytes.
    """

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime]


class ReportAttachment(Base):
    """A file of one report version; the same blob may belong to many versions and reports."""

    __tablename__ = "report_attachment"
    __table_args__ = (
        UniqueConstraint("report_id", "sha256"),
        Index("ix_report_attachment_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
