"""Deadlines whose only effect is a flag fire set-based (engine/timer_flags.py): exactly once,
in a few statements per batch whatever their number, and the workflow catches up at its next step."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, select

from engine import (
    AuditEvent,
    HumanTask,
    Instance,
    ProcessEngine,
    StartInstance,
    Timer,
    complete_task,
    deploy,
    fire_due_timers,
    make_engine,
    read_workflow,
    start_instance,
)
from engine.bpmn import load_bpmn
from engine.sandbox import default_sandbox
from engine.timer_flags import flag_timers
from tests.engine.bpmn_samples import LIBRARY, giao_nhiem_vu, process, timer_then_task
from tests.work import HANG_GUARD
from workflows.roles import role_catalog


def _deadline(timer: str, script: str = "qua_han = True", *, interrupting: bool = False, key: str = "d") -> bytes:
    cancel = "true" if interrupting else "false"
    body = (
        '<bpmn:startEvent id="start"/><bpmn:userTask id="work" name="Làm"/><bpmn:endEvent id="end"/>'
        f'<bpmn:boundaryEvent id="deadline" attachedToRef="work" cancelActivity="{cancel}">'
        f"<bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        f'<bpmn:scriptTask id="flag"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="flagged"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="deadline" targetRef="flag"/><bpmn:sequenceFlow id="f4" sourceRef="flag" targetRef="flagged"/>'
    )
    return process(body, key=key, lanes={"Chuyên viên": ["work"]})


def _flags(xml: bytes) -> dict[str, list[str]]:
    return {key: sorted(flag_timers(bundle)) for key, bundle in load_bpmn(xml, role_catalog(), default_sandbox()).items()}


DURATION = "<bpmn:timeDuration>PT1H</bpmn:timeDuration>"


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (_deadline(DURATION), ["deadline"]),
        (_deadline("<bpmn:timeCycle>R1/PT1H</bpmn:timeCycle>"), ["deadline"]),
        (_deadline("<bpmn:timeCycle>R2/PT1H</bpmn:timeCycle>"), []),  # its next cycle needs a step
        (_deadline(DURATION, interrupting=True), []),  # it moves the token off the task
        (_deadline(DURATION, "qua_han = han + 1"), []),  # reads data: it could fail
        (_deadline(DURATION, "qua_han = True\nmuon = 'co'"), ["deadline"]),
        (timer_then_task(), []),
    ],
)
def test_only_deadlines_that_set_constants_are_flag_timers(xml, expected):
    [found] = _flags(xml).values()
    assert found == expected


def test_the_library_deadlines_are_flag_timers():
    for name, timers in {"giao_nhiem_vu": ["qua_han_xu_ly"], "phoi_hop": ["qua_han_xu_ly"],
                         "xa_phuong_trien_khai": ["qua_han_theo_doi", "qua_han_xu_ly"]}.items():  # fmt: skip
        assert _flags((LIBRARY / f"{name}.bpmn").read_bytes())[name] == timers


def _start(pe, key: str, n: int) -> list:
    with pe.unit_of_work("tester") as uow:
        return [start_instance(uow, StartInstance(key, {}, unit_code=f"U{i}")).id for i in range(n)]


def _rows(pe, model, *where):
    with pe.read() as s:
        return s.scalars(select(model).where(*where)).all()


def _tasks_of(pe, instance_id, name):
    with pe.read() as s:
        instance = s.get(Instance, instance_id)
        bundle = pe.bundle_by_id(s, instance.definition_id)
    workflow = pe.codec.load(instance.state, bundle.spec, bundle.subprocess_specs, pe.script_engine)
    return [t for t in workflow.get_tasks() if t.task_spec.name == name]


class Statements:
    def __init__(self, db) -> None:
        self.db, self.n = db, 0

    def __call__(self, *_args) -> None:
        self.n += 1

    def __enter__(self):
        event.listen(self.db, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.db, "before_cursor_execute", self)


def test_deadlines_fire_set_based_once_then_the_workflow_catches_up(pe, clock):
    pe.set_based_deadlines = True
    with pe.unit_of_work("tester") as uow:
        deploy(uow, _deadline(DURATION))
    seen: list = []
    pe.hooks.timers_fired.append(lambda uow, fired: seen.extend(fired.timers))
    ids = _start(pe, "d", 30)
    versions = {i.id: i.version for i in _rows(pe, Instance)}
    now = clock.advance(timedelta(hours=1))
    with Statements(pe.db) as statements:
        result = fire_due_timers(pe, now, limit=100)
    assert (result.instances, result.fired, result.failed) == (30, 30, 0)
    # Not a step each: claim, UPDATE timers, UPDATE instances, INSERT events, COMMIT (+ BEGIN, seal).
    assert statements.n <= 12
    assert sorted(seen) == sorted((i, "deadline") for i in ids)
    assert {t.status for t in _rows(pe, Timer)} == {"fired"}
    events = _rows(pe, AuditEvent, AuditEvent.event == "timer_fired")
    assert Counter(e.instance_id for e in events) == Counter(ids)
    assert {e.data["due_at"] for e in events} == {now.isoformat()}
    assert {i.id: i.version for i in _rows(pe, Instance)} == {k: v + 1 for k, v in versions.items()}  # the fence moved
    assert fire_due_timers(pe, clock.now()).fired == 0

    # The stored workflow still waits on the deadline; the next step fires it first, then runs.
    [waiting] = _tasks_of(pe, ids[0], "deadline")
    assert waiting.state == TaskState.WAITING
    [work] = _rows(pe, HumanTask, HumanTask.instance_id == ids[0])
    clock.advance(timedelta(minutes=5))
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, work.id)
    [flag] = _tasks_of(pe, ids[0], "flag")
    assert flag.state == TaskState.COMPLETED and flag.data["qua_han"] is True
    [instance] = _rows(pe, Instance, Instance.id == ids[0])
    assert instance.status == "completed"
    assert len(_rows(pe, AuditEvent, AuditEvent.event == "timer_fired", AuditEvent.instance_id == ids[0])) == 1
    assert seen.count((ids[0], "deadline")) == 1


def test_deadlines_are_stepped_unless_the_engine_fires_them_set_based(pe, clock):
    pe.set_based_deadlines = False
    with pe.unit_of_work("tester") as uow:
        deploy(uow, _deadline(DURATION))
    seen: list = []
    pe.hooks.timers_fired.append(lambda uow, fired: seen.extend(fired.timers))
    [instance_id] = _start(pe, "d", 1)
    assert fire_due_timers(pe, clock.advance(timedelta(hours=1))).fired == 1
    assert seen == []
    [flag] = _tasks_of(pe, instance_id, "flag")
    assert flag.state == TaskState.COMPLETED  # stepped: the flag is in the stored state at once


def test_a_timer_that_moves_a_token_is_still_stepped(pe, clock):
    pe.set_based_deadlines = True
    with pe.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task(duration="PT1H"))
    seen: list = []
    pe.hooks.timers_fired.append(lambda uow, fired: seen.extend(fired.timers))
    [instance_id] = _start(pe, "t", 1)
    assert fire_due_timers(pe, clock.advance(timedelta(hours=1))).fired == 1
    assert seen == []
    [after] = _rows(pe, HumanTask, HumanTask.instance_id == instance_id)
    assert after.element_id == "after"


def test_an_instance_with_a_flag_and_a_token_timer_due_is_stepped_once(pe, clock):
    pe.set_based_deadlines = True
    with pe.unit_of_work("tester") as uow:
        deploy(uow, giao_nhiem_vu())
    [instance_id] = _start(pe, "giao_nhiem_vu", 1)
    [receive] = _rows(pe, HumanTask, HumanTask.instance_id == instance_id)
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, receive.id)
    [draft] = _rows(pe, HumanTask, HumanTask.instance_id == instance_id, HumanTask.status == "open")
    assert fire_due_timers(pe, draft.due_at).fired == 1  # the sample's deadline: set-based
    [flag] = _rows(pe, Timer, Timer.instance_id == instance_id)
    assert (flag.status, flag.fired_at) == ("fired", draft.due_at)


def test_two_sweepers_at_once_fire_each_deadline_exactly_once(pe, clock):
    """Sweeper A claims and pauses before its commit; B sweeps meanwhile (PostgreSQL: SKIP LOCKED
    passes over A's instances; SQLite: B waits for the writer lock), then A commits."""
    pe.set_based_deadlines = True
    n = 40
    with pe.unit_of_work("tester") as uow:
        deploy(uow, _deadline(DURATION))
    ids = _start(pe, "d", n)
    now = clock.advance(timedelta(hours=2))
    paused, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}
    original = pe.unit_of_work

    def pausing(actor, **kw):
        uow = original(actor, **kw)
        if actor == "sweeper-a":
            uow.before_commit.append(lambda _uow: (paused.set(), release.wait(HANG_GUARD)))
        return uow

    pe.unit_of_work = pausing

    def sweep(name: str, limit: int) -> None:
        try:
            results[name] = fire_due_timers(pe, now, limit=limit, actor=name, flag_batches=0)
        except BaseException as exc:  # surfaced below
            results[name] = exc

    a = threading.Thread(target=sweep, args=("sweeper-a", n // 2))
    a.start()
    assert paused.wait(HANG_GUARD)
    b = threading.Thread(target=sweep, args=("sweeper-b", n))
    b.start()
    if pe.db.dialect.name == "postgresql":
        b.join(HANG_GUARD)  # it does not wait for A: it skips A's locked instances
        assert results["sweeper-b"].fired == n - n // 2
    release.set()
    a.join(HANG_GUARD)
    b.join(HANG_GUARD)
    assert results["sweeper-a"].fired == n // 2
    assert results["sweeper-b"].fired == n - n // 2
    events = _rows(pe, AuditEvent, AuditEvent.event == "timer_fired")
    per_timer = Counter(e.data["timer"] for e in events)
    assert len(per_timer) == n and set(per_timer.values()) == {1}
    assert Counter(e.instance_id for e in events) == Counter(ids)
    assert {t.status for t in _rows(pe, Timer)} == {"fired"}


def test_many_sweepers_fire_each_deadline_exactly_once(pe, clock):
    pe.set_based_deadlines = True
    n = 120
    with pe.unit_of_work("tester") as uow:
        deploy(uow, _deadline(DURATION))
    for _ in range(3):
        _start(pe, "d", n // 3)
    now = clock.advance(timedelta(hours=2))
    errors: list[BaseException] = []
    fired: list[int] = []

    def sweeper():
        try:
            while (result := fire_due_timers(pe, now, limit=7)).instances:
                fired.append(result.fired)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG_GUARD)
    assert errors == [] and sum(fired) == n
    per_timer = Counter(e.data["timer"] for e in _rows(pe, AuditEvent, AuditEvent.event == "timer_fired"))
    assert len(per_timer) == n and set(per_timer.values()) == {1}


def _late_or_on_time(key: str = "g") -> bytes:
    """work (deadline PT1H: ``qua_han = True`` into a data object) -> gateway on ``qua_han`` ->
    ``late`` or ``on_time``: what a process that branches on lateness looks like."""
    body = (
        '<bpmn:dataObject id="qua_han"/><bpmn:dataObjectReference id="qua_han_ref" dataObjectRef="qua_han"/>'
        '<bpmn:startEvent id="start"/><bpmn:userTask id="work" name="Làm"/>'
        '<bpmn:boundaryEvent id="deadline" attachedToRef="work" cancelActivity="false">'
        f"<bpmn:timerEventDefinition>{DURATION}</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:scriptTask id="flag"><bpmn:dataOutputAssociation id="to_flag"><bpmn:targetRef>qua_han_ref</bpmn:targetRef>'
        "</bpmn:dataOutputAssociation><bpmn:script>qua_han = True</bpmn:script></bpmn:scriptTask>"
        '<bpmn:endEvent id="flagged"/>'
        '<bpmn:exclusiveGateway id="was_late" default="f_on_time"/>'
        '<bpmn:userTask id="late" name="Giải trình"/><bpmn:userTask id="on_time" name="Đúng hạn"/>'
        '<bpmn:endEvent id="end_late"/><bpmn:endEvent id="end_on_time"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="was_late"/>'
        '<bpmn:sequenceFlow id="f_late" sourceRef="was_late" targetRef="late">'
        "<bpmn:conditionExpression>qua_han == True</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f_on_time" sourceRef="was_late" targetRef="on_time"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="end_late"/>'
        '<bpmn:sequenceFlow id="f4" sourceRef="on_time" targetRef="end_on_time"/>'
        '<bpmn:sequenceFlow id="f5" sourceRef="deadline" targetRef="flag"/>'
        '<bpmn:sequenceFlow id="f6" sourceRef="flag" targetRef="flagged"/>'
    )
    return process(body, key=key, lanes={"Chuyên viên": ["work", "late", "on_time"]})


def _flag_object(pe, instance_id):
    """``qua_han`` as seen from outside a step (``engine.read_workflow``) and in the stored bytes."""
    with pe.read() as s:
        instance = s.get(Instance, instance_id)
        seen = read_workflow(pe, s, instance).data_objects.get("qua_han")
        bundle = pe.bundle_by_id(s, instance.definition_id)
    stored = pe.codec.load(instance.state, bundle.spec, bundle.subprocess_specs, pe.script_engine)
    return seen, stored.data_objects.get("qua_han")


def test_set_based_deadlines_are_the_default(db_url, clock):
    db = make_engine(db_url)
    try:
        assert ProcessEngine(db, clock=clock, roles=role_catalog()).set_based_deadlines is True
    finally:
        db.dispose()


def test_a_gateway_after_a_deadline_sees_the_flag_fired_set_based(pe, clock):
    """BPMN semantics hold with the set-based path (the default): the sweep writes no workflow,
    the next step applies the deadline before its own action, so the gateway after the task
    reads ``qua_han``; and a reader between the two (``read_workflow``) sees it too."""
    with pe.unit_of_work("tester") as uow:
        deploy(uow, _late_or_on_time())
    seen: list = []
    pe.hooks.timers_fired.append(lambda uow, fired: seen.extend(fired.timers))
    late_id, on_time_id = _start(pe, "g", 2)
    [work_on_time] = _rows(pe, HumanTask, HumanTask.instance_id == on_time_id)
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, work_on_time.id)
    assert fire_due_timers(pe, clock.advance(timedelta(hours=1))).fired == 1
    assert seen == [(late_id, "deadline")]  # set-based: no step of the instance
    assert _flag_object(pe, late_id) == (True, None)  # read as of now; the stored bytes lag
    [work] = _rows(pe, HumanTask, HumanTask.instance_id == late_id, HumanTask.status == "open")
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, work.id)
    assert _flag_object(pe, late_id) == (True, True)
    opened = {i: [t.element_id for t in _rows(pe, HumanTask, HumanTask.instance_id == i, HumanTask.status == "open")]
              for i in (late_id, on_time_id)}  # fmt: skip
    assert opened == {late_id: ["late"], on_time_id: ["on_time"]}
    assert len(_rows(pe, AuditEvent, AuditEvent.event == "timer_fired", AuditEvent.instance_id == late_id)) == 1


def test_a_sweep_ahead_of_the_clock_is_caught_up_once(pe, clock):
    """``giaoviec worker --now`` may sweep ahead of the engine's clock: the next step, at the
    earlier clock, still applies the fired deadline (its row says fired at the same due instant),
    and neither a second row nor a second firing follows."""
    with pe.unit_of_work("tester") as uow:
        deploy(uow, _late_or_on_time())
    [instance_id] = _start(pe, "g", 1)
    due = clock.now() + timedelta(hours=1)
    assert fire_due_timers(pe, due + timedelta(hours=1)).fired == 1  # the clock stays behind
    assert _flag_object(pe, instance_id) == (True, None)
    [work] = _rows(pe, HumanTask, HumanTask.instance_id == instance_id)
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, work.id)
    [late] = _rows(pe, HumanTask, HumanTask.instance_id == instance_id, HumanTask.status == "open")
    assert late.element_id == "late"
    assert [(t.status, t.due_at) for t in _rows(pe, Timer, Timer.instance_id == instance_id)] == [("fired", due)]
    assert fire_due_timers(pe, due + timedelta(days=30)).fired == 0
    assert len(_rows(pe, AuditEvent, AuditEvent.event == "timer_fired")) == 1
