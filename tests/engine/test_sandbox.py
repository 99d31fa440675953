"""The script sandbox: language rules, limits, process hygiene, and the SpiffWorkflow adapter."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import sandbox as sandbox_module
from engine.errors import ScriptError
from engine.sandbox import Sandbox, SandboxEnvironment, find_script_error, live_child_pids

TIMEOUT = 0.5


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(timeout=TIMEOUT)
    yield box
    box.close()


@pytest.fixture(scope="module", autouse=True)
def no_children_left() -> Iterator[None]:
    # Other modules' engines (the shared default sandbox) may own children in this process.
    before = set(live_child_pids())
    yield
    # Children of threads that have ended are killed when their thread's state is collected.
    import gc

    gc.collect()
    assert set(live_child_pids()) - before == set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # fields: state, parent pid. No sandbox child of ours may remain, nor any zombie.
            if int(fields[1]) == os.getpid():
                assert fields[0] != "Z", f"zombie child {pid}"
                if int(pid) not in before:
                    assert "_sandbox_child" not in _cmdline(pid), f"child {pid} still running"


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _raises(code: str, sandbox: Sandbox, script: str, variables: dict | None = None) -> ScriptError:
    with pytest.raises(ScriptError) as info:
        sandbox.execute(script, variables if variables is not None else {})
    assert info.value.code == code, info.value
    return info.value


# --- what scripts can do ------------------------------------------------------------------------


def test_evaluates_conditions(sandbox: Sandbox) -> None:
    condition = 'amount > 10 and decision == "approve"'
    assert sandbox.evaluate(condition, {"amount": 11, "decision": "approve"}) is True
    assert sandbox.evaluate(condition, {"amount": 9, "decision": "approve"}) is False
    assert sandbox.evaluate("len(items) + max(items)", {"items": [1, 5, 2]}) == 8
    assert sandbox.evaluate("{'a': [1, 2.5, None, 'x']}", {}) == {"a": [1, 2.5, None, "x"]}


def test_executes_assignments_modifications_deletions(sandbox: Sandbox) -> None:
    data = {"x": 21, "items": [1], "old": 0, "untouched": {"big": list(range(1000))}}
    sandbox.execute("y = x * 2\nitems.append(3)\ndel old\nx += 1", data)
    assert data == {"x": 22, "items": [1, 3], "y": 42, "untouched": {"big": list(range(1000))}}


def test_lists_dicts_fstrings_loops(sandbox: Sandbox) -> None:
    data: dict = {"people": [{"name": "An", "age": 30}, {"name": "Bình", "age": 17}]}
    script = (
        "adults = [p['name'] for p in people if p['age'] >= 18]\n"
        "counts = {}\n"
        "for p in people:\n"
        "    key = 'adult' if p['age'] >= 18 else 'minor'\n"
        "    counts[key] = counts.get(key, 0) + 1\n"
        "total = 0\n"
        "i = 0\n"
        "while i < 3:\n"
        "    total += i\n"
        "    i += 1\n"
        "first, second = people\n"
        "greeting = f\"Xin chào {first['name']}, tổng {total:03d}\"\n"
        "names = sorted(p['name'] for p in people)\n"
        "pairs = [[k, v] for k, v in counts.items()]\n"
    )
    sandbox.execute(script, data)
    assert data["adults"] == ["An"]
    assert data["counts"] == {"adult": 1, "minor": 1}
    assert data["total"] == 3
    assert data["greeting"] == "Xin chào An, tổng 003"
    assert data["names"] == ["An", "Bình"]
    assert data["pairs"] == [["adult", 1], ["minor", 1]]
    assert data["first"] == {"name": "An", "age": 30}


def test_only_named_variables_cross_the_pipe(sandbox: Sandbox) -> None:
    # A value that JSON cannot carry is fine as long as the script does not name it.
    data = {"x": 1, "opaque": object()}
    sandbox.execute("y = x + 1", data)
    assert data["y"] == 2
    with pytest.raises(ScriptError) as info:
        sandbox.evaluate("opaque", data)
    assert info.value.code == "script_bad_value" and "opaque" in str(info.value)


# --- what scripts cannot do ---------------------------------------------------------------------

REFUSED = [
    ("import os", "import"),
    ("from os import path", "import"),
    ("__import__('os')", "__import__"),
    ("().__class__.__bases__[0].__subclasses__()", "__class__"),
    ("open('/etc/passwd')", "open"),
    ("eval('1')", "eval"),
    ("exec('x=1')", "exec"),
    ("getattr(x, '__class__')", "getattr"),
    ("globals()", "globals"),
    ("f = lambda: 1", "lambda"),
    ("def f():\n    pass", "def"),
    ("class A:\n    pass", "class"),
    ("x.__dict__", "__dict__"),
    ("type(x)", "type"),
    ("'{0.__class__}'.format(x)", "format"),
    ("try:\n    pass\nexcept Exception:\n    pass", "try"),
    ("global x", "global"),
    ("with x:\n    pass", "with"),
    ("print(x)", "print"),
    ("d['a'] += 1", "+="),
]


@pytest.mark.parametrize(("script", "named"), REFUSED)
def test_refused_at_check_and_at_run(sandbox: Sandbox, script: str, named: str) -> None:
    detail = sandbox.check(script, "exec")
    assert detail is not None and named in detail and "dòng" in detail
    error = _raises("script_forbidden", sandbox, script, {"x": 1, "d": {"a": 1}})
    assert named in str(error)


def test_check_reports_the_line(sandbox: Sandbox) -> None:
    assert sandbox.check("x = 1\nimport os", "exec") == "dòng 2: không được import"
    assert sandbox.check("x = 1\ny = x + 1", "exec") is None
    assert sandbox.check("a > 1 and b", "eval") is None
    assert "cú pháp" in (sandbox.check("x = = 1", "exec") or "")
    assert "cú pháp" in (sandbox.check("x = 1", "eval") or "")  # an assignment is no condition


def test_eval_refusals(sandbox: Sandbox) -> None:
    for expression in ("__import__('os')", "x.__class__", "open('/etc/passwd')", "lambda: 1"):
        with pytest.raises(ScriptError) as info:
            sandbox.evaluate(expression, {"x": 1})
        assert info.value.code == "script_forbidden"


def test_runtime_errors_are_script_failed(sandbox: Sandbox) -> None:
    error = _raises("script_failed", sandbox, "y = 1\nz = nothing + 1")
    assert "dòng 2" in str(error) and "nothing" in str(error)
    _raises("script_failed", sandbox, "x = 1 / 0")
    _raises("script_failed", sandbox, "t = (1, 2)\nt[0] = 5")  # only dicts and lists are writable
    _raises("script_failed", sandbox, "r = range(10**7)")  # capped range


# --- limits ------------------------------------------------------------------------------------


def test_infinite_loop_times_out_and_sandbox_recovers(sandbox: Sandbox) -> None:
    sandbox.evaluate("1 + 0", {})  # not a literal: a child runs it
    runaway = sandbox._local.child.proc
    _raises("script_timeout", sandbox, "while True:\n    pass")
    assert runaway.poll() is not None  # killed, not left spinning: the error is the timeout's
    assert sandbox.evaluate("1 + 1", {}) == 2


@pytest.mark.parametrize(
    "script",
    [
        "x = [0] * (10**10)",
        "x = 'a' * (10**10)",
        "s = 'a'\nfor i in range(60):\n    s = s + s",
        "x = 10**10**10",
    ],
)
def test_memory_bombs_fail_cleanly(sandbox: Sandbox, script: str) -> None:
    with pytest.raises(ScriptError) as info:
        sandbox.execute(script, {})
    assert info.value.code in ("script_memory", "script_timeout")
    assert sandbox.evaluate("x + 1", {"x": 1}) == 2


def test_memory_error_keeps_the_child(sandbox: Sandbox) -> None:
    sandbox.evaluate("1 + 0", {})  # not a literal: a child runs it
    before = live_child_pids()
    _raises("script_memory", sandbox, "x = [0] * (10**10)")
    assert live_child_pids() == before  # recovered in place, no respawn


def test_no_side_effect_on_failure(sandbox: Sandbox) -> None:
    data = {"a": 0, "items": [1]}
    _raises("script_failed", sandbox, "a = 1\nitems.append(2)\nb = 1 / 0", data)
    assert data == {"a": 0, "items": [1]}
    _raises("script_timeout", sandbox, "a = 1\nwhile True:\n    pass", data)
    assert data == {"a": 0, "items": [1]}


def test_non_json_values_are_refused(sandbox: Sandbox) -> None:
    error = _raises("script_bad_value", sandbox, "x = {1, 2}")
    assert "x" in error.params["name"]
    _raises("script_bad_value", sandbox, "r = range(3)")
    _raises("script_bad_value", sandbox, "d = {1: 'a'}")
    _raises("script_bad_value", sandbox, "n = float('nan')")
    with pytest.raises(ScriptError) as info:
        sandbox.evaluate("{1, 2}", {})
    assert info.value.code == "script_bad_value"
    # a set used along the way is fine
    data: dict = {}
    sandbox.execute("n = len({1, 2, 2})", data)
    assert data == {"n": 2}


def test_close_kills_children_and_sandbox_still_works() -> None:
    box = Sandbox(timeout=TIMEOUT)
    box.evaluate("1 + 0", {})  # not a literal: a child runs it (engine.trivial_scripts)
    assert len(live_child_pids()) >= 1
    pid = box._local.child.proc.pid
    box.close()
    assert pid not in live_child_pids()
    assert box.evaluate("2 + 0", {}) == 2
    box.close()


# --- threads ------------------------------------------------------------------------------------


def test_threads_get_their_own_children(sandbox: Sandbox) -> None:
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            results[n] = [sandbox.evaluate("a * b", {"a": n, "b": i}) for i in range(50)]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results == {n: [n * i for i in range(50)] for n in range(4)}


# --- SpiffWorkflow ------------------------------------------------------------------------------


def _bpmn(script: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="Proc" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Script" name="Double">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="Gate" default="f4">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="Big"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="Small"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Script"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Script" targetRef="Gate"/>
    <bpmn:sequenceFlow id="f3" sourceRef="Gate" targetRef="Big">
      <bpmn:conditionExpression>y &gt; 40</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="Gate" targetRef="Small"/>
  </bpmn:process>
</bpmn:definitions>
""".encode()


