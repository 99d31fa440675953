"""Login, logout and the rule that every other page needs a login."""

from __future__ import annotations

from webui.auth.gate import install, public
from webui.auth.routes import bp

__all__ = ["bp", "install", "public"]
