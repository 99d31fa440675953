"""``/inbox``: a person's tasks by scope, filtered, by deadline, a page at a time (its views are in
``webui.inbox.listing``, on this blueprint).
``/tasks/<task_id>``: one task as the action layer shows it, and a form per action open now;
``POST /tasks/<task_id>/<action>`` takes the action.

Refusals: a task the person may not see is a 404 (its existence is not confirmed); an action
refused on a task they may see is a 403 with the rules' own words; both are recorded as
``action_refused`` in the request's fresh unit of work after the refused work is rolled back.
A form whose task has moved on (someone acted first) is answered 409 with the task as it is now.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from engine import BadData, ConflictError, InvalidState, NotFound
from webui.edge import act_as, rollback, work
from webui.errors.handlers import page
from webui.formatting import datetime_vn
from webui.i18n import language
from webui.inbox import forms, task_views
from workflows.actions import tasks
from workflows.actions.detail import task_detail, task_diagram
from workflows.actions.people import user_named
from workflows.authz.model import NotAllowed
from workflows.authz.refusals import record_refusal
from workflows.org.models import User
from workflows.org.queries import find_unit
from workflows.process_contract import WARD_DRAFT

bp = Blueprint("inbox", __name__)

PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # one report's files together, as sent
REPORT_STEPS = ("thuc_hien", "tong_hop_bao_cao")  # the steps whose "submit" sends a report
# What each action needs from its form; the order is the page's order of forms.
FORM_OF: dict[str, type[FlaskForm]] = {
    "accept": FlaskForm, "submit": FlaskForm, "approve": forms.CommentForm, "return": forms.RequiredCommentForm,
    "request_extension": forms.ExtensionForm, "grant_extension": forms.ExtensionForm,
    "refuse_extension": forms.CommentForm, "sign": forms.CommentForm, "reassign": forms.ReassignForm,
    "comment": forms.RequiredCommentForm,
}  # fmt: skip


def _me() -> User:
    return user_named(work().session, current_user.profile.username)


def _task_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        abort(404)


@bp.app_template_filter("iso_vn")
def iso_vn(value: str | None) -> str:
    """An ISO instant of the action layer as dd/mm/yyyy hh:mm in Hà Nội; empty when none."""
    return datetime_vn(datetime.fromisoformat(value)) if value else ""


# --- the inbox -----------------------------------------------------------------------------------
# ``/inbox`` (the list, its saved filters, bulk actions and export) is ``webui.inbox.listing``,
# registered on this blueprint.


def _unit_name(code: str | None) -> str | None:
    """The name of the unit a task page shows (its code stands in when the unit is gone)."""
    if not code:
        return None
    try:
        return find_unit(work().session, code).name
    except NotFound:
        return None


# --- the task page -------------------------------------------------------------------------------


@bp.get("/tasks/<task_id>")
def task(task_id: str) -> str | Response:
    return _render_task(_task_uuid(task_id))


@bp.get("/tasks/<task_id>/diagram.bpmn")
def diagram(task_id: str) -> Response:
    """The BPMN of the task's process version, for the page's diagram (fetched by the viewer
    bundle); on the task's own terms: 404, recorded, for whoever may not see the task."""
    uow = work()
    try:
        found = task_diagram(uow.session, _me(), _task_uuid(task_id), uow.now)
    except NotAllowed as refused:
        _record(refused)
        return _not_found()
    # As text, never as markup: opened directly, the XML is shown or saved, not rendered (nosniff).
    response = Response(found.xml, mimetype="text/plain")
    response.headers["Content-Disposition"] = f'inline; filename="{found.process}-v{found.version}.bpmn"'
    return response


