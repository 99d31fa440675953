"""The process monitor: instances by process, version and state; a version's diagram with counts
per element and the time spent in each step; incidents (retry, resolve, cancel; one or many); an
instance's page."""

from __future__ import annotations

from webui.monitor.routes import bp

__all__ = ["bp"]
