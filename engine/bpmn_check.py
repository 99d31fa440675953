"""Validate BPMN exactly as ``deploy`` would, without storing anything (the designer's "Kiểm tra").

The same parse, the same rules and the same domain checks (``definition_deploying`` hooks) as
``engine.commands.deploy``, so that a model the designer says is fine deploys, and one it refuses
is refused for the same reasons, each naming its element.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.bpmn import load_bpmn
from engine.errors import DeployError
from engine.gv import escalation_warnings
from engine.messages import Problem
from engine.uow import UnitOfWork


@dataclass(frozen=True)
class Checked:
    keys: tuple[str, ...]  # the executable processes the file would deploy (none if refused)
    problems: tuple[Problem, ...]
    # What deploys but does not do what the model suggests (a step's gv:escalation): never refused.
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_bpmn(uow: UnitOfWork, xml: bytes, *, source_name: str = "designer.bpmn") -> Checked:
    engine = uow.engine
    try:
        bundles = load_bpmn(xml, engine.roles, engine.sandbox, max_bytes=engine.max_bpmn_bytes, source_name=source_name)
    except DeployError as refused:
        return Checked((), tuple(refused.problems))
    problems: list[Problem] = []
    for bundle in bundles.values():
        try:
            engine.hooks.fire("definition_deploying", uow, bundle)
        except DeployError as refused:
            problems += refused.problems
    warnings = [w for bundle in bundles.values() for w in escalation_warnings(bundle.escalations)]
    return Checked(tuple(bundles) if not problems else (), tuple(problems), tuple(warnings))
