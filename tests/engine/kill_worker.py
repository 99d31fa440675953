"""Run one completion in a separate process and stop forever just before COMMIT.

Used by test_kill.py: the test kills this process with SIGKILL at that instant.
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

from engine import FrozenClock, ProcessEngine, complete_task, make_engine
from tests.fixtures.plugin import T0
from workflows.roles import role_catalog


def main(url: str, task_id: str, marker: str) -> None:
    pe = ProcessEngine(make_engine(url), clock=FrozenClock(T0), roles=role_catalog())

    def freeze(_uow):
        Path(marker).write_text("flushed")
        time.sleep(600)

    with pe.unit_of_work("doomed") as uow:
        uow.before_commit.append(freeze)
        complete_task(uow, uuid.UUID(task_id), {"ket_qua": "sẽ mất"})


if __name__ == "__main__":
    main(*sys.argv[1:4])
