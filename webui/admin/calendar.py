"""``/admin/calendar?year=``: the province's days off and make-up working days (stored in
``calendar_day``, merged into the calendar the worker urges with), beside the government's."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from webui.admin.blueprint import attempt, bp, me, render
from webui.admin.forms import DayForm
from webui.audit.filters import parse_day
from webui.edge import work
from workflows.actions import admin as actions


def _year() -> int:
    raw = request.args.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else work().now.year


def _page(year: int, status: int = 200, form: DayForm | None = None, error: str | None = None) -> Any:
    uow, person = work(), me()
    return render("admin/calendar.html", status, year=year, declared=actions.declared_days(uow, person, year),
                  days=actions.calendar_of(uow, person, year), form=form or DayForm(formdata=None), error=error)  # fmt: skip


@bp.get("/calendar")
def calendar() -> Any:
    return _page(_year())


@bp.post("/calendar")
def declare_day() -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person)
    form = DayForm()
    if not form.validate_on_submit():
        return _page(_year(), 400, form)
    try:
        day = parse_day(form.day.data)
    except ValueError as exc:
        return _page(_year(), 400, form, str(exc))
    _done, error = attempt(lambda: actions.declare_day(uow, person, day, form.kind.data, form.note.data or None))
    if error:
        return _page(day.year, 400, form, error)
    flash(_("Đã ghi ngày %(day)s.", day=day.strftime("%d/%m/%Y")), "success")
    return redirect(url_for(".calendar", year=day.year), 303)


@bp.post("/calendar/<int:day_id>/remove")
def remove_day(day_id: int) -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person)
    _done, error = attempt(lambda: actions.remove_day(uow, person, day_id))
    if error:
        return _page(_year(), 400, error=error)
    flash(_("Đã xóa ngày đã khai báo."), "success")
    return redirect(url_for(".calendar", year=_year()), 303)
