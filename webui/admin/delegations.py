"""``/admin/delegations``: the province's delegations (ủy quyền), recording a leader's signed
delegation, revoking one."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from webui.admin.blueprint import attempt, bp, me, render
from webui.admin.forms import DelegationForm
from webui.audit.filters import parse_day
from webui.edge import work
from workflows.actions import admin as actions
from workflows.authz.actions import OrgAction
from workflows.authz.rules import day_of


def _page(status: int = 200, form: DelegationForm | None = None, error: str | None = None) -> Any:
    uow = work()
    rows = actions.delegations(uow, me())
    return render("admin/delegations.html", status, rows=rows, today=day_of(uow.now), form=form or DelegationForm(formdata=None), error=error)


@bp.get("/delegations")
def delegations() -> Any:
    return _page()


@bp.post("/delegations")
def add_delegation() -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person, OrgAction.MANAGE_USERS)
    form = DelegationForm()
    if not form.validate_on_submit():
        return _page(400, form)
    try:
        starts_on, ends_on = parse_day(form.starts_on.data), parse_day(form.ends_on.data)
    except ValueError as exc:
        return _page(400, form, str(exc))
    _done, error = attempt(lambda: actions.record_delegation(uow, person, form.giver.data, form.receiver.data, starts_on, ends_on,
                                                         form.reason.data or None))  # fmt: skip
    if error:
        return _page(400, form, error)
    flash(_("Đã ghi ủy quyền."), "success")
    return redirect(url_for(".delegations"), 303)


@bp.post("/delegations/<int:delegation_id>/revoke")
def revoke_delegation(delegation_id: int) -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person, OrgAction.MANAGE_USERS)
    _done, error = attempt(lambda: actions.revoke_delegation(uow, person, delegation_id))
    if error:
        return _page(400, error=error)
    flash(_("Đã thu hồi ủy quyền."), "success")
    return redirect(url_for(".delegations"), 303)
