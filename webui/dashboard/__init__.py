"""The dashboard: on-time rates by unit with drill-down, the eight statuses, the most overdue
work, trends per month and quarter, indicators against their targets; charts and XLSX exports."""

from __future__ import annotations

from webui.dashboard.routes import bp

__all__ = ["bp"]
