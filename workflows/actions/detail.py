"""What a person reads of one task: the plan and its "6 rõ" facts, the deadline and the original
one, the status, the report versions, the comments, the history from the audit trail, and the
actions open to them now. Refused (``NotAllowed``) when the rules do not let them see it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import AuditEvent, HumanTask
from workflows.actions.tasks import EVENT
from workflows.authz.actions import TaskAction
from workflows.authz.facts import load_task, load_user
from workflows.authz.rules import day_of, decide_task
from workflows.authz.scope import allowed_actions
from workflows.org.models import User
from workflows.plans.models import Plan, PlanTask
from workflows.reports.versions import history
from workflows.tracking.models import Tracking

HISTORY_LIMIT = 200


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
        "reports": [{"version": r.version, "status": r.status, "ket_qua": r.ket_qua, "kho_khan": r.kho_khan,
                     "kien_nghi": r.kien_nghi, "review_note": r.review_note, "hash": r.content_hash,
                     "attachments": [a.filename for a in r.attachments], "created_by": r.created_by}
                    for r in history(session, task.instance_id)],
        "comments": [{"at": _iso(e.occurred_at), "by": e.actor, "on_behalf_of": e.on_behalf_of, "text": e.data["comment"],
                      "action": e.data.get("action")}
                     for e in events if e.event == EVENT and e.data.get("comment")],
        "history": [{"at": _iso(e.occurred_at), "event": e.event, "by": e.actor, "on_behalf_of": e.on_behalf_of,
                     "subject": e.subject} for e in events],
        "allowed_actions": allowed_actions(facts, task, day),
    }  # fmt: skip


def _six_clear(t: PlanTask) -> dict[str, Any]:
    """"6 rõ": rõ người (lead, coordinators), rõ việc (content), rõ thời gian (timeframe), rõ trách
    nhiệm (authority), rõ sản phẩm (deliverable), rõ thẩm quyền (authority)."""
    return {"stt": t.stt, "content": t.content, "deliverable": t.deliverable, "lead": t.lead_text,
            "coordinators": t.coordinators_text, "timeframe": t.timeframe_text, "authority": t.authority}  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
