"""The user guide: one short page per role, in Vietnamese."""

from __future__ import annotations

from webui.help.routes import bp

__all__ = ["bp"]
