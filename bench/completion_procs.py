"""Completions/s with several worker **processes** on one database (issue 15, target 2).

The thread figures of ``engine_bench`` share one interpreter, so on 2 cores the CPU part of the
completions never runs in parallel; the issue's target is for processes, each with its own
``ProcessEngine`` and connection pool, as web workers or CLI calls would be. The parent starts
the children of a fresh database and splits their open tasks; each process warms up (parses the
definition once, as a long-running server has), waits at a barrier, then completes its share one
unit of work each, timing every completion. Afterwards the parent counts, from the database, the
completions lost (a task still open) and applied twice (two ``task_completed`` events).

    .venv/bin/python -m bench.completion_procs sqlite|postgresql [--procs 4] [--per-proc 250]
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

WARM_UP = 5  # untimed completions per process: the definition's parse and the pool's connection


def _child(url: str, at: Any, task_ids: list[uuid.UUID], barrier: Any, out: Any, k: int) -> None:
    """One worker process: its own engine, its share of the tasks, latencies to ``out``."""
    from bench.engine_bench import complete
    from engine import FrozenClock, ProcessEngine, make_engine
    from engine.errors import EngineError
    from workflows.roles import role_catalog

    db = make_engine(url)
    pe = ProcessEngine(db, clock=FrozenClock(at), roles=role_catalog())
    for task_id in task_ids[:WARM_UP]:
        complete(pe, task_id, actor=f"bench:process-{k}")
    barrier.wait()
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()  # CLOCK_MONOTONIC: one clock for every process on Linux
    for task_id in task_ids[WARM_UP:]:
        begun = time.perf_counter()
        try:
            complete(pe, task_id, actor=f"bench:process-{k}")
        except EngineError as exc:
            errors.append(type(exc).__name__)
            continue
        latencies.append(time.perf_counter() - begun)
    out.put({"k": k, "started": started, "ended": time.perf_counter(), "latencies": latencies, "errors": errors})
    db.dispose()


def processes_run(kind: str, workdir: Path, procs: int, per_proc: int, server: Any = None) -> dict[str, Any]:
    """``procs`` processes completing ``per_proc`` tasks each (plus a warm-up), on a fresh database."""
    from bench import engine_bench as eb
    from bench.report import stats_ms
    from engine.models import AuditEvent, HumanTask

    dbs = eb.Databases(kind, workdir, server)
    try:
        db, pe, clock = dbs.fresh("procs")
        eb.deploy_once(pe, eb.user_task_chain(eb.CHILD_PROCESS, names=("a", "b"), fields=eb.CHILD_FORM), "bench_child.bpmn")
        n = procs * (per_proc + WARM_UP)
        eb.start_children(pe, clock, None, n, "procs")
        eb.seal_all(pe)
        eb.settle(db)
        task_ids = eb.open_tasks(pe, "a", n, tag="procs")
        chunks = [task_ids[i::procs] for i in range(procs)]
        clock.advance(timedelta(minutes=1))
        url = db.url.render_as_string(hide_password=False)
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited pool
        barrier, out = context.Barrier(procs), context.Queue()
        workers = [context.Process(target=_child, args=(url, clock.now(), chunks[k], barrier, out, k)) for k in range(procs)]
        for worker in workers:
            worker.start()
        results = [out.get(timeout=1800) for _ in workers]
        for worker in workers:
            worker.join()
        timed = [t for chunk in chunks for t in chunk[WARM_UP:]]
        with pe.read() as s:
            still_open = s.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.id.in_(timed), HumanTask.status == "open"))
            events = Counter(s.scalars(select(AuditEvent.task_id).where(AuditEvent.event == "task_completed")))
        dbs.release(db)
    finally:
        dbs.close()
    latencies = [x for r in results for x in r["latencies"]]
    errors = [e for r in results for e in r["errors"]]
    wall = max(r["ended"] for r in results) - min(r["started"] for r in results)
    ordered = sorted(latencies)
    p99 = ordered[max(0, -(-99 * len(ordered) // 100) - 1)] * 1000 if ordered else float("nan")
    return {
        "procs": procs, "completions": len(latencies), "errors": len(errors), "error_kinds": sorted(set(errors)),
        "wall_s": wall, "completions_per_s": len(latencies) / wall if wall else float("nan"),
        "latency": {**stats_ms(latencies), "p99_ms": p99},
        "lost": int(still_open or 0) - len(errors),  # refused ones stay open and are counted apart
        "applied_twice": sum(1 for count in events.values() if count > 1),
    }  # fmt: skip


if __name__ == "__main__":
    import tempfile

    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    procs = int(sys.argv[sys.argv.index("--procs") + 1]) if "--procs" in sys.argv else 4
    per_proc = int(sys.argv[sys.argv.index("--per-proc") + 1]) if "--per-proc" in sys.argv else 250
    server = None
    if kind == "postgresql":
        from tests.fixtures.postgres import get_server

        server = get_server()
    print(kind, json.dumps(processes_run(kind, Path(tempfile.mkdtemp()), procs, per_proc, server), indent=1))
