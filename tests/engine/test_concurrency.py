"""Two people complete the same task at the same instant: exactly one wins, every time.

The interleaving is forced, not hoped for (Camunda's CompetingJoinTest): session A pauses just
before COMMIT with its changes flushed; session B then runs the same completion; A resumes.
On PostgreSQL we wait until B is blocked on A's row lock, so B has read the old state and must
lose on the version check (ConflictError). On SQLite B waits for the single write lock at BEGIN
and then finds the task completed (InvalidState). Either way nothing of B is applied.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select, text

from engine import (
    AuditEvent,
    ConflictError,
    HumanTask,
    Instance,
    InvalidState,
    StartInstance,
    complete_task,
    deploy,
    start_instance,
)
from tests.engine.bpmn_samples import user_task_chain
from tests.work import HANG_GUARD

ROUNDS = 8
RACE_FORM = {"by": "text"}  # the form of the raced task: each contender writes its name


def wait_until_blocked_on_lock(pe, deadline=HANG_GUARD):
    """PostgreSQL: until another backend waits for a lock (B blocked behind A's row lock)."""
    end = time.monotonic() + deadline
    with pe.db.connect() as conn:
        while time.monotonic() < end:
            waiting = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
            ).scalar()
            if waiting:
                return
            conn.rollback()
            time.sleep(0.005)
    raise AssertionError("session B never blocked behind session A")


def race(pe, task_id, postgres):
    """A completes and pauses before COMMIT; B completes the same task; A resumes."""
    a_paused, release_a = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def pause(_uow):
        a_paused.set()
        assert release_a.wait(HANG_GUARD)

    def run(name, hook=None):
        try:
            with pe.unit_of_work(name) as uow:
                if hook:
                    uow.before_commit.append(hook)
                complete_task(uow, task_id, {"by": name})
            outcome[name] = "won"
        except (ConflictError, InvalidState) as exc:
            outcome[name] = exc

    a = threading.Thread(target=run, args=("A", pause))
    a.start()
    assert a_paused.wait(HANG_GUARD)
    b = threading.Thread(target=run, args=("B",))
    b.start()
    if postgres:
        wait_until_blocked_on_lock(pe)
    release_a.set()
    a.join(HANG_GUARD)
    b.join(HANG_GUARD)
    return outcome


def test_two_completions_of_one_task_exactly_one_wins(pe):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain(fields=RACE_FORM))
    postgres = pe.db.dialect.name == "postgresql"
    for _ in range(ROUNDS):
        with pe.unit_of_work("tester") as uow:
            instance = start_instance(uow, StartInstance("p", {}, unit_code="U"))
        with pe.read() as s:
            [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).all()
        outcome = race(pe, task.id, postgres)
        assert outcome["A"] == "won"
        assert isinstance(outcome["B"], ConflictError if postgres else InvalidState), outcome["B"]
        with pe.read() as s:
            row = s.get(HumanTask, task.id)
            completions = s.scalar(select(func.count()).where(AuditEvent.event == "task_completed", AuditEvent.task_id == task.id))
            version = s.get(Instance, instance.id).version
        assert (row.status, row.completed_by, completions) == ("completed", "A", 1)
        assert version == instance.version + 1
