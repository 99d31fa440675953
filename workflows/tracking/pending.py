"""Who has not reported yet: the tracked obligations of a plan whose report has not reached the
assigning unit (chưa nộp), per task, for the Sở to chase.

"Not submitted" is the tracking phase: chưa tiếp nhận, đang thực hiện (a draft awaiting the
unit's own leader included) or bị trả lại — the phases in which the unit's clock runs
(``WITH_THE_UNIT``). A report waiting for review, approved work and cancelled work are not listed.
Only periods already opened have rows: a one-off task lists its one instance per unit, a recurring
task its current period, and an earlier period only while some unit still owes it. Each row says
its period, so both read plainly. Every role is listed (lead, coordinator, commune, school): each
owes its own report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from workflows.org.models import OrgUnit
from workflows.tracking.follow import WITH_THE_UNIT
from workflows.tracking.models import Tracking

ROLE_LABELS: dict[str, tuple[str, str]] = {
    "lead": ("Chủ trì", "Lead"),
    "coordinator": ("Phối hợp", "Coordinating"),
    "ward": ("UBND xã, phường", "Commune"),
    "school": ("Trường", "School"),
}
PHASE_LABELS: dict[str, tuple[str, str]] = {
    "new": ("Chưa tiếp nhận", "Not yet accepted"),
    "working": ("Đang thực hiện", "In progress"),
    "returned": ("Bị trả lại", "Returned"),
}
assert tuple(PHASE_LABELS) == WITH_THE_UNIT


@dataclass(frozen=True)
class PendingUnit:
    """One unit that owes a report for one task and period."""

    task_key: str
    period: str | None
    unit_code: str
    unit_name: str
    role: str
    phase: str
    due_at: datetime | None
    overdue: bool


def _where(plan_id: int, unit: OrgUnit | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Tracking.plan_id == plan_id, Tracking.phase.in_(WITH_THE_UNIT)]
    if unit is not None:  # the person's unit and everything below it
        where.append(Tracking.unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))))
    return where


def not_submitted_counts(session: Session, *, plan_id: int, unit: OrgUnit | None = None) -> dict[str, int]:
    """How many obligations of each task (by task key) are not submitted."""
    rows = session.execute(select(Tracking.task_key, func.count()).where(*_where(plan_id, unit)).group_by(Tracking.task_key))
    return {key: n for key, n in rows if key is not None}


def not_submitted(session: Session, now: datetime, *, plan_id: int, unit: OrgUnit | None = None,
                  per_task: int | None = None) -> list[PendingUnit]:  # fmt: skip
    """The obligations not submitted, by task, soonest deadline first (no deadline last), then by
    unit code; at most ``per_task`` of each task when given (a page; the export takes them all)."""
    order = (Tracking.due_at.is_(None), Tracking.due_at, Tracking.unit_code, Tracking.period)
    rank = func.row_number().over(partition_by=Tracking.task_key, order_by=order).label("rank")
    overdue = or_(Tracking.late_since.is_not(None), and_(Tracking.due_at.is_not(None), Tracking.due_at <= now))
    inner = (
        select(Tracking.task_key, Tracking.period, Tracking.unit_code, func.coalesce(OrgUnit.name, Tracking.unit_code).label("name"),
               Tracking.role, Tracking.phase, Tracking.due_at, overdue.label("overdue"), rank)
        .outerjoin(OrgUnit, OrgUnit.id == Tracking.unit_id)
        .where(*_where(plan_id, unit))
        .subquery()
    )  # fmt: skip
    query = select(inner).order_by(inner.c.task_key, inner.c.rank)
    if per_task is not None:
        query = query.where(inner.c.rank <= per_task)
    return [
        PendingUnit(row.task_key or "", row.period, row.unit_code or "", row.name or "", row.role, row.phase, row.due_at,
                    bool(row.overdue))  # fmt: skip
        for row in session.execute(query)
    ]

