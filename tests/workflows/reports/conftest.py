"""Fixtures of the reports tests (defined in ``world.py``, which the tests also import helpers from)."""

from tests.workflows.reports.world import world

__all__ = ["world"]
