"""``/admin/escalation``: the urging (đôn đốc) policy of the province, its plans and the
processes; setting one scope's settings (``workflows.escalation.policy.set_policy``)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from webui.admin.blueprint import attempt, bp, me, render
from webui.admin.forms import INHERIT, PolicyForm
from webui.edge import work
from workflows.actions import admin as actions


def _page(status: int = 200, form: PolicyForm | None = None, error: str | None = None) -> Any:
    uow, person = work(), me()
    root = actions.check_read(uow, person)
    merged, rows = actions.policies(uow, person)
    return render("admin/escalation.html", status, merged=merged, rows=rows, root=root,
                  form=form or PolicyForm(formdata=None, scope_kind="province", scope_key=root.code), error=error)  # fmt: skip


@bp.get("/escalation")
def escalation() -> Any:
    return _page()


def settings_of(form: PolicyForm) -> dict[str, Any]:
    """The settings the form names; a field left on "Theo mặc định" is not set (inherited)."""
    found: dict[str, Any] = {}
    if (form.remind_before.data or "").strip():
        found["remind_before"] = [int(p) for p in form.remind_before.data.replace(" ", "").split(",") if p]
    for name in ("on_the_day", "overdue_notice"):
        value = getattr(form, name).data
        if value != INHERIT:
            found[name] = value == "1"
    if (form.escalate_after.data or "").strip():
        days = int(form.escalate_after.data)
        found["escalate_after"] = None if days == 0 else days
    if form.weekly_list_weekday.data != INHERIT:
        found["weekly_list_weekday"] = None if form.weekly_list_weekday.data == "none" else int(form.weekly_list_weekday.data)
    if (form.digest_hour.data or "").strip():
        found["digest_hour"] = int(form.digest_hour.data)
    if (form.office_unit.data or "").strip():
        found["office_unit"] = form.office_unit.data.strip()
    return found


@bp.post("/escalation")
def set_policy() -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person)
    form = PolicyForm()
    if not form.validate_on_submit():
        return _page(400, form)
    _done, error = attempt(lambda: actions.set_escalation_policy(uow, person, form.scope_kind.data, form.scope_key.data, settings_of(form)))
    if error:
        return _page(400, form, error)
    flash(_("Đã lưu thiết lập đôn đốc."), "success")
    return redirect(url_for(".escalation"), 303)