def _render_task(task_id: uuid.UUID, *, bound: tuple[str, FlaskForm] | None = None, status: int = 200,
                 notice: str | None = None) -> Any:  # fmt: skip
    uow, me = work(), _me()
    try:
        detail = task_detail(uow.session, me, task_id, uow.now)
    except NotAllowed as refused:
        _record(refused)
        return _not_found()  # not confirming that another unit's task exists
    action_forms = _forms(detail, bound)
    report_fields = task_views.report_fields(detail, typed=bound is not None and bound[0] == "report")
    overdue = (
        detail["status"] == "open"
        and bool(detail["due"])
        and datetime.fromisoformat(detail["due"]) < uow.now
    )
    unit_name = _unit_name(detail["unit"])
    html = render_template("inbox/task.html", task=detail, forms=action_forms, notice=notice, overdue=overdue,
                           unit_name=unit_name, report_fields=report_fields)  # fmt: skip
    return html if status == 200 else (html, status)


def _forms(detail: dict[str, Any], bound: tuple[str, FlaskForm] | None) -> dict[str, FlaskForm]:
    """A form per action open now (the bound one, with its errors, in its place)."""
    allowed = (
        set(detail["allowed_actions"])
        if detail["status"] == "open"
        else {"comment"} & set(detail["allowed_actions"])
    )
    result: dict[str, FlaskForm] = {}
    if detail["step"] in REPORT_STEPS and allowed & {"save_draft", "submit"}:
        # The newest version's texts to start from: a returned report is corrected, not retyped.
        newest = task_views.own_newest(detail) or {}
        result["report"] = forms.ReportForm(prefix="report", formdata=None,
                                            data={k: newest.get(k, "") for k in ("ket_qua", "kho_khan", "kien_nghi")})  # fmt: skip
    for action, form_class in FORM_OF.items():
        if action in allowed and not (action == "submit" and "report" in result):
            result[action] = form_class(prefix=action, formdata=None)
    if bound is not None:
        result[bound[0]] = bound[1]
    return result


@bp.post("/tasks/<task_id>/<action>")
def act(task_id: str, action: str) -> Any:
    # Attachments are read into memory: a report's request is capped (the domain then checks
    # each file's size and type); beyond it, the 413 page. (Werkzeug has already spooled the
    # files to disk for the CSRF check; nothing is read from them here.)
    if (request.content_length or 0) > MAX_UPLOAD_BYTES:
        abort(413)
    tid = _task_uuid(task_id)
    uow, me = work(), _me()
    try:
        detail = task_detail(uow.session, me, tid, uow.now)
    except NotAllowed as refused:
        _record(refused, action)
        return _not_found()
    report = action in ("save_draft", "submit") and detail["step"] in REPORT_STEPS
    key = "report" if report else action
    form_class = forms.ReportForm if report else FORM_OF.get(action)
    if form_class is None:
        abort(404)
    form = form_class(prefix=key)
    if not form.validate_on_submit():
        rollback(ValueError("invalid form"))
        return _render_task(tid, bound=(key, form), status=400)
    try:
        _do(action, me, tid, form, detail)
    except BadData as bad:  # the domain's checks of a report (a figure, a file): shown on the form
        if not report:
            raise
        rollback(bad)
        act_as(current_user.profile.username)
        return _render_task(tid, bound=(key, form), status=400, notice=bad.message(language()))
    except NotAllowed as refused:
        message = refused.message(language())
        _record(refused)
        return _render_task(tid, status=403, notice=message)
    except (InvalidState, ConflictError) as stale:
        rollback(stale)
        act_as(current_user.profile.username)
        message = _("Nhiệm vụ đã thay đổi trước khi bạn gửi (có thể người khác vừa xử lý). "
                    "Thao tác của bạn chưa được ghi; dưới đây là tình trạng hiện tại.")  # fmt: skip
        return _render_task(tid, status=409, notice=f"{message} {stale.message(language())}")
    except NotFound:
        abort(404)
    flash(_("Đã ghi: %(action)s.", action=action_label(action)), "success")
    return redirect(url_for("inbox.task", task_id=task_id), code=303)