def _workflow(script: str, sandbox: Sandbox, x: int) -> BpmnWorkflow:
    parser = BpmnParser()
    parser.add_bpmn_str(_bpmn(script), "test.bpmn")
    engine = PythonScriptEngine(environment=SandboxEnvironment(sandbox))
    workflow = BpmnWorkflow(parser.get_spec("Proc"), script_engine=engine)
    start = workflow.get_next_task(state=TaskState.READY)
    assert start is not None
    start.data["x"] = x
    return workflow


def _finished_end(workflow: BpmnWorkflow) -> set[str]:
    return {t.task_spec.name for t in workflow.get_tasks(state=TaskState.COMPLETED)} & {
        "Big",
        "Small",
    }


def test_spiffworkflow_runs_scripts_and_conditions_in_the_sandbox(sandbox: Sandbox) -> None:
    workflow = _workflow("y = x * 2", sandbox, 21)
    workflow.do_engine_steps()
    assert workflow.completed
    assert workflow.last_task is not None and workflow.last_task.data["y"] == 42
    assert _finished_end(workflow) == {"Big"}

    workflow = _workflow("y = x * 2", sandbox, 1)
    workflow.do_engine_steps()
    assert _finished_end(workflow) == {"Small"}


def test_spiffworkflow_surfaces_script_error(sandbox: Sandbox) -> None:
    workflow = _workflow("import os\ny = 1", sandbox, 21)
    with pytest.raises(Exception) as info:
        workflow.do_engine_steps()
    error = find_script_error(info.value)
    assert error is not None and error.code == "script_forbidden"
    assert "import" in str(error)
    # SpiffWorkflow wraps it in WorkflowTaskException raised while handling it:
    assert getattr(info.value, "error_type", None) == "ScriptError"
    assert info.value.__context__ is error


def test_spiffworkflow_failed_script_leaves_task_data(sandbox: Sandbox) -> None:
    workflow = _workflow("y = 5\nz = y / 0", sandbox, 21)
    with pytest.raises(Exception) as info:
        workflow.do_engine_steps()
    assert find_script_error(info.value) is not None
    script_task = workflow.get_next_task(spec_name="Script")
    assert script_task is not None and "y" not in script_task.data


def test_environment_external_context(sandbox: Sandbox) -> None:
    env = SandboxEnvironment(sandbox)
    assert env.evaluate("a + b", {"a": 1}, {"b": 2, "junk": object()}) == 3
    assert env.evaluate("a", {"a": 1}, {"a": 2}) == 1  # task data wins
    context: dict = {"a": 1}
    assert env.execute("a = a + b\nb = 0", context, {"b": 2}) is True
    assert context == {"a": 3}  # the external name is not copied into task data
    with pytest.raises(ScriptError):
        env.call_service({}, operation_name="x")


def test_default_sandbox_is_shared() -> None:
    assert sandbox_module.default_sandbox() is sandbox_module.default_sandbox()
