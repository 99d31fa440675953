"""The contract between the process library (``bpmn/``) and the domain: step ids and decisions.

The domain follows processes by the element ids of their human tasks and reads the decisions
people take by value: reporting (``workflows.cascade.reporting``), tracking
(``workflows.tracking.follow``), sign-off (``workflows.cascade.signoff``) and dispatch
(``workflows.cascade.dispatch``) all take them from here. A department may copy a process of the
library and change it; as long as it keeps a step id it must keep that step's decision values,
or the domain would not follow it (a review decision the reporting hook does not know used to
take the default path while the report stayed submitted, and the unit was stuck).

``install`` plugs two checks into an engine:

* at deploy (``definition_deploying``): a process that has a decision step declares its
  decision in the step's ``gv:form`` as a required choice among the values below (a subset is
  fine: a periodic report has no extension path); conditions compare decision variables only with
  these values; no form writes a variable the dispatcher or the process itself sets. Each problem
  names its element.
* before a step completes (``task_completing``): the decision is one of the step's values (for a
  version deployed before this check), and an extension carries its new deadline.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from engine import (
    BadData,
    DeployError,
    Problem,
    ProcessBundle,
    TaskCompletion,
    UnitOfWork,
    register,
)
from workflows.timeframes import LOCAL_TZ

# --- processes of the library --------------------------------------------------------------------
PROCESS_LEAD = "giao_nhiem_vu"  # the lead unit's obligation
PROCESS_COORDINATE = "phoi_hop"  # a coordinating unit's contribution
PROCESS_WARD = "xa_phuong_trien_khai"  # a commune hands a task on to its schools
PROCESS_PERIODIC_REPORT = "bao_cao_dinh_ky"

# --- steps (element ids of human tasks) ----------------------------------------------------------
RECEIVE = "tiep_nhan"  # the unit accepts the work
DRAFT = "thuc_hien"  # the officer works and drafts the report (or asks for more time)
LEADER_REVIEW = "duyet_bao_cao"  # the unit's leader approves the draft or returns it
EXTENSION_REVIEW = "xem_xet_gia_han"  # the assigning unit answers a request for more time
REVIEW = "tham_dinh_bao_cao"  # the assigning (or parent) unit reviews the submitted report
SIGN_OFF = "ky_duyet"  # the assigning unit's leader signs off the approved report
WARD_ASSIGN = "giao_cho_truong"  # a commune assigns the task to its schools
WARD_FOLLOW = "theo_doi_cac_truong"  # … follows them
WARD_DRAFT = "tong_hop_bao_cao"  # … and drafts its consolidated report
CHILDREN_FOLLOW = "tong_hop_truc_thuoc"  # a unit waits for its children's periodic reports
DRAFT_STEPS = frozenset({DRAFT, WARD_DRAFT})

# --- decisions -----------------------------------------------------------------------------------
AGREE, RETURN, EXTEND = "dong_y", "tra_lai", "gia_han"
DECISION_LABELS = {AGREE: "Đồng ý", RETURN: "Trả lại", EXTEND: "Gia hạn"}


@dataclass(frozen=True)
class Decision:
    """The form field holding a step's decision and the values the domain knows for it."""

    field: str
    values: frozenset[str]


DECISIONS: dict[str, Decision] = {
    LEADER_REVIEW: Decision("lanh_dao_duyet", frozenset({AGREE, RETURN})),
    REVIEW: Decision("quyet_dinh", frozenset({AGREE, RETURN, EXTEND})),
    EXTENSION_REVIEW: Decision("quyet_dinh", frozenset({EXTEND, RETURN})),
}
# Every value a decision variable may be compared with in a condition.
DECISION_VALUES: dict[str, frozenset[str]] = {
    name: frozenset().union(*(d.values for d in DECISIONS.values() if d.field == name))
    for name in sorted({d.field for d in DECISIONS.values()})
}

# --- other fields the domain reads ---------------------------------------------------------------
REPORT = "bao_cao"  # a draft step's report: an object (workflows.reports.inputs.ReportInput)
EXTENSION_REQUEST = "de_nghi_gia_han"  # DRAFT: true to ask for more time instead of reporting
NEW_DEADLINE = "han_moi"  # with EXTEND: the new deadline
REQUESTED_DEADLINE = "han_de_nghi"  # with EXTENSION_REQUEST: the deadline the unit asks for
COORDINATOR_DEADLINE = "han_phoi_hop"  # the lead's RECEIVE: the deadline it gives its coordinators
COORDINATOR_ANSWER = "noi_dung_phoi_hop"  # a coordinator's DRAFT: its contribution to the lead's report
WARD_SCHOOL_DEADLINE = "han_cho_truong"  # WARD_ASSIGN: the deadline a commune gives its schools
MN, TH, THCS = "MN", "TH", "THCS"  # the school levels a commune assigns (cap_hoc)
SCHOOL_LEVELS = (MN, TH, THCS)
CHOICES: dict[tuple[str, str], frozenset[str]] = {
    **{(step, decision.field): decision.values for step, decision in DECISIONS.items()},
    (WARD_ASSIGN, "cap_hoc"): frozenset(SCHOOL_LEVELS),
}
# Set by the dispatcher (start data) or by the processes' own scripts: never by a person's form.
SYSTEM_VARIABLES = frozenset({
    "don_vi_giao", "don_vi_cap_tren", "don_vi_chu_tri", "tieu_de", "noi_dung", "san_pham", "noi_dung_de_nghi",
    "han_xu_ly", "han_goc", "mo_ky", "ky_bao_cao", "co_don_vi_truc_thuoc", "qua_han", "so_lan_tra_lai",
    "lich_su_y_kien", "so_lan_gia_han", "lich_su_gia_han", "vai_tro",
})  # fmt: skip

