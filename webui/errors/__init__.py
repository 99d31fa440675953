"""Friendly error pages (400, 403, 404, 405, 409, 429, 500, 503) in Vietnamese first; a traceback
never reaches a page: unexpected errors are logged with a reference the page shows."""

from __future__ import annotations

from webui.errors.handlers import engine_error_page, install

__all__ = ["engine_error_page", "install"]
