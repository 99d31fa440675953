"""Process data is bounded where it enters (depth, keys, size, plain JSON): a start, a form, an
operator's retry data, an outbox payload and every value a sandboxed script returns. Nested data
once made an instance unloadable for ever (SpiffWorkflow's serializer recurses into it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import (
    BadData,
    HumanTask,
    Incident,
    Instance,
    OutboxMessage,
    ScriptError,
    StartInstance,
    StepFailed,
    add_outbox_message,
    complete_task,
    data_limits,
    deploy,
    retry_incident,
    start_instance,
)
from engine.data_limits import MAX_BYTES, MAX_DEPTH, MAX_KEYS
from engine.messages import render
from engine.sandbox import Sandbox, _Child
from tests.engine.bpmn_samples import LIBRARY, user_task_chain


def nested(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_the_issue_s_500_deep_list_is_refused_naming_where():
    problem = data_limits.variables_problem({"ghi_chu": json.loads("[" * 500 + "]" * 500)})
    assert problem is not None and problem.code == "data_too_deep"
    assert problem.params["path"].startswith("ghi_chu[0][0]") and problem.params["limit"] == MAX_DEPTH
    vi, en = render(problem.code, "vi", **problem.params), render(problem.code, "en", **problem.params)
    assert vi.startswith("Dữ liệu lồng nhau quá sâu tại ghi_chu[0]") and "tối đa 32 cấp" in vi
    assert en.startswith("Data nested too deeply at ghi_chu[0]") and "at most 32 levels" in en


@pytest.mark.parametrize(
    ("data", "code", "path"),
    [
        ({"a": nested(MAX_DEPTH + 1)}, "data_too_deep", "a[0]"),
        ({"a": {"b": {"c": nested(MAX_DEPTH - 1)}}}, "data_too_deep", "a.b.c"),
        ({f"v{i}": i for i in range(MAX_KEYS + 1)}, "data_too_many_keys", "{…}"),
        ({"bang": {str(i): i for i in range(MAX_KEYS + 1)}}, "data_too_many_keys", "bang"),
        ({"a": "x" * MAX_BYTES}, "data_too_large", "{…}"),
        ({"a": [1, float("nan")]}, "data_not_json", "a[1]"),
        ({"a": {"b": {1, 2}}}, "data_not_json", "a.b"),
        ({"a": {1: "x"}}, "data_not_json", "a[1]"),
        ({"a": 10**5000}, "data_not_json", "{…}"),
    ],
)
def test_what_may_not_be_stored(data, code, path):
    problem = data_limits.variables_problem(data)
    assert problem is not None and problem.code == code
    assert problem.params["path"].startswith(path)


def test_what_may_be_stored():
    ok = {"a": nested(MAX_DEPTH), "b": {str(i): i for i in range(MAX_KEYS)}, "c": "x" * (MAX_BYTES - 100),
          "d": [1, 2.5, True, None, "chữ"]}  # fmt: skip
    assert data_limits.variables_problem({"a": ok["a"], "b": ok["b"]}) is None
    assert data_limits.variables_problem({"c": ok["c"]}) is None
    assert data_limits.variables_problem({"d": ok["d"]}) is None


def test_a_shared_list_repeated_a_million_times_is_too_large_before_it_is_walked():
    inner = [0] * 1000
    problem = data_limits.shape_problem([[inner] * 1000] * 1000, "x")  # 10**9 items, 8 KB in memory
    assert problem is not None and problem.code == "data_too_large"


# --- where data enters, on both databases -----------------------------------------------------


def _phoi_hop(pe) -> tuple[Instance, HumanTask]:
    with pe.unit_of_work("tester") as uow:
        deploy(uow, (LIBRARY / "phoi_hop.bpmn").read_bytes())
        instance = start_instance(uow, StartInstance("phoi_hop", {"tieu_de": "t"}, unit_code="HP.X001.THCS01"))
    return instance, _open(pe, instance.id)


def _open(pe, instance_id) -> HumanTask:
    with pe.read() as s:
        [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")).all()
    return task


def test_nested_form_data_is_refused_and_the_instance_goes_on(pe):
    """The issue's reproduction: the form was accepted, then the instance could never be loaded."""
    instance, task = _phoi_hop(pe)
    with pytest.raises(BadData) as refused, pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id, {"ghi_chu": json.loads("[" * 500 + "]" * 500)})
    assert refused.value.code == "data_too_deep" and "ghi_chu[0]" in str(refused.value)
    assert _open(pe, instance.id).id == task.id  # nothing changed
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id, {})  # tiep_nhan declares no form: it takes no data at all
    then = _open(pe, instance.id)
    # The bound comes before the step's form: a declared field gets the same refusal.
    with pytest.raises(BadData) as declared, pe.unit_of_work("officer") as uow:
        complete_task(uow, then.id, {"noi_dung_phoi_hop": json.loads("[" * 500 + "]" * 500)})
    assert declared.value.code == "data_too_deep"
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, then.id, {"noi_dung_phoi_hop": "xong"})
    assert _open(pe, instance.id).element_id == "duyet_bao_cao"


