"""Deadline timers whose only effect is a flag: fired set-based, applied to the workflow later.

A deadline in the library is a non-interrupting boundary timer that fires once and runs a script
such as ``qua_han = True`` before its branch ends: the token it spawns moves nothing a person or
the sweeper waits for. Stepping each such instance (load the state, run, dump, sync the rows: 11
statements) would make 100,000 deadlines cost minutes; the sweep instead marks their rows fired
with one UPDATE per batch, writes their ``timer_fired`` events, and lets the domain update its
rows with one statement (the ``timers_fired`` hook). The workflow itself catches up at the
instance's next step (``catch_up``): its timer task is still waiting in the stored state, its row
says fired, so the step fires it first and the script runs with the same result as before.

Only timers this module can prove flag-only take that path (``flag_timers``); any other timer —
one that moves a token, fires repeatedly, or runs a script that computes something — is stepped.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask

from engine.bpmn import ProcessBundle

_ONCE = re.compile(r"^R1/")  # a cycle literal that repeats once


def flag_timers(bundle: ProcessBundle) -> frozenset[str]:
    """The element ids of the bundle's top-level timers whose firing only sets data."""
    found = set()
    for name, spec in bundle.spec.task_specs.items():
        if isinstance(spec, BoundaryEvent) and _is_flag_timer(spec):
            found.add(name)
    return frozenset(found)


def _is_flag_timer(spec: Any) -> bool:
    event = getattr(spec, "event_definition", None)
    if not isinstance(event, TimerEventDefinition) or getattr(spec, "cancel_activity", True):
        return False
    if isinstance(event, CycleTimerEventDefinition) and not _fires_once(event.expression):
        return False  # a next cycle needs the step that writes its row
    branch = [out for out in spec.outputs if not out.name.endswith(".BoundaryEventJoin")]
    if len(branch) != 1 or not isinstance(branch[0], ScriptTask):
        return False
    if not all(isinstance(each, BoundaryEvent) for each in branch[0].inputs):
        return False  # shared only by other deadlines (an uncontrolled merge: each token runs it)
    script = branch[0]
    if not _sets_constants(script.script) or len(script.outputs) != 1:
        return False
    end = script.outputs[0]
    return isinstance(end, EndEvent) and len(end.inputs) == 1 and type(end.event_definition).__name__ == "NoneEventDefinition"


def _fires_once(expression: str) -> bool:
    """True if every string the cycle expression can produce starts with ``R1/``."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return False
    literals = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    cycles = [text for text in literals if text[:1].upper() == "R"]
    heads = _heads(tree.body)
    return bool(cycles) and all(_ONCE.match(text.upper()) for text in cycles) and heads


def _heads(node: ast.AST) -> bool:
    """Every value of ``node`` starts with a literal (``"R1/" + x``, ``a if c else b``)."""
    if isinstance(node, ast.IfExp):
        return _heads(node.body) and _heads(node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _heads(node.left)
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(_ONCE.match(node.value.upper()))


def _sets_constants(source: str | None) -> bool:
    """The script only assigns literals to names (``qua_han = True``): it cannot fail or read."""
    try:
        tree = ast.parse(source or "")
    except SyntaxError:
        return False
    return bool(tree.body) and all(
        isinstance(stmt, ast.Assign)
        and all(isinstance(target, ast.Name) for target in stmt.targets)
        and isinstance(stmt.value, ast.Constant)
        for stmt in tree.body
    )
