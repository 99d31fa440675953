"""Coordinators (phối hợp) answer the lead: their deadline, their link, and the lead's view.

* **Link.** A coordinating unit's ``phoi_hop`` instance — and a commune's
  ``xa_phuong_trien_khai`` dispatched only for coordinating schools — is started as a child of
  the lead's instance (``Instance.parent_id``, and so ``tracking.parent_id``): the lead's own
  ``giao_nhiem_vu``, or, when the lead is a school under a commune, its commune's instance (the
  lead's chain at dispatch). Cancelling the lead's instance cancels them with it. A task whose
  lead gets no instance (an external body) leaves its coordinators unlinked.
* **Deadline.** The lead sets it, earlier than its own; until it does, the coordinators' deadline
  is ``days`` working days (``COORDINATOR_DAYS_BEFORE``, 5; ``plan_dispatch(coordinator_days=…)``)
  before the lead's last allowed day, on the business calendar (``coordinator_due``). The lead
  sets it when it accepts the task (``han_phoi_hop`` on ``tiep_nhan``) or later with
  ``set_coordinator_deadline``: earlier than its own deadline and later than now, else refused.
  A coordinating commune's schools follow it when they had its deadline, or would be left later.
* **Input.** A coordinator's ``noi_dung_phoi_hop`` is kept as a report version of its instance
  (draft when written, submitted when its leader approves, which ends ``phoi_hop``: "gửi đơn vị
  chủ trì"). ``coordinator_answers`` is what the lead sees: each coordinator's unit, deadline,
  where it is, and its newest answer with who wrote and who sent it, and when.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import (
    BadData,
    Instance,
    InvalidState,
    NotFound,
    TaskCompletion,
    UnitOfWork,
    move_deadline,
    register,
)
from workflows.calendar import BusinessCalendar, national_calendar
from workflows.cascade.deadlines import deadline_in_force, deadline_value, shown
from workflows.org.models import OrgUnit
from workflows.plans.keys import plan_key
from workflows.process_contract import (
    COORDINATOR_ANSWER,
    COORDINATOR_DEADLINE,
    DRAFT,
    PROCESS_COORDINATE,
    PROCESS_LEAD,
    PROCESS_WARD,
    RECEIVE,
)
from workflows.reports.inputs import ReportInput
from workflows.reports.models import Report
from workflows.reports.versions import new_version
from workflows.timeframes import due_after, last_allowed_day
from workflows.tracking.follow import COUNTERS, contribution, reschedule
from workflows.tracking.models import Tracking

COORDINATOR_DAYS_BEFORE = 5  # working days between the coordinators' last day and the lead's
COORDINATING_PROCESSES = (PROCESS_COORDINATE, PROCESS_WARD)

register({
    "coordinator_due_not_earlier": (
        "Hạn cho đơn vị phối hợp ({value}) phải trước hạn của đơn vị chủ trì ({lead}).",
        "The coordinators' deadline ({value}) must be before the lead's own ({lead}).",
    ),
    "coordinator_due_past": (
        "Hạn cho đơn vị phối hợp ({value}) đã qua; hãy chọn một thời điểm sau bây giờ.",
        "The coordinators' deadline ({value}) has passed; choose an instant after now.",
    ),
    "coordinator_due_invalid": (
        "Hạn cho đơn vị phối hợp không hợp lệ: {value}.",
        "The coordinators' deadline is not valid: {value}.",
    ),
    "coordinator_lead_not_running": (
        "Nhiệm vụ của đơn vị chủ trì không còn đang thực hiện; không đặt được hạn phối hợp.",
        "The lead's task is no longer running; the coordinators' deadline cannot be set.",
    ),
})  # fmt: skip


def coordinator_due(lead_due: datetime | None, days: int = COORDINATOR_DAYS_BEFORE,
                    calendar: BusinessCalendar | None = None) -> datetime | None:  # fmt: skip
    """The default coordinators' deadline: the end of the ``days``-th working day before the lead's
    last allowed day (``None`` when the lead has no deadline). Lead due 01/07/2026 00:00 (last day
    Tue 30/06) and 5 days: Mon 29, Fri 26, Thu 25, Wed 24, Tue 23/06 → 24/06/2026 00:00."""
    if lead_due is None:
        return None
    calendar = calendar or national_calendar()
    return due_after(calendar.add_working_days(last_allowed_day(lead_due), -days))


def install(pe: Any) -> None:
    """The lead's ``han_phoi_hop`` at ``tiep_nhan`` (checked, then applied) and the coordinators'
    answers as report versions (once per engine)."""
    for name, hook in (("task_completing", _on_task_completing), ("task_completed", _on_task_completed)):
        pe.hooks.add(name, hook)


def _on_task_completing(uow: UnitOfWork, completion: TaskCompletion) -> None:
    row, data = completion.task, completion.data
    if row.process_key == PROCESS_LEAD and row.element_id == RECEIVE and data.get(COORDINATOR_DEADLINE):
        _checked_due(uow, completion.instance, data[COORDINATOR_DEADLINE])


def _on_task_completed(uow: UnitOfWork, completion: TaskCompletion) -> None:
    row, data, instance = completion.task, completion.data, completion.instance
    if row.process_key == PROCESS_LEAD and row.element_id == RECEIVE and data.get(COORDINATOR_DEADLINE):
        set_coordinator_deadline(uow, instance.id, data[COORDINATOR_DEADLINE])
    elif row.process_key == PROCESS_COORDINATE and row.element_id == DRAFT and data.get(COORDINATOR_ANSWER) is not None:
        new_version(uow, instance, ReportInput(ket_qua=str(data[COORDINATOR_ANSWER])))


def _checked_due(uow: UnitOfWork, lead: Instance, value: Any) -> datetime:
    due = deadline_value(value)
    if due is None:
        raise BadData("coordinator_due_invalid", value=str(value)[:64])
    if due <= uow.now:
        raise BadData("coordinator_due_past", value=shown(due))
    lead_due = deadline_in_force(uow.session, lead)
    if lead_due is not None and due >= lead_due:
        raise BadData("coordinator_due_not_earlier", value=shown(due), lead=shown(lead_due))
    return due


def set_coordinator_deadline(uow: UnitOfWork, lead_instance_id: uuid.UUID, value: Any) -> int:
    """Give the lead's running coordinators the deadline ``value`` (an aware ``datetime`` or ISO
    8601 text; a date alone is the end of that day); refused unless earlier than the lead's own and
    later than now. Returns how many coordinators moved; never commits."""
    lead = uow.session.get(Instance, lead_instance_id)
    if lead is None:
        raise NotFound("instance_not_found", id=str(lead_instance_id))
    if lead.status != "running":
        raise InvalidState("coordinator_lead_not_running")
    due = _checked_due(uow, lead, value)
    moved = 0
    for child in coordinators_of(uow.session, lead.id):
        if child.status == "running" and child.due_at != due:
            old = child.due_at
            _move(uow, child, due)
            moved += 1
            if child.process_key == PROCESS_WARD:  # its schools: those that had its deadline, or a later one
                for school in uow.session.scalars(select(Instance).where(Instance.parent_id == child.id, Instance.status == "running")):
                    if school.due_at == old or (school.due_at is not None and school.due_at > due):
                        _move(uow, school, due)
    uow.audit("coordinator_deadline_set", instance_id=lead.id, subject=lead.task_key or lead.process_key,
              data={"due": due.isoformat(), "moved": moved})  # fmt: skip
    return moved


def _move(uow: UnitOfWork, instance: Instance, due: datetime) -> None:
    move_deadline(uow, instance.id, due, variable="han_xu_ly")
    reschedule(uow, instance.id, due)


def coordinators_of(session: Session, lead_instance_id: uuid.UUID) -> list[Instance]:
    """The coordinating instances linked to the lead's, by unit code."""
    return list(session.scalars(
        select(Instance)
        .where(Instance.parent_id == lead_instance_id, Instance.process_key.in_(COORDINATING_PROCESSES))
        .order_by(Instance.unit_code)
    ))  # fmt: skip


