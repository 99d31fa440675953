"""``/help`` and ``/help/<role>`` (role codes: leader, officer, clerk, admin, inspector)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from workflows.roles import ROLE_NAMES

bp = Blueprint("help", __name__)


@bp.get("/help")
def index() -> str:
    return render_template("help/index.html", roles=list(ROLE_NAMES), mine=current_user.profile.roles)


@bp.get("/help/<role>")
def role(role: str) -> str:
    if role not in ROLE_NAMES:
        abort(404)
    return render_template(f"help/{role}.html", role=role, roles=list(ROLE_NAMES))
