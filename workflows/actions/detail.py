"""What a person reads of one task: the plan and its "6 rõ" facts, the deadline and the original
one, the status, the report versions (with what changed from one to the next), the plan's
indicators to report figures for, the comments, the history from the audit trail, the process
diagram's current steps, and the actions open to them now. Refused (``NotAllowed``) when the
rules do not let them see it; ``task_diagram`` (the BPMN of the instance's process version) on
the same terms.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import AuditEvent, HumanTask, Instance, ProcessDefinition
from workflows.actions.tasks import EVENT
from workflows.authz.actions import TaskAction
from workflows.authz.facts import load_task, load_user
from workflows.authz.rules import day_of, decide_task
from workflows.authz.scope import allowed_actions
from workflows.indicators.models import Indicator, IndicatorTarget
from workflows.org.models import User
from workflows.plans.models import Plan, PlanTask
from workflows.process_contract import DRAFT_STEPS
from workflows.reports.diff import diff_versions, figure_key, figure_text
from workflows.reports.inputs import MAX_FIGURES
from workflows.reports.models import Report
from workflows.reports.versions import history
from workflows.tracking.models import Tracking

HISTORY_LIMIT = 200
REFUSED = "action_refused"


@dataclass(frozen=True)
class Diagram:
    """The BPMN of the process version the instance runs on, and the steps open in it now."""

    process: str
    version: int
    xml: bytes
    current: tuple[str, ...]


def task_diagram(session: Session, user: User, task_id: uuid.UUID, now: datetime) -> Diagram:
    """The diagram of the task's instance, for whoever may see the task (``NotAllowed`` else)."""
    day = day_of(now)
    decide_task(load_user(session, user, day), TaskAction.VIEW, load_task(session, task_id), day).ensure()
    row = session.get(HumanTask, task_id)
    assert row is not None
    instance = session.get(Instance, row.instance_id)
    assert instance is not None
    definition = session.get(ProcessDefinition, instance.definition_id)
    assert definition is not None
    return Diagram(definition.key, definition.version, definition.xml, _current_steps(session, instance.id))


def task_detail(session: Session, user: User, task_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    day = day_of(now)
    facts, task = load_user(session, user, day), load_task(session, task_id)
    decide_task(facts, TaskAction.VIEW, task, day).ensure()
    row = session.get(HumanTask, task_id)
    assert row is not None
    tracking = session.get(Tracking, task.instance_id)
    plan = session.get(Plan, tracking.plan_id) if tracking is not None and tracking.plan_id else None
    plan_task = None
    if plan is not None and tracking is not None and tracking.task_key:
        plan_task = session.scalars(select(PlanTask).where(PlanTask.plan_id == plan.id, PlanTask.stt == tracking.task_key)).first()
    reports = history(session, task.instance_id)
    indicators = _indicators(session, plan) if plan is not None else []
    names = {str(i["id"]): i for i in indicators}  # a version's figures by name, at every step
    instance = session.get(Instance, task.instance_id)
    definition = session.get(ProcessDefinition, instance.definition_id) if instance is not None else None
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == task.instance_id).order_by(AuditEvent.id).limit(HISTORY_LIMIT)
    ).all()
    return {
        "task_id": str(row.id), "instance_id": str(row.instance_id), "process": row.process_key, "step": row.element_id,
        "name": row.name, "unit": row.candidate_unit, "role": row.candidate_role, "assignee": row.assignee,
        "status": row.status, "due": _iso(row.due_at),
        "deadline": _iso(tracking.due_at) if tracking else None,
        "original_deadline": _iso(tracking.original_due_at) if tracking else None,
        "period": row.period, "task_stt": row.task_key,
        "plan": {"id": plan.id, "number": plan.number, "title": plan.title} if plan else None,
        "six_clear": _six_clear(plan_task) if plan_task is not None else None,
        "reports": [_version(r, reports[n - 1] if n else None, names) for n, r in enumerate(reports)],
        "indicators": indicators if row.element_id in DRAFT_STEPS else [],  # the form's rows
        "diagram": {"process": definition.key, "version": definition.version, "name": definition.name,
                    "current": list(_current_steps(session, task.instance_id)),
                    "current_names": _current_names(session, task.instance_id)} if definition is not None else None,
        "comments": [{"at": _iso(e.occurred_at), "by": e.actor, "on_behalf_of": e.on_behalf_of, "text": e.data["comment"],
                      "action": e.data.get("action")}
                     for e in events if e.event == EVENT and e.data.get("comment")],
        # Refusals are security events, for inspectors' audit search: a school need not read that
        # someone else tried its task (and the list stays the task's own story).
        "history": [{"at": _iso(e.occurred_at), "event": e.event, "by": e.actor, "on_behalf_of": e.on_behalf_of,
                     "subject": e.subject} for e in events if e.event != REFUSED],
        "allowed_actions": allowed_actions(facts, task, day),
    }  # fmt: skip


