"""``/admin/units``: the province's tree one level at a time (``?code=`` opens a unit), a unit's
other names, bodies outside the sector; adding a unit, names, an outside body."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from webui.admin.blueprint import attempt, bp, me, render
from webui.admin.forms import AliasForm, ExternalForm, UnitForm
from webui.edge import work
from workflows.actions import admin as actions
from workflows.authz.actions import OrgAction
from workflows.org.commands import AddUnit
from workflows.org.kinds import LABELS, PARENT_KINDS, UnitKind


def _page(code: str | None, status: int = 200, **forms: Any) -> Any:
    uow = work()
    found = actions.units_page(uow, me(), code)
    forms.setdefault("unit_form", UnitForm(prefix="unit", formdata=None))
    forms.setdefault("alias_form", AliasForm(prefix="alias", formdata=None))
    forms.setdefault("external_form", ExternalForm(prefix="external", formdata=None))
    kinds = {k.value: label for k, label in LABELS.items()}
    # Only the kinds that may hang under this unit (a school under a commune, a phòng under the Sở).
    allowed = [k.value for k, parents in PARENT_KINDS.items() if UnitKind(found.unit.kind) in parents and k != UnitKind.EXTERNAL]
    forms["unit_form"].kind.choices = [c for c in forms["unit_form"].kind.choices if c.value in allowed]
    return render("admin/units.html", status, found=found, kinds=kinds, is_root=not found.trail, can_add=bool(allowed), **forms)


@bp.get("/units")
def units() -> Any:
    return _page(request.args.get("code") or None)


@bp.post("/units/<code>/children")
def add_unit(code: str) -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person, OrgAction.MANAGE_UNITS)
    form = UnitForm(prefix="unit")
    if not form.validate_on_submit():
        return _page(code, 400, unit_form=form)
    cmd = AddUnit(code=form.code.data, name=form.name.data, kind=form.kind.data, parent_code=code,
                  short_name=form.short_name.data or None, email=form.email.data or None)  # fmt: skip
    created, error = attempt(lambda: actions.add_unit(uow, person, cmd))
    if error:
        return _page(code, 400, unit_form=form, error=error)
    flash(_("Đã thêm đơn vị %(code)s.", code=created.code if created else ""), "success")
    return redirect(url_for(".units", code=code), 303)


@bp.post("/units/<code>/aliases")
def add_aliases(code: str) -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person, OrgAction.MANAGE_UNITS)
    form = AliasForm(prefix="alias")
    if not form.validate_on_submit():
        return _page(code, 400, alias_form=form)
    names = [line for line in (form.names.data or "").splitlines() if line.strip()][:100]
    _done, error = attempt(lambda: actions.add_aliases(uow, person, code, names))
    if error:
        return _page(code, 400, alias_form=form, error=error)
    flash(_("Đã ghi tên gọi khác."), "success")
    return redirect(url_for(".units", code=code), 303)


@bp.post("/units/external")
def add_external() -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person, OrgAction.MANAGE_UNITS)
    form = ExternalForm(prefix="external")
    if not form.validate_on_submit():
        return _page(None, 400, external_form=form)
    code, error = attempt(lambda: actions.add_external_body(uow, person, form.name.data))
    if error:
        return _page(None, 400, external_form=form, error=error)
    flash(_("Đã thêm cơ quan ngoài ngành %(code)s.", code=code), "success")
    return redirect(url_for(".units"), 303)

