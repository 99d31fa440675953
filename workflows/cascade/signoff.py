"""Sign-off (ký duyệt): the authority approves the exact report version, possibly by delegation.

``sign_off`` checks that the person is a leader of the unit the sign-off task belongs to, or
holds a leader's delegation that day (then the unit of work acts "on behalf of" that leader),
and completes the task. The ``ky_duyet`` hook records ``report_signed`` with the approved
version's hash, so the audit trail ties the signature to the content. The signature itself goes
through a ``Signer``: today ``HashOnly`` (the hash in the tamper-evident trail); a PAdES signer
(pyHanko, its own issue) will sign the rendered PDF of that same version and return its bytes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import update

from engine import (
    Forbidden,
    HumanTask,
    Instance,
    InvalidState,
    NotFound,
    ProcessEngine,
    TaskCompletion,
    UnitOfWork,
    complete_task,
    register,
)
from workflows.org.commands import user_by_name
from workflows.org.queries import find_unit, may_approve
from workflows.process_contract import SIGN_OFF
from workflows.reports.models import Report
from workflows.reports.versions import latest, verify
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking

register({
    "signoff_not_allowed": (
        "{username} không phải lãnh đạo (hoặc người được ủy quyền) của {unit} hôm nay, nên không ký duyệt được.",
        "{username} is not a leader (or delegate) of {unit} today, so cannot sign off.",
    ),
    "signoff_not_signoff_task": ("Việc {id} không phải bước ký duyệt.", "Task {id} is not a sign-off step."),
    "signoff_no_report": (
        "Chưa có báo cáo được thẩm định đạt để ký duyệt (phiên bản quy trình {id}).",
        "There is no approved report to sign off (instance {id}).",
    ),
})  # fmt: skip


@dataclass(frozen=True)
class Signature:
    method: str
    value: bytes | None = None  # a detached or embedded signature, when the method produces one


class Signer(Protocol):
    def sign(self, report: Report, *, signer: str, on_behalf_of: str | None) -> Signature: ...


class HashOnly:
    """Records the report's hash in the audit trail; no cryptographic signature yet."""

    def sign(self, report: Report, *, signer: str, on_behalf_of: str | None) -> Signature:
        return Signature("sha256-audit")


def install(pe: ProcessEngine, signer: Signer | None = None) -> None:
    """Register the sign-off hook with its signer (once per engine)."""
    if not any(isinstance(hook, _RecordSignature) for hook in pe.hooks.task_completed):
        pe.hooks.task_completed.append(_RecordSignature(signer or HashOnly()))


def sign_off(pe: ProcessEngine, task_id: uuid.UUID, username: str, data: dict[str, Any] | None = None) -> Instance:
    """Complete a ``ky_duyet`` task as ``username``, who must be a leader of its unit or a delegate."""
    with pe.unit_of_work(username) as uow:
        row = uow.session.get(HumanTask, task_id)
        if row is None:
            raise NotFound("task_not_found", id=str(task_id))
        if row.element_id != SIGN_OFF:
            raise InvalidState("signoff_not_signoff_task", id=str(task_id))
        unit = find_unit(uow.session, row.candidate_unit or "")
        user = user_by_name(uow, username)
        acting = may_approve(uow.session, user, unit.id, uow.now.astimezone(LOCAL_TZ).date())
        if acting is None:
            raise Forbidden("signoff_not_allowed", username=username, unit=unit.name)
        uow.on_behalf_of = acting.on_behalf_of.username if acting.on_behalf_of is not None else None
        return complete_task(uow, task_id, data or {})


class _RecordSignature:
    """The ``task_completed`` hook: a completed ``ky_duyet`` signs the approved report version."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer

    def __call__(self, uow: UnitOfWork, completion: TaskCompletion) -> None:
        if completion.task.element_id != SIGN_OFF:
            return
        instance = completion.instance
        report = latest(uow.session, instance.id)
        if report is None or report.status != "approved" or not verify(report):
            raise InvalidState("signoff_no_report", id=str(instance.id))
        signature = self.signer.sign(report, signer=uow.actor, on_behalf_of=uow.on_behalf_of)
        uow.audit("report_signed", instance_id=instance.id, task_id=completion.task.id, subject=f"report {report.id}",
                  data={"report": report.id, "version": report.version, "hash": report.content_hash,
                        "method": signature.method, "unit": instance.unit_code})  # fmt: skip
        uow.session.execute(update(Tracking).where(Tracking.instance_id == instance.id).values(signed_at=uow.now))
