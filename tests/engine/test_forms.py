"""Forms (gv:form): declarations refused at deploy naming the element, data checked against the
step's allowlist before anything runs, the ``task_completing`` guard and the deploy check hook."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine import (
    AuditEvent,
    DeployError,
    Form,
    FormField,
    FormRejected,
    HumanTask,
    Incident,
    Instance,
    InvalidState,
    ProcessDefinition,
    StartInstance,
    StepFailed,
    complete_task,
    deploy,
    retry_incident,
    start_instance,
)
from engine.bpmn import load_bpmn
from engine.forms import MAX_OBJECT_DEPTH, parse_field
from engine.sandbox import default_sandbox
from tests.engine.bpmn_samples import process, user_task_chain
from workflows.roles import role_catalog


def field(**attributes: str) -> FormField:
    declared, problems = parse_field({"name": "f", **attributes})
    assert declared is not None and problems == [], problems
    return declared


def codes(form_: Form, data: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(p.element_id, p.code) for p in form_.problems(data)]


# --- values ------------------------------------------------------------------------------------

NESTED: Any = {}
_node = NESTED
for _ in range(5_000):  # far deeper than the interpreter's recursion limit
    _node["x"] = {}
    _node = _node["x"]

VALUES = [
    # (attributes, value, problem code or None)
    ({"type": "text"}, "Đã hoàn thành", None),
    ({"type": "text"}, 12, "form_wrong_type"),
    ({"type": "text", "maxLength": "5"}, "123456", "form_too_long"),
    ({"type": "text"}, "x" * 5_001, "form_too_long"),  # the default bound
    ({"type": "text"}, "dòng 1\r\ndòng 2\tcột", None),
    ({"type": "text"}, "nul\x00", "form_control_character"),
    ({"type": "choice", "values": "dong_y tra_lai"}, "dong_y", None),
    ({"type": "choice", "values": "dong_y tra_lai"}, "tu_choi", "form_not_a_value"),
    ({"type": "choice", "values": "dong_y tra_lai"}, ["dong_y"], "form_wrong_type"),
    ({"type": "boolean"}, True, None),
    ({"type": "boolean"}, "true", "form_wrong_type"),
    ({"type": "integer", "min": "0"}, 3, None),
    ({"type": "integer", "min": "0"}, -1, "form_out_of_range"),
    ({"type": "integer"}, True, "form_wrong_type"),
    ({"type": "integer"}, 2.5, "form_wrong_type"),
    ({"type": "integer"}, 10**30, "form_out_of_range"),
    ({"type": "decimal", "max": "100"}, "12.5", None),
    ({"type": "decimal", "max": "100"}, 99.75, None),
    ({"type": "decimal", "max": "100"}, "100.01", "form_out_of_range"),
    ({"type": "decimal"}, "1,5", "form_wrong_type"),
    ({"type": "decimal"}, "NaN", "form_wrong_type"),
    ({"type": "decimal"}, "9" * 5_001, "form_wrong_type"),
    ({"type": "date"}, "2026-04-30", None),
    ({"type": "date"}, "2026-02-30", "form_wrong_type"),
    ({"type": "date"}, "30/04/2026", "form_wrong_type"),
    ({"type": "datetime"}, "2026-04-30T17:00:00+07:00", None),
    ({"type": "datetime"}, "2026-04-30T10:00:00Z", None),
    ({"type": "datetime"}, "2026-04-30", None),  # a date alone: the process reads it
    ({"type": "datetime"}, "2026-04-30T17:00:00", "form_wrong_type"),  # no offset: ambiguous
    ({"type": "datetime"}, "R1/2026-04-30/P1D", "form_wrong_type"),  # never a timer expression
    ({"type": "list", "items": "choice", "values": "MN TH THCS"}, ["MN", "THCS"], None),
    ({"type": "list", "items": "choice", "values": "MN TH THCS"}, ["THPT"], "form_not_a_value"),
    ({"type": "list", "maxItems": "2"}, ["a", "b", "c"], "form_too_many_items"),
    ({"type": "list"}, ["a"] * 101, "form_too_many_items"),  # the default bound
    ({"type": "list", "items": "text", "maxLength": "3"}, ["abcd"], "form_too_long"),
    ({"type": "list"}, [None], "form_wrong_type"),
    ({"type": "list"}, "a", "form_wrong_type"),
    ({"type": "object"}, {"ket_qua": "x", "chi_so": [{"ma": "18", "tu_so": "1"}]}, None),
    ({"type": "object"}, ["x"], "form_wrong_type"),
    ({"type": "object"}, NESTED, "form_too_deep"),
    ({"type": "object", "maxLength": "20"}, {"ket_qua": "dài hơn hai mươi ký tự"}, "form_too_long"),
]


@pytest.mark.parametrize(("attributes", "value", "code"), VALUES, ids=[f"{a['type']}-{i}" for i, (a, _, _) in enumerate(VALUES)])
def test_each_type_accepts_its_values_within_bounds(attributes: dict[str, str], value: Any, code: str | None) -> None:
    found = Form((field(**attributes),)).problems({"f": value})
    assert [p.code for p in found][:1] == ([code] if code else [])


def test_a_deeply_nested_object_is_refused_at_the_depth_limit() -> None:
    shallow: dict[str, Any] = {}
    node = shallow
    for _ in range(MAX_OBJECT_DEPTH - 1):
        node["x"] = {}
        node = node["x"]
    checked = Form((field(type="object"),))
    assert checked.problems({"f": shallow}) == []
    node["x"] = {}
    assert [p.code for p in checked.problems({"f": shallow})] == ["form_too_deep"]


def test_every_problem_is_reported_with_its_field() -> None:
    checked = Form((field(type="choice", values="dong_y tra_lai", required="true", label="Quyết định"),
                    FormField("y_kien", "text"), FormField("so", "integer")))  # fmt: skip
    assert codes(checked, {"don_vi_giao": "HP.X001", "so": "3"}) == [
        ("don_vi_giao", "form_unknown_field"), ("f", "form_required"), ("so", "form_wrong_type"),
    ]  # fmt: skip
    for empty in (None, "", "   "):  # a required field left empty is missing; an optional one is fine
        assert codes(checked, {"f": empty, "y_kien": empty}) == [("f", "form_required")]
    with pytest.raises(FormRejected) as refused:
        checked.check({"don_vi_giao": "HP.X001"}, element_id="tham_dinh_bao_cao")
    assert str(refused.value).startswith("Dữ liệu của bước tham_dinh_bao_cao không hợp lệ: trường don_vi_giao không có trong biểu mẫu")
    assert refused.value.message("en").startswith("The data for step tham_dinh_bao_cao is not valid: don_vi_giao is not a field")
    assert "Quyết định" in str(refused.value)


def test_a_flood_of_unknown_fields_gives_a_bounded_refusal() -> None:
    flood = {f"k{i}": 1 for i in range(5_000)} | {"x" * 10_000: 1}
    problems = Form((FormField("a", "text"),)).problems(flood)
    assert len(problems) == 10 and len(FormRejected("t", problems).message()) < 2_000


def test_a_step_without_a_form_takes_no_data() -> None:
    assert Form().problems({}) == []
    [problem] = Form().problems({"ghi_chu": "x", "don_vi_giao": "y"})
    assert problem.code == "form_no_data" and "don_vi_giao, ghi_chu" in problem.message()


def test_a_field_as_the_web_form_reads_it() -> None:
    assert field(type="list", items="choice", values="MN TH", label="Cấp học").as_json() == {
        "name": "f", "type": "list", "required": False, "label": "Cấp học", "values": ["MN", "TH"], "items": "choice", "maxItems": 100,
    }  # fmt: skip
    assert field(type="text").as_json()["maxLength"] == 5_000
    assert field(type="integer", min="0", max="10").as_json() == {"name": "f", "type": "integer", "required": False, "label": "", "min": "0", "max": "10"}


# --- declarations ------------------------------------------------------------------------------


def task_with(extension: str, tag: str = "userTask") -> bytes:
    """start -> one task ``t`` (officer lane) carrying ``extension`` in its extensionElements -> end."""
    body = (
        f'<bpmn:startEvent id="start"/><bpmn:{tag} id="t" name="Việc">'
        f"<bpmn:extensionElements>{extension}</bpmn:extensionElements></bpmn:{tag}><bpmn:endEvent id=\"end\"/>"
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="end"/>'
        '<bpmn:dataObject id="qua_han"/>'
    )
    return process(body, lanes={"Chuyên viên": ["t"]})


def gv_form(*fields: str) -> str:
    return "<gv:form>" + "".join(f"<gv:field {f}/>" for f in fields) + "</gv:form>"


BAD_DECLARATIONS = {
    "unknown type": (gv_form('name="x" type="string"'), "form_field_bad_type"),
    "no type": (gv_form('name="x"'), "form_field_bad_type"),
    "bad name": (gv_form('name="bao cáo" type="text"'), "form_field_bad_name"),
    "name of an engine variable": (gv_form('name="_x" type="text"'), "form_field_bad_name"),
    "twice": (gv_form('name="x" type="text"', 'name="x" type="integer"'), "form_field_duplicate"),
    "choice without values": (gv_form('name="x" type="choice"'), "form_field_bad_value"),
    "values repeated": (gv_form('name="x" type="choice" values="a a"'), "form_field_bad_value"),
    "values with odd characters": (gv_form('name="x" type="choice" values="a &quot;b&quot;"'), "form_field_bad_value"),
    "maxLength not a number": (gv_form('name="x" type="text" maxLength="nhiều"'), "form_field_bad_value"),
    "maxLength over the cap": (gv_form('name="x" type="text" maxLength="100001"'), "form_field_bad_value"),
    "min above max": (gv_form('name="x" type="integer" min="5" max="1"'), "form_field_bad_value"),
    "min not an integer": (gv_form('name="x" type="integer" min="1.5"'), "form_field_bad_value"),
    "required not a boolean": (gv_form('name="x" type="text" required="có"'), "form_field_bad_value"),
    "a list of lists": (gv_form('name="x" type="list" items="list"'), "form_field_bad_value"),
    "attribute of another type": (gv_form('name="x" type="boolean" maxLength="3"'), "form_field_unknown_attribute"),
    "misspelt attribute": (gv_form('name="x" type="text" maxlength="3"'), "form_field_unknown_attribute"),
    "a party variable": (gv_form('name="don_vi_giao" type="text"'), "form_field_reserved"),
    "a data object": (gv_form('name="qua_han" type="boolean"'), "form_field_reserved"),
    "the engine's data objects": (gv_form('name="data_objects" type="object"'), "form_field_reserved"),
    "two forms": (gv_form('name="x" type="text"') + gv_form('name="y" type="text"'), "gv_repeated"),
    "a stranger in the form": ('<gv:form><gv:fields name="x" type="text"/></gv:form>', "gv_unknown_element"),
    "a misspelt gv element": ('<gv:from><gv:field name="x" type="text"/></gv:from>', "gv_unknown_element"),
    "a field outside a form": ('<gv:field name="x" type="text"/>', "gv_misplaced"),
}


@pytest.mark.parametrize("case", list(BAD_DECLARATIONS))
def test_a_bad_declaration_is_refused_naming_the_task(case: str) -> None:
    extension, code = BAD_DECLARATIONS[case]
    sandbox = default_sandbox()
    with pytest.raises(DeployError) as refused:
        load_bpmn(task_with(extension), role_catalog(), sandbox)
    assert [(p.element_id, p.code) for p in refused.value.problems] == [("t", code)]
    assert refused.value.message("en") != refused.value.message("vi")  # both languages, every code


def test_a_form_belongs_to_a_human_task_only() -> None:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:scriptTask id="s"><bpmn:extensionElements>'
        + gv_form('name="x" type="text"')
        + '</bpmn:extensionElements><bpmn:script>y = 1</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="s"/><bpmn:sequenceFlow id="f2" sourceRef="s" targetRef="end"/>'
    )
    with pytest.raises(DeployError) as refused:
        load_bpmn(process(body), role_catalog(), default_sandbox())
    assert [(p.element_id, p.code) for p in refused.value.problems] == [("s", "gv_misplaced")]
    assert "bpmn:manualTask / bpmn:userTask" in str(refused.value)


def test_a_good_declaration_is_read_into_the_bundle() -> None:
    extension = gv_form(
        'name="quyet_dinh" type="choice" values="dong_y tra_lai" required="true" label="Quyết định"',
        'name="so" type="integer" min="0" max="10"', 'name="cap_hoc" type="list" items="choice" values="MN TH" maxItems="2"',
    ) + '<other:thing xmlns:other="urn:modeler"/>'  # another vendor's extension is left alone
    bundle = load_bpmn(task_with(extension, tag="manualTask"), role_catalog(), default_sandbox())["p"]
    assert bundle.form("t").names == ("quyet_dinh", "so", "cap_hoc")
    assert bundle.form("t").field("quyet_dinh") == FormField("quyet_dinh", "choice", True, "Quyết định", ("dong_y", "tra_lai"))
    assert bundle.form("start") == Form()


# --- completing a task -------------------------------------------------------------------------


def _start(pe, xml: bytes, key: str = "p") -> tuple[Instance, HumanTask]:
    with pe.unit_of_work("admin") as uow:
        deploy(uow, xml)
        instance = start_instance(uow, StartInstance(key, {}, unit_code="U"))
    with pe.read() as s:
        [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")).all()
    return instance, task


def _facts(pe, instance: Instance) -> tuple[Any, ...]:
    with pe.read() as s:
        row = s.get(Instance, instance.id)
        return (
            row.version, row.state,
            s.scalars(select(HumanTask.status).where(HumanTask.instance_id == instance.id)).all(),
            s.scalar(select(func.count()).select_from(Incident)),
            s.scalar(select(func.count()).where(AuditEvent.event == "task_completed")),
        )  # fmt: skip


def test_data_that_does_not_fit_the_form_is_refused_before_anything_runs(pe) -> None:
    # The script after the task would fail on any data: a refusal must never get that far.
    instance, task = _start(pe, user_task_chain(script="x = 1 / 0", names=("a",), fields={"ket_qua": {"type": "text", "maxLength": "10"}}))
    before = _facts(pe, instance)
    for bad in ({"ket_qua": "x" * 11}, {"ket_qua": "ok", "don_vi_giao": "U"}, {"ket_qua": ["x"]}):
        with pytest.raises(FormRejected), pe.unit_of_work("officer") as uow:
            complete_task(uow, task.id, bad)
    assert _facts(pe, instance) == before  # no step, no incident, no audit event
    with pytest.raises(StepFailed), pe.unit_of_work("officer") as uow:  # fitting data reaches the script
        complete_task(uow, task.id, {"ket_qua": "ok"})


def test_a_retry_checks_the_operators_data_against_the_form(pe) -> None:
    instance, task = _start(pe, user_task_chain(script="ti_le = tong / n", names=("a",), fields={"tong": "integer", "n": "integer"}))
    with pytest.raises(StepFailed), pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id, {"tong": 10, "n": 0})
    with pe.read() as s:
        [incident] = s.scalars(select(Incident)).all()
    with pytest.raises(FormRejected) as refused, pe.unit_of_work("admin") as uow:
        retry_incident(uow, incident.id, data={"n": 2, "don_vi_giao": "KHAC"})
    assert [p.element_id for p in refused.value.problems] == ["don_vi_giao"]
    with pe.read() as s:
        assert s.get(Incident, incident.id).status == "open"
    with pe.unit_of_work("admin") as uow:
        retry_incident(uow, incident.id, data={"n": 2})
    with pe.read() as s:
        assert (s.get(Incident, incident.id).status, s.get(Instance, instance.id).status) == ("resolved", "completed")


def test_the_task_completing_guard_runs_before_the_step_and_on_every_path(pe) -> None:
    seen: list[tuple[str, dict[str, Any], str, tuple[str, ...]]] = []

    def guard(uow, completion) -> None:
        seen.append((completion.task.element_id, completion.data, completion.instance.unit_code, completion.form.names))
        if completion.data.get("n") == 13:
            raise InvalidState("task_not_open", id="13", status="guarded")

    pe.hooks.task_completing.append(guard)
    instance, task = _start(pe, user_task_chain(script="ti_le = 10 / n", names=("a",), fields={"n": "integer"}))
    before = _facts(pe, instance)
    with pytest.raises(InvalidState), pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id, {"n": 13})
    assert _facts(pe, instance) == before
    with pytest.raises(FormRejected), pe.unit_of_work("officer") as uow:  # the form first: the guard sees fitting data only
        complete_task(uow, task.id, {"n": "13"})
    with pytest.raises(StepFailed), pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id, {"n": 0})
    with pe.read() as s:
        [incident] = s.scalars(select(Incident)).all()
    with pe.unit_of_work("admin") as uow:
        retry_incident(uow, incident.id, data={"n": 5})
    assert seen == [("a", {"n": 13}, "U", ("n",)), ("a", {"n": 0}, "U", ("n",)), ("a", {"n": 5}, "U", ("n",))]


def test_a_definition_deploying_check_refuses_before_anything_is_stored(pe) -> None:
    checked: list[str] = []

    def no_task_named_b(uow, bundle) -> None:
        checked.append(bundle.key)
        if "b" in bundle.roles:
            from engine import Problem

            raise DeployError([Problem("bad_data", "b", {"detail": "b"})])

    pe.hooks.definition_deploying.append(no_task_named_b)
    with pytest.raises(DeployError) as refused, pe.unit_of_work("admin") as uow:
        deploy(uow, user_task_chain("p1"))
    assert refused.value.problems[0].element_id == "b"
    with pe.unit_of_work("admin") as uow:
        deploy(uow, user_task_chain("p2", names=("a",)))
    with pe.unit_of_work("admin") as uow:
        [again] = deploy(uow, user_task_chain("p2", names=("a",)))  # identical: a no-op, not checked again
    assert (again.created, checked) == (False, ["p1", "p2"])
    with pe.read() as s:
        assert s.scalars(select(ProcessDefinition.key)).all() == ["p2"]


def test_a_bad_form_is_refused_at_deploy_and_nothing_is_stored(pe) -> None:
    with pytest.raises(DeployError) as refused, pe.unit_of_work("admin") as uow:
        deploy(uow, user_task_chain(fields={"don_vi_giao": "text"}))
    assert {(p.element_id, p.code) for p in refused.value.problems} == {("a", "form_field_reserved"), ("b", "form_field_reserved")}
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(ProcessDefinition)) == 0

