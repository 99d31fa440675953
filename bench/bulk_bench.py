"""What starting N instances of one process costs: one by one vs ``engine.start_instances``.

Run from the repository root::

    .venv/bin/python -m bench.bulk_bench [--n 60000] [--db sqlite|postgresql|both] [--single 300]
                                         [--no-profile] [--json out.json]

Per database (SQLite file in a temp dir, WAL, synchronous=NORMAL; PostgreSQL: the test suite's
throwaway server, ``tests.fixtures.postgres.get_server()``, fsync off), each phase on a fresh,
migrated database, process ``giao_nhiem_vu`` (its first wait state: one user task):

1. ``start_instance`` one by one: ``--single`` starts, each in its own unit of work, and the same
   number in one unit of work; and the in-memory part alone (new workflow, run, serialize).
2. ``start_instances`` of N = 1,000, 10,000 and ``--n`` children in one unit of work (commit
   included; the audit seal after it is timed apart), rows written per second, and the raw limit
   of the same database: one DBAPI ``executemany`` per table of the same instance and task rows
   (same state size; values prepared beforehand) into the real tables of another fresh database,
   plus COMMIT. "x raw" = our time / the raw time.
3. The audit choice at ``--n``: one ``instances_started`` event per 1,000 children (the default)
   vs ``per_instance_audit=True`` (what ``start_instance`` writes: 2 events per child), with the
   cost of sealing them (the sealer chains at most 50,000 events per run).
4. cProfile of the ``--n`` case (the top functions by own time, and the phases).

The engine only sees a ``FrozenClock``; the harness times with ``perf_counter``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from bench.engine_bench import settle, timed
from bench.report import emit, progress, table
from engine import (
    AuditEvent,
    ChildSpec,
    FrozenClock,
    HumanTask,
    Instance,
    ProcessDefinition,
    ProcessEngine,
    StartInstance,
    Timer,
    deploy,
    make_engine,
    start_instance,
    start_instances,
    steps,
    upgrade,
)
from engine.commands import latest_definition
from tests.engine.bpmn_samples import giao_nhiem_vu
from workflows.roles import role_catalog

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
PROCESS = "giao_nhiem_vu"
DATA = {"nhiem_vu": "Báo cáo kết quả thực hiện kế hoạch", "nam": 2026}


# --- databases --------------------------------------------------------------------------------


class Databases:
    """Fresh migrated databases of one kind, each dropped after its phase."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.workdir = Path(tempfile.mkdtemp(prefix="giaoviec-bulk-bench-"))
        self.server = None
        if kind == "postgresql":
            from tests.fixtures.postgres import get_server

            self.server = get_server()

    @contextmanager
    def fresh(self, name: str) -> Iterator[tuple[Engine, ProcessEngine, FrozenClock]]:
        if self.server is None:
            url, dbname = f"sqlite:///{self.workdir / name}.sqlite3", None
        else:
            dbname = f"bulk_{name}_{uuid.uuid4().hex[:8]}"
            self.server.create_database(dbname)
            url = self.server.url(dbname)
        db = make_engine(url)
        upgrade(db)
        clock = FrozenClock(T0)
        pe = ProcessEngine(db, clock=clock, roles=role_catalog())
        with pe.unit_of_work("bench:admin") as uow:  # its commit seals; the clock then stays within
            deploy(uow, giao_nhiem_vu(), source_name="giao_nhiem_vu.bpmn")  # the seal interval
        try:
            yield db, pe, clock
        finally:
            db.dispose()
            if dbname is not None:
                self.server.drop_database(dbname)
            else:
                for path in self.workdir.glob(f"{name}.sqlite3*"):
                    path.unlink()

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def children(n: int, tag: str) -> list[ChildSpec]:
    due = T0 + timedelta(days=90)
    return [
        ChildSpec(f"TRUONG_{i:05d}", business_key=f"637/KH/{tag}/7/2026-Q2/TRUONG_{i:05d}", plan_key="637/KH-SGDĐT",
                  task_key="7", period="2026-Q2", due_at=due)
        for i in range(n)
    ]  # fmt: skip