def _do(action: str, me: User, tid: uuid.UUID, form: Any, detail: dict[str, Any]) -> None:
    uow = work()
    comment = getattr(form, "comment", None)
    text = comment.data if comment is not None else None
    if isinstance(form, forms.ReportForm):
        files = [(f.filename, f.read()) for f in form.tep.data or [] if getattr(f, "filename", "")]
        draft = tasks.Draft(
            form.ket_qua.data or "",
            form.kho_khan.data or "",
            form.kien_nghi.data or "",
            chi_so=task_views.typed_figures(detail),
            files=files,
            kept=task_views.kept_files(detail),
        )
        if action == "submit" and detail["step"] == WARD_DRAFT and _blank(draft):
            tasks.submit(uow, me, tid)  # a commune's blank report: consolidated from its schools'
        else:
            (tasks.save_draft if action == "save_draft" else tasks.submit)(uow, me, tid, draft)
    elif action == "accept":
        tasks.accept(uow, me, tid)
    elif action == "submit":
        tasks.submit(uow, me, tid)
    elif action == "approve":
        tasks.approve(uow, me, tid, text)
    elif action == "return":
        tasks.return_(uow, me, tid, text or "")
    elif action == "request_extension":
        tasks.request_extension(uow, me, tid, form.until.data, text)
    elif action == "grant_extension":
        tasks.grant_extension(uow, me, tid, form.until.data, text)
    elif action == "refuse_extension":
        tasks.refuse_extension(uow, me, tid, text)
    elif action == "sign":
        tasks.sign_off(uow, me, tid, text)
    elif action == "comment":
        tasks.comment(uow, me, tid, text or "")
    elif action == "reassign":
        tasks.reassign(uow, me, tid, form.to.data)


def _blank(draft: tasks.Draft) -> bool:
    texts = (draft.ket_qua, draft.kho_khan, draft.kien_nghi)
    return not (any(t.strip() for t in texts) or draft.chi_so or draft.files or draft.kept)


def _record(refused: NotAllowed, action: str | None = None) -> None:
    """Roll the refused work back, and keep the refusal as a security event."""
    rollback(refused)
    act_as(current_user.profile.username)
    d = refused.decision
    known = (
        action if action in FORM_OF or action == "save_draft" else None
    )  # the URL's word is the visitor's
    record_refusal(work(), d.user, known or str(d.action), d.target, d)


def _not_found() -> Response:
    """The 404 page as a response, not an exception: the refusal just recorded must be committed
    (an exception would roll the request's work back)."""
    return page(
        404, _("Không tìm thấy trang"), _("Trang bạn tìm không tồn tại hoặc đã được chuyển đi.")
    )


EVENTS = {
    "task_created": _l("Mở bước"), "task_completed": _l("Hoàn thành bước"), "task_action_taken": _l("Thao tác"),
    "instance_started": _l("Bắt đầu nhiệm vụ"), "instance_completed": _l("Kết thúc nhiệm vụ"),
    "action_refused": _l("Bị từ chối"), "report_version_created": _l("Lưu phiên bản báo cáo"),
    "report_signed": _l("Ký duyệt báo cáo"), "deadline_moved": _l("Đổi hạn"), "overdue_marked": _l("Ghi nhận quá hạn"),
    "indicator_figure_reported": _l("Báo cáo số liệu chỉ tiêu"), "incident_raised": _l("Sự cố"),
    "report_submitted": _l("Báo cáo đã gửi"), "report_returned": _l("Báo cáo bị trả lại"),
    "report_approved": _l("Báo cáo được duyệt"),
}  # fmt: skip


def event_label(code: str) -> str:
    """A history event in words; an event without one keeps its code."""
    words = EVENTS.get(code)
    return str(words) if words else code


def action_label(action: str) -> str:
    return {
        "accept": _("Tiếp nhận"), "save_draft": _("Lưu dự thảo"), "submit": _("Gửi"), "approve": _("Duyệt"),
        "return": _("Trả lại"), "request_extension": _("Đề nghị gia hạn"), "grant_extension": _("Đồng ý gia hạn"),
        "refuse_extension": _("Không đồng ý gia hạn"), "sign": _("Ký duyệt"), "comment": _("Góp ý"),
        "reassign": _("Giao lại"), "view": _("Xem"),
    }.get(action, action)  # fmt: skip


bp.add_app_template_global(action_label)
bp.add_app_template_global(event_label)
