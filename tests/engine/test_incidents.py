from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from engine import (
    AuditEvent,
    BadData,
    HumanTask,
    Incident,
    Instance,
    InvalidState,
    NotFound,
    OutboxMessage,
    StartInstance,
    StepFailed,
    add_outbox_message,
    cancel_instance,
    complete_task,
    deploy,
    resolve_incident,
    retry_incident,
    start_instance,
)
from engine.commands import MAX_REASON_CHARS
from engine.sandbox import Sandbox
from tests.engine.bpmn_samples import user_task_chain


def _setup(pe, script):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain(script=script, names=("a",), fields={"total": "integer", "n": "integer"}))
    with pe.unit_of_work("tester") as uow:
        instance = start_instance(uow, StartInstance("p", {"n": 0}, unit_code="U"))
    with pe.read() as s:
        [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).all()
    return instance, task


def _state(pe, instance_id):
    with pe.read() as s:
        instance = s.get(Instance, instance_id)
        tasks = s.scalars(select(HumanTask.status).where(HumanTask.instance_id == instance_id)).all()
        incidents = s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()
        outbox = s.scalar(select(func.count()).select_from(OutboxMessage))
    return instance, tasks, incidents, outbox


def test_failing_script_leaves_last_wait_state_with_incident_and_retry_resolves(pe):
    instance, task = _setup(pe, "ratio = total / n")

    def complete_with_side_effect():
        with pe.unit_of_work("officer") as uow:
            add_outbox_message(uow, "email", {"subject": "Đã nộp"}, recipient="a@b.vn")
            complete_task(uow, task.id, {"total": 10})

    with pytest.raises(StepFailed) as err:
        complete_with_side_effect()
    after, tasks, [incident], outbox = _state(pe, instance.id)
    assert after.version == instance.version and after.state == instance.state
    assert tasks == ["open"] and outbox == 0  # nothing half-applied, no side effect
    assert incident.element_id == "s" and incident.status == "open"
    assert "ZeroDivisionError" in incident.message or "division" in incident.message
    assert f"#{incident.id}" in str(err.value)
    assert incident.command["kind"] == "complete_task" and incident.command["data"] == {"total": 10}

    with pytest.raises(StepFailed):  # the same failure again only counts an attempt
        complete_with_side_effect()
    _, _, [incident], _ = _state(pe, instance.id)
    assert incident.attempts == 2

    with pe.unit_of_work("admin") as uow:
        retry_incident(uow, incident.id, data={"n": 4})
    after, tasks, [incident], _ = _state(pe, instance.id)
    assert after.status == "completed" and tasks == ["completed"]
    assert incident.status == "resolved" and incident.resolved_by == "admin"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("while True:\n    n = n + 1", "script_timeout"),
        ("big = [0] * (10 ** 10)", "script_memory"),
    ],
)
def test_runaway_scripts_become_incidents_without_side_effects(pe, script, expected):
    pe.sandbox = Sandbox(timeout=0.5, memory_mb=256)
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

    from engine.sandbox import SandboxEnvironment

    pe.script_engine = PythonScriptEngine(environment=SandboxEnvironment(pe.sandbox))
    try:
        instance, task = _setup(pe, script)
        with pytest.raises(StepFailed), pe.unit_of_work("officer") as uow:
            complete_task(uow, task.id, {})
        after, tasks, [incident], _ = _state(pe, instance.id)
        assert incident.error_code in {expected, "script_timeout", "script_memory"}
        assert tasks == ["open"] and after.version == instance.version
    finally:
        pe.sandbox.close()


def test_a_start_whose_first_step_fails_is_kept_with_an_incident(pe):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain(script="x = missing + 1", names=()))
    with pytest.raises(StepFailed) as err, pe.unit_of_work("tester") as uow:
        start_instance(uow, StartInstance("p", {}, unit_code="U"))
    with pe.read() as s:
        [incident] = s.scalars(select(Incident)).all()
        instance = s.get(Instance, incident.instance_id)
    assert instance.status == "running" and incident.element_id == "s"
    assert "missing" in incident.message and str(incident.id) in str(err.value)
    with pytest.raises(StepFailed), pe.unit_of_work("admin") as uow:
        retry_incident(uow, incident.id)
    with pe.read() as s:
        [incident] = s.scalars(select(Incident)).all()
    assert (incident.status, incident.attempts) == ("open", 2)
    with pe.unit_of_work("admin") as uow:  # an operator supplies the missing value
        retry_incident(uow, incident.id, data={"missing": 41})
    with pe.read() as s:
        [incident] = s.scalars(select(Incident)).all()
        instance = s.get(Instance, incident.instance_id)
    assert (incident.status, instance.status) == ("resolved", "completed")


