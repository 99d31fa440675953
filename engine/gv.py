"""giaoviec's own BPMN extensions: the ``gv`` elements inside ``bpmn:extensionElements``.

Namespace ``https://giaoviec.vn/schema/bpmn/1.0``, prefix ``gv``. Every ``gv`` element is read
here, in one place: today ``gv:form`` (its ``gv:field`` children, see ``engine.forms``) on a
userTask or manualTask; later issues add their elements (``gv:lane``, ``gv:deadline``,
``gv:escalation``) as another entry of ``_READERS``. Other namespaces inside
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
})  # fmt: skip


@dataclass
class Extensions:
    """What the ``gv`` elements of a document say, by the id of the BPMN element they belong to."""

    forms: dict[str, Form] = field(default_factory=dict)


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
    placements = {"form": frozenset(human_tasks)}  # gv element -> the BPMN elements it may belong to
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


# gv element -> its reader (reading, the BPMN element it belongs to, the gv element).
_READERS: dict[str, Callable[[_Reading, Any, Any], None]] = {"form": _read_form}