def count_rows(pe: ProcessEngine) -> dict[str, int]:
    with pe.read() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in (Instance, HumanTask, Timer, AuditEvent)}


def seal_all(pe: ProcessEngine) -> tuple[float, int]:
    started, sealed = time.perf_counter(), 0
    while n := pe.seal_audit():
        sealed += n
    return time.perf_counter() - started, sealed


# --- 1. one by one ------------------------------------------------------------------------------


def one_by_one(dbs: Databases, k: int) -> dict[str, float]:
    with dbs.fresh("single") as (db, pe, clock):
        settle(db)
        own = 0.0
        for i in range(k):
            clock.advance(timedelta(milliseconds=1))  # below the seal interval: no seal per commit

            def one(i: int = i) -> None:
                with pe.unit_of_work("bench:clerk") as uow:
                    start_instance(uow, StartInstance(PROCESS, DATA, unit_code=f"U{i:05d}", business_key=f"own-{i}"))

            own += timed(one)
        clock.advance(timedelta(milliseconds=1))

        def batch() -> None:
            with pe.unit_of_work("bench:clerk") as uow:
                for i in range(k):
                    start_instance(uow, StartInstance(PROCESS, DATA, unit_code=f"U{i:05d}", business_key=f"batch-{i}"))

        together = timed(batch)

        # The in-memory part of a start: a new workflow, run to its first wait state, serialized.
        with pe.unit_of_work("bench:clerk") as uow:
            definition = latest_definition(uow, PROCESS)
            assert isinstance(definition, ProcessDefinition)
            bundle = pe.bundle(definition)
            probe = Instance()
            started = time.perf_counter()
            for _ in range(k):
                workflow = steps.new_workflow(uow, bundle, DATA)
                steps.run(uow, probe, workflow, {"kind": "run"})
                pe.codec.dump(workflow)
            memory = time.perf_counter() - started
            uow.session.rollback()
    return {"own_uow_ms": own / k * 1000, "one_uow_ms": together / k * 1000, "memory_ms": memory / k * 1000}


# --- 2. bulk, and the raw limit -----------------------------------------------------------------


def bulk(dbs: Databases, n: int) -> dict[str, Any]:
    with dbs.fresh(f"bulk{n}") as (db, pe, _clock):
        before = count_rows(pe)
        settle(db)

        def call() -> None:
            with pe.unit_of_work("bench:leader") as uow:
                result = start_instances(uow, PROCESS, children(n, "a"), data=DATA)
            assert result.created == n

        seconds = timed(call)
        after = count_rows(pe)
        rows = {name: after[name] - before[name] for name in after}
        seal_s, sealed = seal_all(pe)
        with pe.read() as s:
            state_bytes = s.scalar(select(func.length(Instance.state)).limit(1))
    raw_s = raw_limit(dbs, n, state_bytes)
    total_rows = sum(rows.values())
    return {
        "n": n, "seconds": seconds, "per_instance_us": seconds / n * 1e6, "instances_per_s": n / seconds,
        "rows": rows, "rows_total": total_rows, "rows_per_s": total_rows / seconds,
        "raw_seconds": raw_s, "raw_rows_per_s": 2 * n / raw_s, "x_raw": seconds / raw_s,
        "seal_seconds": seal_s, "sealed": sealed, "state_bytes": state_bytes,
    }  # fmt: skip


