"""A completion reads its task, the task's instance and the instance's other open tasks with one
Core SELECT and makes the session's objects itself (``engine.commands._task_and_instance``): they
must be what the ORM's query gave, an object the session already holds never replaced by a second
copy of its row nor left stale."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, inspect, select, update

from engine import HumanTask, Instance, StartInstance, complete_task, deploy, start_instance
from tests.engine.bpmn_samples import parallel_review_loop, user_task_chain


def _started(pe, xml, key):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, xml)
    with pe.unit_of_work("tester") as uow:
        instance_id = start_instance(uow, StartInstance(key, {}, unit_code="U1")).id
    return instance_id, _open(pe, instance_id)


def _version(pe, instance_id):
    with pe.read() as s:
        return s.get(Instance, instance_id).version


def _open(pe, instance_id):
    with pe.read() as s:
        return s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
                         .order_by(HumanTask.element_id)).all()  # fmt: skip


@contextmanager
def _sent(pe) -> Iterator[list[str]]:
    """The statements sent inside the block."""
    sent: list[str] = []

    def listen(_conn, _cursor, statement, *_rest) -> None:
        sent.append(statement.lstrip())

    event.listen(pe.db, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(pe.db, "before_cursor_execute", listen)


def test_the_objects_read_are_persistent_unchanged_and_the_sessions_own(pe):
    instance_id, [a, b] = _started(pe, parallel_review_loop(), "parallel_review")
    version = _version(pe, instance_id)
    seen = {}

    def completing(uow, completion) -> None:
        session = uow.session
        seen["states"] = [inspect(o) for o in (completion.task, completion.instance)]
        assert all(state.persistent and not state.modified and not state.unloaded for state in seen["states"])
        assert not session.dirty and not session.new
        # session.get finds them in the identity map (no SELECT), the other open task too
        with _sent(pe) as sent:
            assert session.get(HumanTask, a.id) is completion.task
            assert session.get(Instance, instance_id) is completion.instance
            other = session.get(HumanTask, b.id)
        assert other is not None and other.status == "open" and not sent
        assert {row.id for row in uow.open_tasks[instance_id]} == {a.id, b.id}
        assert completion.instance.version == version and completion.task.element_id == "a"

    pe.hooks.add("task_completing", completing)
    with pe.unit_of_work("officer") as uow:
        done = complete_task(uow, a.id)
    assert done.version == version + 1 == _version(pe, instance_id) and seen["states"][1].obj() is done
    assert [t.element_id for t in _open(pe, instance_id)] == ["b"]  # the other open task left open


def test_an_object_the_session_holds_is_the_one_completed_with_its_pending_change(pe):
    """Never a second copy of a row: the held instance and task are the ones the step changes;
    the instance's pending change goes out with the step's UPDATE (one version step)."""
    instance_id, [task] = _started(pe, user_task_chain(names=("a", "b")), "p")
    version = _version(pe, instance_id)
    with pe.unit_of_work("officer") as uow:
        held = uow.session.get(Instance, instance_id)
        held_task = uow.session.get(HumanTask, task.id)
        held.business_key = "changed before the completion"
        done = complete_task(uow, task.id)
        assert done is held and held_task.status == "completed"
        assert held.business_key == "changed before the completion"
    with pe.read() as s:
        stored = s.get(Instance, instance_id)
        assert (stored.business_key, stored.version) == ("changed before the completion", version + 1)
        assert s.get(HumanTask, task.id).status == "completed"


def test_an_expired_object_the_session_holds_is_loaded_from_the_row_never_stale(pe):
    """An expired instance and task take their values from the completion's own SELECT (the
    ORM's query did the same): no stale value, no second SELECT."""
    instance_id, [task] = _started(pe, user_task_chain(names=("a", "b")), "p")
    version = _version(pe, instance_id)
    with pe.unit_of_work("officer") as uow:
        session = uow.session
        held = session.get(Instance, instance_id)
        held_task = session.get(HumanTask, task.id)
        assert held.business_key is None and held_task.assignee is None
        session.connection().execute(update(Instance).where(Instance.id == instance_id).values(business_key="written meanwhile"))
        session.connection().execute(update(HumanTask).where(HumanTask.id == task.id).values(assignee="someone"))
        session.expire(held)
        session.expire(held_task, ["assignee"])
        seen = {}
        pe.hooks.add("task_completing", lambda _uow, completion: seen.update(
            task=completion.task, instance=completion.instance, assignee=completion.task.assignee,
            key=completion.instance.business_key))  # fmt: skip
        with _sent(pe) as sent:
            done = complete_task(uow, task.id)
        assert seen == {"task": held_task, "instance": held, "assignee": "someone", "key": "written meanwhile"}
        assert done is held and sum(s.upper().startswith("SELECT") for s in sent) == 1, sent
    assert _version(pe, instance_id) == version + 1


def test_a_change_a_hook_makes_to_the_instance_is_flushed_at_commit_under_its_version(pe):
    """The ORM still writes the instance it did not load: a ``task_completed`` hook's change goes
    out at commit, with the version the step's UPDATE left."""
    instance_id, [task] = _started(pe, user_task_chain(names=("a", "b")), "p")
    version = _version(pe, instance_id)
    pe.hooks.add("task_completed", lambda _uow, completion: setattr(completion.instance, "business_key", "by a hook"))
    with pe.unit_of_work("officer") as uow:
        complete_task(uow, task.id)
    with pe.read() as s:
        stored = s.get(Instance, instance_id)
        assert (stored.business_key, stored.version) == ("by a hook", version + 2)  # the step's UPDATE, the hook's


def test_a_load_listener_still_hears_the_rows_read(pe):
    """Only the ORM's loading fires ``load``: with a listener on a class the read goes through it."""
    instance_id, [task] = _started(pe, user_task_chain(names=("a", "b")), "p")
    loaded = []

    def listen(target, _context) -> None:
        loaded.append(type(target).__name__)

    event.listen(Instance, "load", listen)
    try:
        with pe.unit_of_work("officer") as uow:
            complete_task(uow, task.id)
    finally:
        event.remove(Instance, "load", listen)
    assert loaded == ["Instance"]
    assert [t.element_id for t in _open(pe, instance_id)] == ["b"]
