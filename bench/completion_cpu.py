"""CPU time and SQL statements per completion (a child's task a -> b, fan-out 700), with the
after-commit seal on every completion and priced apart: less sensitive than wall time to other
work on a shared machine.

    .venv/bin/python -m bench.completion_cpu sqlite|postgresql
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench import engine_bench as eb


def main(kind: str) -> dict[str, Any]:
    server = None
    if kind == "postgresql":
        from tests.fixtures.postgres import get_server

        server = get_server()
    dbs = eb.Databases(kind, Path(tempfile.mkdtemp()), server)
    db, pe, clock = dbs.fresh("cpu")
    eb.deploy_once(pe, eb.user_task_chain(eb.CHILD_PROCESS, names=("a", "b", "c"), fields=eb.CHILD_FORM), "c.bpmn")
    eb.start_children(pe, clock, None, 700, "p")
    ids = eb.open_tasks(pe, "a", 700, tag="p")
    sent = [0]
    event.listen(db, "before_cursor_execute", lambda *_a: sent.__setitem__(0, sent[0] + 1))
    out: dict[str, Any] = {}
    # +1 s per completion: the once-a-second seal runs every time; +1 ms: it runs apart.
    for label, step, chunk in (("seal_each", timedelta(seconds=1), ids[:300]), ("seal_apart", timedelta(milliseconds=1), ids[300:600])):
        for task_id in chunk[:20]:  # warm-up
            clock.advance(step)
            eb.complete(pe, task_id)
        sent[0] = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for task_id in chunk[20:]:
            clock.advance(step)
            eb.complete(pe, task_id)
        k = len(chunk) - 20
        out[label] = {"wall_ms": (time.perf_counter() - wall) / k * 1000, "cpu_ms": (time.process_time() - cpu) / k * 1000,
                      "statements": sent[0] / k}  # fmt: skip
    dbs.close()
    return out


if __name__ == "__main__":
    print(sys.argv[1], json.dumps(main(sys.argv[1])))
