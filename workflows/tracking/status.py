"""The eight statuses and the on-time rate, computed in SQL from ``tracking`` and the clock.

Statuses (what Vietnamese tracking systems report), in this order:
chưa tiếp nhận · đang thực hiện trong hạn · đang thực hiện quá hạn · chờ duyệt · bị trả lại ·
hoàn thành đúng hạn · hoàn thành quá hạn · đã hủy.

"Hoàn thành đúng hạn" means the report finally approved had been submitted by the deadline in
force (an extension counts; ``original_due_at`` stays for the record). A returned report keeps
counting against its deadline: its resubmission time is what is judged.

On-time rate (tỷ lệ hoàn thành đúng hạn) = completed on time / (completed + still open past the
deadline); work not yet due and cancelled work are not counted. ``None`` when nothing counts yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from workflows.org.models import OrgUnit
from workflows.tracking.models import Tracking

STATUSES: dict[str, tuple[str, str]] = {
    "chua_tiep_nhan": ("Chưa tiếp nhận", "Not yet accepted"),
    "dang_thuc_hien_trong_han": ("Đang thực hiện trong hạn", "In progress, on time"),
    "dang_thuc_hien_qua_han": ("Đang thực hiện quá hạn", "In progress, overdue"),
    "cho_duyet": ("Chờ duyệt", "Awaiting review"),
    "bi_tra_lai": ("Bị trả lại", "Returned"),
    "hoan_thanh_dung_han": ("Hoàn thành đúng hạn", "Completed on time"),
    "hoan_thanh_qua_han": ("Hoàn thành quá hạn", "Completed late"),
    "da_huy": ("Đã hủy", "Cancelled"),
}
DONE = ("hoan_thanh_dung_han", "hoan_thanh_qua_han")


def status_of(now: datetime) -> ColumnElement[str]:
    """The status of a ``tracking`` row at ``now``, as a SQL expression."""
    t = Tracking
    return case(
        (t.phase == "cancelled", literal("da_huy")),
        (t.phase == "approved", case((or_(t.due_at.is_(None), t.completed_at <= t.due_at), literal("hoan_thanh_dung_han")), else_=literal("hoan_thanh_qua_han"))),
        (t.phase == "submitted", literal("cho_duyet")),
        (t.phase == "returned", literal("bi_tra_lai")),
        (t.phase == "new", literal("chua_tiep_nhan")),
        (and_(t.due_at.is_not(None), t.due_at <= now), literal("dang_thuc_hien_qua_han")),
        else_=literal("dang_thuc_hien_trong_han"),
    )  # fmt: skip


def _counted_late(now: datetime) -> ColumnElement[bool]:
    """Open work past its deadline: counts against the on-time rate."""
    return and_(Tracking.phase.in_(("new", "working", "submitted", "returned")), Tracking.due_at.is_not(None), Tracking.due_at <= now)


@dataclass
class StatusSummary:
    total: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    on_time: int = 0
    counted: int = 0  # the rate's denominator

    @property
    def on_time_rate(self) -> Decimal | None:
        if not self.counted:
            return None
        return (Decimal(self.on_time) / Decimal(self.counted)).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    def as_json(self) -> dict[str, Any]:
        rate = self.on_time_rate
        return {"total": self.total, "statuses": self.statuses, "on_time": self.on_time, "counted": self.counted,
                "on_time_rate": float(rate) if rate is not None else None}  # fmt: skip


def _filters(plan_id: int | None, unit: OrgUnit | None, period: str | None, task_key: str | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if plan_id is not None:
        where.append(Tracking.plan_id == plan_id)
    if period is not None:
        where.append(Tracking.period == period)
    if task_key is not None:
        where.append(Tracking.task_key == task_key)
    if unit is not None:
        subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))
        where.append(Tracking.unit_id.in_(subtree))
    return where


def summarise(session: Session, now: datetime, *, plan_id: int | None = None, unit: OrgUnit | None = None,
              period: str | None = None, task_key: str | None = None) -> StatusSummary:  # fmt: skip
    """Status counts and on-time rate of the work matching the filters (``unit``: its subtree)."""
    rows = session.execute(
        select(literal(0), *_counts(now)).where(*_filters(plan_id, unit, period, task_key)).group_by("status")
    ).all()
    return _fold(rows).get(0, StatusSummary())


def _counts(now: datetime) -> tuple[Any, ...]:
    """(status, how many, how many open past their deadline) — grouped by status."""
    return status_of(now).label("status"), func.count(), func.sum(case((_counted_late(now), 1), else_=0))


def by_group(session: Session, now: datetime, column: Any, *, plan_id: int | None = None, unit: OrgUnit | None = None,
             period: str | None = None) -> dict[Any, StatusSummary]:  # fmt: skip
    """``summarise`` per value of a ``Tracking`` column (e.g. ``Tracking.period``, ``Tracking.task_key``)."""
    rows = session.execute(select(column, *_counts(now)).where(*_filters(plan_id, unit, period, None)).group_by(column, "status")).all()
    return _fold(rows)


def by_child_unit(session: Session, now: datetime, parent: OrgUnit, *, plan_id: int | None = None,
                  period: str | None = None) -> dict[str, StatusSummary]:  # fmt: skip
    """Per unit directly under ``parent``: ``summarise`` of that unit's whole subtree (rolled up)."""
    child = select(OrgUnit.id, OrgUnit.code, OrgUnit.path).where(OrgUnit.parent_id == parent.id).subquery()
    rows = session.execute(
        select(child.c.code, *_counts(now))
        .select_from(Tracking)
        .join(OrgUnit, OrgUnit.id == Tracking.unit_id)
        .join(child, OrgUnit.path.startswith(child.c.path))
        .where(*_filters(plan_id, None, period, None))
        .group_by(child.c.code, "status")
    ).all()
    return _fold(rows)


def _fold(rows: Any) -> dict[Any, StatusSummary]:
    out: dict[Any, StatusSummary] = {}
    for key, code, count, late in rows:
        summary = out.setdefault(key, StatusSummary())
        summary.statuses[code] = count
        summary.total += count
        summary.counted += int(late or 0) + (count if code in DONE else 0)
        summary.on_time = summary.statuses["hoan_thanh_dung_han"]
    return out
