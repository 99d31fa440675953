"""Per-operation costs of the engine on SQLite and PostgreSQL, and the naive alternative.

Run from the repository root::

    .venv/bin/python -m bench.engine_bench [--quick] [--db sqlite|postgresql|both] [--json out.json]

Sections (see bench/README.md for what each figure means):

1. deploy: a new version of bpmn/giao_nhiem_vu.bpmn each time, and an identical (no-op) deploy
2. start: one instance per transaction, and N instances in one unit of work
3. complete one child's task at fan-out 10 vs 1,000 vs 10,000 (children of one parent)
4. stored bytes per instance (zlib JSON without the spec) vs the JSON inside it
5. the naive alternative: ONE SpiffWorkflow workflow with N parallel branches (subprocess each)
6. audit chain: completions/s with sealing by the worker (the default) vs in the request, 1 and 4 threads;
   the cost of a seal that finds nothing to seal, as the audit trail grows
7. the raw limit of the same database (single-row INSERT + COMMIT transactions) and our share of it

The engine only ever sees a ``FrozenClock``; the harness itself times with ``perf_counter``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import SpiffWorkflow
import sqlalchemy
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Engine, func, insert, select

from bench.report import emit, progress, rounded, stats_ms, table
from engine import (
    AuditEvent,
    AuditSeal,
    ChildSpec,
    EngineError,
    FrozenClock,
    HumanTask,
    Instance,
    ProcessDefinition,
    ProcessEngine,
    StartInstance,
    complete_task,
    deploy,
    make_engine,
    start_instance,
    start_instances,
    upgrade,
)
from engine.timers_spiff import CLOCKED
from tests.engine.bpmn_samples import giao_nhiem_vu, user_task_chain
from workflows.roles import role_catalog

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
MAIN_PROCESS = "giao_nhiem_vu"
CHILD_PROCESS = "bench_child"  # start -> a -> b -> c -> end, all in the officer lane
CHILD_FORM = {"ket_qua": "text", "so_lieu": "integer"}  # what ``complete`` submits at each step
CREATE_BATCH = 1000  # children started per unit of work when fanning out


@dataclass(frozen=True)
class Sizes:
    deploys: int
    starts_single: int
    starts_batch: int
    fanouts: tuple[int, ...]  # the first is the small one (10)
    completions: int  # completions timed per fan-out (on different children)
    threads: tuple[int, ...]
    per_thread: int  # completions per thread in section 6
    raw_seconds: float
    trail_extra: int  # synthetic audit events added to show a seal's cost vs trail size
    naive: tuple[tuple[int, int], ...]  # (N, repetitions)
    naive_timeout_s: float


QUICK = Sizes(
    deploys=10, starts_single=100, starts_batch=500, fanouts=(10, 10_000), completions=30,
    threads=(1, 4), per_thread=60, raw_seconds=1.0, trail_extra=30_000,
    naive=((10, 20), (1_000, 5)), naive_timeout_s=120,
)  # fmt: skip
FULL = Sizes(
    deploys=30, starts_single=300, starts_batch=2_000, fanouts=(10, 1_000, 10_000), completions=50,
    threads=(1, 4), per_thread=250, raw_seconds=3.0, trail_extra=300_000,
    naive=((10, 30), (1_000, 10), (10_000, 3)), naive_timeout_s=600,
)  # fmt: skip


# --- databases ------------------------------------------------------------------------------


class Databases:
    """Fresh, migrated databases of one kind: SQLite files (WAL) in a temp dir, or databases on
    a throwaway PostgreSQL 15 server."""

    def __init__(self, kind: str, workdir: Path, server: Any = None) -> None:
        self.kind, self.workdir, self.server = kind, workdir, server
        self._names: dict[Engine, str] = {}

    def fresh(self, name: str) -> tuple[Engine, ProcessEngine, FrozenClock]:
        if self.kind == "sqlite":
            dbname = str(self.workdir / f"{name}.sqlite3")
            url = f"sqlite:///{dbname}"
        else:
            dbname = f"bench_{name}_{uuid.uuid4().hex[:8]}"
            self.server.create_database(dbname)
            url = self.server.url(dbname)
        db = make_engine(url)
        upgrade(db)
        self._names[db] = dbname
        clock = FrozenClock(T0)
        return db, ProcessEngine(db, clock=clock, roles=role_catalog()), clock

    def release(self, db: Engine) -> None:
        """Dispose of a section's database and delete it, so that no background work on it
        (autovacuum, WAL checkpoints) runs during the next section's measurements."""
        db.dispose()
        name = self._names.pop(db)
        if self.kind == "postgresql":
            self.server.drop_database(name)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(name + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        for db in list(self._names):
            self.release(db)

    def describe(self) -> str:
        if self.kind == "sqlite":
            return f"SQLite {sqlite3.sqlite_version}, file in {self.workdir}, WAL, synchronous=NORMAL"
        settings = self.server_settings()
        where = self.server.base_dir
        return (f"{self.server.version}, data in {where}, fsync={settings.get('fsync')}, "
                f"synchronous_commit={settings.get('synchronous_commit')}")  # fmt: skip

    def server_settings(self) -> dict[str, str]:
        if self.kind != "postgresql":
            return {}
        with self.server.connect() as conn:
            rows = conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers')"
            ).fetchall()
        return {name: setting for name, setting in rows}


# --- helpers --------------------------------------------------------------------------------


