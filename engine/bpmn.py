"""Load BPMN for the engine: hardened parse, our rules, SpiffWorkflow's parser, specs ready to run.

``load_bpmn`` either returns one ``ProcessBundle`` per executable process or raises
``DeployError`` listing every problem found, each naming its element id. Our rules run before
SpiffWorkflow's parser so that a model full of unsupported elements gets one clear line per
element instead of the first stack trace the library happens to hit.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.errors import DeployError
from engine.forms import NO_FORM, Form
from engine.gv import Deadline, Escalation, Extensions, LaneRule, read_extensions
from engine.messages import Problem
from engine.sandbox import Sandbox
from engine.timers_spiff import CLOCKED, parse_cycle
from engine.xml_safety import BPMN_NS, local_name, parse_bpmn

HUMAN_TASKS = {"userTask", "manualTask"}
FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "subProcess", "callActivity",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
}  # fmt: skip
EVENT_DEFINITIONS = {
    "timerEventDefinition", "terminateEventDefinition", "errorEventDefinition",
    "escalationEventDefinition", "signalEventDefinition",
}  # fmt: skip
# Everything else that may appear inside a process. Anything not listed (service, send, receive
# and business-rule tasks, message events, complex gateways, transactions...) is refused by name.
PROCESS_PARTS = FLOW_NODES | EVENT_DEFINITIONS | {
    "sequenceFlow", "laneSet", "lane", "childLaneSet", "flowNodeRef", "documentation",
    "extensionElements", "textAnnotation", "text", "association", "group", "dataObject",
    "dataObjectReference", "dataInputAssociation", "dataOutputAssociation", "sourceRef",
    "targetRef", "incoming", "outgoing", "conditionExpression", "script", "timeDate",
    "timeDuration", "timeCycle", "multiInstanceLoopCharacteristics", "loopCardinality",
    "completionCondition", "loopDataInputRef", "loopDataOutputRef", "inputDataItem",
    "outputDataItem", "standardLoopCharacteristics", "loopCondition", "ioSpecification",
    "dataInput", "dataOutput", "inputSet", "outputSet", "dataInputRefs", "dataOutputRefs",
    "property", "dataState", "auditing", "monitoring", "performer", "humanPerformer",
    "potentialOwner", "resourceAssignmentExpression", "formalExpression", "assignment",
    "from", "to", "transformation",
}  # fmt: skip
TOP_LEVEL_PARTS = {
    "process", "collaboration", "participant", "documentation", "extensionElements", "error",
    "escalation", "signal", "message", "itemDefinition", "category", "categoryValue",
    "textAnnotation", "text", "association", "group", "resource", "participantMultiplicity",
}  # fmt: skip
REFERENCE_ATTRIBUTES = ("sourceRef", "targetRef", "attachedToRef", "default", "processRef",
                        "errorRef", "escalationRef", "signalRef")  # fmt: skip
# A process id is an xsd:ID (an XML NCName), so "Quy_trình_giao_việc" is one: a letter or "_",
# then letters, digits, "_", "." or "-", at most 100 in all (the key column). Letters are any
# script's, written composed (NFC, as keyboards and bpmn-js write them); a combining mark, an
# invisible character or a ":" is not allowed, so the key is typed and shown as written. The
# Latin-1 signs that Python counts as word characters ("ª", "²", "½") are not NCName letters.
PROCESS_KEY = re.compile(r"[^\W\d\u00aa-\u00bf](?:[^\W\u00aa-\u00bf]|[.-]){0,99}")
ISO_TIMER = re.compile(r"(R\d*/.+|P[0-9TYMWDHS.,]+|\d{4}-\d{2}-\d{2}([T ][0-9:.]+)?(Z|[+-]\d{2}:?\d{2})?)", re.I)
# Text that can only be a mistyped ISO duration ("P1X", "PT1H30X"), though it is also a valid
# Python name: checked as a duration so the typo is reported instead of read as a variable.
ISO_LOOKALIKE = re.compile(r"PT?\d[0-9A-Za-z.,]*")


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


class RoleCatalog:
    """Which role a lane stands for, by the lane's name (Vietnamese, any case) or id, and which
    party's unit it belongs to.

    A lane named "<role lane> <party suffix>" ("Chuyên viên đơn vị giao") is that role in the unit
    named by the party's process variable (``don_vi_giao``); a lane without a suffix belongs to
    the instance's own unit. The engine knows no roles of its own; the domain supplies them.
    """

    def __init__(
        self, roles: Mapping[str, Iterable[str]], party_suffixes: Mapping[str, str] | None = None,
        party_codes: Mapping[str, str | None] | None = None,
    ) -> None:
        self._by_alias: dict[str, str] = {}
        for code, aliases in roles.items():
            for alias in (code, *aliases):
                self._by_alias[_normalise(alias)] = code
        self.codes = tuple(roles)
        self._suffixes = {_normalise(suffix): variable for suffix, variable in (party_suffixes or {}).items()}
        # A designer's ``gv:lane party="assigning"`` -> the variable (None: the instance's own unit).
        self.party_codes: dict[str, str | None] = dict(party_codes or {})

    def _split(self, name: str) -> tuple[str, str | None]:
        normalised = _normalise(name)
        for suffix, variable in self._suffixes.items():
            if normalised.endswith(" " + suffix):
                return normalised[: -len(suffix) - 1], variable
        return normalised, None

    def role_for_lane(self, name: str | None, lane_id: str | None) -> str | None:
        for candidate in (name, lane_id):
            if candidate and (role := self._by_alias.get(self._split(candidate)[0])):
                return role
        return None

    def party_for_lane(self, name: str | None) -> str | None:
        """The process variable naming the unit a lane's tasks go to; None for the instance's unit."""
        return self._split(name)[1] if name else None

    @property
    def party_variables(self) -> tuple[str, ...]:
        """The process variables that name a party's unit: routing, never written by a form."""
        return tuple(dict.fromkeys([*self._suffixes.values(), *(v for v in self.party_codes.values() if v)]))

    def rule_for_lane(self, lane: Any, rules: Mapping[str, LaneRule]) -> tuple[str | None, str | None]:
        """(role, party variable) of a lane: its ``gv:lane`` if it has one, else its name."""
        rule = rules.get(lane.get("id"))
        if rule is None:
            name = lane.get("name")
            return self.role_for_lane(name, lane.get("id")), self.party_for_lane(name)
        role = rule.role if rule.role in self.codes else None
        return role, self.party_codes.get(rule.party) if rule.party else None