def raw_limit(dbs: Databases, n: int, state_bytes: int) -> float:
    """One DBAPI executemany of n instance rows and one of n task rows into the real tables of a
    fresh database (same columns, indexes, constraints), values prepared beforehand, + COMMIT."""
    with dbs.fresh(f"raw{n}") as (db, _pe, _clock):
        sqlite = db.dialect.name == "sqlite"
        now = T0.replace(tzinfo=None).isoformat(" ") if sqlite else T0
        with db.connect() as conn:
            definition_id = conn.execute(select(ProcessDefinition.id)).scalar_one()

        def ident() -> Any:
            value = uuid.uuid4()
            return value.hex if sqlite else value

        state = bytes(state_bytes)
        instance_rows, task_rows = [], []
        for i in range(n):
            instance_id = ident()
            unit = f"TRUONG_{i:05d}"
            instance_rows.append((instance_id, definition_id, PROCESS, None, "running", f"637/KH/a/7/2026-Q2/{unit}", unit,
                                  "637/KH-SGDĐT", "7", "2026-Q2", now, state, "spiff-1.5/giaoviec-1", now, "bench:leader", None, 1))  # fmt: skip
            task_rows.append((ident(), instance_id, ident(), PROCESS, "tiep_nhan", "Tiếp nhận nhiệm vụ", "Chuyên viên",
                              unit, "officer", None, now, "open", "637/KH-SGDĐT", "7", "2026-Q2", now, None, None))  # fmt: skip
        mark = "?" if sqlite else "%s"

        def sql(table: Any) -> str:
            columns = [c.name for c in table.columns]
            return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"

        settle(db)
        conn = db.raw_connection()
        try:
            cursor = conn.cursor()
            started = time.perf_counter()
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(sql(Instance.__table__), instance_rows)
            cursor.executemany(sql(HumanTask.__table__), task_rows)
            conn.commit()
            return time.perf_counter() - started
        finally:
            conn.close()


# --- 3. audit: summary vs per instance ----------------------------------------------------------


