"""Timers that move a token are stepped a claimed batch at a time (engine/timer_batch.py): the
reads and the rows of the batch cost a few statements whatever its size; each instance still
gets its step, its version bump and its events. (A failing instance in a batch:
tests/engine/test_availability.py.)"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from engine import (
    AuditEvent,
    HumanTask,
    Instance,
    StartInstance,
    deploy,
    fire_due_timers,
    start_instance,
)
from engine.errors import ConflictError
from engine.timer_batch import _write_instances
from tests.engine.bpmn_samples import timer_then_task


class Statements:
    def __init__(self, db) -> None:
        self.db, self.by_verb = db, Counter()

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        self.by_verb[statement.lstrip().split(None, 1)[0].upper()] += 1

    def __enter__(self):
        event.listen(self.db, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.db, "before_cursor_execute", self)


def test_a_batch_of_token_timers_reads_and_writes_per_table_not_per_instance(pe, clock):
    n = 30
    with pe.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task(duration="PT1H"))
        ids = [start_instance(uow, StartInstance("t", {}, unit_code=f"U{i}")).id for i in range(n)]
    with pe.read() as s:
        versions = dict(s.execute(select(Instance.id, Instance.version)).all())
    with Statements(pe.db) as statements:
        result = fire_due_timers(pe, clock.advance(timedelta(hours=1)), limit=100)
    assert (result.instances, result.fired, result.failed) == (n, n, 0)
    # Per batch, not per instance: the claim, three reads, one savepoint, the instances' UPDATE
    # (``WHERE version = :loaded``), the timers' UPDATE, the tasks' INSERT, the events' INSERT.
    assert statements.by_verb["UPDATE"] <= 2
    assert statements.by_verb["SELECT"] <= 6
    assert statements.by_verb["INSERT"] <= 2
    assert sum(statements.by_verb.values()) <= 15
    with pe.read() as s:
        afters = Counter(
            s.scalars(select(HumanTask.instance_id).where(HumanTask.element_id == "after"))
        )
        fired = Counter(
            s.scalars(select(AuditEvent.instance_id).where(AuditEvent.event == "timer_fired"))
        )
        after_versions = dict(s.execute(select(Instance.id, Instance.version)).all())
    assert afters == Counter(ids) and fired == Counter(ids)
    assert after_versions == {k: v + 1 for k, v in versions.items()}
    assert fire_due_timers(pe, clock.now()).fired == 0


def test_the_batched_instance_update_keeps_the_optimistic_lock(pe, clock):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task(duration="PT1H"))
        ids = [start_instance(uow, StartInstance("t", {}, unit_code=f"U{i}")).id for i in range(2)]
    with pytest.raises(ConflictError), pe.unit_of_work("sweeper") as uow:
        instances = [uow.session.get(Instance, instance_id) for instance_id in ids]
        # Another step moved the second instance on since it was loaded (here, in the same
        # transaction, as a stand-in for a commit between the load and the write).
        uow.session.connection().execute(update(Instance.__table__).where(Instance.__table__.c.id == ids[1])
                                         .values(version=Instance.__table__.c.version + 1))  # fmt: skip
        for instance in instances:
            instance.state = instance.state + b" "
        _write_instances(uow.session, instances)