@dataclass
class ProcessBundle:
    """One executable process, parsed and checked, ready to instantiate."""

    key: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    lanes: dict[str, str] = field(default_factory=dict)  # element id -> lane name
    roles: dict[str, str] = field(default_factory=dict)  # human task element id -> role code
    parties: dict[str, str] = field(default_factory=dict)  # human task element id -> unit variable
    forms: dict[str, Form] = field(default_factory=dict)  # human task element id -> its gv:form
    conditions: dict[str, str] = field(default_factory=dict)  # sequence flow id -> condition expression
    deadlines: dict[str, Deadline] = field(default_factory=dict)  # human task id -> its gv:deadline
    escalations: dict[str, Escalation] = field(default_factory=dict)  # human task id -> its gv:escalation

    def form(self, element_id: str) -> Form:
        """The form of a human task; a task without one takes no data."""
        return self.forms.get(element_id, NO_FORM)


@dataclass
class _Context:
    root: Any
    roles: RoleCatalog
    sandbox: Sandbox
    problems: list[Problem] = field(default_factory=list)

    def problem(self, code: str, element: Any = None, **params: Any) -> None:
        # An element without an id of its own (bpmn:import, bpmn:relationship...) is named by
        # its nearest ancestor that has one, so every problem points somewhere in the model.
        if element is not None and not isinstance(element, str):
            element = _nearest_with_id(element)
        element_id = element if isinstance(element, str) or element is None else element.get("id")
        self.problems.append(Problem(code, element_id, params))