def settle(db: Engine) -> None:
    """Bring the database to a steady state before a timed phase: on PostgreSQL VACUUM ANALYZE of
    the tables that hold rows (what autovacuum would otherwise do in the middle of the measurement,
    on a 2-core machine), on SQLite a WAL checkpoint.

    An empty table is left alone, as autovacuum leaves it: analysed empty, it is planned as empty,
    and the foreign-key checks of the rows a dispatch then inserts into the tables that reference
    it, planned once per connection, scanned it whole for each row. The province's dispatch read
    67 million `instance` rows that way (8.2 s instead of 2.8, server CPU 6.7 s instead of 1.3)."""
    if db.dialect.name == "postgresql":
        with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            tables = conn.exec_driver_sql(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM pg_stat_user_tables WHERE n_live_tup > 0"
            ).scalars().all()
            for table in tables:
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
        return
    conn = db.raw_connection()  # no BEGIN: the engine's pysqlite connections are in autocommit
    try:
        conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def complete_then_seal(pe: ProcessEngine, task_id: uuid.UUID) -> tuple[float, float]:
    """(seconds to complete the task, seconds to seal its audit events apart): commands never
    seal (the worker does, docs/engine.md), so the seal is timed as the worker's own run."""
    total = timed(lambda: complete(pe, task_id))
    return total, timed(pe.seal_audit)


@contextlib.contextmanager
def sealing_in_request(pe: ProcessEngine, on: bool) -> Iterator[None]:
    """The old way, for comparison: every commit seals (at most once per ``seal_interval``)."""
    before = pe.seal_after_commit
    pe.seal_after_commit = on
    try:
        yield
    finally:
        pe.seal_after_commit = before


def seal_all(pe: ProcessEngine) -> int:
    total = 0
    while sealed := pe.seal_audit():
        total += sealed
    return total


def count(pe: ProcessEngine, query: Any) -> int:
    with pe.read() as session:
        return int(session.scalar(query) or 0)


def unsealed_query() -> Any:
    return (
        select(func.count())
        .select_from(AuditEvent)
        .outerjoin(AuditSeal, AuditSeal.event_id == AuditEvent.id)
        .where(AuditSeal.seq.is_(None))
    )


def events_query() -> Any:
    return select(func.count()).select_from(AuditEvent)


def deploy_once(pe: ProcessEngine, xml: bytes, name: str) -> None:
    with pe.unit_of_work("bench:deploy") as uow:
        deploy(uow, xml, source_name=name)


def start_children(pe: ProcessEngine, clock: FrozenClock, parent_id: uuid.UUID | None, n: int, tag: str) -> float:
    """Start ``n`` child instances with ``start_instances`` (as a dispatch does), ``CREATE_BATCH``
    per unit of work, business keys ``tag/i``; return the seconds taken."""
    elapsed = 0.0
    for first in range(0, n, CREATE_BATCH):
        clock.advance(timedelta(seconds=1))

        def batch(first: int = first) -> None:
            specs = [ChildSpec(unit_code=f"S{i:05d}", parent_id=parent_id, business_key=f"{tag}/{i}")
                     for i in range(first, min(n, first + CREATE_BATCH))]  # fmt: skip
            with pe.unit_of_work("bench:fan-out") as uow:
                start_instances(uow, CHILD_PROCESS, specs, data={})

        elapsed += timed(batch)
    return elapsed


def open_tasks(pe: ProcessEngine, element: str, limit: int, *, parent_id: uuid.UUID | None = None, tag: str | None = None) -> list[uuid.UUID]:
    """Open tasks ``element`` of the children of ``parent_id`` (or of instances tagged ``tag``),
    ``limit`` of them spread evenly over the whole fan-out."""
    query = select(HumanTask.id).join(Instance, Instance.id == HumanTask.instance_id)
    query = query.where(HumanTask.status == "open", HumanTask.element_id == element)
    if parent_id is not None:
        query = query.where(Instance.parent_id == parent_id)
    if tag is not None:
        query = query.where(Instance.business_key.like(f"{tag}/%"))
    with pe.read() as session:
        ids = list(session.scalars(query.order_by(HumanTask.instance_id)).all())
    if limit >= len(ids):
        return ids
    step = len(ids) / limit
    return [ids[int(i * step)] for i in range(limit)]


def complete(pe: ProcessEngine, task_id: uuid.UUID, actor: str = "bench:officer") -> None:
    with pe.unit_of_work(actor) as uow:
        complete_task(uow, task_id, {"ket_qua": "xong", "so_lieu": 42})


# --- 1 + 2: deploy and start ----------------------------------------------------------------


