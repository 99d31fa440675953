"""``/admin/workers``: the worker processes' heartbeats (running, stopped, or stalled)."""

from __future__ import annotations

from typing import Any

from webui.admin.blueprint import bp, me, render
from webui.edge import work
from workflows.actions import admin as actions


@bp.get("/workers")
def workers() -> Any:
    uow = work()
    return render("admin/workers.html", rows=actions.workers(uow, me()), stale_minutes=int(actions.STALE_WORKER.total_seconds() // 60))
