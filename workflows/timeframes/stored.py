"""A schedule as JSON: what ``PlanTask.schedule`` stores and ``giaoviec timeframe --json`` prints.

``{"kind": …, "periods": [{"label", "key", "start", "end", "due", "effective_due", "cutoff_from",
"cutoff_to"}]}``: dates ISO, instants ISO in +07:00 (null for continuous work). Plans stored
before a key existed lack it, so readers fall back: a period without ``effective_due`` is due at
``due`` (see ``effective_due_of``). Keys are only ever added, never renamed.
"""

from __future__ import annotations

from typing import Any

from workflows.timeframes.model import Period, Schedule


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def period_json(period: Period) -> dict[str, Any]:
    return {
        "label": period.label, "key": period.key, "start": period.start.isoformat(), "end": period.end.isoformat(),
        "due": _iso(period.due), "effective_due": _iso(period.effective_due),
        "cutoff_from": _iso(period.cutoff_from), "cutoff_to": _iso(period.cutoff_to),
    }  # fmt: skip


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    return {"kind": schedule.kind, "periods": [period_json(p) for p in schedule.periods]}


def effective_due_of(period: dict[str, Any]) -> str | None:
    """The ISO instant a stored period is really due: its effective due, or, stored before there
    was one, its due as written."""
    return period.get("effective_due") or period.get("due")
