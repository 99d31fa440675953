"""The most overdue open work at an instant: the rows ``workflows.tracking.status`` counts as
"chưa hoàn thành quá hạn" (the same ``bucket_of``, so a list and its count never disagree),
longest overdue first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from workflows.org.models import OrgUnit
from workflows.plans.models import Plan, PlanTask
from workflows.tracking.models import Tracking
from workflows.tracking.status import bucket_of


@dataclass(frozen=True)
class OverdueItem:
    instance_id: uuid.UUID
    unit_code: str
    unit_name: str
    plan_id: int | None
    plan_number: str | None
    task_key: str | None
    content: str | None
    period: str | None
    phase: str
    due_at: datetime | None
    overdue_since: datetime  # the first deadline missed: ``late_since`` when a moved one was missed

    def days_late(self, now: datetime) -> int:
        return max(0, (now - self.overdue_since).days)


def most_overdue(session: Session, now: datetime, *, unit: OrgUnit | None = None, plan_id: int | None = None,
                 role: str | None = "lead", limit: int = 20) -> list[OverdueItem]:  # fmt: skip
    """Open overdue work (``unit``: its subtree; ``role``: one view), the longest overdue first."""
    # Typed as the columns, so that both databases give an aware UTC instant back.
    since = func.coalesce(Tracking.late_since, Tracking.due_at, type_=Tracking.__table__.c.due_at.type)
    query = (
        select(Tracking, OrgUnit.name, Plan.number, PlanTask.content, since.label("since"))
        .join(OrgUnit, OrgUnit.id == Tracking.unit_id)
        .outerjoin(Plan, Plan.id == Tracking.plan_id)
        .outerjoin(PlanTask, and_(PlanTask.plan_id == Tracking.plan_id, PlanTask.stt == Tracking.task_key))
        .where(bucket_of(now) == "chua_hoan_thanh_qua_han")
    )
    if unit is not None:
        query = query.where(OrgUnit.path.startswith(unit.path, autoescape=True))
    if plan_id is not None:
        query = query.where(Tracking.plan_id == plan_id)
    if role is not None:
        query = query.where(Tracking.role == role)
    rows = session.execute(query.order_by(since, Tracking.instance_id).limit(limit)).all()
    return [
        OverdueItem(t.instance_id, t.unit_code or "", name, t.plan_id, number, t.task_key, content, t.period, t.phase,
                    t.due_at, since_at)
        for t, name, number, content, since_at in rows
    ]  # fmt: skip

