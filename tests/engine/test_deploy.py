"""Deploying BPMN: the MIWG conformance set, hostile uploads, our model rules, versioning.

Rule checks that need no database call ``load_bpmn`` directly; everything that stores (or must
not store) a definition goes through ``engine.deploy`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from lxml import etree
from sqlalchemy import func, select

from engine import (
    AuditEvent,
    DeployError,
    Instance,
    ProcessDefinition,
    ProcessEngine,
    StartInstance,
    Timer,
    complete_task,
    deploy,
    start_instance,
)
from engine.bpmn import load_bpmn
from engine.messages import CATALOG, Problem
from engine.sandbox import default_sandbox
from engine.xml_safety import BPMN_NS
from tests.engine import hostile
from tests.engine.bpmn_samples import HEAD, giao_nhiem_vu, process, timer_then_task, user_task_chain
from tests.fixtures.shared import MIWG
from tests.work import Work, run_counted
from workflows.roles import role_catalog

MIWG_FILES = sorted(MIWG.glob("*.bpmn"))
# Validation and SpiffWorkflow's parser run 5-50 Python statements an element on the MIWG set, and
# an upload that is refused before parsing a few hundred. The bound is linear in the file: a check
# that went quadratic, or a loop that never ends, runs past it (and is stopped there).
STATEMENTS_PER_ELEMENT = 100
BASE_STATEMENTS = 5_000  # the fixed cost of one call, and of one unit of work on the database

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'


# --- helpers ---------------------------------------------------------------------------------


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f"<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def between(node: str, node_id: str, **kwargs: Any) -> bytes:
    """start -> ``node`` -> end, in one executable process."""
    return process(
        START + node + END + flow("f_in", "start", node_id) + flow("f_out", node_id, "end"),
        **kwargs,
    )


def timer(kind: str, text: str) -> bytes:
    return between(
        f'<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        f"<bpmn:{kind}>{escape(text)}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
        "wait",
    )


def script(code: str) -> bytes:
    return between(
        f'<bpmn:scriptTask id="s"><bpmn:script>{escape(code)}</bpmn:script></bpmn:scriptTask>', "s"
    )


def gateway(condition: str | None) -> bytes:
    """start -> exclusive gateway (default f_no) -> f_yes [condition] / f_no."""
    body = (
        START + '<bpmn:exclusiveGateway id="g" default="f_no"/>' + END + '<bpmn:endEvent id="end2"/>'
        + flow("f_in", "start", "g") + flow("f_yes", "g", "end", condition) + flow("f_no", "g", "end2")
    )  # fmt: skip
    return process(body)


def problems_of(xml: bytes) -> list[Problem]:
    """The problems ``load_bpmn`` refuses ``xml`` with (fails if it is accepted)."""
    with pytest.raises(DeployError) as caught:
        load_bpmn(xml, role_catalog(), default_sandbox())
    return caught.value.problems


def pairs(found: list[Problem]) -> list[tuple[str, str | None]]:
    return [(p.code, p.element_id) for p in found]


def deploy_one(pe: ProcessEngine, xml: bytes, *, source_name: str = "upload.bpmn") -> list[Any]:
    with pe.unit_of_work("tester") as uow:
        return deploy(uow, xml, source_name=source_name)


def definition_rows(pe: ProcessEngine) -> list[tuple[str, int]]:
    with pe.read() as session:
        rows = session.execute(
            select(ProcessDefinition.key, ProcessDefinition.version).order_by(ProcessDefinition.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def deployed_events(pe: ProcessEngine) -> list[AuditEvent]:
    with pe.read() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.event == "definition_deployed")
                .order_by(AuditEvent.id)
            )
        )


def work_bound(xml: bytes) -> int:
    """The most statements loading ``xml`` may run: linear in its elements."""
    try:
        elements = sum(1 for _ in etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True)).iter())
    except etree.XMLSyntaxError:
        elements = 0
    return BASE_STATEMENTS + STATEMENTS_PER_ELEMENT * elements


def bounded(fn: Callable[[], Any], xml: bytes) -> tuple[Any, Work]:
    """``fn()``'s result (or exception) and its work, stopped past ``work_bound(xml)``."""
    return run_counted(fn, limit=work_bound(xml))


