"""The inbox's query parameters, read once for the list, its export, its saved filters and its bulk
form: ``scope``, ``overdue=1``, ``due_within=N`` (working days), ``plan=ID``, ``status``,
``period``, ``unit`` (a unit code at or below the person's)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort

from workflows.actions.inbox import SCOPES, STATUSES, Filters
from workflows.actions.saved_filters import KEYS

FILTER_KEYS = tuple(k for k in KEYS if k != "scope")  # what a tab link carries over


def read_filters(args: Mapping[str, str]) -> tuple[str, Filters, dict[str, str]]:
    """(scope, filters, the filter parameters as given): 404 for an unknown scope, 400 for a
    value that is not one of ours."""
    scope = args.get("scope") or "all"  # everything open to me, until a tab narrows it
    if scope not in SCOPES:
        abort(404)
    status = args.get("status") or "open"
    if status not in STATUSES:
        abort(400)
    filters = Filters(
        overdue=args.get("overdue") == "1",
        due_within=_int_arg(args, "due_within", 0, 365),
        plan_id=_int_arg(args, "plan", 1, 2**31 - 1),
        status=status,
        period=_text(args, "period", 50),
        unit=_text(args, "unit", 100),
    )
    query = {k: v.strip() for k in FILTER_KEYS if (v := args.get(k) or "").strip()}
    return scope, filters, query


def _int_arg(args: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        abort(400)
    return int(raw)


def _text(args: Mapping[str, str], name: str, most: int) -> str | None:
    raw = (args.get(name) or "").strip()
    if len(raw) > most:
        abort(400)
    return raw or None