def bench_deploy_start(dbs: Databases, sizes: Sizes) -> dict[str, Any]:
    db, pe, clock = dbs.fresh("core")
    xml = giao_nhiem_vu()
    marker = b"</bpmn:documentation>"
    assert marker in xml
    deploy_once(pe, xml, "giao_nhiem_vu.bpmn")  # warm-up: version 1

    new, noop = [], []
    last = xml
    for i in range(sizes.deploys):
        clock.advance(timedelta(minutes=1))
        last = xml.replace(marker, f" (bench {i})".encode() + marker, 1)
        new.append(timed(lambda doc=last: deploy_once(pe, doc, "giao_nhiem_vu.bpmn")))
    for _ in range(sizes.deploys):
        clock.advance(timedelta(minutes=1))
        noop.append(timed(lambda: deploy_once(pe, last, "giao_nhiem_vu.bpmn")))
    with pe.read() as session:
        versions = session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == MAIN_PROCESS))
    assert versions == sizes.deploys + 1, versions

    single = []
    for i in range(sizes.starts_single):
        clock.advance(timedelta(seconds=1))

        def one(i: int = i) -> None:
            with pe.unit_of_work("bench:clerk") as uow:
                start_instance(uow, StartInstance(MAIN_PROCESS, {"nhiem_vu": f"NV-{i}"}, unit_code=f"U{i % 50:03d}",
                                                  business_key=f"single-{i}"))  # fmt: skip

        single.append(timed(one))

    clock.advance(timedelta(seconds=1))

    def batch() -> None:
        with pe.unit_of_work("bench:clerk") as uow:
            for i in range(sizes.starts_batch):
                start_instance(uow, StartInstance(MAIN_PROCESS, {"nhiem_vu": f"NV-B{i}"}, unit_code=f"U{i % 50:03d}",
                                                  business_key=f"batch-{i}"))  # fmt: skip

    batch_s = timed(batch)
    sizes_main = state_sizes(pe, MAIN_PROCESS)
    spiff_default = default_serializer_bytes(pe, MAIN_PROCESS)
    dbs.release(db)
    return {
        "deploy_new": stats_ms(new),
        "deploy_noop": stats_ms(noop),
        "start_single": stats_ms(single),
        "start_batch": {"n": sizes.starts_batch, "total_s": batch_s, "per_instance_ms": batch_s / sizes.starts_batch * 1000,
                        "per_s": sizes.starts_batch / batch_s},  # fmt: skip
        "state_main": {**sizes_main, "spiff_default_json_bytes": spiff_default},
    }


def state_sizes(pe: ProcessEngine, process_key: str, limit: int = 2000) -> dict[str, Any]:
    with pe.read() as session:
        blobs = session.scalars(select(Instance.state).where(Instance.process_key == process_key).limit(limit)).all()
    compressed = [len(b) for b in blobs]
    raw = [len(zlib.decompress(b)) for b in blobs]
    return {"instances": len(blobs), "compressed_bytes": sum(compressed) / len(blobs), "json_bytes": sum(raw) / len(blobs)}


def default_serializer_bytes(pe: ProcessEngine, process_key: str) -> int | None:
    """The same workflow as SpiffWorkflow's default serializer writes it (spec included)."""
    with pe.read() as session:
        instance = session.scalars(select(Instance).where(Instance.process_key == process_key).limit(1)).first()
        definition = session.get(ProcessDefinition, instance.definition_id) if instance else None
    if instance is None or definition is None:
        return None
    bundle = pe.bundle(definition)
    workflow = pe.codec.load(instance.state, bundle.spec, bundle.subprocess_specs, pe.script_engine)
    config = dict(DEFAULT_CONFIG)
    for clocked in CLOCKED.values():  # our clock-reading timer classes, saved like SpiffWorkflow's own
        config[clocked] = TimerConditionalEventDefinitionConverter
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
    return len(serializer.serialize_json(workflow).encode())


# --- 3: fan-out -----------------------------------------------------------------------------


def bench_fanout(dbs: Databases, sizes: Sizes) -> dict[str, Any]:
    db, pe, clock = dbs.fresh("fanout")
    deploy_once(pe, giao_nhiem_vu(), "giao_nhiem_vu.bpmn")
    deploy_once(pe, user_task_chain(CHILD_PROCESS, names=("a", "b", "c"), fields=CHILD_FORM), "bench_child.bpmn")
    small, *big = sizes.fanouts
    k = sizes.completions

    def parent(tag: str) -> uuid.UUID:
        clock.advance(timedelta(seconds=1))
        with pe.unit_of_work("bench:leader") as uow:
            return start_instance(uow, StartInstance(MAIN_PROCESS, {"nhiem_vu": tag}, unit_code="SGDDT", business_key=tag)).id

    def run(task_ids: list[uuid.UUID]) -> tuple[list[float], list[float]]:
        totals, seals = [], []
        for task_id in task_ids:
            clock.advance(timedelta(seconds=1))
            total, seal = complete_then_seal(pe, task_id)
            totals.append(total)
            seals.append(seal)
        return totals, seals

    # Phase A: fan-outs of `small` children, on a nearly empty database.
    small_parents = [parent(f"small-{p}") for p in range(math.ceil(k / small))]
    for p, parent_id in enumerate(small_parents):
        start_children(pe, clock, parent_id, small, f"small-{p}")
    small_a = [t for parent_id in small_parents for t in open_tasks(pe, "a", small, parent_id=parent_id)][:k]
    settle(db)
    empty_totals, empty_seals = run(small_a)
    progress(f"{dbs.kind}: fan-out {small} on an empty database done")

    # Phase B: the big fan-outs.
    created: dict[int, dict[str, float]] = {}
    big_parents: dict[int, uuid.UUID] = {}
    for n in big:
        big_parents[n] = parent(f"big-{n}")
        seconds = start_children(pe, clock, big_parents[n], n, f"big-{n}")
        created[n] = {"children": n, "seconds": seconds, "per_s": n / seconds, "per_instance_ms": seconds / n * 1000}
        progress(f"{dbs.kind}: created {n:,} children in {seconds:.1f} s")

    # Phase C: interleaved, so every fan-out sees the same database (size, caches, trail).
    # The small children complete their *second* task (b -> c), the big ones their first (a -> b):
    # the same transition of the same process.
    lists = {small: [t for parent_id in small_parents for t in open_tasks(pe, "b", small, parent_id=parent_id)][:k]}
    for n in big:
        lists[n] = open_tasks(pe, "a", k, parent_id=big_parents[n])
    samples: dict[int, tuple[list[float], list[float]]] = {n: ([], []) for n in lists}
    settle(db)
    for i in range(k):
        for n, ids in lists.items():
            if i < len(ids):
                total, seal = run([ids[i]])
                samples[n][0].extend(total)
                samples[n][1].extend(seal)

    in_memory = in_memory_step(pe)
    child_sizes = state_sizes(pe, CHILD_PROCESS)
    result: dict[str, Any] = {
        "empty_db": {"fanout": small, **stats_ms(empty_totals), "seal_median_ms": stats_ms(empty_seals)["median_ms"]},
        "interleaved": {
            str(n): {**stats_ms(totals), "seal_median_ms": stats_ms(seals)["median_ms"],
                     "without_seal_median_ms": stats_ms(totals)["median_ms"]}
            for n, (totals, seals) in samples.items()
        },  # fmt: skip
        "created": {str(n): v for n, v in created.items()},
        "in_memory": in_memory,
        "state_child": child_sizes,
        "audit_events": count(pe, events_query()),
        "instances": count(pe, select(func.count()).select_from(Instance)),
    }
    largest = str(max(big)) if big else str(small)
    inter = result["interleaved"]
    result["ratio_interleaved"] = inter[largest]["median_ms"] / inter[str(small)]["median_ms"]
    result["ratio_vs_empty_db"] = inter[largest]["median_ms"] / result["empty_db"]["median_ms"]
    result["ratio_without_seal"] = inter[largest]["without_seal_median_ms"] / inter[str(small)]["without_seal_median_ms"]
    dbs.release(db)
    return result