def load_bpmn(
    data: bytes,
    roles: RoleCatalog,
    sandbox: Sandbox,
    *,
    max_bytes: int = 5 * 1024 * 1024,
    source_name: str = "upload.bpmn",
) -> dict[str, ProcessBundle]:
    root = parse_bpmn(data, max_bytes=max_bytes)
    ctx = _Context(root, roles, sandbox)
    ids = _check_ids(ctx)
    _check_elements(ctx)
    _check_references(ctx, ids)
    extensions, problems = read_extensions(root, human_tasks=HUMAN_TASKS, party_variables=roles.party_variables)
    ctx.problems += problems
    executable = _executable_processes(ctx)
    lanes = _lanes(root)
    _check_lane_rules(ctx, extensions.lanes)
    for process in executable:
        _check_human_tasks(ctx, process, lanes, extensions.lanes)
        _check_timers(ctx, process)
        _check_code(ctx, process)
        _check_gateways(ctx, process)
        _check_calls(ctx, process, ids)
    if ctx.problems:
        raise DeployError(ctx.problems)
    return _spiff_specs(ctx, executable, lanes, extensions, source_name)


def _bpmn_elements(node: Any) -> Iterable[Any]:
    """BPMN-namespace elements below ``node``, skipping extension content and other namespaces."""
    for child in node:
        if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        yield child
        if local_name(child) != "extensionElements":
            yield from _bpmn_elements(child)


def _check_ids(ctx: _Context) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    for el in _bpmn_elements(ctx.root):
        element_id = el.get("id")
        name = local_name(el)
        if element_id is None:
            if name in FLOW_NODES or name in {"process", "sequenceFlow", "lane", "participant"}:
                ctx.problem("bpmn_missing_id", el, tag=name)
            continue
        if element_id in ids:
            ctx.problem("bpmn_duplicate_id", element_id, id=element_id)
        ids.setdefault(element_id, el)
    return ids


def _check_elements(ctx: _Context) -> None:
    for top in _bpmn_elements_shallow(ctx.root):
        name = local_name(top)
        if name not in TOP_LEVEL_PARTS:
            ctx.problem("bpmn_unsupported_element", top, tag=f"bpmn:{name}")
            continue
        allowed = PROCESS_PARTS if name == "process" else TOP_LEVEL_PARTS
        for el in _bpmn_elements(top):
            part = local_name(el)
            if part not in allowed:
                ctx.problem("bpmn_unsupported_element", _nearest_with_id(el), tag=f"bpmn:{part}")
            elif part.endswith("Event") and len(_event_definitions(el)) > 1:
                ctx.problem("bpmn_unsupported_event", el, kind="nhiều định nghĩa sự kiện / multiple")


def _bpmn_elements_shallow(node: Any) -> Iterable[Any]:
    return (c for c in node if isinstance(c.tag, str) and c.tag.startswith(f"{{{BPMN_NS}}}"))


def _nearest_with_id(el: Any) -> Any:
    while el is not None and el.get("id") is None:
        el = el.getparent()
    return el


def _event_definitions(event: Any) -> list[Any]:
    return [c for c in _bpmn_elements_shallow(event) if local_name(c).endswith("EventDefinition")]


def _check_references(ctx: _Context, ids: Mapping[str, Any]) -> None:
    for el in _bpmn_elements(ctx.root):
        for attribute in REFERENCE_ATTRIBUTES:
            ref = el.get(attribute)
            if ref is not None and ref not in ids:
                ctx.problem("bpmn_dangling_reference", _nearest_with_id(el), attribute=attribute, ref=ref)
        if local_name(el) in {"flowNodeRef", "incoming", "outgoing"}:
            ref = (el.text or "").strip()
            if ref and ref not in ids:
                tag = local_name(el)
                ctx.problem("bpmn_dangling_reference", _nearest_with_id(el), attribute=tag, ref=ref)


def _executable_processes(ctx: _Context) -> list[Any]:
    processes = [p for p in _bpmn_elements_shallow(ctx.root) if local_name(p) == "process"]
    executable = [p for p in processes if p.get("isExecutable", "false").strip() == "true"]
    if not executable:
        ctx.problem("bpmn_no_executable_process", processes[0] if processes else None)
    for process in executable:
        if not PROCESS_KEY.fullmatch(process.get("id") or ""):
            ctx.problem("bpmn_bad_process_id", process)
    return executable


def _lanes(root: Any) -> dict[str, Any]:
    """Element id -> its innermost lane element (nested lanes: the deepest wins)."""
    found: dict[str, tuple[int, Any]] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        depth = sum(1 for _ in lane.iterancestors(f"{{{BPMN_NS}}}lane"))
        for ref in lane.iterchildren(f"{{{BPMN_NS}}}flowNodeRef"):
            node_id = (ref.text or "").strip()
            if node_id not in found or found[node_id][0] < depth:
                found[node_id] = (depth, lane)
    return {node_id: lane for node_id, (_, lane) in found.items()}


