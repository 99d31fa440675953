"""``/admin/mail``: the worker's mail settings (read from its environment: the password never
shown), a test email sent now, and the emails the outbox gave up on, each with "Gửi lại"."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _

from webui.admin.blueprint import attempt, bp, me, render
from webui.admin.forms import TestMailForm
from webui.edge import work
from workflows.actions import admin as actions
from workflows.notify.smtp import SENDER_ENV, URL_ENV


def _settings() -> actions.SmtpSettings:
    return actions.smtp_settings({k: current_app.config.get(k, "") for k in (URL_ENV, SENDER_ENV)})


def _page(status: int = 200, form: TestMailForm | None = None, result: actions.TestMail | None = None) -> Any:
    uow, person = work(), me()
    return render("admin/mail.html", status, settings=_settings(), failed=actions.failed_emails(uow, person),
                  form=form or TestMailForm(formdata=None, recipient=person.email or ""), result=result)  # fmt: skip


@bp.get("/mail")
def mail() -> Any:
    return _page()


@bp.post("/mail/test")
def test_mail() -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person)
    form = TestMailForm()
    if not form.validate_on_submit():
        return _page(400, form)
    result = actions.send_test_email(uow, person, _settings(), form.recipient.data)
    return _page(200, form, result)


@bp.post("/mail/<message_id>/resend")
def resend(message_id: str) -> Any:
    uow, person = work(), me()
    actions.check_change(uow, person)
    try:
        ident = uuid.UUID(message_id)
    except ValueError:
        abort(404)
    _done, error = attempt(lambda: actions.resend_email(uow, person, ident))
    if error:
        flash(error, "error")
    else:
        flash(_("Thư đã vào hàng đợi gửi lại."), "success")
    return redirect(url_for(".mail"), 303)
