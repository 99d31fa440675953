"""giaoviec's own BPMN extensions: the ``gv`` elements inside ``bpmn:extensionElements``.

Namespace ``https://giaoviec.vn/schema/bpmn/1.0``, prefix ``gv``. Every ``gv`` element is read
here, in one place: today ``gv:form`` (its ``gv:field`` children, see ``engine.forms``) on a
userTask or manualTask; ``gv:lane`` (role, party) on a lane; ``gv:deadline`` (a timeframe or N
working days) and ``gv:escalation`` (reminders before, escalation after) on a userTask or
manualTask — the attributes the designer's properties panel writes (``gv:deadline`` applies when
the step opens, ``engine.task_rows.resolve_rule``; ``gv:escalation`` is kept but not applied, a
warning at validation, ``escalation_warnings``). Each is one entry of
``_READERS``. Other namespaces inside
``extensionElements`` (a modeler's own) are left alone; a ``gv`` element this version does not
know, or one in the wrong place, is refused with the id of the element it belongs to, so that a
misspelt extension never silently does nothing.

::

    <bpmn:userTask id="tham_dinh_bao_cao" name="Thẩm định báo cáo">
      <bpmn:extensionElements>
        <gv:form>
          <gv:field name="quyet_dinh" type="choice" values="dong_y tra_lai gia_han" required="true" label="Quyết định"/>
          <gv:field name="y_kien" type="text" maxLength="5000" label="Ý kiến"/>
        </gv:form>
      </bpmn:extensionElements>
    </bpmn:userTask>
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from engine.forms import Form, FormField, parse_field
from engine.messages import Problem, register
from engine.xml_safety import BPMN_NS, local_name

GV_NS = "https://giaoviec.vn/schema/bpmn/1.0"
# Names a form may never write, whatever the process: the engine's own.
ENGINE_NAMES = frozenset({"data_objects"})

register({
    "gv_unknown_element": (
        "Phần tử {tag} không được hỗ trợ (phần mở rộng gv của giaoviec).",
        "The element {tag} is not supported (giaoviec's gv extension).",
    ),
    "gv_misplaced": (
        "Phần tử gv:{tag} phải nằm trong bpmn:extensionElements của {owners}.",
        "The gv:{tag} element belongs in the bpmn:extensionElements of {owners}.",
    ),
    "gv_repeated": ("Mỗi phần tử chỉ có một gv:{tag}.", "An element has at most one gv:{tag}."),
    "gv_lane_no_role": (
        "Làn (lane) có gv:lane nhưng chưa chọn vai trò.",
        "The lane has a gv:lane but no role.",
    ),
    "gv_deadline_invalid": (
        "Hạn xử lý không hợp lệ: {detail}.",
        "The deadline rule is invalid: {detail}.",
    ),
    "gv_escalation_invalid": (
        "Thiết lập đôn đốc, leo thang không hợp lệ: {detail}.",
        "The escalation settings are invalid: {detail}.",
    ),
    # A warning, never a refusal (``escalation_warnings``): the setting is kept, nothing reads it yet.
    "gv_escalation_not_applied": (
        "Thiết lập đôn đốc, leo thang của bước được lưu nhưng chưa được áp dụng khi chạy: "
        "việc nhắc hạn và leo thang theo chính sách đôn đốc đặt trong trang Quản trị.",
        "The step's escalation settings are kept but not applied at run time: reminders and "
        "escalation follow the escalation policy set in Administration.",
    ),
})  # fmt: skip


@dataclass(frozen=True)
class LaneRule:
    """``gv:lane``: who works in a lane, set in the designer instead of spelt in the lane's name.
    ``role`` a role code, ``party`` a party code (the role catalog checks both)."""

    role: str
    party: str | None = None


@dataclass(frozen=True)
class Deadline:
    """``gv:deadline``: a step's deadline rule, a timeframe ("Quý I") or N working days."""

    timeframe: str | None = None
    working_days: int | None = None


