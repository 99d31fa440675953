"""One bad instance never stops the others: state that cannot be read or written, or a bug in a
hook, becomes an incident on that instance and the timer sweep goes on with the rest. (Before,
one instance whose stored data was nested 500 deep raised RecursionError out of every sweep, so
no timer anywhere fired.)"""

from __future__ import annotations

import json
import zlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine import (
    ChildSpec,
    HumanTask,
    Incident,
    Instance,
    StepFailed,
    Timer,
    complete_task,
    deploy,
    fire_due_timers,
    start_instances,
)
from tests.engine.bpmn_samples import timer_then_task


def _three_waiting(pe) -> list:
    with pe.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task(duration="PT1H"))
        return start_instances(uow, "t", [ChildSpec(unit_code=f"U{i}") for i in range(3)], data={}).instance_ids


def _store_nested_data(pe, instance_id) -> None:
    """What an instance stored before data was bounded looks like: a variable nested 500 deep."""
    with pe.unit_of_work("tester") as uow:
        instance = uow.session.get(Instance, instance_id)
        state = json.loads(zlib.decompress(instance.state))
        root = next(iter(state["tasks"].values()))
        root["data"]["ghi_chu"] = json.loads("[" * 500 + "]" * 500)
        uow.session.execute(update(Instance).where(Instance.id == instance_id)
                            .values(state=zlib.compress(json.dumps(state).encode())))  # fmt: skip


def _afters(pe) -> set:
    with pe.read() as s:
        return set(s.scalars(select(HumanTask.instance_id).where(HumanTask.element_id == "after")))


def _incidents(pe) -> list[Incident]:
    with pe.read() as s:
        return s.scalars(select(Incident)).all()


def test_an_unreadable_instance_is_an_incident_and_the_others_fire(pe, clock):
    good, bad, also_good = _three_waiting(pe)
    _store_nested_data(pe, bad)
    result = fire_due_timers(pe, clock.now() + timedelta(hours=2))
    assert (result.instances, result.fired, result.failed) == (2, 2, 1)
    assert _afters(pe) == {good, also_good}
    [incident] = _incidents(pe)
    assert (incident.instance_id, incident.error_code, incident.status) == (bad, "state_unreadable", "open")
    assert "RecursionError" in incident.message and "Không đọc được trạng thái" in incident.message
    again = fire_due_timers(pe, clock.now() + timedelta(hours=3))  # the bad one waits for a retry
    assert (again.instances, again.failed) == (0, 0) and len(_incidents(pe)) == 1


def test_a_person_completing_a_task_of_an_unreadable_instance_gets_an_incident_not_a_crash(pe, clock):
    instance_id = _three_waiting(pe)[0]
    fire_due_timers(pe, clock.now() + timedelta(hours=2))
    _store_nested_data(pe, instance_id)
    with pe.read() as s:
        [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
    with pytest.raises(StepFailed) as failed, pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id, {})
    [incident] = _incidents(pe)
    assert failed.value.error_code == incident.error_code == "state_unreadable"
    assert f"#{incident.id}" in str(failed.value)


def test_a_bug_in_a_hook_is_an_incident_on_its_instance_only(pe, clock):
    first, broken, last = _three_waiting(pe)

    def buggy(uow, saved):
        if saved.instance.id == broken:
            raise KeyError("don_vi")

    pe.hooks.step_saved.append(buggy)
    result = fire_due_timers(pe, clock.now() + timedelta(hours=2))
    assert (result.fired, result.failed) == (2, 1) and _afters(pe) == {first, last}
    [incident] = _incidents(pe)
    assert (incident.instance_id, incident.error_code) == (broken, "KeyError")


def test_state_that_cannot_be_written_is_an_incident_and_the_others_fire(pe, clock, monkeypatch):
    first, unwritable, last = _three_waiting(pe)
    dump = pe.codec.dump

    def failing_dump(workflow):
        if any(task.data.get("marker") for task in workflow.tasks.values()):
            raise RecursionError("maximum recursion depth exceeded while encoding")
        return dump(workflow)

    with pe.unit_of_work("tester") as uow:  # mark the one whose state will not encode
        instance = uow.session.get(Instance, unwritable)
        state = json.loads(zlib.decompress(instance.state))
        for task in state["tasks"].values():
            task["data"]["marker"] = True
        instance.state = zlib.compress(json.dumps(state).encode())
    monkeypatch.setattr(pe.codec, "dump", failing_dump)
    result = fire_due_timers(pe, clock.now() + timedelta(hours=2))
    assert (result.fired, result.failed) == (2, 1) and _afters(pe) == {first, last}
    [incident] = _incidents(pe)
    assert (incident.instance_id, incident.error_code) == (unwritable, "state_unwritable")
    with pe.read() as s:  # its timer is still waiting: nothing of the failed step was applied
        assert s.scalar(select(Timer.status).where(Timer.instance_id == unwritable)) == "waiting"
