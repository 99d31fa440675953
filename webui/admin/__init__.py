"""Administration (``/admin``): units, people and roles, delegations, the province's calendar,
the urging policy, email, the worker. One small view module per area, one blueprint."""

from __future__ import annotations

from webui.admin import calendar, delegations, escalation, home, mail, units, users, workers  # noqa: F401  (their routes)
from webui.admin.blueprint import bp

__all__ = ["bp"]