@pytest.fixture(scope="module", autouse=True)
def _canary() -> Iterator[hostile.Canary]:
    yield hostile.canary()
    hostile.close_canary()


# --- 1. MIWG conformance ---------------------------------------------------------------------


def test_the_miwg_reference_set_is_present() -> None:
    assert len(MIWG_FILES) == 21, f"expected the 21 MIWG reference models in {MIWG}"


def _ids_and_tags(xml: bytes) -> dict[str, etree._Element]:
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    return {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}


def _first_process_id(xml: bytes) -> str | None:
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    first = next(root.iter(f"{{{BPMN_NS}}}process"), None)
    return None if first is None else first.get("id")


@pytest.mark.parametrize("path", MIWG_FILES, ids=[p.name for p in MIWG_FILES])
def test_miwg_model_is_accepted_or_refused_element_by_element(path: Path) -> None:
    xml = path.read_bytes()
    result, work = bounded(lambda: load_bpmn(xml, role_catalog(), default_sandbox(), source_name=path.name), xml)
    if isinstance(result, dict):
        assert result, "accepted but produced no process"
        print(f"MIWG {path.name}: accepted {sorted(result)}, {work.statements} statements")
        return
    if not isinstance(result, DeployError):
        raise AssertionError(
            f"{path.name} crashed instead of being refused: {type(result).__name__}: {result}"
        ) from result

    ids = _ids_and_tags(xml)
    assert result.problems
    for problem in result.problems:
        assert problem.element_id is not None, (
            f"{problem.code} names no element: {problem.message('en')}"
        )
        assert problem.element_id in ids, (
            f"{problem.code} names {problem.element_id!r}, not an id in the file"
        )
        english = problem.message("en")
        assert english and "{" not in english
        if problem.code == "bpmn_no_executable_process":
            assert problem.element_id == _first_process_id(xml)
        if problem.code == "bpmn_unsupported_element":
            tag = problem.params["tag"]
            assert tag.startswith("bpmn:") and tag in english and tag in problem.message("vi")
            named = ids[problem.element_id]
            local = tag.removeprefix("bpmn:")
            # The element named is the unsupported one, or the nearest element with an id around it.
            assert (
                etree.QName(named).localname == local
                or next(named.iter(f"{{{BPMN_NS}}}{local}"), None) is not None
            )
    # At most one file-level problem, and it is the first process's.
    assert sum(p.code == "bpmn_no_executable_process" for p in result.problems) <= 1
    reasons = sorted({p.params.get("tag", p.code) for p in result.problems})
    print(
        f"MIWG {path.name}: refused, {len(result.problems)} problems, {work.statements} statements: {', '.join(reasons)}"
    )


def test_miwg_set_through_deploy_stores_only_accepted_models(pe: ProcessEngine) -> None:
    accepted: list[str] = []
    for path in MIWG_FILES:
        xml = path.read_bytes()
        result, _ = bounded(lambda x=xml, p=path: deploy_one(pe, x, source_name=p.name), xml)
        if isinstance(result, DeployError):
            assert all(p.element_id for p in result.problems), path.name
        else:
            accepted += [d.key for d in result]
    assert sorted(key for key, _ in definition_rows(pe)) == sorted(accepted)


# --- 2. hostile uploads ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(hostile.HOSTILE))
def test_hostile_upload_is_refused_with_bounded_work_and_stores_nothing(pe: ProcessEngine, name: str) -> None:
    data = hostile.HOSTILE[name]()
    refused, _ = run_counted(lambda: deploy_one(pe, data), limit=BASE_STATEMENTS)
    assert isinstance(refused, DeployError), refused
    assert pairs(refused.problems) == [(hostile.EXPECTED[name], None)]
    canary = hostile.canary()
    assert canary.hits == 0, canary.requests
    assert canary.marker not in refused.message("en") + str(refused)
    assert definition_rows(pe) == []
    assert deployed_events(pe) == []


