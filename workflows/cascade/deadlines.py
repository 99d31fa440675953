"""The deadline an instance is held to now, and how a deadline is written in a refusal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import HumanTask, Instance
from workflows.process_contract import DRAFT, WARD_DRAFT, WARD_FOLLOW
from workflows.timeframes import LOCAL_TZ, typed_deadline
from workflows.tracking.models import Tracking

TIMED_STEPS = (DRAFT, WARD_FOLLOW, WARD_DRAFT)  # the steps a deadline boundary timer is attached to


def deadline_in_force(session: Session, instance: Instance) -> datetime | None:
    """The instance's current deadline: its tracking row's (moved by extensions and amendments),
    else the newest due of its steps that carry the deadline timer (reset by an extension), else the
    instance's own. Read from rows: no workflow is loaded."""
    row = session.get(Tracking, instance.id)
    if row is not None and row.due_at is not None:
        return row.due_at
    newest = session.scalars(
        select(HumanTask.due_at)
        .where(HumanTask.instance_id == instance.id, HumanTask.element_id.in_(TIMED_STEPS), HumanTask.due_at.is_not(None))
        .order_by(HumanTask.created_at.desc())
        .limit(1)
    ).first()
    return newest or instance.due_at


def deadline_value(value: Any) -> datetime | None:
    """A deadline from a form: an aware ``datetime``, or ISO 8601 text (a date alone is the end of
    that day, a time without an offset is Việt Nam's); ``None`` when it is not one."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TZ)
    try:
        return typed_deadline(str(value))
    except ValueError:
        return None


def shown(instant: datetime) -> str:
    """"00:00 24/06/2026": the way a deadline reads in a message, Việt Nam time."""
    return instant.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")
