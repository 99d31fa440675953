"""The actions a person takes on a human task: one function each, one door for every shell.

Each takes the caller's unit of work and the acting user (a ``User`` row), loads the task's facts,
asks the rules (``workflows.authz.rules.decide_task``), and only then changes anything, through
the engine's public API: a completing action completes the task with the step's form data (the
``gv:form`` allowlist of ``bpmn/``), a keeping one (save a draft, comment, reassign) leaves it
open. None commits. A refusal raises ``NotAllowed`` (a security event: run the action inside
``workflows.authz.refusals.refusals_recorded``) or ``InvalidState``; nothing has changed then.

Every action is audited as ``task_action_taken`` with the user's id and name and, when a delegate
acts, the leader "on behalf of" whom (also on the unit of work, so the engine's own events carry
it). Outbox rows are written where the domain already writes them (the engine's hooks).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import BadData, HumanTask, Instance, InvalidState, NotFound, UnitOfWork, complete_task
from workflows.actions import guard
from workflows.authz.actions import TaskAction
from workflows.authz.facts import load_task, load_user
from workflows.authz.model import Decision, TaskFacts, UserFacts
from workflows.authz.rules import day_of, decide_task
from workflows.authz.scope import allowed_actions as _allowed
from workflows.org.models import User, UserRole
from workflows.process_contract import AGREE, EXTEND, REPORT, RETURN
from workflows.reports.inputs import ReportInput
from workflows.reports.versions import latest, new_version
from workflows.roles import ROLE_NAMES

A = TaskAction
COMMENT_CHARS = 5_000
EVENT = "task_action_taken"


@dataclass(frozen=True)
class Draft:
    """A report as a person writes it: the main text (kết quả), the other texts, indicator figures
    (``[{"ma": "18", "tu_so": "12", "mau_so": "40"}]``), new files as (name, bytes), and files of
    an earlier version kept by their sha256."""

    ket_qua: str = ""
    kho_khan: str = ""
    kien_nghi: str = ""
    chi_so: Sequence[dict[str, Any]] = ()
    files: Sequence[tuple[str, bytes]] = ()
    kept: Sequence[str] = ()

    def form(self, kept: Sequence[str] = ()) -> dict[str, Any]:
        report: dict[str, Any] = {"ket_qua": self.ket_qua, "kho_khan": self.kho_khan, "kien_nghi": self.kien_nghi}
        if self.chi_so:
            report["chi_so"] = list(self.chi_so)
        if kept or self.kept:
            report["tep_dinh_kem"] = list(dict.fromkeys([*self.kept, *kept]))
        return {REPORT: report}


@dataclass(frozen=True)
class Done:
    """What an action did: the task, the instance afterwards (its open steps), who acted."""

    action: str
    task_id: uuid.UUID
    instance: Instance
    on_behalf_of: str | None = None


# --- loading and deciding ------------------------------------------------------------------------


def _decide(uow: UnitOfWork, user: User, task_id: uuid.UUID, action: TaskAction) -> tuple[UserFacts, TaskFacts, Decision]:
    day = day_of(uow.now)
    facts, task = load_user(uow.session, user, day), load_task(uow.session, task_id)
    decision = decide_task(facts, action, task, day).ensure()
    uow.on_behalf_of = decision.on_behalf_of
    return facts, task, decision


def _audit(uow: UnitOfWork, facts: UserFacts, task: TaskFacts, decision: Decision, **data: Any) -> None:
    uow.audit(EVENT, task_id=task.id, instance_id=task.instance_id, subject=task.step, on_behalf_of=decision.on_behalf_of,
              data={"action": str(decision.action), "user_id": facts.id, "name": facts.full_name,
                    "on_behalf_of": decision.on_behalf_of, **data})  # fmt: skip


def _complete(uow: UnitOfWork, user: User, task_id: uuid.UUID, action: TaskAction, form: dict[str, Any],
              **audited: Any) -> Done:  # fmt: skip
    facts, task, decision = _decide(uow, user, task_id, action)
    guard.authorized(uow, task.id)
    # A decision's reason (return, refuse, approve with a remark) is a comment the unit must read.
    if form.get("_comment"):
        audited["comment"] = form["_comment"]
    _audit(uow, facts, task, decision, fields=sorted(form), **audited)
    instance = complete_task(uow, task.id, _step_form(task.step, action, form))
    return Done(str(action), task.id, instance, decision.on_behalf_of)


def _step_form(step: str, action: TaskAction, form: dict[str, Any]) -> dict[str, Any]:
    """The form data an action gives a step (decisions by step; the rest as the person wrote it)."""
    comment = form.pop("_comment", None)
    until = form.pop("_until", None)
    if step == "duyet_bao_cao":
        form.update(lanh_dao_duyet=AGREE if action == A.APPROVE else RETURN)
        if comment:
            form["y_kien_lanh_dao"] = comment
    elif step in ("tham_dinh_bao_cao", "xem_xet_gia_han"):
        form["quyet_dinh"] = {A.APPROVE: AGREE, A.RETURN: RETURN, A.GRANT_EXTENSION: EXTEND,
                              A.REFUSE_EXTENSION: RETURN}[action]  # fmt: skip
        if comment:
            form["y_kien"] = comment
        if action == A.GRANT_EXTENSION:
            form["han_moi"] = until
    elif step == "ky_duyet" and comment:
        form["y_kien_ky_duyet"] = comment
    elif action == A.REQUEST_EXTENSION:
        form.update(de_nghi_gia_han=True, han_de_nghi=until)
        if comment:
            form["ly_do_gia_han"] = comment
    return form


def _comment(text: str | None, *, required: bool = False) -> str | None:
    text = (text or "").strip()
    if required and not text:
        raise BadData(detail="cần ý kiến (--comment) / a comment is required")
    if len(text) > COMMENT_CHARS:
        raise BadData(detail=f"ý kiến dài quá {COMMENT_CHARS} ký tự / the comment is longer than {COMMENT_CHARS} characters")
    return text or None


def _day(until: date | str | None) -> str:
    if until is None:
        raise BadData(detail="cần hạn mới (--until NGÀY) / a new deadline is required (--until DATE)")
    return until.isoformat() if isinstance(until, date) else str(until)


# --- the actions ---------------------------------------------------------------------------------


def accept(uow: UnitOfWork, user: User, task_id: uuid.UUID) -> Done:
    """Tiếp nhận: the unit's officer takes the task on."""
    return _complete(uow, user, task_id, A.ACCEPT, {})


