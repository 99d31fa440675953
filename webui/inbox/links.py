"""``/tasks`` and ``/tasks?instance=<id>``: where the links of urging emails land.

Emails already sent keep these addresses for ever, so they are served rather than changed: one
instance goes to the person's open step of it (the inbox's own rules decide what they may see),
anything else to the inbox. A step the person cannot see is never confirmed to exist.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from webui.edge import work
from webui.inbox.routes import _me, bp
from workflows.actions.inbox import Filters
from workflows.actions.inbox import inbox as inbox_page


@bp.get("/tasks")
def tasks_link() -> Response:
    raw = request.args.get("instance", "")
    try:
        instance_id = uuid.UUID(raw) if raw else None
    except ValueError:
        instance_id = None
    if instance_id is not None:
        uow = work()
        page = inbox_page(uow.session, _me(), uow.now, filters=Filters(instance_id=instance_id), limit=1)
        if page.items:
            return redirect(url_for("inbox.task", task_id=page.items[0]["task_id"]), 303)
        flash(_("Việc trong thư đã xong hoặc không còn trong hộp việc của bạn."))
    return redirect(url_for("inbox.inbox"), 303)
