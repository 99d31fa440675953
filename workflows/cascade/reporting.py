"""Reports follow the process: each step of the library's processes acts on the report versions.

* A draft step (``thuc_hien``, a commune's ``tong_hop_bao_cao``) completed with a ``bao_cao``
  object adds a new version (draft). A commune's ``tong_hop_bao_cao`` without one drafts the
  consolidation of its schools' reports (figures summed exactly, texts gathered).
* The unit leader's ``duyet_bao_cao`` with ``lanh_dao_duyet = "dong_y"`` submits it.
* The assigning unit's ``tham_dinh_bao_cao``: ``dong_y`` approves it (its figures become the
  unit's indicator figures), ``tra_lai`` returns it with the reviewer's ``y_kien`` (required),
  ``gia_han`` returns it too (more time to redo it).
* The authority's ``ky_duyet`` signs off the exact approved version: ``report_signed`` in the
  audit trail carries its hash, version and who signed on whose behalf (``sign_off``).

Before a step runs (``task_completing``), the report and the review are checked, so that the
process and the report never part ways: the report object is valid; a draft step whose form has
``bao_cao`` gets one (unless the unit asks for more time, or a commune lets it be consolidated);
a review decides on a submitted report.
"""

from __future__ import annotations

from typing import Any

from engine import BadData, InvalidState, TaskCompletion, UnitOfWork, register
from workflows.process_contract import (
    AGREE,
    DECISIONS,
    DRAFT_STEPS,
    EXTEND,
    EXTENSION_REQUEST,
    LEADER_REVIEW,
    REPORT,
    RETURN,
    REVIEW,
    WARD_DRAFT,
)
from workflows.reports.consolidate import consolidate_children
from workflows.reports.inputs import ReportInput
from workflows.reports.versions import move_newest, new_version, newest_status

CONSOLIDATION_STEP = WARD_DRAFT  # without its own ``bao_cao``: consolidated from the schools
REVIEW_OUTCOMES = {AGREE: "approved", RETURN: "returned", EXTEND: "returned"}
LEADER_DECISION, REVIEW_DECISION = DECISIONS[LEADER_REVIEW].field, DECISIONS[REVIEW].field
REVIEW_NOTE = "y_kien"
# session.info key: (the completion, its report parsed by ``on_task_completing``), for ``on_task_completed``
_PARSED = "giaoviec.reports.parsed"

register({
    "report_required": (
        "Bước {step} cần báo cáo (bao_cao), hoặc đề nghị gia hạn (de_nghi_gia_han).",
        "The step {step} needs a report (bao_cao), or a request for more time (de_nghi_gia_han).",
    ),
    "report_not_under_review": (
        "Chưa có báo cáo chờ thẩm định: phiên bản {version} đang ở trạng thái {status}.",
        "No report is awaiting review: version {version} is {status}.",
    ),
    "report_return_needs_reason": (
        "Trả lại báo cáo cần nêu lý do (y_kien).",
        "Returning a report needs a reason (y_kien).",
    ),
})  # fmt: skip


def install(pe: Any) -> None:
    for name, hook in (("task_completing", on_task_completing), ("task_completed", on_task_completed)):
        pe.hooks.add(name, hook)


def on_task_completing(uow: UnitOfWork, completion: TaskCompletion) -> None:
    """Refuse, before anything runs, a step the reports could not follow."""
    element, data = completion.task.element_id, completion.data
    if element in DRAFT_STEPS and data.get(REPORT) is not None:
        # every problem of the report, in one BadData; the report parsed is the one added after the step
        uow.session.info[_PARSED] = (completion, ReportInput.from_form(data))
    elif element in DRAFT_STEPS and element != CONSOLIDATION_STEP and completion.form.field(REPORT) is not None:
        if data.get(EXTENSION_REQUEST) is not True:
            raise BadData("report_required", step=element)
    elif element == REVIEW:
        newest = newest_status(uow.session, completion.instance.id)
        if newest is not None and newest.status != "submitted":
            raise InvalidState("report_not_under_review", version=newest.version, status=newest.status)
        if newest is not None and data.get(REVIEW_DECISION) == RETURN and not str(data.get(REVIEW_NOTE) or "").strip():
            raise BadData("report_return_needs_reason")


def on_task_completed(uow: UnitOfWork, completion: TaskCompletion) -> None:
    element, data, instance = completion.task.element_id, completion.data, completion.instance
    if element in DRAFT_STEPS and data.get(REPORT) is not None:
        new_version(uow, instance, _parsed(uow, completion))
    elif element == CONSOLIDATION_STEP:
        new_version(uow, instance, consolidate_children(uow, instance).report_input)
    elif element == LEADER_REVIEW and data.get(LEADER_DECISION) == AGREE:
        move_newest(uow, instance.id, "submitted", when="draft")
    elif element == REVIEW and data.get(REVIEW_DECISION) in REVIEW_OUTCOMES:
        decision = data[REVIEW_DECISION]
        note = str(data.get(REVIEW_NOTE) or "") or ("Gia hạn thời gian thực hiện" if decision == EXTEND else None)
        move_newest(uow, instance.id, REVIEW_OUTCOMES[decision], when="submitted", note=note)


def _parsed(uow: UnitOfWork, completion: TaskCompletion) -> ReportInput:
    """The draft's report as ``on_task_completing`` parsed it for this very completion (held for
    the unit of work in ``session.info``, one slot, taken here), or parsed now (the hook alone)."""
    held = uow.session.info.pop(_PARSED, None)
    if held is not None and held[0] is completion:
        report_input: ReportInput = held[1]
        return report_input
    return ReportInput.from_form(completion.data)
