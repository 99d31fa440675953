"""Reports follow the process: each step of the library's processes acts on the report versions.

* A draft step (``thuc_hien``, a commune's ``tong_hop_bao_cao``) completed with a ``bao_cao``
  form adds a new version (draft). A plain text ``bao_cao`` is the result (kết quả). A commune's
  ``tong_hop_bao_cao`` without one drafts the consolidation of its schools' reports (figures
  summed exactly, texts gathered).
* The unit leader's ``duyet_bao_cao`` with ``lanh_dao_duyet = "dong_y"`` submits it.
* The assigning unit's ``tham_dinh_bao_cao``: ``dong_y`` approves it (its figures become the
  unit's indicator figures), ``tra_lai`` returns it with the reviewer's ``y_kien``, ``gia_han``
  returns it too (more time to redo it).
* The authority's ``ky_duyet`` signs off the exact approved version: ``report_signed`` in the
  audit trail carries its hash, version and who signed on whose behalf (``sign_off``).
"""

from __future__ import annotations

from typing import Any

from engine import TaskCompletion, UnitOfWork
from workflows.reports.consolidate import consolidate_children
from workflows.reports.inputs import ReportInput
from workflows.reports.versions import latest, new_version, set_status

DRAFT_STEPS = frozenset({"thuc_hien", "tong_hop_bao_cao"})
CONSOLIDATION_STEP = "tong_hop_bao_cao"  # without its own ``bao_cao``: consolidated from the schools
REVIEW_OUTCOMES = {"dong_y": "approved", "tra_lai": "returned", "gia_han": "returned"}


def install(pe: Any) -> None:
    if on_task_completed not in pe.hooks.task_completed:
        pe.hooks.task_completed.append(on_task_completed)


def on_task_completed(uow: UnitOfWork, completion: TaskCompletion) -> None:
    element, data, instance = completion.task.element_id, completion.data, completion.instance
    if element in DRAFT_STEPS and "bao_cao" in data:
        form = data if isinstance(data["bao_cao"], dict) else {"bao_cao": {"ket_qua": str(data["bao_cao"])}}
        new_version(uow, instance, ReportInput.from_form(form))
    elif element == CONSOLIDATION_STEP:
        new_version(uow, instance, consolidate_children(uow, instance).report_input)
    elif element == "duyet_bao_cao" and data.get("lanh_dao_duyet") == "dong_y":
        draft = latest(uow.session, instance.id)
        if draft is not None and draft.status == "draft":
            set_status(uow, draft, "submitted")
    elif element == "tham_dinh_bao_cao" and data.get("quyet_dinh") in REVIEW_OUTCOMES:
        submitted = latest(uow.session, instance.id)
        if submitted is not None and submitted.status == "submitted":
            note = str(data.get("y_kien") or "") or ("Gia hạn thời gian thực hiện" if data["quyet_dinh"] == "gia_han" else None)
            set_status(uow, submitted, REVIEW_OUTCOMES[data["quyet_dinh"]], note=note)
