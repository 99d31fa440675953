"""Đôn đốc by hand: a person urges the people doing an open step (its assignee, or else the holders
of the step's role in the step's unit) with an email, now rather than in tomorrow's digest.

The email goes through the outbox like the daily digest's (``engine.add_outbox_message``, delivered
by the worker's ``deliver_due`` over ``workflows.notify.SmtpTransport``), and its line is written
with the digest's own pieces (``workflows.escalation.digest``: ``Item``, ``status_words``, the
deadline's last allowed day of ``workflows.escalation.policy``), so a person reads a manual urging
exactly as they read the automatic ones. At most one per (task, person, day): the outbox's
``dedupe_key`` "urge:<task>:<username>:<day>"; a second click the same day is refused, not resent.

Who may urge: whoever may comment on the task (``decide_task`` … ``comment``: a work role that sees
it); never oneself (the person acting is not among the recipients). Audited as ``task_urged``.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from engine import (
    HumanTask,
    InvalidState,
    NotFound,
    OutboxMessage,
    UnitOfWork,
    add_outbox_message,
    register,
)
from workflows.authz.actions import TaskAction
from workflows.authz.facts import load_task, load_user
from workflows.authz.rules import day_of, decide_task
from workflows.calendar import BusinessCalendar
from workflows.escalation.digest import Item, Person, status_words
from workflows.escalation.policy import last_allowed_day, reminder_kind
from workflows.org.models import OrgUnit, User, UserRole
from workflows.plans.keys import plan_id_of
from workflows.plans.models import PlanTask
from workflows.timeframes import LOCAL_TZ

KIND = "urge"
EVENT = "task_urged"

register({
    "urge_task_not_open": ("Bước “{step}” không còn mở: không cần đôn đốc.", "The step “{step}” is no longer open: nothing to urge."),
    "urge_nobody": ("Không có ai khác (có địa chỉ thư) đang xử lý bước “{step}” để đôn đốc.",
                    "Nobody else (with an email address) is doing the step “{step}” to urge."),
    "urge_already_sent": ("Hôm nay đã đôn đốc bước “{step}” rồi.", "The step “{step}” was already urged today."),
})  # fmt: skip


@dataclass(frozen=True)
class Urged:
    task_id: uuid.UUID
    recipients: tuple[str, ...]  # usernames sent to now


def remind(uow: UnitOfWork, user: User, task_id: uuid.UUID, *, base_url: str) -> Urged:
    """Queue an urging email about the open task to the people doing it; flushes, never commits."""
    session, day = uow.session, day_of(uow.now)
    facts, task = load_user(session, user, day), load_task(session, task_id)
    decision = decide_task(facts, TaskAction.COMMENT, task, day).ensure()
    if task.status != "open":
        raise InvalidState("urge_task_not_open", step=task.name)
    row = session.get(HumanTask, task_id)
    if row is None:
        raise NotFound("task_not_found", id=str(task_id))
    people = [p for p in _doers(uow, row) if p.username != facts.username and p.email]
    if not people:
        raise InvalidState("urge_nobody", step=task.name)
    keys = {_dedupe_key(task_id, p.username, day): p for p in people}
    sent = set(session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))))
    fresh = [p for key, p in keys.items() if key not in sent]
    if not fresh:
        raise InvalidState("urge_already_sent", step=task.name)
    unit = task.unit or task.candidate_unit
    line = _line(uow, row, unit.name if unit else "")
    link = f"{base_url.rstrip('/')}/tasks/{task_id}"
    by = f"{facts.full_name} ({facts.unit.name})"
    for person in fresh:
        add_outbox_message(uow, KIND, compose(person, by, line, link), recipient=person.email,
                           instance_id=row.instance_id, dedupe_key=_dedupe_key(task_id, person.username, day))  # fmt: skip
    names = tuple(p.username for p in fresh)
    uow.audit(EVENT, task_id=task.id, instance_id=task.instance_id, subject=task.step, on_behalf_of=decision.on_behalf_of,
              data={"user_id": facts.id, "name": facts.full_name, "recipients": list(names)})  # fmt: skip
    return Urged(task.id, names)


def compose(person: Person, by: str, line: str, link: str) -> dict[str, str]:
    """The outbox payload (subject, text, html, link) of one urging email."""
    text = "\n".join([f"Kính gửi {person.full_name},", "", f"{by} đôn đốc việc sau:", f"- {line}", "",
                      f"Mở nhiệm vụ: {link}", "", "Thư gửi từ hệ thống Giao việc; xin không trả lời thư này."])  # fmt: skip
    body = (f"<p>Kính gửi {html.escape(person.full_name)},</p>\n<p>{html.escape(by)} đôn đốc việc sau:</p>\n"
            f"<ul><li>{html.escape(line)}</li></ul>\n<p><a href=\"{html.escape(link, quote=True)}\">Mở nhiệm vụ</a></p>\n"
            "<p>Thư gửi từ hệ thống Giao việc; xin không trả lời thư này.</p>")  # fmt: skip
    return {
        "subject": f"[Giao việc] Đôn đốc: {line[:150]}",
        "text": text,
        "html": f'<!DOCTYPE html>\n<html lang="vi"><meta charset="utf-8"><body>\n{body}\n</body></html>\n',
        "link": link,
    }


def _dedupe_key(task_id: uuid.UUID, username: str, day: object) -> str:
    return f"urge:{task_id}:{username}:{day}"


def _doers(uow: UnitOfWork, row: HumanTask) -> list[Person]:
    """The step's assignee, or else the active holders of its role in its unit."""
    query = select(User.username, User.email, User.full_name).where(User.active)
    if row.assignee:
        query = query.where(User.username == row.assignee)
    else:
        query = (query.join(OrgUnit, OrgUnit.id == User.unit_id).join(UserRole, UserRole.user_id == User.id)
                 .where(OrgUnit.code == row.candidate_unit, UserRole.role == row.candidate_role))  # fmt: skip
    return [Person(u, e or "", n) for u, e, n in uow.session.execute(query.order_by(User.username)).all()]


def _line(uow: UnitOfWork, row: HumanTask, unit_name: str) -> str:
    """"Unit: what (period) — hạn dd/mm/yyyy — còn N ngày làm việc", as the digest writes a line."""
    content = row.name
    plan_id = plan_id_of(row.plan_key)
    if plan_id is not None and row.task_key:
        found = uow.session.scalar(select(PlanTask.content).where(PlanTask.plan_id == plan_id, PlanTask.stt == row.task_key))
        content = f"{row.name}: {' '.join(found.split())[:200]}" if found else content
    what = content + (f" ({row.period})" if row.period else "")
    if row.due_at is None:
        return f"{unit_name}: {what} — không có hạn"
    last_day = last_allowed_day(row.due_at)
    today = uow.now.astimezone(LOCAL_TZ).date()
    calendar = BusinessCalendar(range(today.year - 1, today.year + 2))
    late = calendar.working_days_between(last_day, today) if today > last_day else 0
    remaining = calendar.working_days_between(today, last_day) if today <= last_day else -1
    kind = "qua_han" if today > last_day else reminder_kind(max(remaining, 0))
    item = Item(row.instance_id, kind, unit_name, content, row.period, last_day, remaining, late, "working")
    return f"{unit_name}: {what} — hạn {last_day:%d/%m/%Y} — {status_words(item)}"