def _version(r: Report, previous: Report | None, indicators: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One version as the page shows it, with what changed since the one before."""
    return {"version": r.version, "status": r.status, "ket_qua": r.ket_qua, "kho_khan": r.kho_khan,
            "kien_nghi": r.kien_nghi, "review_note": r.review_note, "hash": r.content_hash,
            "attachments": [a.filename for a in r.attachments],
            "files": [{"sha256": a.sha256, "name": a.filename, "size": a.size} for a in r.attachments],
            "figures": [{"indicator_id": f.get("indicator_id"), "code": figure_key(f), "value": figure_text(f),
                         "numerator": f.get("numerator"), "denominator": f.get("denominator"),
                         "name": indicators.get(str(f.get("indicator_id")), {}).get("name")} for f in r.figures],
            "created_by": r.created_by, "created_at": _iso(r.created_at),
            "consolidated": r.consolidated_from is not None,
            "diff": diff_versions(previous, r) if previous is not None else None}  # fmt: skip


def _indicators(session: Session, plan: Plan) -> list[dict[str, Any]]:
    """The plan's indicators (chỉ tiêu), each with its target for the plan's year if it has one.

    A plan's indicator appendix names no task, and its "đơn vị báo cáo" is free text, so every
    unit working on the plan may report a figure for any of them; a blank row reports nothing."""
    rows = session.scalars(select(Indicator).where(Indicator.plan_id == plan.id).order_by(Indicator.position)
                           .limit(MAX_FIGURES)).all()  # fmt: skip
    targets = dict(session.execute(select(IndicatorTarget.indicator_id, IndicatorTarget.text).where(
        IndicatorTarget.indicator_id.in_([i.id for i in rows]), IndicatorTarget.period == str(plan.year))).all()) if rows else {}  # fmt: skip
    return [{"id": i.id, "code": i.stt.strip(), "name": i.name, "unit": i.unit_of_measure, "target": targets.get(i.id)}
            for i in rows]  # fmt: skip


def _current_steps(session: Session, instance_id: uuid.UUID) -> tuple[str, ...]:
    """The element ids of the instance's open human tasks (what the diagram highlights)."""
    return tuple(sorted(set(session.scalars(select(HumanTask.element_id).where(
        HumanTask.instance_id == instance_id, HumanTask.status == "open")))))  # fmt: skip


def _current_names(session: Session, instance_id: uuid.UUID) -> list[str]:
    return sorted(set(session.scalars(select(HumanTask.name).where(
        HumanTask.instance_id == instance_id, HumanTask.status == "open"))))  # fmt: skip


def _six_clear(t: PlanTask) -> dict[str, Any]:
    """"6 rõ": rõ người (lead, coordinators), rõ việc (content), rõ thời gian (timeframe), rõ trách
    nhiệm (authority), rõ sản phẩm (deliverable), rõ thẩm quyền (authority)."""
    return {"stt": t.stt, "content": t.content, "deliverable": t.deliverable, "lead": t.lead_text,
            "coordinators": t.coordinators_text, "timeframe": t.timeframe_text, "authority": t.authority}  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
