"""``/plans``, ``/plans/import`` (upload → dry run → map names, recheck → save), ``/plans/<id>``
(tasks, progress, the units not submitted, recheck), ``/plans/<id>/export.xlsx`` (that page as a
workbook) and ``/plans/<id>/dispatch`` (the preview, then the dispatch).

Every view asks the action layer (``workflows.actions.plans``), which decides who may do what and
records refusals; a refusal is answered 403 and committed with the request, record included.
"""

from __future__ import annotations

import base64
import binascii
import io
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from engine import BadData, InvalidState, NotFound
from webui.edge import work
from webui.errors.handlers import page
from webui.i18n import TIMEZONE, language
from webui.plans.forms import ReviewForm, UploadForm
from workflows.actions import plans as actions
from workflows.plans.extract import PlanFileRefused

bp = Blueprint("plans", __name__)
ZONE = ZoneInfo(TIMEZONE)

# The file, and on the dry run's page the same file again in base64 (4/3 of it), with the fields.
UPLOAD_LIMIT = actions.MAX_FILE_BYTES * 2 + 1024 * 1024


@bp.record_once
def _limit_requests(state: Any) -> None:
    # App-wide, because CSRF protection reads the form before any blueprint's own hook runs.
    state.app.config.setdefault("MAX_CONTENT_LENGTH", UPLOAD_LIMIT)


@bp.errorhandler(actions.NotAllowed)
def _refused(exc: actions.NotAllowed) -> Response:
    # A response, not a rollback: the action layer decides before it changes anything, and the
    # refusal it recorded must be committed with the request (an inspector reads it).
    return page(403, _("Không có quyền truy cập"), exc.message(language()))


@bp.app_template_filter("day_vn")
def day_vn(iso: str | datetime | None) -> str:
    """An instant, or an ISO instant or day of a stored schedule, as dd/mm/yyyy (Hà Nội time)."""
    if not iso:
        return ""
    value = iso if isinstance(iso, datetime) else datetime.fromisoformat(iso)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(ZONE)
    return value.strftime("%d/%m/%Y")


@bp.app_template_filter("plan_status")
def plan_status(code: str) -> str:
    return {"draft": _("Chưa giao"), "dispatched": _("Đã giao")}.get(code, code)


@bp.app_template_filter("percent")
def percent(rate: Any) -> str:
    # The rates are cut to four decimals as the government reports them (98.62 %): shown exactly.
    return "" if rate is None else f"{Decimal(rate) * 100:.2f}".rstrip("0").rstrip(".") + " %"


