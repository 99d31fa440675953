"""The inbox (``/inbox``) and the task page (``/tasks/<task_id>``) over the action layer."""

from __future__ import annotations

from webui.inbox import links, listing  # noqa: F401  (the inbox list's and email links' views, on the same blueprint)
from webui.inbox.routes import bp

__all__ = ["bp"]
