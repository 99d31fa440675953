"""Who is asking: Flask-Login resolves the session token through the domain on each request,
and every endpoint not marked ``@public`` sends an anonymous visitor to ``/login``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, logout_user

from webui.auth.user import WebUser
from webui.edge import act_as, work
from workflows.accounts import SessionPolicy, resume_session

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()


def public(view: F) -> F:
    """Mark a view as reachable without a login."""
    view.public = True  # type: ignore[attr-defined]
    return view


def install(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Sessions are checked on the server (idle and absolute timeouts); tying them to the IP
    # address as well would log out a phone that moves between Wi-Fi and mobile data.
    login_manager.session_protection = None
    login_manager.user_loader(_load)
    login_manager.unauthorized_handler(_to_login)
    app.before_request(_require_login)


def session_policy() -> SessionPolicy:
    return current_app.config.get("GIAOVIEC_SESSION_POLICY") or SessionPolicy()


def _load(token: str) -> WebUser | None:
    resumed = resume_session(work(), token, session_policy())
    if resumed.identity is None:
        g.session_ended = resumed.refusal
        return None
    act_as(resumed.identity.profile.username)
    return WebUser(token, resumed.identity)


def _require_login() -> Response | None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.endpoint == "static" or getattr(view, "public", False):
        return None  # unknown URLs fall through to the 404 page
    if current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


def _ended_message(reason: str | None) -> str | None:
    return {
        "idle": _("Phiên làm việc đã kết thúc vì không hoạt động quá lâu. Vui lòng đăng nhập lại."),
        "expired": _("Phiên làm việc đã hết thời hạn. Vui lòng đăng nhập lại."),
        "revoked": _("Phiên làm việc đã kết thúc. Vui lòng đăng nhập lại."),
        "user_inactive": _("Tài khoản đã bị khóa. Vui lòng liên hệ quản trị đơn vị."),
    }.get(reason or "")


def _to_login() -> Response:
    message = _ended_message(g.pop("session_ended", None))
    logout_user()
    if message:
        flash(message, "info")
    target = url_for("auth.login", next=request.full_path.rstrip("?")) if request.method == "GET" else url_for("auth.login")
    if request.headers.get("HX-Request"):
        # An HTMX request must not swap the login page into a fragment: HTMX follows this header.
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)  # type: ignore[return-value]


def safe_next(raw: str | None) -> str:
    """Where to go after logging in: a path on this site only, never another site."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        parts = urlsplit(raw)
        if not parts.scheme and not parts.netloc:
            return raw
    return url_for("home.index")