@bp.app_template_filter("count_vn")
def count_vn(number: int) -> str:
    """A whole number with its thousands grouped as the page's language does: 4.174 / 4,174."""
    grouped = f"{number:,}"
    return grouped.replace(",", ".") if language() == "vi" else grouped


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    # The request was refused before its fields were read: say why, on the form, and start again.
    message = _("Tệp quá lớn; giới hạn là %(limit)s MB. Vui lòng chọn tệp khác.", limit=actions.MAX_FILE_BYTES // (1024 * 1024))
    form = UploadForm(formdata=None, year=work().now.year)
    return render_template("plans/upload.html", form=form, error=message), 413


def _me() -> Any:
    uow = work()
    return uow, actions.acting_user(uow.session, current_user.identity.user_id)


@bp.get("/plans")
def index() -> str:
    uow, me = _me()
    return render_template("plans/index.html", plans=actions.visible_plans(uow.session, me, uow.now),
                           can_import=actions.may_import(uow.session, me, uow.now))  # fmt: skip


# --- import ---------------------------------------------------------------------------------------


def _options(form: Any) -> actions.ImportOptions:
    return actions.ImportOptions(year=form.year.data, number=(form.number.data or "").strip() or None,
                                 title=(form.title.data or "").strip() or None)  # fmt: skip


def _refusal_text(refused: PlanFileRefused) -> str:
    return refused.message_en if language() == "en" else refused.message_vi


@bp.route("/plans/import", methods=["GET", "POST"])
def upload() -> Any:
    uow, me = _me()
    actions.check_import(uow, me)
    form = UploadForm()
    if request.method == "GET":
        form.year.data = form.year.data or uow.now.year
        return render_template("plans/upload.html", form=form)
    if not form.validate_on_submit():
        return render_template("plans/upload.html", form=form), 400
    storage = form.file.data
    data, filename = storage.read(), storage.filename or "ke-hoach"
    try:
        extracted = actions.read_plan_file(data, filename)
    except PlanFileRefused as refused:
        return render_template("plans/upload.html", form=form, error=_refusal_text(refused)), 400
    dry = actions.preview_import(uow, me, extracted, filename, _options(form))
    review = ReviewForm(formdata=None, year=form.year.data, number=form.number.data, title=form.title.data,
                        upload=base64.b64encode(data).decode("ascii"), filename=filename)  # fmt: skip
    return _review_page(uow, me, review, dry)


def _review_page(uow: Any, me: Any, form: ReviewForm, dry: actions.ImportPreview, *, error: str | None = None,
                 notice: str | None = None, status: int = 200) -> Any:  # fmt: skip
    html = render_template("plans/review.html", form=form, dry=dry, choices=actions.mapping_choices(uow.session, me),
                           external=actions.EXTERNAL, error=error, notice=notice)  # fmt: skip
    return html, status


MAX_NAMES = 500  # a form's unknown names (a plan has a few; the bound is for forged forms)


def _mappings() -> dict[str, str]:
    """``name-<i>`` → ``map-<i>`` for each unknown name the person decided on."""
    found = {}
    for i in range(MAX_NAMES):
        if f"name-{i}" not in request.form:
            break
        name, target = request.form.get(f"name-{i}", "").strip(), request.form.get(f"map-{i}", "").strip()
        if name and target:
            found[name] = target
    return found


@bp.post("/plans/import/review")
def review() -> Any:
    uow, me = _me()
    form = ReviewForm()
    if not form.validate_on_submit():
        try:
            data = base64.b64decode(form.upload.data or "", validate=True)
            dry = actions.preview_import(uow, me, actions.read_plan_file(data, form.filename.data or ""), form.filename.data or "",
                                         actions.ImportOptions(year=uow.now.year))  # fmt: skip
        except (binascii.Error, ValueError, PlanFileRefused):
            return render_template("plans/upload.html", form=UploadForm(formdata=None, year=uow.now.year),
                                   error=_("Không đọc được tệp đã gửi. Vui lòng chọn lại tệp.")), 400  # fmt: skip
        return _review_page(uow, me, form, dry, error=_("Vui lòng kiểm tra lại các ô đã nhập."), status=400)
    try:
        data = base64.b64decode(form.upload.data, validate=True)
        extracted = actions.read_plan_file(data, form.filename.data)
    except (binascii.Error, ValueError):
        return render_template("plans/upload.html", form=UploadForm(formdata=None, year=form.year.data),
                               error=_("Không đọc được tệp đã gửi. Vui lòng chọn lại tệp.")), 400  # fmt: skip
    except PlanFileRefused as refused:
        return render_template("plans/upload.html", form=UploadForm(formdata=None, year=form.year.data),
                               error=_refusal_text(refused)), 400  # fmt: skip
    options = _options(form)
    if request.form.get("action") == "save":
        try:
            plan, dry = actions.import_plan(uow, me, extracted, form.filename.data, options)
        except InvalidState as exc:
            dry = actions.preview_import(uow, me, extracted, form.filename.data, options)
            return _review_page(uow, me, form, dry, error=exc.message(language()), status=409)
        flash(_("Đã lưu kế hoạch “%(title)s” với %(tasks)d nhiệm vụ.", title=plan.title, tasks=len(dry.preview.tasks)), "info")
        return redirect(url_for(".show", plan_id=plan.id))
    mappings = _mappings()
    error = _name_units(uow, me, mappings)
    notice = None
    if mappings and error is None:
        notice = ngettext("Đã ghi nhận %(num)d tên đơn vị.", "Đã ghi nhận %(num)d tên đơn vị.", len(mappings))
    dry = actions.preview_import(uow, me, extracted, form.filename.data, options)
    checked = ngettext("Kiểm tra lại: %(num)d nhiệm vụ chưa đạt “6 rõ”.", "Kiểm tra lại: %(num)d nhiệm vụ chưa đạt “6 rõ”.", dry.unclear)
    notice = f"{notice} {checked}" if notice else checked
    return _review_page(uow, me, form, dry, error=error, notice=None if error else notice)


def _name_units(uow: Any, me: Any, mappings: dict[str, str]) -> str | None:
    """Teach the names the clerk mapped (all or none); the domain's refusal in words, if any."""
    if not mappings:
        return None
    try:
        actions.name_units(uow, me, mappings)
    except (BadData, InvalidState, NotFound) as exc:
        return exc.message(language())
    return None


# --- a stored plan --------------------------------------------------------------------------------


@bp.get("/plans/<int:plan_id>")
def show(plan_id: int) -> str:
    uow, me = _me()
    found = actions.plan_page(uow, me, plan_id)
    unknown = actions.unknown_names(uow.session, plan_id) if "map_unknown" in found.actions else []
    choices = actions.mapping_choices(uow.session, me) if unknown else []
    return render_template("plans/show.html", page=found, statuses=actions.STATUS_LABELS, unknown=unknown, choices=choices,
                           external=actions.EXTERNAL, roles=actions.ROLE_LABELS, phases=actions.PHASE_LABELS)  # fmt: skip


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/plans/<int:plan_id>/export.xlsx")
def export(plan_id: int) -> Response:
    uow, me = _me()
    name, data = actions.plan_workbook(uow, me, plan_id)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)