def _lane_of(el: Any, lanes: Mapping[str, Any]) -> Any:
    """The lane of ``el``, or of the nearest enclosing sub-process that has one."""
    while el is not None:
        if el.get("id") in lanes:
            return lanes[el.get("id")]
        el = el.getparent()
        if el is not None and local_name(el) == "process":
            return None
    return None


def _check_lane_rules(ctx: _Context, rules: Mapping[str, LaneRule]) -> None:
    """A ``gv:lane`` names a role and a party the domain knows: said on the lane itself."""
    for lane_id, rule in rules.items():
        if rule.role not in ctx.roles.codes:
            ctx.problem("bpmn_lane_rule_unknown", lane_id, what="vai trò", what_en="role", value=rule.role,
                        known=", ".join(ctx.roles.codes))  # fmt: skip
        if rule.party is not None and rule.party not in ctx.roles.party_codes:
            ctx.problem("bpmn_lane_rule_unknown", lane_id, what="bên thực hiện", what_en="party", value=rule.party,
                        known=", ".join(ctx.roles.party_codes))  # fmt: skip


def _check_human_tasks(ctx: _Context, process: Any, lanes: Mapping[str, Any], rules: Mapping[str, LaneRule]) -> None:
    for el in _bpmn_elements(process):
        if local_name(el) not in HUMAN_TASKS:
            continue
        lane = _lane_of(el, lanes)
        if lane is None:
            ctx.problem("bpmn_user_task_no_lane", el)
        elif lane.get("id") in rules:
            continue  # its gv:lane is checked on the lane
        elif ctx.roles.role_for_lane(lane.get("name"), lane.get("id")) is None:
            ctx.problem("bpmn_lane_unknown_role", el, lane=lane.get("name") or lane.get("id"),
                        roles=", ".join(ctx.roles.codes))  # fmt: skip


def timer_literal(text: str) -> str | None:
    """The ISO 8601 value of a timer written as a literal (quoted, or bare as modelers write it)."""
    text = text.strip()
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text if ISO_TIMER.fullmatch(text) or ISO_LOOKALIKE.fullmatch(text) else None
    return value if isinstance(value, str) else None


def check_timer_value(kind: str, value: str) -> None:
    """Raise if ``value`` is not a valid ``timeDate`` / ``timeDuration`` / ``timeCycle``."""
    if kind == "timeDate":
        TimerEventDefinition.get_datetime(value)
    elif kind == "timeDuration":
        TimerEventDefinition.parse_iso_duration(value)
    else:
        parse_cycle(value, datetime(2000, 1, 1, tzinfo=UTC))


def _check_timers(ctx: _Context, process: Any) -> None:
    for definition in process.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        event = definition.getparent()
        specs = [c for c in _bpmn_elements_shallow(definition) if local_name(c) in {"timeDate", "timeDuration", "timeCycle"}]
        if len(specs) != 1 or not (specs[0].text or "").strip():
            ctx.problem("bpmn_timer_unparseable", event, expression="", detail="cần đúng một timeDate, timeDuration hoặc timeCycle")
            continue
        spec = specs[0]
        text = spec.text.strip()
        literal = timer_literal(text)
        if literal is None:
            detail = ctx.sandbox.check(text, "eval")
            if detail:
                ctx.problem("bpmn_timer_unparseable", event, expression=text[:200], detail=detail)
            continue
        try:
            check_timer_value(local_name(spec), literal)
        except Exception as exc:  # SpiffWorkflow raises bare Exception for a bad duration
            ctx.problem("bpmn_timer_unparseable", event, expression=text[:200], detail=str(exc) or type(exc).__name__)
            continue
        spec.text = repr(literal)  # SpiffWorkflow evaluates timer text as an expression


def _check_code(ctx: _Context, process: Any) -> None:
    for el in _bpmn_elements(process):
        name = local_name(el)
        text = (el.text or "").strip()
        if name == "script" and local_name(el.getparent()) == "scriptTask":
            mode = "exec"
        elif name in {"conditionExpression", "loopCardinality", "completionCondition", "loopCondition"} and text:
            mode = "eval"
        else:
            continue
        detail = ctx.sandbox.check(text, mode)
        if detail:
            ctx.problem("bpmn_script_rejected", _nearest_with_id(el), detail=detail)


