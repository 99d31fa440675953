"""The inbox list (``/inbox``) and what works on it, over the action layer:

* ``GET /inbox?scope=…&overdue=1&due_within=N&plan=ID&status=…&period=…&unit=CODE&after=…``: the
  tabs with their counts, the filters with theirs, a page of rows (50) by deadline;
* ``GET /inbox/export.xlsx?…``: the same list (same scope and filters), every page, as XLSX;
* ``POST /inbox/filters`` saves the current filters under a name; ``GET /inbox/filters/<id>``
  applies one (a redirect to its ``/inbox?…``); ``POST /inbox/filters/<id>/delete``. Another
  person's filter is a 404, whatever the verb;
* ``POST /inbox/bulk``: accept or remind (đôn đốc) the checked rows, each through the action
  layer on its own; the answer lists what was done and what was refused, and why.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response as FlaskResponse
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engine import BadData, NotFound
from webui.edge import act_as, rollback, work
from webui.formatting import ZONE
from webui.i18n import language
from webui.inbox import forms, routes
from webui.inbox.filters import read_filters
from webui.inbox.routes import _me, bp
from webui.inbox.xlsx import workbook_bytes
from workflows.actions.bulk import ACTIONS, bulk
from workflows.actions.inbox import SCOPES, STATUSES, export
from workflows.actions.inbox import inbox as inbox_page
from workflows.actions.saved_filters import delete_filter, save_filter, saved_filter, saved_filters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/inbox")
def inbox() -> str:
    scope, filters, query = read_filters(request.args)
    uow, me = work(), _me()
    try:
        page = inbox_page(uow.session, me, uow.now, scope=scope, filters=filters, limit=routes.PAGE_SIZE,
                          after=request.args.get("after") or None, facets=True)  # fmt: skip
    except ValueError:  # a cursor that is not one of ours
        abort(400)
    rows = [{**item, "overdue": _overdue(item, uow.now)} for item in page.items]
    return render_template(
        "inbox/inbox.html", scope=scope, scopes=SCOPES, statuses=STATUSES, page=page, rows=rows, filters=filters,
        query=query, saved=saved_filters(uow.session, me), save_form=forms.SaveFilterForm(prefix="save", formdata=None),
        delete_form=forms.DeleteFilterForm(prefix="delete", formdata=None), bulk_form=forms.BulkForm(prefix="bulk", formdata=None),
    )  # fmt: skip


def _overdue(item: dict[str, Any], now: datetime) -> bool:
    return item["status"] == "open" and bool(item["due"]) and datetime.fromisoformat(item["due"]) < now


def _inbox_url(scope: str, query: dict[str, str]) -> str:
    return url_for("inbox.inbox", scope=scope, **query)


# --- export --------------------------------------------------------------------------------------


@bp.get("/inbox/export.xlsx")
def export_xlsx() -> Response:
    scope, filters, _query = read_filters(request.args)
    uow = work()
    found = export(uow.session, _me(), uow.now, scope=scope, filters=filters)
    rows = [{**item, "overdue": _overdue(item, uow.now)} for item in found.items]
    data = workbook_bytes(rows, truncated=found.truncated, now=uow.now)
    day = uow.now.astimezone(ZONE).strftime("%Y%m%d")
    return FlaskResponse(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="hop-viec-{day}.xlsx"'})


# --- saved filters -------------------------------------------------------------------------------


@bp.post("/inbox/filters")
def save_current_filters() -> Response:
    form = forms.SaveFilterForm(prefix="save")
    scope, _filters, query = read_filters(request.form)
    if not form.validate_on_submit():
        flash(_("Hãy đặt tên cho bộ lọc (tối đa 100 ký tự)."), "error")
        return redirect(_inbox_url(scope, query), code=303)
    uow, me = work(), _me()
    try:
        saved = save_filter(uow, me, form.name.data, {"scope": scope, **query})
    except BadData as refused:
        rollback(refused)
        act_as(current_user.profile.username)
        flash(refused.message(language()), "error")
        return redirect(_inbox_url(scope, query), code=303)
    flash(_("Đã lưu bộ lọc “%(name)s”.", name=saved["name"]), "success")
    return redirect(_inbox_url(scope, query), code=303)


@bp.get("/inbox/filters/<int:filter_id>")
def apply_filter(filter_id: int) -> Response:
    uow = work()
    try:
        found = saved_filter(uow.session, _me(), filter_id)
    except NotFound:
        abort(404)  # another person's filter: not confirmed to exist
    query = dict(found["query"])
    return redirect(url_for("inbox.inbox") + ("?" + urlencode(query) if query else ""), code=303)


@bp.post("/inbox/filters/<int:filter_id>/delete")
def delete_saved_filter(filter_id: int) -> Response:
    forms.DeleteFilterForm(prefix="delete").validate_on_submit()  # CSRF is checked app-wide first
    uow, me = work(), _me()
    try:
        found = saved_filter(uow.session, me, filter_id)
        delete_filter(uow, me, filter_id)
    except NotFound:
        abort(404)
    flash(_("Đã xóa bộ lọc “%(name)s”.", name=found["name"]), "success")
    return redirect(url_for("inbox.inbox"), code=303)


# --- bulk actions --------------------------------------------------------------------------------


@bp.post("/inbox/bulk")
def bulk_action() -> Response | str:
    form = forms.BulkForm(prefix="bulk")
    scope, _filters, query = read_filters(request.form)
    action = request.form.get("action", "")
    if not form.validate_on_submit() or action not in ACTIONS:
        abort(400)
    ids = [_uuid(raw) for raw in request.form.getlist("task")]
    if not ids:
        flash(_("Chưa chọn việc nào: hãy đánh dấu các dòng cần xử lý."), "error")
        return redirect(_inbox_url(scope, query), code=303)
    uow = work()
    base_url = current_app.config.get("GIAOVIEC_BASE_URL") or request.host_url
    try:
        outcome = bulk(uow, _me(), action, ids, base_url=base_url)
    except BadData:
        abort(400)
    lang = language()
    refused = [{"task_id": str(r.task_id), "name": r.name, "reason": r.error.message(lang)} for r in outcome.refused]
    done = [{"task_id": str(tid), "name": name} for tid, name in outcome.done]
    return render_template("inbox/bulk_result.html", action=action, done=done, refused=refused,
                           back=_inbox_url(scope, query))  # fmt: skip


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        abort(400)