def following_deadlines(old: set[datetime | None], new: datetime, days: int = COORDINATOR_DAYS_BEFORE) -> dict[datetime | None, datetime]:
    """When the leads' deadlines ``old`` become ``new`` (a plan amendment): what each deadline of
    the instances below them becomes. Those that had the lead's deadline get ``new``; those that
    had the coordinators' default get the new default; any other (chosen by the lead or a
    commune) is not in the map and stays."""
    moves: dict[datetime | None, datetime] = {d: new for d in old}
    default = coordinator_due(new, days)
    for d in old:
        if d is not None and default is not None:
            moves.setdefault(coordinator_due(d, days), default)
    return moves


def detach_coordinators(uow: UnitOfWork, lead_instance_id: uuid.UUID) -> list[uuid.UUID]:
    """Unlink the running coordinators of a lead about to be cancelled (a new lead takes over),
    so that cancelling it does not cancel them; returns their ids for ``attach_coordinators``."""
    ids = [c.id for c in coordinators_of(uow.session, lead_instance_id) if c.status == "running"]
    if ids:
        uow.session.execute(update(Instance).where(Instance.id.in_(ids)).values(parent_id=None), execution_options={"synchronize_session": "fetch"})
        uow.session.execute(update(Tracking).where(Tracking.instance_id.in_(ids)).values(parent_id=None), execution_options={"synchronize_session": "fetch"})
    return ids