def test_outbox_rows_exist_only_with_their_transaction(pe):
    with pytest.raises(RuntimeError), pe.unit_of_work("tester") as uow:
        add_outbox_message(uow, "email", {"subject": "Nhắc việc"}, recipient="a@b.vn")
        raise RuntimeError("the step failed")
    with pe.unit_of_work("tester") as uow:
        first = add_outbox_message(uow, "email", {"subject": "Nhắc việc"}, recipient="a@b.vn", dedupe_key="k1")
        second = add_outbox_message(uow, "email", {"subject": "Nhắc việc"}, recipient="a@b.vn")
    assert first.id != second.id
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    from engine import ConflictError

    with pytest.raises(ConflictError), pe.unit_of_work("tester") as uow:
        add_outbox_message(uow, "email", {"subject": "lần 2"}, dedupe_key="k1")


def test_a_task_completed_hook_sees_the_form_data_and_writes_in_the_same_transaction(pe):
    seen = []

    def notify_reviewer(uow, completion):
        seen.append((completion.task.element_id, completion.data, completion.instance.unit_code))
        add_outbox_message(uow, "email", {"subject": f"Đã xong {completion.task.name}"}, instance_id=completion.instance.id)

    pe.hooks.task_completed.append(notify_reviewer)
    instance, task = _setup(pe, "ket_qua = n + 1")
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id, {"n": 2})
    assert seen == [("a", {"n": 2}, "U")]
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1

    # A step that fails takes the hook's side effect with it.
    instance, task = _setup(pe, "ket_qua = 1 / n")
    with pytest.raises(StepFailed), pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id, {"n": 0})
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def _open_incident(pe):
    instance, task = _setup(pe, "ratio = total / n")
    with pytest.raises(StepFailed), pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id, {"total": 1})
    _, _, [incident], _ = _state(pe, instance.id)
    return instance, incident


def _resolutions(pe):
    with pe.read() as s:
        return [(e.actor, e.data) for e in s.scalars(select(AuditEvent).where(AuditEvent.event == "incident_resolved"))]


def test_cancelling_an_instance_resolves_its_open_incidents_as_moot(pe):
    instance, incident = _open_incident(pe)
    with pe.unit_of_work("leader") as uow:
        cancel_instance(uow, instance.id, reason="Nhiệm vụ bị hủy theo Kế hoạch 12/KH-SGDĐT")
    _, _, [incident], _ = _state(pe, instance.id)
    assert (incident.status, incident.resolution, incident.resolved_by) == ("resolved", "moot", "leader")
    assert incident.reason == "Nhiệm vụ bị hủy theo Kế hoạch 12/KH-SGDĐT"
    assert _resolutions(pe) == [("leader", {"incident": incident.id, "resolution": "moot", "reason": incident.reason})]


def test_an_incident_left_open_on_a_cancelled_instance_can_be_resolved_with_a_reason(pe):
    instance, incident = _open_incident(pe)
    with pe.db.begin() as conn:  # cancelled before cancelling closed incidents
        conn.execute(update(Instance).where(Instance.id == instance.id).values(status="cancelled"))
    with pe.unit_of_work("admin") as uow:
        resolve_incident(uow, incident.id, reason="  Phiên bản đã hủy; ca\u0301c bước không còn tác dụng ")
    _, _, [incident], _ = _state(pe, instance.id)
    assert (incident.status, incident.resolution) == ("resolved", "moot")
    assert incident.reason == "Phiên bản đã hủy; các bước không còn tác dụng"  # trimmed, NFC
    with pytest.raises(InvalidState) as again, pe.unit_of_work("admin") as uow:
        resolve_incident(uow, incident.id, reason="lần nữa")
    assert again.value.code == "incident_not_open"
    assert [data["resolution"] for _, data in _resolutions(pe)] == ["moot"]


def test_an_incident_of_a_running_instance_is_not_closed_without_its_step(pe):
    instance, incident = _open_incident(pe)
    with pytest.raises(InvalidState) as refused, pe.unit_of_work("admin") as uow:
        resolve_incident(uow, incident.id, reason="không cần")
    assert refused.value.code == "incident_resolve_running" and "retry" in refused.value.message("en")
    for reason in ("", "   ", "x" * (MAX_REASON_CHARS + 1)):
        with pytest.raises(BadData) as blank, pe.unit_of_work("admin") as uow:
            resolve_incident(uow, incident.id, reason=reason)
        assert blank.value.code == "incident_reason_required"
    for missing in (0, -1, 10**20):
        with pytest.raises(NotFound), pe.unit_of_work("admin") as uow:
            resolve_incident(uow, missing, reason="không có")
    with pe.unit_of_work("admin") as uow:  # retrying stays the way to close it
        retry_incident(uow, incident.id, data={"n": 1})
    _, _, [incident], _ = _state(pe, instance.id)
    assert (incident.status, incident.resolution, incident.reason) == ("resolved", "retried", None)
