"""``/admin``: the areas, each with what needs attention."""

from __future__ import annotations

from typing import Any

from webui.admin.blueprint import bp, me, render
from webui.edge import work
from workflows.actions import admin as actions


@bp.get("")
def index() -> Any:
    uow, person = work(), me()
    root = actions.check_read(uow, person)
    workers = actions.workers(uow, person)
    return render("admin/index.html", root=root, failed=len(actions.failed_emails(uow, person, limit=100)), workers=workers,
                  stalled=sum(1 for w in workers if w.status == "stalled"))  # fmt: skip
