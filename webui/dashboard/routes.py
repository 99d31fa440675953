"""``/dashboard`` (a unit's figures, drill-down by ``?unit=``, the view, a plan, the trends' year)
and ``/dashboard/export/<table>.xlsx`` (each of its tables).

The figures come from ``workflows.actions.dashboard``, which counts with
``workflows.tracking.status`` and decides who reads which unit; a refusal is answered 403 and
committed with the request, record included.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from webui.dashboard import charts
from webui.edge import work
from webui.errors.handlers import page
from webui.i18n import language
from workflows.actions import dashboard as actions
from workflows.actions.monitor import may_view as may_monitor
from workflows.actions.plans import acting_user
from workflows.authz.model import NotAllowed
from workflows.tracking.status import BUCKETS, STATUSES, VIEWS

bp = Blueprint("dashboard", __name__)


@bp.errorhandler(NotAllowed)
def _refused(exc: NotAllowed) -> Response:
    return page(403, _("Không có quyền truy cập"), exc.message(language()))


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    def may_dashboard() -> bool:
        if not current_user.is_authenticated:
            return False
        return actions.in_menu(current_user.profile.roles)

    return {"may_dashboard": may_dashboard}


def _int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _page() -> actions.Dashboard:
    uow = work()
    me = acting_user(uow.session, current_user.identity.user_id)
    return actions.dashboard(uow, me, unit_code=request.args.get("unit") or None, view=request.args.get("view", "lead"),
                             plan_id=_int("plan"), year=_int("year"))  # fmt: skip


def args(found: actions.Dashboard, **changes: Any) -> dict[str, Any]:
    """The page's query (unit, view, plan, year) with ``changes``: links keep the other choices."""
    current = {"unit": found.unit.code, "view": found.view if found.view != "lead" else None, "plan": found.plan_id,
               "year": found.year}  # fmt: skip
    current.update(changes)
    return {k: v for k, v in current.items() if v is not None}


@bp.get("/dashboard")
def index() -> str:
    found = _page()
    on_time, completed = _("Tỷ lệ đúng hạn (%)"), _("Tỷ lệ hoàn thành (%)")
    chart = {
        "units": charts.units_chart(found, _("Tỷ lệ theo đơn vị: %(unit)s", unit=found.unit.name), on_time, completed),
        "statuses": charts.statuses_chart(found, _("Tám trạng thái"), language()),
        "months": charts.trend_chart(found.months, _("Theo tháng (hạn xử lý) năm %(year)d", year=found.year), on_time, completed, _("Số việc đến hạn")),
        "quarters": charts.trend_chart(found.quarters, _("Theo quý năm %(year)d", year=found.year), on_time, completed, _("Số việc đến hạn")),
    }  # fmt: skip
    uow = work()
    monitor = may_monitor(uow.session, acting_user(uow.session, current_user.identity.user_id), uow.now)
    return render_template("dashboard/index.html", page=found, chart=chart, statuses=STATUSES, buckets=BUCKETS, views=VIEWS,
                           args=lambda **changes: args(found, **changes), monitor=monitor)  # fmt: skip


@bp.get("/dashboard/export/<table>.xlsx")
def export(table: str) -> Response:
    if table not in actions.TABLES:
        return page(404, _("Không tìm thấy trang"), _("Không có bảng này."))
    found = _page()
    body = actions.xlsx(found, table)
    name = f"bang-dieu-khien-{table}-{found.unit.code}-{found.now:%Y%m%d}.xlsx"
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})  # fmt: skip
