"""``/admin/users``: the province's people (search, 50 a page), a new person, and one person's
page: roles, active or not, their sessions ended, a new password (argon2id, through
``workflows.accounts``)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from webui.admin.blueprint import attempt, bp, me, render
from webui.admin.forms import PasswordForm, RolesForm, UserForm
from webui.edge import work
from workflows.actions import admin as actions
from workflows.authz.actions import OrgAction
from workflows.org.commands import AddUser


@bp.get("/users")
def users() -> Any:
    query = (request.args.get("q") or "")[:100]
    found = actions.people(work(), me(), query=query, after=request.args.get("after") or None)
    return render("admin/users.html", found=found, query=query)


def _new_page(form: UserForm, status: int = 200, error: str | None = None) -> Any:
    actions.check_read(work(), me())
    return render("admin/user_new.html", status, form=form, error=error)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Any:
    uow, person = work(), me()
    if request.method == "GET":
        return _new_page(UserForm(formdata=None, unit_code=request.args.get("unit", "")))
    actions.check_change(uow, person, OrgAction.MANAGE_USERS)
    form = UserForm()
    if not form.validate_on_submit():
        return _new_page(form, 400)
    cmd = AddUser(username=form.username.data, full_name=form.full_name.data, unit_code=form.unit_code.data,
                  roles=tuple(form.roles.data or ()), email=form.email.data or None)  # fmt: skip
    created, error = attempt(lambda: actions.create_user(uow, person, cmd, form.password.data or None))
    if error or created is None:
        return _new_page(form, 400, error)
    flash(_("Đã tạo tài khoản %(username)s.", username=created.username), "success")
    return redirect(url_for(".user", username=created.username), 303)


def _user_page(username: str, status: int = 200, **forms: Any) -> Any:
    found = actions.person(work(), me(), username)
    forms.setdefault("roles_form", RolesForm(prefix="roles", formdata=None, roles=list(found.roles)))
    forms.setdefault("password_form", PasswordForm(prefix="password", formdata=None))
    return render("admin/user.html", status, person=found, **forms)


@bp.get("/users/<username>")
def user(username: str) -> Any:
    return _user_page(username)


@bp.post("/users/<username>/roles")
def set_roles(username: str) -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person, OrgAction.MANAGE_USERS)
    form = RolesForm(prefix="roles")
    if not form.validate_on_submit():
        return _user_page(username, 400, roles_form=form)
    _done, error = attempt(lambda: actions.set_roles(uow, person, username, form.roles.data or ()))
    if error:
        return _user_page(username, 400, roles_form=form, error=error)
    flash(_("Đã cập nhật vai trò."), "success")
    return redirect(url_for(".user", username=username), 303)


@bp.post("/users/<username>/active")
def set_active(username: str) -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person, OrgAction.MANAGE_USERS)
    active = request.form.get("active") == "1"
    ended, error = attempt(lambda: actions.set_active(uow, person, username, active))
    if error:
        return _user_page(username, 400, error=error)
    flash(_("Đã mở lại tài khoản.") if active else _("Đã khóa tài khoản; %(n)d phiên đăng nhập đã kết thúc.", n=ended or 0), "success")
    return redirect(url_for(".user", username=username), 303)


@bp.post("/users/<username>/sessions")
def end_sessions(username: str) -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person, OrgAction.MANAGE_USERS)
    ended, error = attempt(lambda: actions.end_sessions(uow, person, username))
    if error:
        return _user_page(username, 400, error=error)
    flash(_("Đã kết thúc %(n)d phiên đăng nhập.", n=ended or 0), "success")
    return redirect(url_for(".user", username=username), 303)


@bp.post("/users/<username>/password")
def set_password(username: str) -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person, OrgAction.MANAGE_USERS)
    form = PasswordForm(prefix="password")
    if not form.validate_on_submit():
        return _user_page(username, 400, password_form=form)
    ended, error = attempt(lambda: actions.set_password(uow, person, username, form.password.data))
    if error:
        return _user_page(username, 400, password_form=form, error=error)
    flash(_("Đã đặt mật khẩu mới; %(n)d phiên đăng nhập đã kết thúc.", n=ended or 0), "success")
    return redirect(url_for(".user", username=username), 303)