@dataclass(frozen=True)
class Escalation:
    """``gv:escalation``: reminders N days before the deadline, escalation M days after it."""

    remind_before: tuple[int, ...] = ()
    escalate_after: int | None = None


@dataclass
class Extensions:
    """What the ``gv`` elements of a document say, by the id of the BPMN element they belong to."""

    forms: dict[str, Form] = field(default_factory=dict)
    lanes: dict[str, LaneRule] = field(default_factory=dict)  # lane id -> its rule
    deadlines: dict[str, Deadline] = field(default_factory=dict)  # human task id -> its rule
    escalations: dict[str, Escalation] = field(default_factory=dict)  # human task id -> its rule


@dataclass
class _Reading:
    reserved: dict[str, tuple[str, str]]  # variable -> (what it is, in Vietnamese and English)
    found: Extensions = field(default_factory=Extensions)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, code: str, owner: Any, **params: Any) -> None:
        self.problems.append(Problem(code, _id_of(owner), params))


def read_extensions(root: Any, *, human_tasks: Collection[str], party_variables: Iterable[str]) -> tuple[Extensions, list[Problem]]:
    """Read every ``gv`` element of the document ``root``.

    ``human_tasks`` are the BPMN tags a form may belong to; ``party_variables`` the process
    variables that name a party's unit (the role catalog's): a form may not write those, nor a
    data object of the document, nor an engine name.
    """
    reserved = {name: ("tên dành riêng của bộ máy", "an engine name") for name in ENGINE_NAMES}
    reserved |= {obj.get("id"): ("đối tượng dữ liệu", "a data object") for obj in root.iter(f"{{{BPMN_NS}}}dataObject") if obj.get("id")}
    reserved |= {name: ("biến chỉ định đơn vị của một bên", "a variable naming a party's unit") for name in party_variables}
    reading = _Reading(reserved)
    placements = {  # gv element -> the BPMN elements it may belong to
        "form": frozenset(human_tasks), "lane": frozenset({"lane"}),
        "deadline": frozenset(human_tasks), "escalation": frozenset(human_tasks),
    }  # fmt: skip
    for element in root.iter(f"{{{GV_NS}}}*"):
        parent = element.getparent()
        if parent is not None and parent.tag.startswith(f"{{{GV_NS}}}"):
            continue  # read by its gv parent
        tag = local_name(element)
        if tag == "field":
            reading.problem("gv_misplaced", element, tag=tag, owners="gv:form")
            continue
        read = _READERS.get(tag)
        if read is None:
            reading.problem("gv_unknown_element", element, tag=f"gv:{tag}")
            continue
        owner = parent.getparent() if parent is not None and parent.tag == f"{{{BPMN_NS}}}extensionElements" else None
        if owner is None or local_name(owner) not in placements[tag]:
            reading.problem("gv_misplaced", element, tag=tag, owners=" / ".join(f"bpmn:{t}" for t in sorted(placements[tag])))
            continue
        read(reading, owner, element)
    return reading.found, reading.problems


def _id_of(el: Any) -> str | None:
    while el is not None and el.get("id") is None:
        el = el.getparent()
    return el.get("id") if el is not None else None


def _read_form(reading: _Reading, owner: Any, element: Any) -> None:
    owner_id = owner.get("id")
    if owner_id in reading.found.forms:
        reading.problem("gv_repeated", owner, tag="form")
        return
    fields: list[FormField] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue  # a comment
        nested = [c for c in child if isinstance(c.tag, str)]
        if child.tag != f"{{{GV_NS}}}field" or nested:
            reading.problem("gv_unknown_element", owner, tag=_shown(nested[0] if nested else child))
            continue
        declared, problems = parse_field({_shown_attribute(k): v for k, v in child.attrib.items()})
        reading.problems += [replace(p, element_id=owner_id) for p in problems]
        if declared is None:
            continue
        if declared.name in {f.name for f in fields}:
            reading.problem("form_field_duplicate", owner, field=declared.name)
        elif declared.name in reading.reserved:
            kind, kind_en = reading.reserved[declared.name]
            reading.problem("form_field_reserved", owner, field=declared.name, kind=kind, kind_en=kind_en)
        else:
            fields.append(declared)
    reading.found.forms[owner_id] = Form(tuple(fields))


