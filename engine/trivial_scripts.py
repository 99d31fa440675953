"""Conditions and scripts too simple to need the sandbox's child process.

Every gateway condition of the process library compares one variable with a literal
(``lanh_dao_duyet == "dong_y"``, ``han_xu_ly is not None``) and most scripts assign literals
(``qua_han = True``) or empty lists and dicts (``lich_su_y_kien = []``: ``khoi_tao``, the first
script of the library's processes, run at every start). Sending those through the sandbox's pipe
costs a round trip to another process (~0.3 ms, and two context switches on a busy machine) on
every step. Here such a text is read once into a plan made of variable names, literals and the
operators ``==``, ``!=``, ``is``, ``is not``, ``not``, ``and``, ``or``, ``… if … else …``, ``+``
(of two strings: a timer's cycle is written ``"R1/" + han_xu_ly + "/P1D" if han_xu_ly else
"R1/P7D"``) and ``len`` of a string. A script is assignments and ``if``/``else`` blocks of them:
``ghi_nhan_han``, run at every start that carries a deadline, is::

    if len(han_xu_ly) == 10:
        han_xu_ly = han_xu_ly + "T23:59:59+07:00"
    han_goc = han_xu_ly

Applying a plan never runs code: it only compares, measures and joins values of task data, which
are JSON (str, numbers, booleans, None). Anything else (another node, a variable missing or
holding a list or a dict, ``len`` of anything but a string or shadowed by a variable) returns
``None`` and the caller uses the sandbox, so errors and semantics stay the sandbox's own.
"""

from __future__ import annotations

import ast
import operator
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

_SCALARS = (str, int, float, bool, type(None))
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}  # fmt: skip
_SINGLETONS = (None, True, False)  # ``is`` compares identity: only with these is it value-like

# An expression's plan: ("const", value) | ("name", id) | ("cmp", op, left, right) | ("not", x)
#   | ("and"|"or", [x...]) | ("if", test, then, else) | ("add", left, right) | ("len", x)
# A script's plan: ("exec", statements), each ("set", name, value) or ("when", test, then, else),
#   ``then`` and ``else`` statements too; a value is an expression's plan or a ``_New``.
Plan = tuple[Any, ...]


class _Fallback(Exception):
    """The sandbox must decide (an unknown node, a missing or non-scalar variable)."""


@lru_cache(maxsize=1024)
def plan_of(mode: Literal["eval", "exec"], code: str) -> Plan | None:
    """The plan of ``code``, or None if it is not trivial. Cached: BPMN texts repeat a lot."""
    try:
        tree = ast.parse(code, "<bpmn>", mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        if isinstance(tree, ast.Expression):
            return _expression(tree.body)
        return ("exec", _statements(tree.body)) if tree.body else None
    except _Fallback:
        return None


@dataclass(frozen=True)
class _New:
    """An empty list or dict in an assignment plan: plans are cached and shared, so each run
    gets its own (``execute``), as the child's JSON answer would give it."""

    factory: type[list[Any]] | type[dict[str, Any]]


def _statements(body: list[ast.stmt]) -> tuple[Plan, ...]:
    return tuple(_statement(each) for each in body)


def _statement(node: ast.stmt) -> Plan:
    if isinstance(node, ast.If):
        return ("when", _expression(node.test), _statements(node.body), _statements(node.orelse))
    if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and not node.targets[0].id.startswith("_")):  # fmt: skip
        value = node.value
        if isinstance(value, ast.List) and not value.elts:
            return ("set", node.targets[0].id, _New(list))
        if isinstance(value, ast.Dict) and not value.keys:
            return ("set", node.targets[0].id, _New(dict))
        return ("set", node.targets[0].id, _expression(value))
    raise _Fallback