def _lane_ref_to_missing_node() -> bytes:
    return process(START + END + flow("f", "start", "end"), lanes={"Chuyên viên": ["ghost"]})


RULE_CASES = [
    pytest.param(
        process(START + END + flow("f_bad", "start", "nowhere")),
        "bpmn_dangling_reference",
        "f_bad",
        id="flow-target-missing",
    ),
    pytest.param(
        process(START + END + flow("f_bad", "ghost", "end")),
        "bpmn_dangling_reference",
        "f_bad",
        id="flow-source-missing",
    ),
    pytest.param(
        _lane_ref_to_missing_node(), "bpmn_dangling_reference", "lane_0", id="lane-ref-missing"
    ),
    pytest.param(
        process(START + END + '<bpmn:task id="start"/>' + flow("f", "start", "end")),
        "bpmn_duplicate_id",
        "start",
        id="duplicate-id",
    ),
    pytest.param(
        timer("timeDuration", "P1X"), "bpmn_timer_unparseable", "wait", id="timer-duration-P1X"
    ),
    pytest.param(
        timer("timeDuration", "PT"), "bpmn_timer_unparseable", "wait", id="timer-duration-PT"
    ),
    pytest.param(
        timer("timeDate", "not a date"), "bpmn_timer_unparseable", "wait", id="timer-date-text"
    ),
    pytest.param(
        timer("timeDate", "2026-13-45"), "bpmn_timer_unparseable", "wait", id="timer-date-month-13"
    ),
    pytest.param(
        timer("timeCycle", "R/xyz"), "bpmn_timer_unparseable", "wait", id="timer-cycle-xyz"
    ),
    pytest.param(
        timer("timeDuration", "__import__('os')"),
        "bpmn_timer_unparseable",
        "wait",
        id="timer-import",
    ),
    pytest.param(
        timer("timeDate", "open('/etc/passwd').read()"),
        "bpmn_timer_unparseable",
        "wait",
        id="timer-open",
    ),
    pytest.param(script("import os"), "bpmn_script_rejected", "s", id="script-import"),
    pytest.param(
        script("from os import system"), "bpmn_script_rejected", "s", id="script-from-import"
    ),
    pytest.param(
        script("x = __import__('os').system('id')"),
        "bpmn_script_rejected",
        "s",
        id="script-dunder-import",
    ),
    pytest.param(
        script("x = ().__class__.__bases__[0].__subclasses__()"),
        "bpmn_script_rejected",
        "s",
        id="script-dunder-attr",
    ),
    pytest.param(script("x = __builtins__"), "bpmn_script_rejected", "s", id="script-builtins"),
    pytest.param(
        script("x = open('/etc/passwd').read()"), "bpmn_script_rejected", "s", id="script-open"
    ),
    pytest.param(script("x = eval('1 + 1')"), "bpmn_script_rejected", "s", id="script-eval"),
    pytest.param(script("exec('y = 1')"), "bpmn_script_rejected", "s", id="script-exec"),
    pytest.param(script("x = getattr(y, 'z')"), "bpmn_script_rejected", "s", id="script-getattr"),
    pytest.param(script("x = = 1"), "bpmn_script_rejected", "s", id="script-syntax-error"),
    pytest.param(gateway("import os"), "bpmn_script_rejected", "f_yes", id="condition-import"),
    pytest.param(
        gateway("__import__('os').system('id') == 0"),
        "bpmn_script_rejected",
        "f_yes",
        id="condition-dunder",
    ),
    pytest.param(gateway(None), "bpmn_condition_missing", "f_yes", id="condition-missing"),
    pytest.param(
        between('<bpmn:userTask id="u"/>', "u"),
        "bpmn_user_task_no_lane",
        "u",
        id="user-task-no-lane",
    ),
    pytest.param(
        between('<bpmn:manualTask id="u"/>', "u"),
        "bpmn_user_task_no_lane",
        "u",
        id="manual-task-no-lane",
    ),
    pytest.param(
        between('<bpmn:userTask id="u"/>', "u", lanes={"Kế toán": ["u"]}),
        "bpmn_lane_unknown_role",
        "u",
        id="lane-ke-toan",
    ),
    pytest.param(
        between('<bpmn:serviceTask id="x"/>', "x"),
        "bpmn_unsupported_element",
        "x",
        id="serviceTask",
    ),
    pytest.param(
        between('<bpmn:sendTask id="x"/>', "x"), "bpmn_unsupported_element", "x", id="sendTask"
    ),
    pytest.param(
        between('<bpmn:receiveTask id="x"/>', "x"),
        "bpmn_unsupported_element",
        "x",
        id="receiveTask",
    ),
    pytest.param(
        between('<bpmn:complexGateway id="x"/>', "x"),
        "bpmn_unsupported_element",
        "x",
        id="complexGateway",
    ),
    pytest.param(
        between(
            '<bpmn:intermediateCatchEvent id="x"><bpmn:messageEventDefinition id="md"/></bpmn:intermediateCatchEvent>',
            "x",
        ),
        "bpmn_unsupported_element",
        "md",
        id="messageEventDefinition-with-id",
    ),
    pytest.param(
        between(
            '<bpmn:intermediateCatchEvent id="x"><bpmn:messageEventDefinition/></bpmn:intermediateCatchEvent>',
            "x",
        ),
        "bpmn_unsupported_element",
        "x",
        id="messageEventDefinition-without-id",
    ),
    pytest.param(
        process(START + END + flow("f", "start", "end"), executable=False),
        "bpmn_no_executable_process",
        "p",
        id="not-executable",
    ),
    pytest.param(
        between('<bpmn:callActivity id="c" calledElement="khong_co"/>', "c"),
        "bpmn_call_unknown_process",
        "c",
        id="call-unknown",
    ),
    pytest.param(
        process(START + END + flow("f", "start", "end"), key="my process"),
        "bpmn_bad_process_id",
        "my process",
        id="process-id-space",
    ),
    pytest.param(  # decomposed (NFD): "i" + U+0300; the composed key is accepted (test_process_keys.py)
        process(START + END + flow("f", "start", "end"), key="quy_tri\u0300nh"),
        "bpmn_bad_process_id",
        "quy_tri\u0300nh",
        id="process-id-decomposed",
    ),
]


