"""``/audit``: search the audit trail (person, unit, task, plan, action, days), refused actions
included, 50 a page newest first; ``/audit/export.csv`` and ``/audit/export.xlsx`` with the same
filters (bounded); ``POST /audit/verify`` checks the chain against its anchors on demand.

Every view asks ``workflows.actions.audit_search``, which decides who reads what and records a
refusal; a refusal is answered 403 and committed with the request, record included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from engine import NotFound, default_anchor_path
from webui.audit.export import to_csv, to_xlsx
from webui.audit.filters import read_filters
from webui.edge import process_engine, work
from webui.errors.handlers import page
from webui.i18n import language
from workflows.actions import audit_search as actions
from workflows.actions.people import user_named
from workflows.authz.model import NotAllowed
from workflows.org.models import User

bp = Blueprint("audit", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.errorhandler(NotAllowed)
def _refused(exc: NotAllowed) -> Response:
    # A response, not a rollback: the refusal recorded in the request's work must be committed.
    return page(403, _("Không có quyền truy cập"), exc.message(language()))


def _me() -> User:
    return user_named(work().session, current_user.profile.username)


def _anchor_path() -> Path:
    configured = current_app.config.get("GIAOVIEC_AUDIT_ANCHOR_FILE")
    return Path(configured) if configured else default_anchor_path()


def _before() -> int | None:
    raw = request.args.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _page(check: actions.ChainCheck | None = None) -> Any:
    uow, me = work(), _me()
    filters, errors = read_filters(request.args)
    status = 400 if errors else 200
    try:
        found = actions.search(uow, me, filters, before=_before())
    except NotFound as exc:
        errors["unit"] = exc.message(language())
        found, status = actions.AuditPage([], None, actions.audit_scope(uow, me)), 400
    return render_template("audit/index.html", found=found, filters=filters, errors=errors, query=filters.query_args(),
                           events=actions.event_names(uow.session), anchor=actions.latest_anchor(_anchor_path()),
                           check=check, seals=actions.chain_head(uow.session)), status  # fmt: skip


@bp.get("/audit")
def index() -> Any:
    return _page()


@bp.post("/audit/verify")
def verify() -> Any:
    uow = work()
    check = actions.verify_chain(uow, _me(), _anchor_path(), process_engine().read, lang=language())
    return _page(check)


def _export(kind: str) -> Response:
    uow, me = work(), _me()
    filters, errors = read_filters(request.args)
    if errors:
        return page(400, _("Yêu cầu không hợp lệ"), " ".join(errors.values()))
    try:
        rows, truncated = actions.export(uow, me, filters)
    except NotFound as exc:
        return page(400, _("Yêu cầu không hợp lệ"), exc.message(language()))
    stamp = uow.now.strftime("%Y%m%d-%H%M%S")
    body, mimetype = (to_csv(rows, truncated), "text/csv; charset=utf-8") if kind == "csv" else (to_xlsx(rows, truncated), XLSX)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="nhat-ky-{stamp}.{kind}"'
    response.headers["X-Rows"] = str(len(rows))
    if truncated:
        response.headers["X-Truncated"] = "1"
    return response


@bp.get("/audit/export.csv")
def export_csv() -> Response:
    return _export("csv")


@bp.get("/audit/export.xlsx")
def export_xlsx() -> Response:
    return _export("xlsx")
