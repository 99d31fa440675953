"""Plans: the list, the import (upload, dry run, naming unknown bodies, save) and a plan's page
with its tasks, their progress and the dispatch."""

from __future__ import annotations

from webui.plans.routes import bp

__all__ = ["bp"]
