"""A process killed mid-step (kill -9, just before COMMIT) leaves nothing half-applied."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from engine import (
    AuditEvent,
    HumanTask,
    Instance,
    StartInstance,
    complete_task,
    deploy,
    start_instance,
)
from tests.engine.bpmn_samples import user_task_chain
from tests.work import HANG_GUARD

ROOT = Path(__file__).resolve().parents[2]


def test_kill_9_before_commit_leaves_the_last_wait_state(pe, db_url, tmp_path):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain(script="dem = 1", fields={"ket_qua": "text"}))
    with pe.unit_of_work("tester") as uow:
        instance = start_instance(uow, StartInstance("p", {}, unit_code="U"))
    with pe.read() as s:
        [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).all()
    marker = tmp_path / "flushed"
    proc = subprocess.Popen([sys.executable, "-m", "tests.engine.kill_worker", db_url, str(task.id), str(marker)], cwd=ROOT)
    try:
        deadline = time.monotonic() + HANG_GUARD
        while not marker.exists():
            assert proc.poll() is None, "the worker died before reaching the commit"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(HANG_GUARD)
    assert proc.returncode == -signal.SIGKILL

    with pe.read() as s:
        after = s.get(Instance, instance.id)
        row = s.get(HumanTask, task.id)
        completed = s.scalar(select(func.count()).where(AuditEvent.event == "task_completed"))
    assert (after.version, after.state) == (instance.version, instance.state)
    assert row.status == "open" and completed == 0
    # The instance is intact: the step can be done again, once.
    with pe.unit_of_work("survivor") as uow:
        complete_task(uow, task.id, {"ket_qua": "lần này"})
    with pe.read() as s:
        assert s.get(HumanTask, task.id).completed_by == "survivor"