def in_memory_step(pe: ProcessEngine, reps: int = 50) -> dict[str, float]:
    """Our CPU cost alone: load a child's state, complete its ready task, run, dump (no database)."""
    with pe.read() as session:
        instance = session.scalars(
            select(Instance).join(HumanTask, HumanTask.instance_id == Instance.id)
            .where(Instance.process_key == CHILD_PROCESS, HumanTask.status == "open", HumanTask.element_id == "a")
            .limit(1)
        ).first()  # fmt: skip
        definition = session.get(ProcessDefinition, instance.definition_id)
    bundle = pe.bundle(definition)
    load, step, dump = [], [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        workflow = pe.codec.load(instance.state, bundle.spec, bundle.subprocess_specs, pe.script_engine)
        t1 = time.perf_counter()
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update({"ket_qua": "xong"})
        task.run()
        workflow.do_engine_steps()
        t2 = time.perf_counter()
        pe.codec.dump(workflow)
        t3 = time.perf_counter()
        load.append(t1 - t0), step.append(t2 - t1), dump.append(t3 - t2)
    totals = [a + b + c for a, b, c in zip(load, step, dump, strict=True)]
    return {
        "complete_ms": stats_ms(totals)["median_ms"], "deserialize_ms": stats_ms(load)["median_ms"],
        "step_ms": stats_ms(step)["median_ms"], "serialize_ms": stats_ms(dump)["median_ms"],
    }  # fmt: skip


# --- 6 + 7: audit sealing under concurrency, raw limits -------------------------------------


def bench_audit(dbs: Databases, sizes: Sizes) -> dict[str, Any]:
    db, pe, clock = dbs.fresh("audit")
    deploy_once(pe, user_task_chain(CHILD_PROCESS, names=("a", "b"), fields=CHILD_FORM), "bench_child.bpmn")
    runs: list[dict[str, Any]] = []
    for deferred in (True, False):
        for threads in sizes.threads:
            runs.append(concurrent_run(db, pe, clock, threads, sizes.per_thread, deferred=deferred))
            progress(f"{dbs.kind}: {threads} thread(s), sealing {'by worker' if deferred else 'in request'}: "
                     f"{runs[-1]['completions_per_s']:.0f}/s")  # fmt: skip
    settle(db)
    raw = {str(n): best_raw_rate(db, dbs.kind, n, sizes.raw_seconds) for n in sizes.threads}
    trail = trail_growth(db, pe, clock, dbs.kind, sizes)
    dbs.release(db)
    return {"runs": runs, "raw": raw, "trail": trail}


def concurrent_run(db: Engine, pe: ProcessEngine, clock: FrozenClock, threads: int, per_thread: int, *, deferred: bool) -> dict[str, Any]:
    tag = f"run-{uuid.uuid4().hex[:8]}"
    start_children(pe, clock, None, threads * per_thread, tag)
    seal_all(pe)
    settle(db)
    task_ids = open_tasks(pe, "a", threads * per_thread, tag=tag)
    chunks = [task_ids[i::threads] for i in range(threads)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[str] = []
    barrier = threading.Barrier(threads + 1)
    events_before = count(pe, events_query())
    clock.advance(timedelta(minutes=1))

    def worker(k: int) -> None:
        barrier.wait()
        for task_id in chunks[k]:
            started = time.perf_counter()
            try:
                complete(pe, task_id, actor=f"bench:officer-{k}")
            except EngineError as exc:
                errors.append(type(exc).__name__)
                continue
            latencies[k].append(time.perf_counter() - started)

    with sealing_in_request(pe, not deferred):
        pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        for thread in pool:
            thread.start()
        barrier.wait()
        started, cpu_started = time.perf_counter(), time.process_time()
        for thread in pool:
            thread.join()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    done = sum(len(each) for each in latencies)
    events = count(pe, events_query()) - events_before
    result: dict[str, Any] = {
        "threads": threads, "sealing": "by worker" if deferred else "in request", "completions": done,
        "errors": len(errors), "error_kinds": sorted(set(errors)), "wall_s": wall, "completions_per_s": done / wall,
        "latency": stats_ms([x for each in latencies for x in each]), "events": events,
        "client_cpu_ms_per_completion": cpu / max(1, done) * 1000,
        "unsealed_after_run": count(pe, unsealed_query()),
    }  # fmt: skip
    if deferred:
        seal_s = timed(lambda: seal_all(pe))
        # SQLite: the worker's checkpoint of what the run wrote to the WAL (commits leave it to the
        # worker), timed apart like the seal; 0 on PostgreSQL.
        checkpoint_s = timed(pe.checkpoint)
        result.update(seal_s=seal_s, seal_events_per_s=result["unsealed_after_run"] / seal_s,
                      completions_per_s_incl_seal=done / (wall + seal_s), checkpoint_s=checkpoint_s,
                      completions_per_s_incl_worker=done / (wall + seal_s + checkpoint_s))  # fmt: skip
    return result


def best_raw_rate(db: Engine, kind: str, connections: int, seconds: float, rounds: int = 3) -> dict[str, Any]:
    """The best of ``rounds`` short measurements: a limit, so background work (autovacuum, WAL
    checkpoints, the other core being busy) should not lower it."""
    trials = [raw_insert_rate(db, kind, connections, seconds / rounds) for _ in range(rounds)]
    best = max(trials, key=lambda t: t["per_s"])
    return {**best, "rounds": [t["per_s"] for t in trials]}


def raw_insert_rate(db: Engine, kind: str, connections: int, seconds: float) -> dict[str, Any]:
    """Bare single-row INSERT + COMMIT transactions per second on the same database."""
    with db.begin() as conn:
        if kind == "sqlite":
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, n INTEGER, payload TEXT)")
        else:
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS bench_raw (id BIGSERIAL PRIMARY KEY, n INTEGER, payload TEXT)")
    sql = "INSERT INTO bench_raw (n, payload) VALUES (?, ?)" if kind == "sqlite" else "INSERT INTO bench_raw (n, payload) VALUES (%s, %s)"
    counts = [0] * connections
    barrier = threading.Barrier(connections + 1)
    deadline: list[float] = []

    def worker(k: int) -> None:
        conn = db.raw_connection()  # the engine's own pool: same PRAGMAs / server settings
        try:
            cursor = conn.cursor()
            barrier.wait()
            while time.perf_counter() < deadline[0]:
                if kind == "sqlite":
                    cursor.execute("BEGIN IMMEDIATE")
                    cursor.execute(sql, (k, "x" * 100))
                    cursor.execute("COMMIT")
                else:
                    cursor.execute(sql, (k, "x" * 100))
                    conn.commit()
                counts[k] += 1
            cursor.close()
        finally:
            conn.close()

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for thread in pool:
        thread.start()
    deadline.append(time.perf_counter() + seconds)
    started = time.perf_counter()
    barrier.wait()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - started
    return {"connections": connections, "transactions": sum(counts), "per_s": sum(counts) / wall}


def trail_growth(db: Engine, pe: ProcessEngine, clock: FrozenClock, kind: str, sizes: Sizes) -> dict[str, Any]:
    """What one after-commit seal costs when there is nothing to seal, before and after the audit
    trail grows by ``trail_extra`` events; and a completion's cost at both sizes."""

    def probe(label: str) -> dict[str, Any]:
        tag = f"trail-{label}"
        start_children(pe, clock, None, 30, tag)
        seal_all(pe)
        settle(db)
        empty = [timed(pe.seal_audit) for _ in range(15)]
        totals, seals = [], []
        for task_id in open_tasks(pe, "a", 30, tag=tag):
            clock.advance(timedelta(seconds=1))
            total, seal = complete_then_seal(pe, task_id)
            totals.append(total)
            seals.append(seal)
        return {
            "audit_events": count(pe, events_query()), "empty_seal": stats_ms(empty),
            "complete": stats_ms(totals), "complete_seal_median_ms": stats_ms(seals)["median_ms"],
            "complete_without_seal_median_ms": stats_ms(totals)["median_ms"],
        }  # fmt: skip

    before = probe("before")
    rows_left, inserted, insert_s = sizes.trail_extra, 0, 0.0
    while rows_left > 0:
        chunk = min(10_000, rows_left)
        now = clock.advance(timedelta(seconds=1))
        rows = [
            {"occurred_at": now, "event": "task_completed", "actor": f"bench:officer-{i % 97}", "on_behalf_of": None,
             "instance_id": uuid.uuid4(), "task_id": uuid.uuid4(), "subject": "a", "data": {"fields": ["ket_qua"]}}
            for i in range(chunk)
        ]  # fmt: skip

        def write(rows: list[dict[str, Any]] = rows) -> None:
            with pe.write_session() as session, session.begin():
                session.execute(insert(AuditEvent), rows)

        insert_s += timed(write)
        inserted += chunk
        rows_left -= chunk
    sealed = [0]
    bulk_seal_s = timed(lambda: sealed.__setitem__(0, seal_all(pe)))
    after = probe("after")
    return {
        "added_events": inserted, "insert_per_s": inserted / insert_s,
        "bulk_seal_events": sealed[0], "bulk_seal_per_s": sealed[0] / bulk_seal_s,
        "before": before, "after": after,
    }  # fmt: skip


# --- 5: the naive alternative ---------------------------------------------------------------


def bench_naive(sizes: Sizes) -> list[dict[str, Any]]:
    results = []
    for n, reps in sizes.naive:
        progress(f"naive: one SpiffWorkflow workflow with {n:,} parallel branches ({reps} reps)")
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bench.naive_spiff", str(n), str(reps)], cwd=REPO,
                capture_output=True, text=True, timeout=sizes.naive_timeout_s, check=True,
            )  # fmt: skip
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        except subprocess.TimeoutExpired:
            results.append({"n": n, "timeout_s": sizes.naive_timeout_s})
        except subprocess.CalledProcessError as exc:
            results.append({"n": n, "error": (exc.stderr or "").strip().splitlines()[-1:]})
    return results


