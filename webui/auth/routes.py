"""``GET/POST /login`` and ``/logout``."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from webui.auth.forms import LoginForm
from webui.auth.gate import public, safe_next, session_policy
from webui.auth.user import WebUser
from webui.edge import work
from webui.security import client_address, user_agent
from workflows.accounts import LoginAttempt, ThrottlePolicy, end_session, log_in

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str | tuple[str, int, dict[str, str]]:
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated and request.args.get("next"):
            return redirect(safe_next(request.args.get("next")))
        return render_template("auth/login.html", form=form)
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, error=_("Vui lòng nhập tên đăng nhập và mật khẩu.")), 400, {}
    replacing = current_user.get_id() if current_user.is_authenticated else None
    result = log_in(
        work(),
        LoginAttempt(form.username.data or "", form.password.data or "", client_address(), user_agent(), replacing=replacing),
        throttling=current_app.config.get("GIAOVIEC_THROTTLE_POLICY") or ThrottlePolicy(),
        sessions=session_policy(),
    )
    if result.token is not None and result.identity is not None:
        session.clear()  # a new session cookie: nothing from before the login survives it
        login_user(WebUser(result.token, result.identity))
        return redirect(safe_next(request.args.get("next")))
    refusal = result.refusal
    assert refusal is not None
    if refusal.reason == "throttled":
        error = _("Bạn đã đăng nhập sai nhiều lần. Vui lòng chờ %(wait)s rồi thử lại.", wait=wait_text(refusal.retry_after))
        return render_template("auth/login.html", form=form, error=error), 429, {"Retry-After": str(refusal.retry_after)}
    error = _("Tên đăng nhập hoặc mật khẩu không đúng.")
    if refusal.retry_after:
        error += " " + _("Bạn đã nhập sai nhiều lần; vui lòng chờ %(wait)s rồi thử lại.", wait=wait_text(refusal.retry_after))
    return render_template("auth/login.html", form=form, error=error), 401, {}


@bp.route("/logout", methods=["GET", "POST"])
@public
def logout() -> Response | str:
    # A GET that another site started (a link, a redirect) only asks; browsers say where a
    # request came from in Sec-Fetch-Site. POST is CSRF-checked like every form.
    if request.method == "GET" and request.headers.get("Sec-Fetch-Site", "none") not in ("none", "same-origin"):
        return render_template("auth/logout.html")
    if current_user.is_authenticated:
        end_session(work(), current_user.get_id())
    logout_user()
    session.clear()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


def wait_text(seconds: int) -> str:
    """ "45 giây", "2 phút 30 giây" (Vietnamese counts have no plural; English does)."""
    minutes, rest = divmod(seconds, 60)
    parts = []
    if minutes:
        parts.append(ngettext("%(num)d phút", "%(num)d phút", minutes))
    if rest or not minutes:
        parts.append(ngettext("%(num)d giây", "%(num)d giây", rest))
    return " ".join(parts)
