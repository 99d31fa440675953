"""The audit trail: search (``/audit``), exports (CSV, XLSX) and the chain's verification."""

from __future__ import annotations

from webui.audit.routes import bp

__all__ = ["bp"]
