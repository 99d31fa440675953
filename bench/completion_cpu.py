"""CPU time and SQL statements per completion (a child's task a -> b, fan-out 700), as shipped
(commands never seal: the worker does) and with the old seal in the request on every completion:
less sensitive than wall time to other work on a shared machine.

    .venv/bin/python -m bench.completion_cpu sqlite|postgresql [--profile]
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench import engine_bench as eb


def main(kind: str, profile: bool = False) -> dict[str, Any]:
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
    profiler = cProfile.Profile() if profile else None
    # in_request: the old way, a seal after every commit (+1 s each, past the interval).
    for label, in_request, chunk in (("in_request", True, ids[:300]), ("by_worker", False, ids[300:600])):
        pe.seal_after_commit = in_request
        for task_id in chunk[:20]:  # warm-up
            clock.advance(timedelta(seconds=1))
            eb.complete(pe, task_id)
        sent[0] = 0
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler is not None and not in_request:
            profiler.enable()
        for task_id in chunk[20:]:
            clock.advance(timedelta(seconds=1))
            eb.complete(pe, task_id)
        if profiler is not None and not in_request:
            profiler.disable()
        k = len(chunk) - 20
        out[label] = {"wall_ms": (time.perf_counter() - wall) / k * 1000, "cpu_ms": (time.process_time() - cpu) / k * 1000,
                      "statements": sent[0] / k}  # fmt: skip
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    dbs.close()
    return out


if __name__ == "__main__":
    print(sys.argv[1], json.dumps(main(sys.argv[1], profile="--profile" in sys.argv)))