register({
    "contract_decision_missing": (
        "Bước {step} phải khai báo quyết định {field} trong gv:form: kiểu choice, required=\"true\", giá trị trong {values}.",
        'The step {step} must declare its decision {field} in its gv:form: a choice, required="true", values among {values}.',
    ),
    "contract_choice_values": (
        "Bước {step}: trường {field} có giá trị {unknown} mà hệ thống không biết (các giá trị: {values}).",
        "Step {step}: the field {field} offers {unknown}, which the application does not know (values: {values}).",
    ),
    "contract_condition_value": (
        "Điều kiện \"{condition}\" so sánh {field} với \"{value}\", giá trị hệ thống không biết (các giá trị: {values}).",
        'The condition "{condition}" compares {field} with "{value}", which the application does not know (values: {values}).',
    ),
    "contract_system_variable": (
        "Bước {step}: biểu mẫu không được có trường {field} (biến do tầng điều phối hoặc quy trình đặt).",
        "Step {step}: a form may not have the field {field} (a variable the dispatcher or the process sets).",
    ),
    "contract_report_type": (
        "Bước {step}: trường bao_cao phải có kiểu object (đối tượng báo cáo).",
        "Step {step}: the field bao_cao must be of type object (the report).",
    ),
    "decision_unknown": (
        "Bước {step}: quyết định {field} = \"{value}\" không hợp lệ (các giá trị: {values}).",
        'Step {step}: the decision {field} = "{value}" is not valid (values: {values}).',
    ),
    "extension_needs_deadline": (
        "Gia hạn cần hạn mới (han_moi) sau thời điểm hiện tại; nhận được: {value}.",
        "An extension needs a new deadline (han_moi) after now; received: {value}.",
    ),
})  # fmt: skip


def install(pe: Any) -> None:
    """Register the deploy-time check and the completion guard (once per engine)."""
    for name, hook in (("definition_deploying", check_definition), ("task_completing", check_decision)):
        pe.hooks.add(name, hook)


# --- at deploy -----------------------------------------------------------------------------------


def check_definition(uow: UnitOfWork, bundle: ProcessBundle) -> None:
    """Refuse a process that uses the contract's steps or variables other than the contract says."""
    problems = [*_decision_problems(bundle), *_form_problems(bundle), *_condition_problems(bundle)]
    if problems:
        raise DeployError(problems)


def _decision_problems(bundle: ProcessBundle) -> Iterator[Problem]:
    for step, decision in DECISIONS.items():
        if step not in bundle.roles:  # not a human task of this process
            continue
        field = bundle.form(step).field(decision.field)
        if field is None or field.type != "choice" or not field.required:
            yield Problem("contract_decision_missing", step, {"step": step, "field": decision.field, "values": _listed(decision.values)})


def _form_problems(bundle: ProcessBundle) -> Iterator[Problem]:
    for step, form in bundle.forms.items():
        for field in form.fields:
            allowed = CHOICES.get((step, field.name))
            if field.name in SYSTEM_VARIABLES:
                yield Problem("contract_system_variable", step, {"step": step, "field": field.name})
            elif allowed is not None and (unknown := [v for v in field.values if v not in allowed]):
                yield Problem("contract_choice_values", step, {"step": step, "field": field.name, "unknown": _listed(unknown), "values": _listed(allowed)})
            elif step in DRAFT_STEPS and field.name == REPORT and field.type != "object":
                yield Problem("contract_report_type", step, {"step": step})


def _condition_problems(bundle: ProcessBundle) -> Iterator[Problem]:
    for flow_id, condition in bundle.conditions.items():
        for name, value in compared_values(condition):
            allowed = DECISION_VALUES.get(name)
            if allowed is not None and value not in allowed:
                yield Problem("contract_condition_value", flow_id, {
                    "condition": condition[:200], "field": name, "value": value[:64], "values": _listed(allowed),
                })  # fmt: skip


def compared_values(condition: str) -> Iterator[tuple[str, str]]:
    """(variable, text) for each comparison of a variable with a text in ``condition``:
    ``quyet_dinh == "dong_y"``, ``"dong_y" != quyet_dinh``, ``quyet_dinh in ("dong_y", "gia_han")``."""
    try:
        tree = ast.parse(condition, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return  # the engine refused it already; nothing to compare
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for left, right in zip(operands, operands[1:], strict=False):
            for name, other in ((left, right), (right, left)):
                if isinstance(name, ast.Name):
                    yield from ((name.id, text) for text in _texts(other))


def _texts(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _listed(values: Any) -> str:
    return ", ".join(sorted(values))


# --- before a step completes ---------------------------------------------------------------------


def check_decision(uow: UnitOfWork, completion: TaskCompletion) -> None:
    """A decision step completes only with a decision the domain knows; an extension needs a
    new deadline after now."""
    step, data = completion.task.element_id, completion.data
    decision = DECISIONS.get(step)
    if decision is None:
        return
    value = data.get(decision.field)
    if value not in decision.values:
        raise BadData("decision_unknown", step=step, field=decision.field, value=str(value)[:64], values=_listed(decision.values))
    if value == EXTEND and not _after(data.get(NEW_DEADLINE), uow.now):
        raise BadData("extension_needs_deadline", value=str(data.get(NEW_DEADLINE))[:64])


def _after(deadline: Any, now: datetime) -> bool:
    """Whether ``deadline`` (ISO 8601; a date alone is the end of that day in Việt Nam) is after ``now``."""
    if not isinstance(deadline, str):
        return False
    try:
        instant = datetime.fromisoformat(deadline)
    except ValueError:
        return False
    if len(deadline) == 10:
        instant = datetime.combine(instant.date(), time(23, 59, 59), LOCAL_TZ)
    return instant.tzinfo is not None and instant > now