# --- printing -------------------------------------------------------------------------------


def print_db_sections(kind: str, core: dict[str, Any], fan: dict[str, Any], audit_: dict[str, Any], sizes: Sizes) -> None:
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[kind]
    rows = [
        ["deploy giao_nhiem_vu, new version", core["deploy_new"]["median_ms"], core["deploy_new"]["p95_ms"], core["deploy_new"]["n"]],
        ["deploy identical XML (no-op)", core["deploy_noop"]["median_ms"], core["deploy_noop"]["p95_ms"], core["deploy_noop"]["n"]],
        ["start giao_nhiem_vu, 1 per transaction", core["start_single"]["median_ms"], core["start_single"]["p95_ms"], core["start_single"]["n"]],
        [f"start giao_nhiem_vu, {sizes.starts_batch:,} in 1 unit of work (per instance)", core["start_batch"]["per_instance_ms"], None, sizes.starts_batch],
    ]  # fmt: skip
    emit(table(f"{label} 1-2. deploy and start (ms)", ["operation", "median", "p95", "n"], rows,
               [f"batch start: {core['start_batch']['per_s']:.0f} instances/s"]))  # fmt: skip

    small = str(sizes.fanouts[0])
    rows = [[f"{fan['empty_db']['fanout']:,} (nearly empty database)", fan["empty_db"]["median_ms"], fan["empty_db"]["p95_ms"],
             fan["empty_db"]["seal_median_ms"], fan["empty_db"]["median_ms"] - fan["empty_db"]["seal_median_ms"], None]]  # fmt: skip
    for n, s in fan["interleaved"].items():
        created = fan["created"].get(n)
        rows.append([f"{int(n):,} (interleaved, same database)", s["median_ms"], s["p95_ms"], s["seal_median_ms"],
                     s["without_seal_median_ms"], created["per_s"] if created else None])  # fmt: skip
    largest = max(fan["interleaved"], key=int)
    emit(table(
        f"{label} 3. complete one child's task vs fan-out (ms; {fan['interleaved'][small]['n']} completions each, different children)",
        ["fan-out", "median", "p95", "of which seal", "without seal", "children created/s"], rows,
        [f"ratio complete@{int(largest):,} / complete@{int(small):,} (interleaved): {fan['ratio_interleaved']:.2f}  (target <= 1.2)",
         f"ratio complete@{int(largest):,} / complete@{int(small):,} on the nearly empty database: {fan['ratio_vs_empty_db']:.2f}"
         "  (includes the database having grown)",
         f"ratio without the after-commit seal: {fan['ratio_without_seal']:.2f}",
         f"children started {CREATE_BATCH:,} per unit of work; database at the end: {fan['instances']:,} instances, "
         f"{fan['audit_events']:,} audit events",
         f"in memory only (load state + complete + run + dump, no database): {fan['in_memory']['complete_ms']:.2f} ms"],
    ))  # fmt: skip

    main, child = core["state_main"], fan["state_child"]
    rows = [
        ["giao_nhiem_vu, after start", main["compressed_bytes"], main["json_bytes"], main["spiff_default_json_bytes"], main["instances"]],
        [f"{CHILD_PROCESS} (a -> b -> c), after fan-out", child["compressed_bytes"], child["json_bytes"], None, child["instances"]],
    ]  # fmt: skip
    emit(table(f"{label} 4. stored workflow state per instance (bytes, average)",
               ["process", "stored (zlib)", "JSON inside", "SpiffWorkflow default JSON (with spec)", "instances"], rows))  # fmt: skip

    rows = []
    raw = audit_["raw"]
    for run in audit_["runs"]:
        raw_rate = raw[str(run["threads"])]["per_s"]
        rows.append([
            f"{run['threads']} thread(s), seal {run['sealing']}", run["completions_per_s"], run["latency"]["median_ms"],
            run["latency"]["p95_ms"], run["client_cpu_ms_per_completion"], run["events"] / max(1, run["completions"]), run.get("seal_events_per_s"),
            run.get("completions_per_s_incl_seal"), 100 * run["completions_per_s"] / raw_rate, run["errors"],
        ])  # fmt: skip
    notes = [f"{sizes.per_thread} completions per thread, each on its own instance; one ProcessEngine shared by the threads",
             "by worker: the engine as shipped, commands never seal; the run's events are then sealed at once, as the "
             "worker does (seal events/s; 'incl. seal' adds that time to the run). in request: seal_after_commit=True",
             "Python threads share one GIL: on 2 cores the CPU part of each completion does not run in parallel; "
             "client CPU = this process's CPU time (all threads) per completion: when it is near 1000 / (completions/s), "
             "the Python side is the bottleneck"]  # fmt: skip
    if kind == "sqlite":
        notes.append("SQLite: every write transaction takes the single write lock (BEGIN IMMEDIATE), "
                     "so the threads' transactions run one at a time")  # fmt: skip
    emit(table(f"{label} 6. completions/s with the audit chain sealed by the worker vs in the request",
               ["run", "completions/s", "p50 ms", "p95 ms", "client CPU ms/compl.", "events/compl.", "seal ev/s", "compl./s incl. seal",
                "% of raw tx/s", "errors"], rows, notes))  # fmt: skip

    trail = audit_["trail"]
    rows = [[f"{p['audit_events']:,} events", p["empty_seal"]["median_ms"], p["empty_seal"]["p95_ms"], p["complete"]["median_ms"],
             p["complete_seal_median_ms"], p["complete_without_seal_median_ms"]] for p in (trail["before"], trail["after"])]  # fmt: skip
    emit(table(f"{label} 6b. seal cost as the audit trail grows (ms; a completion's seal is timed apart)",
               ["audit trail", "seal, nothing pending: median", "p95", "complete one task: median", "of which seal",
                "without seal"], rows,
               [f"{trail['added_events']:,} synthetic events inserted at {trail['insert_per_s']:,.0f}/s, then sealed in bulk at "
                f"{trail['bulk_seal_per_s']:,.0f} events/s"]))  # fmt: skip

    rows = [[f"{r['connections']} connection(s)", r["per_s"], " / ".join(f"{x:,.0f}" for x in r["rounds"])] for r in raw.values()]
    emit(table(f"{label} 7. raw limit: single-row INSERT + COMMIT transactions on the same database",
               ["connections", "transactions/s (best)", "each round"], rows,
               ["the engine's own connection pool (same PRAGMAs / server settings), one thread per connection, "
                f"best of 3 rounds of {sizes.raw_seconds / 3:.1f} s"]))  # fmt: skip


