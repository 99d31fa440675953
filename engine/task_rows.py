"""How a ready user task becomes a human-task row: one builder for a step of one instance
(``engine.steps.sync_human_tasks``) and for a bulk start (``engine.bulk.start_instances``).

A row has two kinds of columns. Those of ``ReadyTask`` come from the workflow state and are the
same for every instance in that state (the bulk path computes them once for thousands of
children). Those of ``Owner`` are the instance's own (its unit, its parent's unit, plan keys,
due date). ``candidate_unit`` decides whose inbox the task is in from both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import ProcessBundle
from engine.models import HumanTask, Instance
from engine.timers_spiff import timer_due

# Parent ids per query when looking up parents' units (well under both databases' bind limits).
_PARENT_QUERY_CHUNK = 2_000


@dataclass(frozen=True)
class ReadyTask:
    """What a ready user task gives the row of every instance in the same workflow state."""

    spiff_task_id: uuid.UUID
    element_id: str
    name: str
    lane: str | None
    role: str | None
    party: str | None  # the lane's party variable (e.g. don_vi_giao); None: the instance's own unit
    named_unit: str | None  # the unit that variable names in the task's data, if it names one
    deadline: datetime | None  # the earliest timer boundary event on the task

    @property
    def needs_parent(self) -> bool:
        """Whether the candidate unit falls back to the parent instance's unit."""
        return self.party is not None and self.named_unit is None

    def shared_columns(self, process_key: str, now: datetime) -> dict[str, Any]:
        """The row's columns that do not depend on the instance."""
        return {
            "spiff_task_id": self.spiff_task_id, "process_key": process_key, "element_id": self.element_id,
            "name": self.name, "lane": self.lane, "candidate_role": self.role, "assignee": None,
            "status": "open", "created_at": now, "completed_at": None, "completed_by": None,
        }  # fmt: skip


def ready_task(task: SpiffTask, bundle: ProcessBundle) -> ReadyTask:
    element_id = task.task_spec.bpmn_id
    party = bundle.parties.get(element_id)
    named = task.data.get(party) if party is not None else None
    return ReadyTask(
        spiff_task_id=task.id, element_id=element_id, name=task.task_spec.bpmn_name or element_id,
        lane=bundle.lanes.get(element_id), role=bundle.roles.get(element_id), party=party,
        named_unit=named.strip() if isinstance(named, str) and named.strip() else None,
        deadline=_deadline(task),
    )  # fmt: skip


def _deadline(task: SpiffTask) -> datetime | None:
    """The earliest timer boundary event on this task: in BPMN that is its deadline."""
    parent = task.parent
    if parent is None:
        return None
    dues = [
        due
        for sibling in parent.children
        if sibling is not task and sibling.state == TaskState.WAITING and is_timer(sibling)
        and isinstance(sibling.task_spec, BoundaryEvent)  # not a timer on a parallel branch
        and (due := timer_due(sibling.task_spec.event_definition, sibling.internal_data)) is not None
    ]  # fmt: skip
    return min(dues, default=None)


def is_timer(task: SpiffTask) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)


@dataclass(frozen=True)
class Owner:
    """The facts of the instance a row belongs to."""

    instance_id: uuid.UUID
    unit_code: str | None
    parent_unit: str | None  # the parent instance's unit (needed only by a party lane)
    plan_key: str | None
    task_key: str | None
    period: str | None
    due_at: datetime | None


# The row's columns that depend on the instance, in the order of ``owner_values``.
OWNER_COLUMNS = ("instance_id", "candidate_unit", "due_at", "plan_key", "task_key", "period")


def candidate_unit(task: ReadyTask, owner: Owner) -> str | None:
    """The unit whose inbox gets the task: a plain lane's is the instance's own unit; a party lane
    ("… đơn vị giao") names its unit in a process variable, else it is the parent instance's."""
    if task.party is None:
        return owner.unit_code
    return task.named_unit or owner.parent_unit or owner.unit_code


def owner_values(task: ReadyTask, owner: Owner) -> tuple[Any, ...]:
    """The values of ``OWNER_COLUMNS`` for ``owner``'s row of ``task``."""
    return (owner.instance_id, candidate_unit(task, owner), task.deadline or owner.due_at,
            owner.plan_key, owner.task_key, owner.period)  # fmt: skip


def human_task(row_id: uuid.UUID, task: ReadyTask, owner: Owner, process_key: str, now: datetime) -> HumanTask:
    """The row of ``task`` for one instance."""
    return HumanTask(
        id=row_id, **task.shared_columns(process_key, now),
        **dict(zip(OWNER_COLUMNS, owner_values(task, owner), strict=True)),
    )  # fmt: skip


def parent_units(session: Session, parent_ids: Iterable[uuid.UUID | None]) -> Mapping[uuid.UUID, str | None]:
    """The unit of each parent instance, in one query per chunk (pending parents are flushed first)."""
    wanted = sorted({parent for parent in parent_ids if parent is not None})
    found: dict[uuid.UUID, str | None] = {}
    for first in range(0, len(wanted), _PARENT_QUERY_CHUNK):
        chunk = wanted[first : first + _PARENT_QUERY_CHUNK]
        found.update((row.id, row.unit_code) for row in session.execute(select(Instance.id, Instance.unit_code).where(Instance.id.in_(chunk))))
    return found