def _check_gateways(ctx: _Context, process: Any) -> None:
    flows = {f.get("id"): f for f in process.iter(f"{{{BPMN_NS}}}sequenceFlow")}
    for gateway in _bpmn_elements(process):
        if local_name(gateway) not in {"exclusiveGateway", "inclusiveGateway"}:
            continue
        outgoing = [f for f in flows.values() if f.get("sourceRef") == gateway.get("id")]
        if len(outgoing) < 2:
            continue
        for flow in outgoing:
            has_condition = any(local_name(c) == "conditionExpression" for c in _bpmn_elements_shallow(flow))
            if not has_condition and flow.get("id") != gateway.get("default"):
                ctx.problem("bpmn_condition_missing", flow)


def _check_calls(ctx: _Context, process: Any, ids: Mapping[str, Any]) -> None:
    for call in process.iter(f"{{{BPMN_NS}}}callActivity"):
        called = call.get("calledElement") or ""
        # Called processes must travel in the same file: the version a parent runs must pin
        # the version of what it calls, and one file is one deployable, versioned unit.
        if not (called in ids and local_name(ids[called]) == "process"):
            ctx.problem("bpmn_call_unknown_process", call, called=called)


def _spiff_specs(
    ctx: _Context, executable: list[Any], lanes: Mapping[str, Any], extensions: Extensions, source_name: str
) -> dict[str, ProcessBundle]:
    parser = BpmnParser()
    bundles: dict[str, ProcessBundle] = {}
    try:
        parser.add_bpmn_xml(ctx.root, filename=source_name)
        for process in executable:
            key = process.get("id")
            spec = parser.get_spec(key)
            subprocess_specs = parser.get_subprocess_specs(key)
            for each in (spec, *subprocess_specs.values()):
                _use_injected_clock(each)
            human = {el.get("id"): _lane_of(el, lanes) for el in _bpmn_elements(process) if local_name(el) in HUMAN_TASKS}
            bundles[key] = ProcessBundle(
                key=key,
                name=process.get("name") or key,
                spec=spec,
                subprocess_specs=subprocess_specs,
                lanes={el_id: lane.get("name") or lane.get("id") for el_id, lane in lanes.items()},
                roles={el_id: ctx.roles.rule_for_lane(lane, extensions.lanes)[0] for el_id, lane in human.items()},  # type: ignore[misc]
                parties={el_id: party for el_id, lane in human.items() if (party := ctx.roles.rule_for_lane(lane, extensions.lanes)[1])},
                forms={el_id: extensions.forms[el_id] for el_id in human if el_id in extensions.forms},
                conditions=_conditions(process),
                deadlines={el_id: extensions.deadlines[el_id] for el_id in human if el_id in extensions.deadlines},
                escalations={el_id: extensions.escalations[el_id] for el_id in human if el_id in extensions.escalations},
            )
    except ValidationException as exc:
        raise DeployError([Problem("bpmn_parser_error", exc.id or None, {"detail": _first_line(exc)})]) from None
    except (SpiffWorkflowException, KeyError, ValueError, TypeError, AttributeError) as exc:
        # SpiffWorkflow's parser trusts its input; our checks above should have caught the cause,
        # so this is a model we did not foresee: refuse it with the library's own words.
        raise DeployError([Problem("bpmn_parser_error", None, {"detail": _first_line(exc)})]) from None
    return bundles


def _conditions(process: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        condition = next((c for c in _bpmn_elements_shallow(flow) if local_name(c) == "conditionExpression"), None)
        if condition is not None and (condition.text or "").strip():
            found[flow.get("id")] = condition.text.strip()
    return found


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _use_injected_clock(spec: Any) -> None:
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        clocked = CLOCKED.get(type(definition))
        if clocked is not None:
            definition.__class__ = clocked


def reparse(xml: bytes, roles: RoleCatalog, sandbox: Sandbox, key: str) -> ProcessBundle:
    """Rebuild the bundle of an already deployed (so already validated) definition."""
    return load_bpmn(xml, roles, sandbox)[key]