@pytest.mark.parametrize(("xml", "code", "element_id"), RULE_CASES)
def test_rule_violation_is_refused_naming_the_element(
    xml: bytes, code: str, element_id: str
) -> None:
    found, _ = bounded(lambda: problems_of(xml), xml)
    assert pairs(found) == [(code, element_id)]
    english = found[0].message("en")
    assert english == CATALOG[code][1].format(**found[0].params)
    assert english != found[0].message("vi")


def test_unsupported_element_message_names_its_tag() -> None:
    for tag in ("serviceTask", "sendTask", "complexGateway"):
        [problem] = problems_of(between(f'<bpmn:{tag} id="x"/>', "x"))
        assert f"bpmn:{tag}" in problem.message("en")
        assert f"bpmn:{tag}" in problem.message("vi")


def test_rule_details_name_what_is_wrong() -> None:
    [dangling] = problems_of(process(START + END + flow("f_bad", "start", "nowhere")))
    assert dangling.params == {"attribute": "targetRef", "ref": "nowhere"}
    [lane] = problems_of(between('<bpmn:userTask id="u"/>', "u", lanes={"Kế toán": ["u"]}))
    assert lane.params["lane"] == "Kế toán" and "officer" in lane.params["roles"]
    [call] = problems_of(between('<bpmn:callActivity id="c" calledElement="khong_co"/>', "c"))
    assert call.params["called"] == "khong_co"
    [bad_timer] = problems_of(timer("timeDuration", "P1X"))
    assert bad_timer.params["expression"] == "P1X"


