"""Extensions (gia hạn), the process side: when a unit may ask, and what a grant may give.

* A unit asks for more time (``de_nghi_gia_han`` at its draft step) only **before** its deadline
  in force; afterwards the request is refused and the unit reports late. A deadline it asks for
  (``han_de_nghi``) must be later than that deadline.
* A grant (``quyet_dinh = "gia_han"`` at ``xem_xet_gia_han`` or ``tham_dinh_bao_cao``) gives a
  new deadline (``han_moi``) later than the deadline in force (and than now:
  ``workflows.process_contract``); a grant that would shorten or keep the deadline is refused.
* The first deadline stays on the record: the process keeps ``han_goc`` (set once, when it
  starts) and the tracking row ``original_due_at``; lateness already incurred is tracking's
  (``workflows.tracking``). Who may grant is authorization's (``workflows.authz``).

Every refusal happens before anything of the step runs (``task_completing``), in Vietnamese with
both instants, so that the person sees what to change.
"""

from __future__ import annotations

from typing import Any

from engine import BadData, InvalidState, TaskCompletion, UnitOfWork, register
from workflows.cascade.deadlines import deadline_in_force, deadline_value, shown
from workflows.process_contract import (
    DECISIONS,
    DRAFT,
    EXTEND,
    EXTENSION_REQUEST,
    EXTENSION_REVIEW,
    NEW_DEADLINE,
    REQUESTED_DEADLINE,
    REVIEW,
)

register({
    "extension_request_late": (
        "Không thể đề nghị gia hạn: hạn xử lý ({due}) đã qua. Đề nghị gia hạn phải gửi trước hạn; hãy gửi báo cáo (báo cáo sẽ được ghi nhận là quá hạn).",
        "An extension cannot be requested: the deadline ({due}) has passed. Requests must come before the deadline; submit the report (it will count as late).",
    ),
    "extension_request_not_later": (
        "Hạn đề nghị ({value}) phải sau hạn xử lý hiện tại ({due}).",
        "The requested deadline ({value}) must be after the current deadline ({due}).",
    ),
    "extension_not_later": (
        "Hạn mới ({value}) phải sau hạn xử lý hiện tại ({due}); gia hạn không được rút ngắn hay giữ nguyên hạn.",
        "The new deadline ({value}) must be after the current deadline ({due}); an extension may not shorten or keep it.",
    ),
    "extension_deadline_invalid": (
        "Hạn {field} không hợp lệ: {value}; ghi ngày 2026-06-20 hoặc thời điểm 2026-06-20T17:00.",
        "The deadline {field} is not valid: {value}; write a date 2026-06-20 or an instant 2026-06-20T17:00.",
    ),
})  # fmt: skip

_GRANT_STEPS = frozenset({EXTENSION_REVIEW, REVIEW})


def install(pe: Any) -> None:
    pe.hooks.add("task_completing", check_extension)


def check_extension(uow: UnitOfWork, completion: TaskCompletion) -> None:
    """Refuse a late request, a request for no more time, and a grant that is no extension."""
    step, data = completion.task.element_id, completion.data
    if step == DRAFT and data.get(EXTENSION_REQUEST) is True:
        due = completion.task.due_at or deadline_in_force(uow.session, completion.instance)
        if due is None:
            return  # no deadline (a trial run): nothing to be late for
        if uow.now >= due:
            raise InvalidState("extension_request_late", due=shown(due))
        if data.get(REQUESTED_DEADLINE):
            asked = _instant(REQUESTED_DEADLINE, data[REQUESTED_DEADLINE])
            if asked <= due:
                raise BadData("extension_request_not_later", value=shown(asked), due=shown(due))
    elif step in _GRANT_STEPS and data.get(DECISIONS[step].field) == EXTEND and data.get(NEW_DEADLINE):
        due = deadline_in_force(uow.session, completion.instance)
        new = _instant(NEW_DEADLINE, data[NEW_DEADLINE])
        if due is not None and new <= due:
            raise BadData("extension_not_later", value=shown(new), due=shown(due))


def _instant(field: str, value: Any) -> Any:
    instant = deadline_value(value)
    if instant is None:
        raise BadData("extension_deadline_invalid", field=field, value=str(value)[:64])
    return instant
