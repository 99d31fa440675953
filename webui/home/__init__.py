"""The home page, and the choice of language."""

from __future__ import annotations

from webui.home.routes import bp

__all__ = ["bp"]