def ours_at(results: dict[str, Any], n: int) -> tuple[float | None, bool]:
    """Our median complete at fan-out ``n``, or at the nearest measured fan-out (approximate)."""
    inter = results["fanout"]["interleaved"]
    if str(n) in inter:
        return inter[str(n)]["median_ms"], True
    nearest = min(inter, key=lambda m: abs(math.log(int(m)) - math.log(n)))
    return inter[nearest]["median_ms"], False


def print_naive(naive: list[dict[str, Any]], per_db: dict[str, dict[str, Any]]) -> dict[str, Any]:
    kinds = list(per_db)
    in_memory = next((r["fanout"]["in_memory"]["complete_ms"] for r in per_db.values()), None)
    rows, ratios = [], {}
    for r in naive:
        n = r["n"]
        if "complete_ms" not in r:
            rows.append([f"{n:,}", "timeout" if "timeout_s" in r else "error", *[None] * (5 + 2 * len(kinds))])
            continue
        row: list[Any] = [f"{n:,}", r["complete_ms"], r["deserialize_ms"], r["serialize_ms"], r["json_bytes"] / 1e6, r["peak_rss_mb"]]
        row.append(r["complete_ms"] / in_memory if in_memory else None)
        for kind in kinds:
            ours, exact = ours_at(per_db[kind], n)
            row.append(f"{ours:.2f}" + ("" if exact else "~"))
            row.append(r["complete_ms"] / ours)
            ratios[f"{kind}@{n}"] = r["complete_ms"] / ours
        rows.append(row)
    headers = ["N branches", "naive complete ms", "deserialize", "serialize", "JSON MB", "peak RSS MB", "naive / ours in memory"]
    for kind in kinds:
        headers += [f"ours {kind} ms", f"naive / ours {kind}"]
    emit(table("5. naive alternative: ONE SpiffWorkflow workflow, parallel multi-instance user task over N items", headers, rows, [
        "naive complete = deserialize + complete one ready task + run + serialize (default BpmnWorkflowSerializer, JSON with spec),"
        " in memory: writing the blob to a database would come on top",
        f"ours in memory = load one child's state + complete + run + dump = {in_memory:.2f} ms at any N" if in_memory else "",
        "ours <db> = a whole complete_task transaction (median, interleaved, section 3) incl. commit and audit seal;"
        " '~' = measured at the nearest fan-out",
        "each N runs in its own subprocess; peak RSS is its VmHWM (its ru_maxrss would start at this parent's peak: "
        "Linux exec keeps the replaced address space's high-water mark, and subprocess uses vfork)",
    ]))  # fmt: skip
    return ratios


