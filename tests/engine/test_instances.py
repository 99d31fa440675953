from __future__ import annotations

import json
import uuid
import zlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import (
    AuditEvent,
    BadData,
    HumanTask,
    Instance,
    InvalidState,
    NotFound,
    StartInstance,
    complete_task,
    deploy,
    start_instance,
)
from engine.queries import inbox
from engine.state import SERIALIZER_VERSION
from tests.engine.bpmn_samples import giao_nhiem_vu, user_task_chain


def _deploy(pe, xml):
    with pe.unit_of_work("tester") as uow:
        return deploy(uow, xml)


def _start(pe, key, data=None, **kw):
    with pe.unit_of_work("tester") as uow:
        return start_instance(uow, StartInstance(key, data or {}, **kw))


def _open_tasks(pe, instance_id):
    with pe.read() as s:
        return s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")).all()


def _complete(pe, task_id, data=None, actor="tester"):
    with pe.unit_of_work(actor) as uow:
        return complete_task(uow, task_id, data)


def test_full_review_cycle_with_return_and_approval(pe, clock):
    _deploy(pe, giao_nhiem_vu())
    instance = _start(pe, "giao_nhiem_vu", {"tieu_de": "Báo cáo"}, unit_code="THCS_A", plan_key="637/KH-SGDĐT", task_key="7", period="2026-Q2")
    [receive] = _open_tasks(pe, instance.id)
    assert (receive.element_id, receive.candidate_role, receive.candidate_unit) == ("tiep_nhan", "officer", "THCS_A")
    assert (receive.plan_key, receive.task_key, receive.period) == ("637/KH-SGDĐT", "7", "2026-Q2")
    _complete(pe, receive.id)
    [draft] = _open_tasks(pe, instance.id)
    # The non-interrupting P7D boundary timer on the task is its deadline.
    assert draft.due_at == clock.now() + timedelta(days=7)
    _complete(pe, draft.id, {"bao_cao": "Đã hoàn thành 80%"})
    [review] = _open_tasks(pe, instance.id)
    assert (review.element_id, review.candidate_role) == ("duyet_bao_cao", "leader")
    _complete(pe, review.id, {"quyet_dinh": "tra_lai", "y_kien": "Bổ sung số liệu"})
    [redo] = _open_tasks(pe, instance.id)
    assert redo.element_id == "thuc_hien" and redo.id != draft.id
    _complete(pe, redo.id, {"bao_cao": "Đã hoàn thành 100%"})
    [review2] = _open_tasks(pe, instance.id)
    done = _complete(pe, review2.id, {"quyet_dinh": "dong_y"})
    assert done.status == "completed" and done.ended_at == clock.now()
    assert _open_tasks(pe, instance.id) == []
    with pe.read() as s:
        events = s.scalars(select(AuditEvent.event).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.id)).all()
    assert events.count("task_completed") == 5
    assert events[0] == "instance_started" and events[-1] == "instance_completed"


def test_state_is_small_versioned_and_without_spec(pe):
    _deploy(pe, giao_nhiem_vu())
    instance = _start(pe, "giao_nhiem_vu", unit_code="U")
    with pe.read() as s:
        row = s.get(Instance, instance.id)
    assert row.serializer_version == SERIALIZER_VERSION
    state = json.loads(zlib.decompress(row.state))
    assert state["serializer_version"] == SERIALIZER_VERSION
    assert "spec" not in state and "subprocess_specs" not in state
    assert len(row.state) < 3_000


def test_completing_twice_is_an_error_never_a_second_completion(pe):
    _deploy(pe, user_task_chain())
    instance = _start(pe, "p", unit_code="U")
    [task] = _open_tasks(pe, instance.id)
    _complete(pe, task.id, actor="first")
    with pytest.raises(InvalidState) as err:
        _complete(pe, task.id, actor="second")
    assert err.value.code == "task_already_completed"
    assert "first" in str(err.value) and "không thể hoàn thành lần nữa" in str(err.value)
    with pe.read() as s:
        completions = s.scalar(select(func.count()).where(AuditEvent.event == "task_completed", AuditEvent.task_id == task.id))
    assert completions == 1


def test_bad_input_is_refused_and_changes_nothing(pe):
    _deploy(pe, user_task_chain())
    instance = _start(pe, "p", unit_code="U")
    [task] = _open_tasks(pe, instance.id)
    for bad in ([1, 2], {"__class__": 1}, {"x": float("nan")}, {"x": {1, 2}}, {"bad key": 1}):
        with pytest.raises(BadData):
            _complete(pe, task.id, bad)
    with pytest.raises(NotFound):
        _complete(pe, uuid.uuid4())
    with pytest.raises(NotFound) as err:
        _start(pe, "khong_co")
    assert err.value.code == "definition_not_found"
    assert [t.id for t in _open_tasks(pe, instance.id)] == [task.id]


def test_child_instances_link_to_their_parent_and_the_inbox_reads_rows_only(pe, monkeypatch):
    _deploy(pe, user_task_chain())
    parent = _start(pe, "p", unit_code="SO")
    children = [_start(pe, "p", unit_code=f"TRUONG_{i}", parent_id=parent.id) for i in range(3)]
    with pe.read() as s:
        linked = s.scalars(select(Instance.id).where(Instance.parent_id == parent.id)).all()
    assert sorted(linked) == sorted(c.id for c in children)

    def no_workflow_loading(*args, **kwargs):
        raise AssertionError("the inbox must not deserialize workflows")

    monkeypatch.setattr(pe.codec, "load", no_workflow_loading)
    with pe.read() as s:
        rows = inbox(s, unit="TRUONG_1")
    assert [r.candidate_unit for r in rows] == ["TRUONG_1"]


def test_running_instances_keep_their_version(pe):
    _deploy(pe, user_task_chain(names=("a", "b")))
    old = _start(pe, "p", unit_code="U")
    [v2] = _deploy(pe, user_task_chain(names=("x",)))
    assert v2.version == 2
    new = _start(pe, "p", unit_code="U")
    assert [t.element_id for t in _open_tasks(pe, old.id)] == ["a"]
    assert [t.element_id for t in _open_tasks(pe, new.id)] == ["x"]
    _complete(pe, _open_tasks(pe, old.id)[0].id)
    assert [t.element_id for t in _open_tasks(pe, old.id)] == ["b"]