def audit_choice(dbs: Databases, n: int) -> list[dict[str, Any]]:
    out = []
    for per_instance in (False, True):
        with dbs.fresh(f"audit{int(per_instance)}") as (db, pe, _clock):
            settle(db)

            def call(per_instance: bool = per_instance) -> None:
                with pe.unit_of_work("bench:leader") as uow:
                    start_instances(uow, PROCESS, children(n, "a"), data=DATA, per_instance_audit=per_instance)

            seconds = timed(call)
            events = count_rows(pe)["audit_event"] - 1  # the deploy's
            seal_s, sealed = seal_all(pe)
        out.append({"per_instance_audit": per_instance, "events": events, "seconds": seconds,
                    "seal_seconds": seal_s, "seal_runs": -(-sealed // 50_000)})  # fmt: skip
    return out


# --- 4. profile ---------------------------------------------------------------------------------

PHASES = {
    "new workflow + run to first wait state (once)": ("engine/steps.py", "run"),
    "serialize (once)": ("engine/state.py", "dump"),
    "business keys already started?": ("engine/bulk.py", "_not_started_yet"),
    "ids (engine.ids.new_id)": ("engine/ids.py", "new_id"),
    "bulk INSERTs (_insert)": ("engine/bulk.py", "_insert"),
    "  of which DBAPI executemany": ("~", "<method 'executemany' of 'sqlite3.Cursor' objects>"),
    "  of which psycopg executemany": ("psycopg/cursor.py", "executemany"),
    "COMMIT (+ seal check)": ("engine/uow.py", "_commit"),
}


def profile(dbs: Databases, n: int) -> dict[str, Any]:
    with dbs.fresh("profile") as (db, pe, _clock):
        settle(db)
        kids = children(n, "a")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        with pe.unit_of_work("bench:leader") as uow:
            start_instances(uow, PROCESS, kids, data=DATA)
        profiler.disable()
        wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in entries.values())
    top = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:15]
    phases = {}
    for label, (file_end, name) in PHASES.items():
        cumulative = sum(ct for (file, _line, fn), (_cc, _nc, _tt, ct, _c) in entries.items() if fn == name and file.endswith(file_end))
        if cumulative:
            phases[label] = cumulative
    return {
        "wall_profiled": wall, "profiled_total": total, "phases": phases,
        "top": [{"function": f"{Path(file).name}:{line}({fn})", "calls": nc, "tottime": tt, "cumtime": ct}
                for (file, line, fn), (_cc, nc, tt, ct, _c) in top],
    }  # fmt: skip


# --- report -------------------------------------------------------------------------------------


def run(kind: str, sizes: list[int], args: argparse.Namespace) -> dict[str, Any]:
    dbs = Databases(kind)
    try:
        progress(f"{kind}: start_instance one by one ({args.single})")
        single = one_by_one(dbs, args.single)
        results = []
        for n in sizes:
            progress(f"{kind}: start_instances N={n:,}")
            results.append(bulk(dbs, n))
        progress(f"{kind}: audit variants at N={sizes[-1]:,}")
        audit = audit_choice(dbs, sizes[-1])
        prof = None
        if not args.no_profile:
            progress(f"{kind}: cProfile at N={sizes[-1]:,}")
            prof = profile(dbs, sizes[-1])
    finally:
        dbs.close()
    return {"single": single, "bulk": results, "audit": audit, "profile": prof}


def report(kind: str, r: dict[str, Any], k: int) -> None:
    single = r["single"]
    rows: list[list[Any]] = [
        [f"start_instance, own unit of work each ({k})", single["own_uow_ms"] * 1000, 1000 / single["own_uow_ms"], "-", "-", "-", "-", "-"],
        [f"start_instance x{k} in one unit of work", single["one_uow_ms"] * 1000, 1000 / single["one_uow_ms"], "-", "-", "-", "-", "-"],
        [f"  in memory only: new workflow, run, dump ({k})", single["memory_ms"] * 1000, 1000 / single["memory_ms"], "-", "-", "-", "-", "-"],
    ]  # fmt: skip
    for b in r["bulk"]:
        rows.append([f"start_instances N={b['n']:,} (one unit of work)", b["per_instance_us"], b["instances_per_s"],
                     b["seconds"], b["rows_total"], b["rows_per_s"], b["raw_rows_per_s"], b["x_raw"]])  # fmt: skip
    last = r["bulk"][-1]
    emit(table(
        f"{kind}: starting instances of {PROCESS} (first wait state: 1 user task)",
        ["how", "µs/instance", "instances/s", "seconds", "rows", "rows/s", "raw rows/s", "x raw"],
        rows,
        [f"one-by-one at N={last['n']:,} would take ≈ {single['one_uow_ms'] * last['n'] / 1000:,.0f} s in one unit of work "
         f"({single['memory_ms'] * last['n'] / 1000:,.0f} s of it creating and serializing workflows)",
         "rows = instance + human_task + timer + audit_event rows written; raw = DBAPI executemany of the same "
         "instance and task rows (values prepared beforehand) into the same tables of a fresh database, + COMMIT",
         f"state: {last['state_bytes']} bytes per instance, shared by all children of a call",
         "the seal of the call's audit events is timed apart: "
         + ", ".join(f"N={b['n']:,}: {b['sealed']} events {b['seal_seconds']:.3f} s" for b in r["bulk"])],
    ))  # fmt: skip
    audit_rows = [[("per instance (2 per child)" if a["per_instance_audit"] else "summary (1 per 1,000)"), a["events"], a["seconds"],
                   a["seal_seconds"], a["seal_runs"], a["seconds"] + a["seal_seconds"]] for a in r["audit"]]  # fmt: skip
    emit(table(f"{kind}: audit events at N={last['n']:,}", ["audit", "events", "call s", "seal s", "seal runs", "total s"], audit_rows,
               ["a seal run chains at most 50,000 events; in production the worker runs them at each sweep (ProcessEngine.seal_all)"]))  # fmt: skip
    prof = r["profile"]
    if prof:
        emit(table(f"{kind}: cProfile of start_instances N={last['n']:,} + COMMIT (profiled {prof['wall_profiled']:.2f} s wall)",
                   ["phase", "cumulative s", "share"],
                   [[label, s, f"{s / prof['profiled_total']:.0%}"] for label, s in prof["phases"].items()]))  # fmt: skip
        emit(table(f"{kind}: top functions by own time", ["function", "calls", "own s", "cumulative s"],
                   [[t["function"][:90], t["calls"], t["tottime"], t["cumtime"]] for t in prof["top"]]))  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=60_000, help="the largest N (default 60,000)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--single", type=int, default=300, help="start_instance calls one by one (default 300)")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    sizes = sorted({s for s in (1_000, 10_000) if s < args.n} | {args.n})
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = {kind: run(kind, sizes, args) for kind in kinds}
    for kind in kinds:
        report(kind, results[kind], args.single)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