def print_summary(per_db: dict[str, dict[str, Any]], sizes: Sizes) -> None:
    kinds = list(per_db)
    small = str(sizes.fanouts[0])

    def row(label: str, get: Callable[[dict[str, Any]], Any]) -> list[Any]:
        values = []
        for kind in kinds:
            try:
                values.append(get(per_db[kind]))
            except (KeyError, IndexError, TypeError, ZeroDivisionError):
                values.append(None)
        return [label, *values]

    def run(r: dict[str, Any], threads: int, sealing: str) -> dict[str, Any]:
        return next(x for x in r["audit"]["runs"] if x["threads"] == threads and x["sealing"] == sealing)

    rows = [
        row("deploy, new version (ms)", lambda r: r["core"]["deploy_new"]["median_ms"]),
        row("deploy, no-op (ms)", lambda r: r["core"]["deploy_noop"]["median_ms"]),
        row("start, 1 per transaction (ms)", lambda r: r["core"]["start_single"]["median_ms"]),
        row("start, batched (ms per instance)", lambda r: r["core"]["start_batch"]["per_instance_ms"]),
        row("children created per second", lambda r: max(v["per_s"] for v in r["fanout"]["created"].values())),
    ]
    for n in sizes.fanouts:
        rows.append(row(f"complete one child task @ fan-out {n:,} (ms)", lambda r, n=n: r["fanout"]["interleaved"][str(n)]["median_ms"]))
    largest = max(sizes.fanouts)
    rows += [
        row(f"ratio @{largest:,} / @{int(small):,} (target <= 1.2)", lambda r: r["fanout"]["ratio_interleaved"]),
        row("stored state, giao_nhiem_vu (bytes)", lambda r: r["core"]["state_main"]["compressed_bytes"]),
        row("JSON inside it (bytes)", lambda r: r["core"]["state_main"]["json_bytes"]),
    ]
    for threads in sizes.threads:
        rows.append(row(f"completions/s, {threads} thread(s), sealed by the worker", lambda r, t=threads: run(r, t, "by worker")["completions_per_s"]))
        rows.append(row(f"completions/s, {threads} thread(s), sealed in the request", lambda r, t=threads: run(r, t, "in request")["completions_per_s"]))
    rows += [
        row("seal throughput (events/s)", lambda r: max(x.get("seal_events_per_s") or 0 for x in r["audit"]["runs"])),
        row("seal with nothing pending, small trail (ms)", lambda r: r["audit"]["trail"]["before"]["empty_seal"]["median_ms"]),
        row("seal with nothing pending, grown trail (ms)", lambda r: r["audit"]["trail"]["after"]["empty_seal"]["median_ms"]),
    ]
    for threads in sizes.threads:
        rows.append(row(f"raw INSERT+COMMIT tx/s, {threads} connection(s)", lambda r, t=threads: r["audit"]["raw"][str(t)]["per_s"]))
        rows.append(row(f"completions as % of raw tx/s, {threads} thread(s), sealed by the worker",
                        lambda r, t=threads: 100 * run(r, t, "by worker")["completions_per_s"] / r["audit"]["raw"][str(t)]["per_s"]))  # fmt: skip
    emit(table("Summary", ["figure", *kinds], rows))