def test_a_script_reaching_out_is_refused_without_running() -> None:
    canary = hostile.canary()
    code = f"x = __import__('urllib.request').urlopen('{canary.url}/script').read()"
    assert pairs(problems_of(script(code))) == [("bpmn_script_rejected", "s")]
    assert pairs(problems_of(timer("timeDuration", code.removeprefix("x = ")))) == [
        ("bpmn_timer_unparseable", "wait")
    ]
    assert canary.hits == 0, canary.requests


def test_every_problem_in_a_file_is_reported_and_nothing_is_stored(pe: ProcessEngine) -> None:
    body = (
        START + END
        + '<bpmn:serviceTask id="svc"/>'
        + '<bpmn:userTask id="u"/>'
        + '<bpmn:task id="u"/>'
        + '<bpmn:scriptTask id="s"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>'
        + '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        + "<bpmn:timeDuration>P1X</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        + flow("f1", "start", "svc") + flow("f2", "svc", "u") + flow("f3", "u", "s")
        + flow("f4", "s", "wait") + flow("f5", "wait", "nowhere")
    )  # fmt: skip
    with pytest.raises(DeployError) as caught:
        deploy_one(pe, process(body))
    assert set(pairs(caught.value.problems)) >= {
        ("bpmn_unsupported_element", "svc"),
        ("bpmn_duplicate_id", "u"),
        ("bpmn_dangling_reference", "f5"),
        ("bpmn_user_task_no_lane", "u"),
        ("bpmn_script_rejected", "s"),
        ("bpmn_timer_unparseable", "wait"),
    }
    assert definition_rows(pe) == []


def test_english_messages_exist_for_every_code() -> None:
    for code, (vi, en) in CATALOG.items():
        assert vi and en and vi != en, code
    [problem] = problems_of(between('<bpmn:userTask id="u"/>', "u"))
    assert problem.message("en") == "A user task must lie in a lane that maps to a role."
    assert problem.as_dict("en") == {
        "code": "bpmn_user_task_no_lane",
        "element_id": "u",
        "message": problem.message("en"),
    }


# --- 3. accepted models and versioning -------------------------------------------------------


def test_bundled_library_process_deploys(pe: ProcessEngine) -> None:
    [deployed] = deploy_one(pe, giao_nhiem_vu(), source_name="giao_nhiem_vu.bpmn")
    assert (deployed.key, deployed.version, deployed.created) == ("giao_nhiem_vu", 1, True)


@pytest.mark.parametrize(
    "text",
    ["PT1H", '"PT1H"', "'PT1H'", "  PT1H\n"],
    ids=["bare", "double-quoted", "single-quoted", "padded"],
)
def test_iso_timer_bare_or_quoted_deploys_and_waits_an_hour(pe: ProcessEngine, text: str) -> None:
    [deployed] = deploy_one(pe, timer_then_task(key="t", duration=text))
    assert (deployed.key, deployed.version) == ("t", 1)
    with pe.unit_of_work("tester") as uow:
        instance = start_instance(uow, StartInstance("t", unit_code="U1"))
    with pe.read() as session:
        [waiting] = session.scalars(select(Timer).where(Timer.instance_id == instance.id)).all()
    assert waiting.element_id == "wait"
    assert waiting.due_at - pe.clock.now() == timedelta(hours=1)


def test_identical_xml_twice_is_a_no_op(pe: ProcessEngine) -> None:
    [first] = deploy_one(pe, user_task_chain())
    [again] = deploy_one(pe, user_task_chain())
    assert (first.version, first.created) == (1, True)
    assert (again.version, again.created, again.definition_id) == (1, False, first.definition_id)
    assert definition_rows(pe) == [("p", 1)]
    assert len(deployed_events(pe)) == 1  # the no-op changed nothing, so it records nothing


