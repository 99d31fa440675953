"""``/``: who is logged in (name, unit, roles, session times); ``/lang/<code>``: the language."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from webui.auth import public
from webui.auth.gate import safe_next
from webui.i18n import COOKIE, LANGUAGES

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    return render_template("home/index.html", me=current_user.identity)


@bp.get("/lang/<code>")
@public
def language(code: str) -> Response:
    if code not in LANGUAGES:
        abort(404)
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(
        COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )  # fmt: skip
    return response


@bp.get("/favicon.ico")
@public
def favicon() -> tuple[str, int]:
    """No icon yet: answer browsers' automatic request without a 404 page or a login redirect."""
    return "", 204