# --- main -----------------------------------------------------------------------------------


def start_postgres(durable: bool) -> Any:
    from tests.fixtures import postgres as pg

    if not durable:
        return pg.get_server()
    # A server that syncs its commits to disk, for absolute numbers closer to production.
    os.environ.setdefault("GIAOVIEC_PG_TMPDIR", tempfile.gettempdir())
    pg._SERVER_SETTINGS.update(fsync="on", synchronous_commit="on", full_page_writes="on")
    return pg.ThrowawayPostgres().start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes; the naive workflow capped at N=1,000 (~2 min)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-durable", action="store_true",
                        help="PostgreSQL on disk with fsync and synchronous_commit on (default: the test server, tmpfs, fsync off)")
    parser.add_argument("--sqlite-dir", type=Path, help="where the SQLite files go (default: a new temp dir)")
    parser.add_argument("--no-naive", action="store_true", help="skip section 5")
    parser.add_argument("--json", type=Path, help="also write the JSON blob to this file")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    begun = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="giaoviec-bench-", dir=args.sqlite_dir))
    server = None
    per_db: dict[str, dict[str, Any]] = {}
    meta: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"), "quick": args.quick, "sizes": asdict(sizes),
        "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
        "spiffworkflow": getattr(SpiffWorkflow, "__version__", None) or _dist_version("SpiffWorkflow"),
        "sqlalchemy": sqlalchemy.__version__, "databases": {}, "loadavg_start": os.getloadavg(),
    }  # fmt: skip
    emit(f"giaoviec engine benchmark ({'quick' if args.quick else 'full'}), {meta['cpus']} CPUs, Python {meta['python']}, "
         f"SpiffWorkflow {meta['spiffworkflow']}, SQLAlchemy {meta['sqlalchemy']}, "
         f"load average {meta['loadavg_start'][0]:.2f} at start")  # fmt: skip
    if meta["loadavg_start"][0] > 0.5:
        emit("WARNING: the machine is already busy; timings will be noisy (other processes share the CPUs)")
    try:
        for kind in kinds:
            if kind == "postgresql":
                from tests.fixtures.postgres import PostgresUnavailable

                try:
                    server = start_postgres(args.pg_durable)
                except PostgresUnavailable as exc:
                    emit(f"\n######## postgresql: skipped, the throwaway server did not start: {exc}")
                    continue
            dbs = Databases(kind, workdir, server)
            meta["databases"][kind] = dbs.describe()
            emit(f"\n######## {kind}: {meta['databases'][kind]}")
            progress(f"{kind}: deploy and start")
            core = bench_deploy_start(dbs, sizes)
            progress(f"{kind}: fan-out")
            fan = bench_fanout(dbs, sizes)
            progress(f"{kind}: audit sealing and raw limits")
            audit_ = bench_audit(dbs, sizes)
            dbs.close()
            per_db[kind] = {"core": core, "fanout": fan, "audit": audit_}
            print_db_sections(kind, core, fan, audit_, sizes)
        naive = [] if args.no_naive else bench_naive(sizes)
        ratios = print_naive(naive, per_db) if naive and per_db else {}
        if per_db:
            print_summary(per_db, sizes)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    meta["elapsed_s"] = time.perf_counter() - begun
    meta["loadavg_end"] = os.getloadavg()
    blob = rounded({"meta": meta, **per_db, "naive": naive, "naive_over_ours": ratios})
    emit(f"\ntotal {meta['elapsed_s']:.0f} s; load average at the end {meta['loadavg_end'][0]:.2f} "
         "(this run alone keeps about one of the CPUs busy)\n\nJSON:")  # fmt: skip
    emit(json.dumps(blob, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(blob, ensure_ascii=False, indent=1) + "\n")
    return 0


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
