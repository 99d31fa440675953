"""How a dispatched instance names its plan: ``Instance.plan_key`` = "plan:<id>"."""

from __future__ import annotations

PREFIX = "plan:"


def plan_key(plan_id: int) -> str:
    return f"{PREFIX}{plan_id}"


def plan_id_of(key: str | None) -> int | None:
    """The plan id in ``key``, or None for an instance not dispatched from a plan."""
    if not key or not key.startswith(PREFIX) or not key.removeprefix(PREFIX).isdigit():
        return None
    return int(key.removeprefix(PREFIX))