def test_changed_xml_is_a_new_version_and_the_latest_is_compared(pe: ProcessEngine) -> None:
    a, b = user_task_chain(names=("a", "b")), user_task_chain(names=("a", "c"))
    versions = [deploy_one(pe, xml)[0] for xml in (a, b, a, a)]
    assert [(d.version, d.created) for d in versions] == [
        (1, True),
        (2, True),
        (3, True),
        (3, False),
    ]
    assert definition_rows(pe) == [("p", 1), ("p", 2), ("p", 3)]


def test_each_deploy_writes_an_audit_event(pe: ProcessEngine) -> None:
    deploy_one(pe, user_task_chain(names=("a", "b")), source_name="one.bpmn")
    deploy_one(pe, user_task_chain(names=("a", "c")), source_name="two.bpmn")
    events = deployed_events(pe)
    assert [(e.subject, e.actor) for e in events] == [("p v1", "tester"), ("p v2", "tester")]
    assert [(e.data["key"], e.data["version"], e.data["source"]) for e in events] == [
        ("p", 1, "one.bpmn"),
        ("p", 2, "two.bpmn"),
    ]
    with pe.read() as session:
        hashes = session.scalars(
            select(ProcessDefinition.sha256).order_by(ProcessDefinition.version)
        ).all()
    assert [e.data["sha256"] for e in events] == list(hashes)


def test_a_file_with_two_processes_deploys_both(pe: ProcessEngine) -> None:
    two = (
        HEAD
        + "".join(
            f'<bpmn:process id="{key}" isExecutable="true"><bpmn:startEvent id="{key}_s"/><bpmn:endEvent id="{key}_e"/>'
            f'<bpmn:sequenceFlow id="{key}_f" sourceRef="{key}_s" targetRef="{key}_e"/></bpmn:process>'
            for key in ("one", "two")
        )
        + "</bpmn:definitions>"
    )
    deployed = deploy_one(pe, two.encode())
    assert sorted((d.key, d.version, d.created) for d in deployed) == [
        ("one", 1, True),
        ("two", 1, True),
    ]


def test_call_activity_to_a_process_in_another_file_is_refused_by_name(pe: ProcessEngine) -> None:
    deploy_one(pe, user_task_chain(key="child"))
    with pytest.raises(DeployError) as err:
        deploy_one(pe, between('<bpmn:callActivity id="c" calledElement="child"/>', "c", key="parent"))
    [problem] = err.value.problems
    assert (problem.code, problem.element_id) == ("bpmn_call_unknown_process", "c")
    assert "cùng tệp" in problem.message()


def _open_task(pe: ProcessEngine, unit: str) -> Any:
    from engine.queries import inbox

    with pe.read() as session:
        [task] = inbox(session, unit=unit)
    return task


def test_running_instances_keep_the_version_they_started_on(pe: ProcessEngine) -> None:
    [v1] = deploy_one(pe, user_task_chain(names=("a", "b")))
    with pe.unit_of_work("tester") as uow:
        old = start_instance(uow, StartInstance("p", unit_code="OLD")).id
    [v2] = deploy_one(pe, user_task_chain(names=("a", "c")))
    assert (v1.version, v2.version) == (1, 2)
    with pe.unit_of_work("tester") as uow:
        new = start_instance(uow, StartInstance("p", unit_code="NEW")).id

    # A fresh engine (empty spec cache) must rebuild each instance from its own stored version.
    fresh = ProcessEngine(pe.db, clock=pe.clock, roles=role_catalog())
    for unit in ("OLD", "NEW"):
        with fresh.unit_of_work("tester") as uow:
            complete_task(uow, _open_task(fresh, unit).id, {})
    assert _open_task(fresh, "OLD").element_id == "b"
    assert _open_task(fresh, "NEW").element_id == "c"
    with fresh.read() as session:
        assert session.get(Instance, old).definition_id == v1.definition_id
        assert session.get(Instance, new).definition_id == v2.definition_id
        assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == 2
