"""Read-side queries over the projected rows. None of them loads a workflow."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import HumanTask


def inbox(
    session: Session,
    *,
    unit: str | None = None,
    role: str | None = None,
    assignee: str | None = None,
    open_only: bool = True,
    limit: int = 200,
) -> Sequence[HumanTask]:
    """Human tasks for a unit / role / person, soonest due first (served by the inbox indexes)."""
    query = select(HumanTask)
    if open_only:
        query = query.where(HumanTask.status == "open")
    if unit is not None:
        query = query.where(HumanTask.candidate_unit == unit)
    if role is not None:
        query = query.where(HumanTask.candidate_role == role)
    if assignee is not None:
        query = query.where(HumanTask.assignee == assignee)
    return session.scalars(query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at).limit(limit)).all()
