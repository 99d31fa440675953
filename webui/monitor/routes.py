"""``/monitor`` (versions and incidents), ``/monitor/processes/<key>/<version>`` (the diagram with
counts per element, time spent per step, the instances), ``/monitor/instances/<id>`` and the
incident actions (``POST /monitor/incidents``).

Every view asks ``workflows.actions.monitor``, which decides and records refusals: a refusal is
answered 403 and committed with the request, record included.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from engine import render
from webui.edge import work
from webui.errors.handlers import page
from webui.i18n import language
from webui.monitor.forms import CancelForm, IncidentsForm
from workflows.actions import monitor as actions
from workflows.actions.plans import acting_user

bp = Blueprint("monitor", __name__)


@bp.errorhandler(actions.NotAllowed)
def _refused(exc: actions.NotAllowed) -> Response:
    # A response, not a rollback: the refusal the action layer recorded must be committed.
    return page(403, _("Không có quyền truy cập"), exc.message(language()))


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    def may_monitor() -> bool:
        if not current_user.is_authenticated:
            return False
        return actions.in_menu(current_user.profile.roles)

    return {"may_monitor": may_monitor}


@bp.app_template_filter("duration_vn")
def duration_vn(seconds: float | None) -> str:
    """An average time open, in days and hours ("2 ngày 3 giờ"), minutes under an hour."""
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    days, hours = divmod(minutes // 60, 24)
    if days:
        return _("%(days)d ngày %(hours)d giờ", days=days, hours=hours)
    if hours:
        return _("%(hours)d giờ %(minutes)d phút", hours=hours, minutes=minutes % 60)
    return _("%(minutes)d phút", minutes=minutes)


STATUS_NAMES = {"running": ("Đang chạy", "Running"), "completed": ("Đã kết thúc", "Completed"), "cancelled": ("Đã hủy", "Cancelled")}


@bp.app_template_filter("instance_status")
def instance_status(code: str) -> str:
    names = STATUS_NAMES.get(code)
    return code if names is None else names[0] if language() == "vi" else names[1]


def _me() -> Any:
    uow = work()
    return uow, acting_user(uow.session, current_user.identity.user_id)


@bp.get("/monitor")
def index() -> str:
    uow, me = _me()
    root = actions.check_view(uow, me)
    return render_template("monitor/index.html", versions=actions.versions(uow.session, root),
                           incidents=actions.incidents(uow, me), form=IncidentsForm(),
                           may_act=actions.may_act(uow.session, me, uow.now))  # fmt: skip


@bp.get("/monitor/processes/<key>/<int:version>")
def version(key: str, version: int) -> str:
    uow, me = _me()
    status = request.args.get("status") or None
    found = actions.version_page(uow, me, key, version, status=status)
    return render_template("monitor/version.html", page=found, statuses=STATUS_NAMES)


@bp.get("/monitor/processes/<key>/<int:version>/diagram.bpmn")
def diagram(key: str, version: int) -> Response:
    uow, me = _me()
    xml = actions.diagram_xml(uow, me, key, version)
    # Plain text: the viewer reads it with fetch(); a browser never renders it as a document.
    return Response(xml, mimetype="text/plain", headers={"Cache-Control": "private, no-store"})


@bp.get("/monitor/instances/<uuid:instance_id>")
def instance(instance_id: uuid.UUID) -> str:
    uow, me = _me()
    found = actions.instance_page(uow, me, instance_id)
    return render_template("monitor/instance.html", page=found, form=IncidentsForm(), cancel_form=CancelForm(),
                           may_act=actions.may_act(uow.session, me, uow.now))  # fmt: skip


def _back() -> str:
    target = request.form.get("next", "")
    # Only a path of this site's monitor (never another site: an open redirect).
    return target if target.startswith("/monitor") and not target.startswith("//") else url_for("monitor.index")


@bp.post("/monitor/incidents")
def incidents() -> Response:
    uow, me = _me()
    form = IncidentsForm()
    if not form.validate_on_submit():
        return page(400, _("Yêu cầu không hợp lệ"), _("Lý do quá dài hoặc biểu mẫu không hợp lệ."))
    action, _sep, one = (request.form.get("act") or "").partition(":")
    ids = [one] if one else request.form.getlist("incident")[: actions.MAX_BULK + 1]
    try:
        chosen = [int(i) for i in ids]
    except ValueError:
        return page(400, _("Yêu cầu không hợp lệ"), _("Mã sự cố không hợp lệ."))
    if action not in ("retry", "resolve", "cancel"):
        return page(400, _("Yêu cầu không hợp lệ"), _("Thao tác không hợp lệ."))
    if not chosen:
        flash(_("Chưa chọn sự cố nào."), "error")
        return redirect(_back(), 303)
    reason = form.reason.data or ""
    if action == "retry":
        data = _data(form.correction.data)
        if data is None:
            return page(400, _("Yêu cầu không hợp lệ"), _("Dữ liệu sửa lại phải là một đối tượng JSON, ví dụ {\"n\": 4}."))
        outcomes = actions.retry(uow, me, chosen, data)
    elif action == "resolve":
        outcomes = actions.resolve(uow, me, chosen, reason)
    else:
        outcomes = actions.cancel(uow, me, chosen, reason)
    _report(outcomes)
    return redirect(_back(), 303)


@bp.post("/monitor/instances/<uuid:instance_id>/cancel")
def cancel_instance(instance_id: uuid.UUID) -> Response:
    uow, me = _me()
    form = CancelForm()
    if not form.validate_on_submit():
        return page(400, _("Yêu cầu không hợp lệ"), _("Lý do quá dài hoặc biểu mẫu không hợp lệ."))
    _report(actions.cancel_one_instance(uow, me, instance_id, form.reason.data or ""))
    return redirect(url_for("monitor.instance", instance_id=instance_id), 303)


def _data(text: str | None) -> dict[str, Any] | None:
    """The operator's correction: an empty field is no correction; anything but an object is refused."""
    if not (text or "").strip():
        return {}
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _report(outcomes: list[actions.Outcome]) -> None:
    done = [o for o in outcomes if o.done]
    if done:
        flash(ngettext("Đã xử lý %(num)d mục.", "Đã xử lý %(num)d mục.", len(done)), "success")
    for o in outcomes:
        if not o.done:
            flash(_("Không xử lý được %(subject)s: %(reason)s", subject=o.subject, reason=render(o.code or "bad_data", language(), **o.params)), "error")
