"""The admin blueprint and what its views share: the acting person, the refusal page, and
``attempt``, which runs one change in a savepoint so that a refused input leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import BadData, InvalidState, NotFound
from webui.edge import work
from webui.errors.handlers import page
from webui.i18n import language
from workflows.actions import admin as actions
from workflows.actions.people import user_named
from workflows.authz.model import NotAllowed
from workflows.org.models import User

bp = Blueprint("admin", __name__, url_prefix="/admin")
T = TypeVar("T")

# The areas of the admin pages, in the order of their tabs: endpoint, label (translated at use).
AREAS = (
    ("admin.units", _l("Đơn vị")), ("admin.users", _l("Người dùng")), ("admin.delegations", _l("Ủy quyền")),
    ("admin.calendar", _l("Ngày nghỉ, ngày làm bù")), ("admin.escalation", _l("Đôn đốc")), ("admin.mail", _l("Thư điện tử")),
    ("admin.workers", _l("Tiến trình nền")),
)  # fmt: skip


@bp.errorhandler(NotAllowed)
def _refused(exc: NotAllowed) -> Response:
    # A response, not a rollback: the refusal the action layer recorded is committed with it.
    return page(403, _("Không có quyền truy cập"), exc.message(language()))


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """An admin page, with its tabs and whether the person may change anything (an inspector
    reads the same pages without a single form)."""
    uow = work()
    html = render_template(template, areas=AREAS, can_change=actions.may_change(uow.session, me(), uow.now), **context)
    return html, status


def me() -> User:
    return user_named(work().session, current_user.profile.username)


def attempt(change: Callable[[], T]) -> tuple[T | None, str | None]:
    """Run ``change`` in a savepoint: its result, or the domain's refusal in words with everything
    it did undone (its rows, and the audit events it queued). A refusal of the rules
    (``NotAllowed``) goes on to the 403 page, its record kept."""
    uow = work()
    mark = len(uow.events)
    try:
        with uow.session.begin_nested():
            return change(), None
    except NotAllowed:
        raise
    except (BadData, InvalidState, NotFound) as exc:
        del uow.events[mark:]
        return None, exc.message(language())