def save_draft(uow: UnitOfWork, user: User, task_id: uuid.UUID, draft: Draft) -> Done:
    """Lưu dự thảo: a new draft version of the report (files stored once); the step stays open."""
    facts, task, decision = _decide(uow, user, task_id, A.SAVE_DRAFT)
    instance = uow.session.get(Instance, task.instance_id)
    assert instance is not None
    report = new_version(uow, instance, ReportInput.from_form(draft.form(), draft.files))
    _audit(uow, facts, task, decision, report=report.id, version=report.version)
    return Done(A.SAVE_DRAFT.value, task.id, instance, decision.on_behalf_of)


def submit(uow: UnitOfWork, user: User, task_id: uuid.UUID, draft: Draft | None = None,
           data: dict[str, Any] | None = None) -> Done:  # fmt: skip
    """Gửi: end a work step. At a report step, ``draft`` is the report (new files are first saved
    as a draft version, which the submitted version keeps); without one, the newest draft is sent.
    ``data``: the other fields of the step's form (a commune's schools, …)."""
    form = dict(data or {})
    row = _row(uow.session, task_id)
    if row.element_id in ("thuc_hien", "tong_hop_bao_cao") and REPORT not in form:
        if draft is not None and draft.files:
            save_draft(uow, user, task_id, draft)
            saved = latest(uow.session, row.instance_id)
            form.update(draft.form([a.sha256 for a in saved.attachments] if saved is not None else ()))
        elif draft is not None:
            form.update(draft.form())
        elif (saved := latest(uow.session, row.instance_id)) is not None and saved.status == "draft":
            form.update(_as_draft(saved).form())
    return _complete(uow, user, task_id, A.SUBMIT, form)


def approve(uow: UnitOfWork, user: User, task_id: uuid.UUID, comment: str | None = None) -> Done:
    """Duyệt (the unit's leader) or thẩm định đạt (the assigning unit)."""
    return _complete(uow, user, task_id, A.APPROVE, {"_comment": _comment(comment)})


def return_(uow: UnitOfWork, user: User, task_id: uuid.UUID, comment: str) -> Done:
    """Trả lại, with the reason (required)."""
    return _complete(uow, user, task_id, A.RETURN, {"_comment": _comment(comment, required=True)})


