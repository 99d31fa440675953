"""Amending a dispatched plan task: a new deadline, a new lead unit, or cancellation.

The change reaches the running instances of the task in the same transaction, and the audit
trail records who changed what (``plan_task_amended``, with the old and new values), besides the
engine's own events on each instance (``deadline_moved``, ``instance_cancelled``).

* Deadline: the running instances of the period whose deadline was the old one move to the new
  one (a school whose commune set it an earlier deadline keeps it); their tracking rows keep the
  first deadline in ``original_due_at``. The task's schedule is updated for later dispatches.
  A task with several periods open needs the period named.
* New lead: the former lead's running ``giao_nhiem_vu`` instances are cancelled (with their
  children) and the new lead gets its own for the periods already open. Coordinating units keep
  their ``phoi_hop`` instances, moved under the new lead's instance before the former one is
  cancelled: their work does not change (their start data still names the former lead as the
  requester; the plan task names the new one).
* A new deadline moves the coordinators' default deadline with it (``following_deadlines``); a
  deadline the lead or a commune chose (earlier) stays.
* Cancel: every running instance of the task is cancelled (status "đã hủy"), waiting periods
  will not open, and the task is no longer dispatched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine import (
    BadData,
    Instance,
    InvalidState,
    NotFound,
    UnitOfWork,
    cancel_instance,
    move_deadline,
    register,
)
from workflows.cascade.coordination import (
    attach_coordinators,
    detach_coordinators,
    following_deadlines,
    running_lead,
)
from workflows.cascade.dispatch import PROCESS_LEAD, DispatchResult, _Planner, _start
from workflows.cascade.models import DispatchOpening
from workflows.org.resolve import UnitDirectory
from workflows.plans.keys import plan_key
from workflows.plans.models import Plan, PlanTask
from workflows.tracking.follow import reschedule

register({
    "plan_task_cancelled": ("Nhiệm vụ STT {stt} đã bị hủy; không sửa được nữa.", "Task {stt} was cancelled; it cannot be amended."),
    "amend_period_needed": (
        "Nhiệm vụ STT {stt} đang mở nhiều kỳ ({periods}); hãy chỉ rõ kỳ cần đổi hạn.",
        "Task {stt} has several open periods ({periods}); name the period whose deadline changes.",
    ),
    "amend_lead_unclear": (
        "Không xác định được đúng một đơn vị chủ trì mới từ \"{text}\".",
        "\"{text}\" does not name exactly one new lead unit.",
    ),
})  # fmt: skip


@dataclass(frozen=True)
class Amendment:
    reason: str
    due: datetime | None = None
    period: str | None = None
    lead: str | None = None  # a unit's code or name, as in the plan
    cancel: bool = False


@dataclass
class AmendResult:
    moved: int = 0
    cancelled: int = 0
    created: int = 0
    changes: dict[str, Any] = field(default_factory=dict)


def amend_task(uow: UnitOfWork, plan_id: int, stt: str, amendment: Amendment) -> AmendResult:
    """Apply ``amendment`` to task ``stt`` of the plan and its running instances; never commits."""
    session = uow.session
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("plan_not_found", id=plan_id)
    task = session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id, PlanTask.stt == stt)).first()
    if task is None:
        raise NotFound("plan_task_not_found", plan=plan.number or plan_id, stt=stt)
    if task.status != "active":
        raise InvalidState("plan_task_cancelled", stt=stt)
    if not amendment.reason.strip():
        raise BadData(detail="cần nêu lý do sửa đổi / a reason is required")
    result = AmendResult()
    running = _running(uow, plan_id, stt)
    if amendment.cancel:
        _cancel(uow, task, running, amendment.reason, result)
    else:
        if amendment.due is not None:
            _move_due(uow, task, running, amendment, result)
        if amendment.lead is not None:
            _change_lead(uow, plan, task, running, amendment, result)
    uow.audit("plan_task_amended", subject=f"{plan.number or plan.id}/{stt}",
              data={"plan": plan.id, "task": task.id, "reason": amendment.reason, "changes": result.changes,
                    "moved": result.moved, "cancelled": result.cancelled, "created": result.created})  # fmt: skip
    session.flush()
    return result


def _running(uow: UnitOfWork, plan_id: int, stt: str) -> list[Instance]:
    return list(uow.session.scalars(
        select(Instance).where(Instance.plan_key == plan_key(plan_id), Instance.task_key == stt, Instance.status == "running")
    ))  # fmt: skip


def _cancel(uow: UnitOfWork, task: PlanTask, running: list[Instance], reason: str, result: AmendResult) -> None:
    for instance in running:
        if instance.parent_id is None:
            result.cancelled += len(cancel_instance(uow, instance.id, reason=reason))
    for opening in uow.session.scalars(select(DispatchOpening).where(DispatchOpening.plan_task_id == task.id, DispatchOpening.status == "waiting")):
        opening.status, opening.opened_at = "cancelled", uow.now
    result.changes["status"] = [task.status, "cancelled"]
    task.status = "cancelled"


def _move_due(uow: UnitOfWork, task: PlanTask, running: list[Instance], amendment: Amendment, result: AmendResult) -> None:
    due = amendment.due
    assert due is not None
    if due.tzinfo is None:
        raise BadData(detail=f"thời hạn không có múi giờ / naive due: {due.isoformat()}")
    periods = sorted({i.period or "" for i in running})
    period = amendment.period or (periods[0] if len(periods) == 1 else None)
    if period is None:
        raise BadData("amend_period_needed", stt=task.stt, periods=", ".join(periods))
    in_period = [i for i in running if (i.period or "") == period]
    old = {i.due_at for i in in_period if i.parent_id is None}
    moves = following_deadlines(old, due)
    for instance in in_period:
        target = due if instance.parent_id is None else moves.get(instance.due_at)
        if target is not None:
            move_deadline(uow, instance.id, target, variable="han_xu_ly")
            reschedule(uow, instance.id, target)
            result.moved += 1
    schedule = dict(task.schedule or {})
    schedule["periods"] = [({**p, "due": due.isoformat(), "effective_due": due.isoformat()} if p.get("key") == period else p) for p in schedule.get("periods") or []]
    task.schedule = schedule
    result.changes["due"] = {"period": period, "from": sorted(d.astimezone(due.tzinfo).isoformat() for d in old if d), "to": due.isoformat()}


def _change_lead(uow: UnitOfWork, plan: Plan, task: PlanTask, running: list[Instance], amendment: Amendment, result: AmendResult) -> None:
    text = amendment.lead or ""
    resolution = UnitDirectory.load(uow.session, plan.root_id).resolve(text)
    units = [t for t in resolution.targets if t.unit_id is not None]
    if len(units) != 1 or resolution.unknown or len(resolution.targets) != 1:
        raise BadData("amend_lead_unclear", text=text)
    coordinators: dict[str | None, list[Any]] = {}
    for instance in running:
        if instance.parent_id is None and instance.process_key == PROCESS_LEAD:
            coordinators.setdefault(instance.period, []).extend(detach_coordinators(uow, instance.id))
            result.cancelled += len(cancel_instance(uow, instance.id, reason=amendment.reason))
    result.changes["lead"] = [task.lead_text, text]
    task.lead_text, task.lead = text, [{"unit_id": units[0].unit_id, "text": units[0].text}]
    periods = {p["key"]: p for p in (task.schedule or {}).get("periods") or []}
    open_periods = sorted({i.period for i in running if i.period})
    planner = _Planner(uow, plan)
    for key in open_periods:
        planner.add(task, periods.get(key) or {"key": key, "due": None})
    dispatched = DispatchResult(plan.id, False)
    _start(uow, planner, dispatched, dry_run=False)
    result.created += dispatched.created
    for period, ids in coordinators.items():
        new_lead = running_lead(uow, plan.id, task.stt, period)
        if new_lead is not None and ids:
            attach_coordinators(uow, ids, new_lead)