def execute(plan: Plan, variables: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
    """(True, the variables the script sets) when the plan could run on ``variables``; (False, {})
    to fall back. A statement reads what the ones before it set, as Python does."""
    updates: dict[str, Any] = {}
    try:
        _run(plan[1], ChainMap(updates, variables), updates)  # type: ignore[arg-type]
    except _Fallback:
        return False, {}
    return True, updates


def _run(statements: tuple[Plan, ...], scope: Mapping[str, Any], updates: dict[str, Any]) -> None:
    for statement in statements:
        if statement[0] == "when":
            _run(statement[2] if _value(statement[1], scope) else statement[3], scope, updates)
        elif isinstance(statement[2], _New):
            updates[statement[1]] = statement[2].factory()  # its own, as the child's JSON answer
        else:
            updates[statement[1]] = _value(statement[2], scope)


def _constant(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, _SCALARS):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) in (int, float)):  # fmt: skip
        return -node.operand.value  # a negative number is written as minus a literal
    raise _Fallback


def _expression(node: ast.AST) -> Plan:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ("not", _expression(node.operand))
    if isinstance(node, (ast.Constant, ast.UnaryOp)):  # a literal, or minus a number
        return ("const", _constant(node))
    if isinstance(node, ast.Name) and not node.id.startswith("_"):
        return ("name", node.id)
    if isinstance(node, ast.BoolOp):
        return ("and" if isinstance(node.op, ast.And) else "or", tuple(_expression(v) for v in node.values))
    if isinstance(node, ast.IfExp):  # the library's timer cycles: "R1/" + han + "/P1D" if han else "R1/P7D"
        return ("if", _expression(node.test), _expression(node.body), _expression(node.orelse))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return ("add", _expression(node.left), _expression(node.right))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"
            and len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred)):  # fmt: skip
        return ("len", _expression(node.args[0]))
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        left, right = _expression(node.left), _expression(node.comparators[0])
        if isinstance(node.ops[0], (ast.Is, ast.IsNot)) and not any(
            side[0] == "const" and any(side[1] is s for s in _SINGLETONS) for side in (left, right)
        ):
            raise _Fallback  # identity of strings or numbers is the interpreter's business
        return ("cmp", _COMPARE[type(node.ops[0])], left, right)
    raise _Fallback


def _add(left: Any, right: Any) -> Any:
    """``left + right`` for two strings; anything else (numbers too: overflow and ``True + 1`` are
    the interpreter's business) falls back, and the child answers or raises its own TypeError."""
    if type(left) is str and type(right) is str:
        return left + right
    raise _Fallback


def _len(value: Any, variables: Mapping[str, Any]) -> int:
    """``len`` of a string; of anything else (a TypeError), or with ``len`` a variable of the
    task's data (which the child's namespace would call instead), the child answers."""
    if type(value) is str and "len" not in variables:
        return len(value)
    raise _Fallback


def evaluate(plan: Plan, variables: Mapping[str, Any]) -> tuple[bool, Any]:
    """(True, value) when the plan could be applied to ``variables``; (False, None) to fall back."""
    try:
        return True, _value(plan, variables)
    except _Fallback:
        return False, None


def _value(plan: Plan, variables: Mapping[str, Any]) -> Any:
    kind = plan[0]
    if kind == "const":
        return plan[1]
    if kind == "name":
        if plan[1] not in variables:
            raise _Fallback  # the sandbox says which name is missing, in its words
        value = variables[plan[1]]
        if not isinstance(value, _SCALARS):
            raise _Fallback
        return value
    if kind == "not":
        return not _value(plan[1], variables)
    if kind == "cmp":
        return plan[1](_value(plan[2], variables), _value(plan[3], variables))
    if kind == "if":  # only the branch chosen is evaluated, as Python does
        return _value(plan[2] if _value(plan[1], variables) else plan[3], variables)
    if kind == "add":
        return _add(_value(plan[1], variables), _value(plan[2], variables))
    if kind == "len":
        return _len(_value(plan[1], variables), variables)
    result: Any = kind == "and"
    for each in plan[1]:  # Python's short circuit: the value of the deciding operand
        result = _value(each, variables)
        if (kind == "and") != bool(result):
            return result
    return result
