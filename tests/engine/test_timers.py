from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from engine import (
    AuditEvent,
    HumanTask,
    StartInstance,
    Timer,
    complete_task,
    deploy,
    fire_due_timers,
    start_instance,
    steps,
)
from tests.engine.bpmn_samples import giao_nhiem_vu, process, timer_then_task
from tests.work import HANG_GUARD


def _start(pe, key, n=1, **kw):
    instances = []
    with pe.unit_of_work("tester") as uow:
        for i in range(n):
            instances.append(start_instance(uow, StartInstance(key, {}, unit_code=f"U{i}", **kw)))
    return instances


def _rows(pe, model, *where):
    with pe.read() as s:
        return s.scalars(select(model).where(*where)).all()


def test_a_timer_fires_at_its_due_instant_from_the_injected_clock_once(pe, clock):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task(duration="PT1H"))
    [instance] = _start(pe, "t")
    [timer] = _rows(pe, Timer, Timer.instance_id == instance.id)
    assert timer.due_at == clock.now() + timedelta(hours=1)  # the frozen clock, not the wall clock
    assert _rows(pe, HumanTask, HumanTask.instance_id == instance.id) == []

    assert fire_due_timers(pe, clock.advance(timedelta(minutes=59))).fired == 0
    result = fire_due_timers(pe, clock.advance(timedelta(minutes=1)))
    assert (result.instances, result.fired, result.failed) == (1, 1, 0)
    assert fire_due_timers(pe, clock.now()).fired == 0  # a second sweep at the same instant: nothing new
    [after] = _rows(pe, HumanTask, HumanTask.instance_id == instance.id)
    assert after.element_id == "after"
    [timer] = _rows(pe, Timer, Timer.instance_id == instance.id)
    assert (timer.status, timer.fired_at) == ("fired", clock.now())


def test_boundary_deadline_fires_without_interrupting_the_task(pe, clock):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, giao_nhiem_vu())
    [instance] = _start(pe, "giao_nhiem_vu")
    [receive] = _rows(pe, HumanTask, HumanTask.instance_id == instance.id)
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, receive.id)
    [draft] = _rows(pe, HumanTask, HumanTask.instance_id == instance.id, HumanTask.status == "open")
    assert fire_due_timers(pe, draft.due_at - timedelta(seconds=1)).fired == 0
    assert fire_due_timers(pe, draft.due_at).fired == 1
    [still_open] = _rows(pe, HumanTask, HumanTask.instance_id == instance.id, HumanTask.status == "open")
    assert still_open.id == draft.id
    # Completing the task later no longer has a waiting timer to cancel; the review goes on.
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, draft.id, {"bao_cao": "muộn"})
    [review] = _rows(pe, HumanTask, HumanTask.instance_id == instance.id, HumanTask.status == "open")
    assert review.element_id == "duyet_bao_cao"


def test_completing_before_the_deadline_cancels_the_timer(pe, clock):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, giao_nhiem_vu())
    [instance] = _start(pe, "giao_nhiem_vu")
    for _ in range(2):
        [task] = _rows(pe, HumanTask, HumanTask.instance_id == instance.id, HumanTask.status == "open")
        with pe.unit_of_work("officer") as uow:
            complete_task(uow, task.id)
    [timer] = _rows(pe, Timer, Timer.instance_id == instance.id)
    assert timer.status == "cancelled"
    assert fire_due_timers(pe, clock.advance(timedelta(days=30))).fired == 0


def test_cycle_timer_fires_each_cycle_then_stops(pe, clock):
    body = (
        '<bpmn:startEvent id="start"/><bpmn:userTask id="work" name="Làm"/><bpmn:endEvent id="end"/>'
        '<bpmn:boundaryEvent id="remind" attachedToRef="work" cancelActivity="false">'
        "<bpmn:timerEventDefinition><bpmn:timeCycle>R2/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:endEvent id="reminded"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="reminded"/>'
    )
    with pe.unit_of_work("tester") as uow:
        deploy(uow, process(body, key="c", lanes={"Chuyên viên": ["work"]}))
    [instance] = _start(pe, "c")
    fired = [fire_due_timers(pe, clock.advance(timedelta(hours=1))).fired for _ in range(4)]
    assert fired == [1, 1, 0, 0]
    events = _rows(pe, AuditEvent, AuditEvent.instance_id == instance.id, AuditEvent.event == "timer_fired")
    assert len(events) == 2


def test_concurrent_sweepers_fire_each_timer_exactly_once(pe, clock):
    n = 120
    with pe.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task(duration="PT1H"))
    for _ in range(n // 40):
        _start(pe, "t", n=40)
    now = clock.advance(timedelta(hours=2))
    errors: list[BaseException] = []
    sweeps: list[int] = []

    def sweeper():
        try:
            while (stepped := fire_due_timers(pe, now, limit=7).instances):
                sweeps.append(stepped)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG_GUARD)
    assert errors == [] and sum(sweeps) == n  # every instance stepped once across the four sweepers
    events = _rows(pe, AuditEvent, AuditEvent.event == "timer_fired")
    per_timer = Counter(e.data["timer"] for e in events)
    assert len(per_timer) == n and set(per_timer.values()) == {1}
    assert {t.status for t in _rows(pe, Timer)} == {"fired"}
    assert len(_rows(pe, HumanTask, HumanTask.element_id == "after", HumanTask.status == "open")) == n


def test_a_step_that_fails_in_a_sweep_leaves_no_task_row_and_the_others_commit(pe, clock, monkeypatch):
    """The sweep steps a batch of instances in one savepoint; when one fails it steps them again
    one by one, each in its own savepoint, and commits the others: the task row the failed step
    had opened (written by Core with the instance, not by the ORM's flush) goes with the step,
    here when its state cannot be written. The instance saved before the failure in the batch
    is stepped again from the database, not from the objects the rolled-back savepoint left."""
    with pe.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task(duration="PT1H"))
    instances = _start(pe, "t", n=2)
    dump = steps.dump

    def fail_the_second(uow, instance, workflow, new_instance=None):
        if instance.unit_code == "U1":
            raise steps._state_failure(instance, "state_unwritable", ValueError("not writable"))
        return dump(uow, instance, workflow, new_instance)

    monkeypatch.setattr(steps, "dump", fail_the_second)
    result = fire_due_timers(pe, clock.advance(timedelta(hours=1)))
    assert (result.fired, result.failed) == (1, 1)
    rows = {i.unit_code: [t.element_id for t in _rows(pe, HumanTask, HumanTask.instance_id == i.id)] for i in instances}
    assert rows == {"U0": ["after"], "U1": []}