def attach_coordinators(uow: UnitOfWork, ids: list[uuid.UUID], lead: Instance) -> None:
    """Link coordinators to ``lead`` and count them into its tracking row's counters."""
    session = uow.session
    session.execute(update(Instance).where(Instance.id.in_(ids)).values(parent_id=lead.id), execution_options={"synchronize_session": "fetch"})
    session.execute(update(Tracking).where(Tracking.instance_id.in_(ids)).values(parent_id=lead.id), execution_options={"synchronize_session": "fetch"})
    parent = session.get(Tracking, lead.id)
    if parent is None:
        return
    parent.n_children += len(ids)
    for row in session.scalars(select(Tracking).where(Tracking.instance_id.in_(ids))):
        for name, value in zip(COUNTERS, contribution(row.phase, row.late), strict=True):
            setattr(parent, name, getattr(parent, name) + value)


def running_lead(uow: UnitOfWork, plan_id: int, stt: str, period: str | None) -> Instance | None:
    """The running lead instance (``giao_nhiem_vu`` with no parent) of a task and period."""
    return uow.session.scalars(
        select(Instance).where(
            Instance.plan_key == plan_key(plan_id), Instance.task_key == stt, Instance.period == period,
            Instance.process_key == PROCESS_LEAD, Instance.parent_id.is_(None), Instance.status == "running",
        )
    ).first()  # fmt: skip


@dataclass(frozen=True)
class CoordinatorAnswer:
    """One coordinator as the lead sees it; the answer fields are ``None`` until it has written."""

    instance_id: uuid.UUID
    unit_code: str
    unit_name: str
    process_key: str
    status: str  # the instance's: running, completed (answer sent), cancelled
    due_at: datetime | None
    answer: str | None
    report_status: str | None  # draft (written, not yet approved by its leader) or submitted (sent)
    written_by: str | None
    written_at: datetime | None
    sent_by: str | None
    sent_at: datetime | None


def coordinator_answers(session: Session, lead_instance_id: uuid.UUID) -> list[CoordinatorAnswer]:
    """Each coordinator of the lead's instance with its newest answer (see the module docstring)."""
    children = coordinators_of(session, lead_instance_id)
    if not children:
        return []
    ids = [c.id for c in children]
    newest: dict[uuid.UUID, Report] = {}
    for report in session.scalars(select(Report).where(Report.instance_id.in_(ids)).order_by(Report.version.desc())):
        newest.setdefault(report.instance_id, report)
    names = {code: name for code, name in session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_([c.unit_code for c in children])))}
    answers = []
    for child in children:
        report = newest.get(child.id)
        answers.append(CoordinatorAnswer(
            child.id, child.unit_code or "", names.get(child.unit_code or "", child.unit_code or ""), child.process_key,
            child.status, child.due_at,
            report.ket_qua if report else None, report.status if report else None,
            report.created_by if report else None, report.created_at if report else None,
            report.submitted_by if report else None, report.submitted_at if report else None,
        ))  # fmt: skip
    return answers