def _shown(el: Any) -> str:
    """``gv:name`` for our elements, ``{namespace}name`` for others."""
    return f"gv:{local_name(el)}" if el.tag.startswith(f"{{{GV_NS}}}") else str(el.tag)


def _shown_attribute(name: str) -> str:
    return name if not name.startswith("{") else f"{{…}}{name.rsplit('}', 1)[1]}"


def _once(reading: _Reading, found: dict[str, Any], owner: Any, tag: str) -> bool:
    if owner.get("id") in found:
        reading.problem("gv_repeated", owner, tag=tag)
        return False
    return True


def _read_lane(reading: _Reading, owner: Any, element: Any) -> None:
    # Role and party codes are the domain's: ``engine.bpmn`` checks them against the role catalog.
    if not _once(reading, reading.found.lanes, owner, "lane"):
        return
    role = (element.get("role") or "").strip()
    if not role:
        reading.problem("gv_lane_no_role", owner)
        return
    reading.found.lanes[owner.get("id")] = LaneRule(role, (element.get("party") or "").strip() or None)


MAX_WORKING_DAYS = 366


def _days(text: str | None) -> int | None:
    """A whole number of days, 1 to ``MAX_WORKING_DAYS``; None if absent; ValueError otherwise."""
    if text is None or not text.strip():
        return None
    value = int(text.strip())  # ValueError for "5.5", "năm"
    if not 0 < value <= MAX_WORKING_DAYS:
        raise ValueError(text)
    return value


def _read_deadline(reading: _Reading, owner: Any, element: Any) -> None:
    if not _once(reading, reading.found.deadlines, owner, "deadline"):
        return
    timeframe = (element.get("timeframe") or "").strip() or None
    try:
        days = _days(element.get("workingDays"))
    except ValueError:
        reading.problem("gv_deadline_invalid", owner, detail=f"workingDays phải là số nguyên từ 1 đến {MAX_WORKING_DAYS}")
        return
    if timeframe is not None and days is not None:
        reading.problem("gv_deadline_invalid", owner, detail="chỉ một trong hai: timeframe hoặc workingDays")
    elif timeframe is None and days is None:
        reading.problem("gv_deadline_invalid", owner, detail="cần timeframe hoặc workingDays")
    elif timeframe is not None and len(timeframe) > 200:
        reading.problem("gv_deadline_invalid", owner, detail="timeframe dài quá 200 ký tự")
    else:
        reading.found.deadlines[owner.get("id")] = Deadline(timeframe, days)


def _read_escalation(reading: _Reading, owner: Any, element: Any) -> None:
    if not _once(reading, reading.found.escalations, owner, "escalation"):
        return
    try:
        before = tuple(_days(part) for part in (element.get("remindBefore") or "").split(",") if part.strip())
        after = _days(element.get("escalateAfter"))
    except ValueError:
        reading.problem("gv_escalation_invalid", owner, detail="remindBefore là các số ngày cách nhau bởi dấu phẩy (3,1); escalateAfter là một số ngày")
        return
    reading.found.escalations[owner.get("id")] = Escalation(tuple(d for d in before if d is not None), after)


def escalation_warnings(escalations: Iterable[str]) -> list[Problem]:
    """A warning on each step that declares ``gv:escalation``: urging is per process (the policy
    an administrator sets per province, process and plan, ``workflows.escalation.policy``) and
    per obligation, not per step, so a step's own settings are not applied; the designer says so
    on the element instead of letting the panel suggest otherwise."""
    return [Problem("gv_escalation_not_applied", element_id) for element_id in sorted(escalations)]


# gv element -> its reader (reading, the BPMN element it belongs to, the gv element).
_READERS: dict[str, Callable[[_Reading, Any, Any], None]] = {
    "form": _read_form, "lane": _read_lane, "deadline": _read_deadline, "escalation": _read_escalation,
}
