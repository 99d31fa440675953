"""The shape process data must have to be stored: plain JSON, bounded in depth, breadth and size.

Every instance's data is written with each step and read back before the next one, and
SpiffWorkflow's serializer (like ``copy.deepcopy``) recurses into it: a list nested 500 deep,
accepted once, made the instance unloadable for ever (RecursionError), and with it every sweep
that touched it. So data is checked where it enters: a start, a form, an operator's retry data,
an outbox payload (``engine.commands.check_data``) and each value a sandboxed script returns
(``engine/_sandbox_child.py`` refuses it, ``engine.sandbox`` checks again what the child sent).

This module uses the standard library only: the sandbox child, which must not import the
engine package, loads it from its file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 32  # lists/dicts nested inside one variable's value
MAX_KEYS = 1_000  # keys of one dict (the variables of one data object included)
MAX_BYTES = 1_000_000  # one variable's value, or one data object, as JSON
_MAX_PATH = 120  # characters of a path shown in a message

_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class DataProblem:
    """Why a value may not be stored: ``code`` is a message code (engine.messages) and ``params``
    fill it (``path`` names the offending part, e.g. ``ghi_chu[0][0]``)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


def variables_problem(data: dict[str, Any]) -> DataProblem | None:
    """The first reason a mapping of variable names to values may not be stored, else None."""
    if len(data) > MAX_KEYS:
        return DataProblem("data_too_many_keys", {"path": "{…}", "count": len(data), "limit": MAX_KEYS})
    for name, value in data.items():
        problem = shape_problem(value, str(name))
        if problem is not None:
            return problem
    encoded = _encoded(data, "")
    return encoded if isinstance(encoded, DataProblem) else None


def encode(value: Any, name: str) -> str | DataProblem:
    """The compact JSON text of variable ``name``'s value, or why it may not be stored."""
    problem = shape_problem(value, name)
    return problem if problem is not None else _encoded(value, name)


def shape_problem(value: Any, path: str) -> DataProblem | None:
    """Types, depth and keys, walked without recursion (the value may be arbitrarily deep, or,
    built by a script, share one list many times over: the walk stops after ``MAX_BYTES`` items,
    as each takes at least a byte of JSON)."""
    stack: list[tuple[Any, int, str]] = [(value, 0, path)]
    seen = 0
    while stack:
        item, depth, where = stack.pop()
        seen += 1
        if seen > MAX_BYTES:
            return DataProblem("data_too_large", {"path": _short(path), "size": f"> {MAX_BYTES}", "limit": MAX_BYTES})
        if isinstance(item, dict | list | tuple):
            if depth >= MAX_DEPTH:
                return DataProblem("data_too_deep", {"path": _short(where), "limit": MAX_DEPTH})
            if isinstance(item, dict):
                if len(item) > MAX_KEYS:
                    return DataProblem("data_too_many_keys", {"path": _short(where), "count": len(item), "limit": MAX_KEYS})
                for key, child in item.items():
                    if not isinstance(key, str):
                        return DataProblem("data_not_json", {"path": _short(f"{where}[{key!r}]"), "kind": type(key).__name__})
                    stack.append((child, depth + 1, f"{where}.{key}"))
            else:
                stack.extend((child, depth + 1, f"{where}[{i}]") for i, child in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            return DataProblem("data_not_json", {"path": _short(where), "kind": repr(item)})
        elif not isinstance(item, _SCALARS):
            return DataProblem("data_not_json", {"path": _short(where), "kind": type(item).__name__})
    return None


def _encoded(value: Any, path: str) -> str | DataProblem:
    """The JSON text of a value that passed ``shape_problem``, unless it is too long."""
    try:
        text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (ValueError, TypeError) as exc:  # e.g. an integer of more than 4,300 digits
        return DataProblem("data_not_json", {"path": _short(path), "kind": str(exc)[:100]})
    if len(text) > MAX_BYTES:
        return DataProblem("data_too_large", {"path": _short(path), "size": len(text), "limit": MAX_BYTES})
    return text


def _short(path: str) -> str:
    path = path.lstrip(".") or "{…}"
    return path if len(path) <= _MAX_PATH else path[: _MAX_PATH - 1] + "…"
