"""A commune (xã/phường) between the Sở and its schools: the schools' deadline, the lead school,
and the follow-up step that completes itself.

* **The schools' deadline** (``han_cho_truong`` at "Giao cho các trường") may not be later than
  the commune's own deadline in force: the step is refused, before anything runs, with both dates
  in the message. Refused rather than capped: a date silently changed is a date nobody chose, and
  the officer who typed it would tell the schools the wrong one. Without it, the schools get the
  commune's own deadline.
* **A school named as lead** in the plan keeps that role through its commune: the commune's
  "Giao cho các trường" always includes it (whatever levels or schools the commune picked), and
  its ``giao_nhiem_vu`` carries ``vai_tro = "chu_tri"`` in its start data.
* **The follow-up** ("Theo dõi, tổng hợp kết quả các trường", ``theo_doi_cac_truong``) completes
  itself when the last school's instance ends, in the same unit of work as that school's last
  step, with ``so_truong``, ``so_truong_hoan_thanh`` and ``ket_qua_cac_truong`` (the codes of the
  schools that completed), as the process documentation says. Schools cancelled count as ended;
  the commune's coordinators (children too, see ``workflows.cascade.coordination``) do not count.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import BadData, HumanTask, Instance, TaskCompletion, UnitOfWork, complete_task, register
from workflows.actions import guard
from workflows.cascade.deadlines import deadline_in_force, deadline_value, shown
from workflows.org.kinds import SCHOOLS_UNDER_COMMUNES
from workflows.org.models import OrgUnit
from workflows.org.resolve import expand_group
from workflows.plans.models import Plan, PlanTask
from workflows.process_contract import (
    PROCESS_LEAD,
    PROCESS_WARD,
    WARD_ASSIGN,
    WARD_FOLLOW,
    WARD_SCHOOL_DEADLINE,
)

LEAD_ROLE = "chu_tri"  # ``vai_tro`` of a lead school's instance
_SCHOOL_KINDS = frozenset(k.value for k in SCHOOLS_UNDER_COMMUNES)

register({
    "ward_school_due_later": (
        "Hạn giao cho các trường ({value}) không được muộn hơn hạn của xã/phường ({own}).",
        "The schools' deadline ({value}) may not be later than the commune's own ({own}).",
    ),
    "ward_school_due_invalid": (
        "Hạn cho các trường không hợp lệ: {value}; ghi ngày 2026-06-20 hoặc thời điểm 2026-06-20T17:00.",
        "The schools' deadline is not valid: {value}; write a date 2026-06-20 or an instant 2026-06-20T17:00.",
    ),
})  # fmt: skip


def install(pe: Any) -> None:
    for name, hook in (("task_completing", _on_task_completing), ("task_completed", _on_task_completed)):
        pe.hooks.add(name, hook)


def _on_task_completing(uow: UnitOfWork, completion: TaskCompletion) -> None:
    row, data = completion.task, completion.data
    if row.process_key == PROCESS_WARD and row.element_id == WARD_ASSIGN and data.get(WARD_SCHOOL_DEADLINE):
        schools_due(uow, completion.instance, data[WARD_SCHOOL_DEADLINE])


def schools_due(uow: UnitOfWork, ward_instance: Instance, value: Any) -> Any:
    """The schools' deadline from the form's ``value``, refused if later than the commune's own."""
    due = deadline_value(value)
    if due is None:
        raise BadData("ward_school_due_invalid", value=str(value)[:64])
    own = deadline_in_force(uow.session, ward_instance)
    if own is not None and due > own:
        raise BadData("ward_school_due_later", value=shown(due), own=shown(own))
    return due


def lead_schools(uow: UnitOfWork, task: PlanTask | None, ward: OrgUnit, *,
                 schools: list[OrgUnit] | None = None) -> list[OrgUnit]:  # fmt: skip
    """The active schools of ``ward`` that the plan task names as lead (one by one or by a group).

    ``schools``: the ward's active schools, when the caller has them (a unit named one by one is
    then looked up among them, not in the database)."""
    if task is None:
        return []
    session = uow.session
    own = {s.id: s for s in schools} if schools is not None else None
    found: dict[int, OrgUnit] = {}
    for target in task.lead or []:
        if target.get("unit_id") is not None:
            unit_id = target["unit_id"]
            unit = own.get(unit_id) if own is not None else session.get(OrgUnit, unit_id)
            units = [unit] if unit is not None else []
        elif target.get("group") and (plan := session.get(Plan, task.plan_id)) is not None:
            units = list(expand_group(session, plan.root_id, target["group"]))
        else:
            units = []
        for unit in units:
            if unit.parent_id == ward.id and unit.active and unit.kind in _SCHOOL_KINDS:
                found.setdefault(unit.id, unit)
    return sorted(found.values(), key=lambda u: u.code)


def _on_task_completed(uow: UnitOfWork, completion: TaskCompletion) -> None:
    instance = completion.instance
    if instance.process_key == PROCESS_LEAD and instance.parent_id is not None and instance.status == "completed":
        follow_up_if_last(uow, instance)


def follow_up_if_last(uow: UnitOfWork, school_instance: Instance) -> bool:
    """Complete the commune's open follow-up step if every school's instance has ended."""
    session = uow.session
    session.flush()  # the school's own end, which the query below must see (no autoflush here)
    ward_instance = session.get(Instance, school_instance.parent_id)
    if ward_instance is None or ward_instance.process_key != PROCESS_WARD or ward_instance.status != "running":
        return False
    schools = session.execute(
        select(Instance.unit_code, Instance.status)
        .where(Instance.parent_id == ward_instance.id, Instance.process_key == PROCESS_LEAD)
        .order_by(Instance.unit_code)
    ).all()
    if not schools or any(status == "running" for _, status in schools):
        return False
    follow = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == ward_instance.id, HumanTask.element_id == WARD_FOLLOW, HumanTask.status == "open")
    ).first()
    if follow is None:
        return False  # the commune's officer closed it already
    done = [code or "" for code, status in schools if status == "completed"]
    # The domain's own step, decided by the process (it completes itself), not by the person whose
    # action ended the last school: the guard must not ask whether they may do the officer's step.
    guard.authorized(uow, follow.id)
    complete_task(uow, follow.id, {"so_truong": len(schools), "so_truong_hoan_thanh": len(done), "ket_qua_cac_truong": done})
    return True