def request_extension(uow: UnitOfWork, user: User, task_id: uuid.UUID, until: date | str, comment: str | None = None) -> Done:
    """Đề nghị gia hạn đến ``until`` (a day: its end in Việt Nam), with the reason."""
    return _complete(uow, user, task_id, A.REQUEST_EXTENSION, {"_until": _day(until), "_comment": _comment(comment)})


def grant_extension(uow: UnitOfWork, user: User, task_id: uuid.UUID, until: date | str, comment: str | None = None) -> Done:
    return _complete(uow, user, task_id, A.GRANT_EXTENSION, {"_until": _day(until), "_comment": _comment(comment)})


def refuse_extension(uow: UnitOfWork, user: User, task_id: uuid.UUID, comment: str | None = None) -> Done:
    return _complete(uow, user, task_id, A.REFUSE_EXTENSION, {"_comment": _comment(comment)})


def sign_off(uow: UnitOfWork, user: User, task_id: uuid.UUID, comment: str | None = None) -> Done:
    """Ký duyệt: the assigning unit's leader (or their delegate) signs the approved version."""
    return _complete(uow, user, task_id, A.SIGN, {"_comment": _comment(comment)})


def comment(uow: UnitOfWork, user: User, task_id: uuid.UUID, text: str) -> Done:
    """Góp ý: a comment on the task, kept in the audit trail (the task's history)."""
    facts, task, decision = _decide(uow, user, task_id, A.COMMENT)
    _audit(uow, facts, task, decision, comment=_comment(text, required=True))
    instance = uow.session.get(Instance, task.instance_id)
    assert instance is not None
    return Done(A.COMMENT.value, task.id, instance, decision.on_behalf_of)


def reassign(uow: UnitOfWork, user: User, task_id: uuid.UUID, to: str) -> Done:
    """Giao lại: the unit's leader gives the open step to one person of the unit holding its role."""
    facts, task, decision = _decide(uow, user, task_id, A.REASSIGN)
    person = uow.session.scalars(select(User).where(User.username == to.strip())).first()
    roles = set(uow.session.scalars(select(UserRole.role).where(UserRole.user_id == person.id))) if person else set()
    unit = task.candidate_unit
    if person is None or not person.active or unit is None or person.unit_id != unit.id or task.candidate_role not in roles:
        vi, en = ROLE_NAMES.get(task.candidate_role or "", ("?", "?"))
        raise InvalidState("authz_assignee_not_eligible", step=task.name, assignee=to[:100], unit=unit.name if unit else "?",
                           role=vi.lower(), role_en=en.lower())  # fmt: skip
    row = _row(uow.session, task.id)
    row.assignee = person.username
    _audit(uow, facts, task, decision, to=person.username, to_user_id=person.id, previous=task.assignee)
    instance = uow.session.get(Instance, task.instance_id)
    assert instance is not None
    uow.session.flush()
    return Done(A.REASSIGN.value, task.id, instance, decision.on_behalf_of)


def allowed_actions(uow_or_session: UnitOfWork | Session, user: User, task_id: uuid.UUID, *, now: datetime | None = None) -> list[str]:
    """The actions open to ``user`` on the task at ``now`` (the unit of work's instant by
    default; a plain session needs ``now``): exactly the buttons that will work."""
    if isinstance(uow_or_session, UnitOfWork):
        session, now = uow_or_session.session, now or uow_or_session.now
    else:
        session = uow_or_session
    if now is None:
        raise ValueError("allowed_actions on a session needs now=")
    day = day_of(now)
    return _allowed(load_user(session, user, day), load_task(session, task_id), day)


def _row(session: Session, task_id: uuid.UUID) -> HumanTask:
    row = session.get(HumanTask, task_id)
    if row is None:
        raise NotFound("task_not_found", id=str(task_id))
    return row


def _as_draft(report: Any) -> Draft:
    figures = [{k: v for k, v in (("indicator_id", f.get("indicator_id")), ("ma", f.get("code")),
                                  ("tu_so", f.get("numerator")), ("mau_so", f.get("denominator"))) if v is not None}
               for f in report.figures]  # fmt: skip
    return Draft(report.ket_qua, report.kho_khan, report.kien_nghi, figures, kept=[a.sha256 for a in report.attachments])