@bp.post("/plans/<int:plan_id>/recheck")
def recheck(plan_id: int) -> Response:
    uow, me = _me()
    error = _name_units(uow, me, _mappings())
    if error is not None:
        flash(error, "error")
        return redirect(url_for(".show", plan_id=plan_id))
    unclear = actions.recheck(uow, me, plan_id)
    flash(ngettext("Đã kiểm tra lại: %(num)d nhiệm vụ chưa đạt “6 rõ”.", "Đã kiểm tra lại: %(num)d nhiệm vụ chưa đạt “6 rõ”.", unclear),
          "info")  # fmt: skip
    return redirect(url_for(".show", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/dispatch", methods=["GET", "POST"])
def dispatch(plan_id: int) -> Any:
    uow, me = _me()
    if request.method == "GET":
        try:
            result = actions.dispatch(uow, me, plan_id, dry_run=True)
        except InvalidState as exc:
            flash(exc.message(language()), "error")
            return redirect(url_for(".show", plan_id=plan_id))
        found = actions.plan_page(uow, me, plan_id)
        return render_template("plans/dispatch.html", page=found, result=result, kinds=actions.kind_counts(result),
                               schools_later=actions.COMMUNE_KIND in result.by_kind,
                               external=actions.unit_names(uow.session, result.external),
                               inactive=actions.unit_names(uow.session, result.inactive))  # fmt: skip
    try:
        result = actions.dispatch(uow, me, plan_id)
    except InvalidState as exc:
        flash(exc.message(language()), "error")
        return redirect(url_for(".show", plan_id=plan_id))
    flash(_("Đã giao kế hoạch: %(created)d phiên bản quy trình mới (%(skipped)d đã có từ trước), %(later)d kỳ sau chờ mở đúng hạn.",
            created=result.created, skipped=result.skipped, later=result.scheduled), "info")  # fmt: skip
    return redirect(url_for(".show", plan_id=plan_id))