def test_start_data_retry_data_and_outbox_payloads_are_bounded_too(pe):
    deep = {"x": nested(MAX_DEPTH + 1)}
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain(script="ratio = total / n", names=("a",), fields={"total": "integer"}))
    with pytest.raises(BadData) as start, pe.unit_of_work("tester") as uow:
        start_instance(uow, StartInstance("p", deep, unit_code="U"))
    with pytest.raises(BadData) as outbox, pe.unit_of_work("tester") as uow:
        add_outbox_message(uow, "email", {"subject": "s", "rows": {str(i): i for i in range(MAX_KEYS + 1)}})
    assert (start.value.code, outbox.value.code) == ("data_too_deep", "data_too_many_keys")
    with pe.unit_of_work("tester") as uow:
        instance = start_instance(uow, StartInstance("p", {"n": 0}, unit_code="U"))
    with pytest.raises(StepFailed), pe.unit_of_work("officer") as uow:
        complete_task(uow, _open(pe, instance.id).id, {"total": 1})
    with pe.read() as s:
        [incident] = s.scalars(select(Incident)).all()
    with pytest.raises(BadData) as retry, pe.unit_of_work("admin") as uow:
        retry_incident(uow, incident.id, data={"n": "x" * MAX_BYTES})
    assert retry.value.code == "data_too_large"
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(Instance)) == 1
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert s.get(Incident, incident.id).status == "open"


@pytest.mark.parametrize(
    ("script", "code"),
    [
        ("x = []\nfor i in range(600):\n    x = [x]", "data_too_deep"),  # the issue's script
        ("x = {str(i): i for i in range(2000)}", "data_too_many_keys"),
        ('x = "ab" * 600000', "data_too_large"),
    ],
)
def test_a_script_value_over_the_limits_is_an_incident_and_changes_nothing(pe, script, code):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain(script=script.replace("<", "&lt;"), names=("a", "b")))
        instance = start_instance(uow, StartInstance("p", {}, unit_code="U"))
        other = start_instance(uow, StartInstance("p", {}, unit_code="V"))
    task = _open(pe, instance.id)
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id, {})
    with pytest.raises(StepFailed), pe.unit_of_work("officer") as uow:
        complete_task(uow, _open(pe, instance.id).id, {})
    with pe.read() as s:
        [incident] = s.scalars(select(Incident)).all()
    assert (incident.instance_id, incident.element_id, incident.error_code) == (instance.id, "s", code)
    assert _open(pe, instance.id).element_id == "b"  # still at its last wait state, still loadable
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, _open(pe, other.id).id, {})
    assert _open(pe, other.id).element_id == "b"


def test_the_server_checks_what_the_sandbox_child_returns(monkeypatch):
    """The child runs untrusted code: a value over the limits that it sends anyway is refused."""
    sandbox = Sandbox()
    deep = nested(MAX_DEPTH + 5)
    answers = iter([{"ok": True, "updates": {"x": deep}, "deleted": []}, {"ok": True, "value": {"k": deep}}])
    monkeypatch.setattr(_Child, "request", lambda self, payload: next(answers))
    try:
        with pytest.raises(ScriptError) as updated:
            sandbox.execute("x = 1 + 0", {})  # not a literal: the child is asked
        with pytest.raises(ScriptError) as evaluated:
            sandbox.evaluate("1 + 0", {})
    finally:
        sandbox.close()
    assert updated.value.code == evaluated.value.code == "data_too_deep"
    assert updated.value.params["path"].startswith("x[0]")
