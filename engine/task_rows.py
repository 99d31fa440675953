"""How a ready user task becomes a human-task row: one builder for a step of one instance
(``engine.steps.sync_human_tasks``) and for a bulk start (``engine.bulk.start_instances``).

A row has two kinds of columns. Those of ``ReadyTask`` come from the workflow state and are the
same for every instance in that state (the bulk path computes them once for thousands of
children). Those of ``Owner`` are the instance's own (its unit, its parent's unit, plan keys,
due date). ``candidate_unit`` decides whose inbox the task is in from both, ``due_of`` when it is due.

A step's ``gv:deadline`` (the designer's rule: a timeframe or N working days, ``engine.gv``) needs
the domain's calendar, so the engine asks for it through the ``task_deadline`` hook
(``resolve_rule``): the domain sets ``StepDeadline.due``. Without such a hook the rule is not applied.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import ProcessBundle
from engine.gv import Deadline
from engine.models import HumanTask, Instance
from engine.timers_spiff import timer_due
from engine.uow import UnitOfWork

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
    rule: Deadline | None = None  # the step's gv:deadline, if it declares one
    rule_due: datetime | None = None  # that rule resolved when the step opened (``resolve_rule``)

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
        deadline=_deadline(task), rule=bundle.deadlines.get(element_id),
    )  # fmt: skip


@dataclass
class StepDeadline:
    """What a ``task_deadline`` hook receives for a step that declares ``gv:deadline``: the rule,
    the instant the step opens, the unit whose calendar counts (the instance's), the step; the
    hook sets ``due`` (None: the rule cannot be resolved, e.g. a timeframe with no period left)."""

    rule: Deadline
    opened_at: datetime
    unit_code: str | None
    process_key: str
    element_id: str
    due: datetime | None = None


def resolve_rule(uow: UnitOfWork, task: ReadyTask, *, unit_code: str | None, process_key: str) -> ReadyTask:
    """``task`` with its ``gv:deadline`` resolved, as of the step's instant, by the domain's
    ``task_deadline`` hooks (the calendar of ``unit_code``'s province is the domain's knowledge)."""
    if task.rule is None or not uow.engine.hooks.task_deadline:
        return task
    asked = StepDeadline(task.rule, uow.now, unit_code, process_key, task.element_id)
    uow.engine.hooks.fire("task_deadline", uow, asked)
    return replace(task, rule_due=asked.due)


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
    return (owner.instance_id, candidate_unit(task, owner), due_of(task, owner),
            owner.plan_key, owner.task_key, owner.period)  # fmt: skip


def due_of(task: ReadyTask, owner: Owner) -> datetime | None:
    """When the step is due: its earliest timer boundary event, else the instance's due date; a
    step whose ``gv:deadline`` resolved is due at the earliest of that, its timer and the
    instance's own deadline (a step's rule never gives more time than the whole obligation)."""
    if task.rule_due is None:
        return task.deadline or owner.due_at
    return min(due for due in (task.rule_due, task.deadline, owner.due_at) if due is not None)


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
