"""Dispatching the demo plan to the whole demo province, and one school's completion vs siblings.

Run from the repository root::

    .venv/bin/python -m bench.dispatch_bench [--quick] [--db sqlite|postgresql|both] [--n 10000]
                                             [--samples 50] [--no-what-if] [--no-raw] [--profile]
                                             [--province-only] [--json out.json]

Per database (SQLite file in a temp dir, WAL, synchronous=NORMAL; PostgreSQL: the test suite's
throwaway server, ``tests.fixtures.postgres.get_server()``, fsync off), each phase on a fresh,
migrated database with the domain hooks installed (``workflows.hooks.install``: tracking rows and
counters, the commune → schools reaction) and ``bpmn/giao_nhiem_vu``, ``phoi_hop`` and
``xa_phuong_trien_khai`` deployed. The engine's clock starts at 2026-12-01 08:00 (+07:00), so
every recurring period of 2026 has started and is dispatched now.

1. The demo province (``build_demo_province(DemoShape())``, Hải Phòng: 114 communes, ~2,070
   units) and the demo plan (``import_demo_plan``, made dispatchable as
   tests/workflows/cascade/province.py does); ``plan_dispatch`` in one unit of work (commit
   included): instances created, ms, µs per instance, rows written.
   1b. (what-if, unless ``--no-what-if``) the same dispatch on another fresh database with every
   org unit loaded into the session first (``_Planner.__init__`` monkeypatched), which shows what
   the per-school ``session.get(OrgUnit, parent_id)`` of ``_Planner._child`` costs.
2. Every commune hands every task on to its schools: for each open ``xa_phuong_trien_khai`` task
   ``tiep_nhan``, then each ``giao_cho_truong`` (form ``{}``: every school of the commune), one
   ``complete_task`` per unit of work as a user would; the schools' ``giao_nhiem_vu`` instances
   are started by the hook. Here the engine's clock follows wall time (advanced by each
   completion's duration), so the after-commit audit seal runs about once a second, as in
   production; what is left unsealed at the end is sealed and timed apart.
   Headline: instances (with their task and tracking rows) per second over phases 1 + 2, and
   (unless ``--no-raw``) bulk_bench's raw limit for as many instances: one DBAPI executemany of
   the instance rows and one of the task rows into a fresh database, + COMMIT.
3. One school's completion with 10 vs ``--n`` siblings, on a fresh database (small province, the
   demo plan imported): ``xa_phuong_trien_khai`` parents started with ``plan_key="plan:<id>"``
   (so they have a tracking row), children ``giao_nhiem_vu`` started with ``start_instances``
   under them (``ceil(samples / 10)`` parents of 10, one parent of N), then, interleaved so both
   fan-outs see the same database, ``samples`` children of each complete ``tiep_nhan``, then
   ``thuc_hien``, then ``duyet_bao_cao`` (``lanh_dao_duyet = dong_y``: the report goes to the
   parent). The parents' tracking counters are checked against a count of their children's rows.

``--quick``: a 10-commune province and N = 1,000 (both databases in well under a minute).
``--province-only``: phases 1 and 2 alone. Each phase reports its CPU time (``process_time``)
and SQL statements (an executemany is one) besides wall time; the peak RSS is this process's.
``--profile``: cProfile of the dispatch and of the ``giao_cho_truong`` completions (their
timings are then inflated; the top functions by own time are printed).

The engine only sees a ``FrozenClock``; the harness times with ``perf_counter``.
"""

from __future__ import annotations

import argparse
import cProfile
import math
import os
import platform
import pstats
import resource
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, case, event, func, select

from bench.databases import Databases
from bench.engine_bench import settle, timed
from bench.report import emit, progress, run_on_databases, stats_ms, table
from engine import (
    AuditEvent,
    ChildSpec,
    HumanTask,
    Instance,
    ProcessEngine,
    StartInstance,
    Timer,
    complete_task,
    deploy,
    start_instance,
    start_instances,
)
from workflows.cascade import dispatch as cascade
from workflows.cascade.dispatch import plan_dispatch
from workflows.org.commands import AddUnit, add_aliases, add_unit, unit_by_code
from workflows.org.demo import DemoShape, build_demo_province
from workflows.org.models import OrgUnit
from workflows.plans.demo import import_demo_plan
from workflows.plans.importing import recheck_plan
from workflows.plans.models import PlanTask
from workflows.tracking.models import Tracking

REPO = Path(__file__).resolve().parents[1]
PROCESSES = ("giao_nhiem_vu", "phoi_hop", "xa_phuong_trien_khai")
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 2026-12-01 08:00 in Hà Nội: all of 2026's periods have started
# The whole appendix, as issued at the start of the year: periods already due at T0 are dispatched
# too (``plan dispatch --include-past``), or the province would get only December's work.
INCLUDE_PAST = True
YEAR = 2026
DUE = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)  # the siblings' deadline (17:00 +07:00), after every step
WARD, SCHOOL = cascade.PROCESS_WARD, cascade.PROCESS_LEAD

FULL_SHAPE = DemoShape()  # Hải Phòng: 114 communes × 16 schools, 100 THPT, 6 PT nhiều cấp, 20 centres
QUICK_SHAPE = DemoShape(communes=10, upper_secondary=10, multi_level=2, centres=3)
SMALL_SHAPE = DemoShape(communes=2, preschools=1, primary=1, lower_secondary=1, primary_lower=0,
                        upper_secondary=2, multi_level=0, centres=1)  # fmt: skip
MODELS = {"instance": Instance, "human_task": HumanTask, "timer": Timer, "tracking": Tracking, "audit_event": AuditEvent}


# --- databases --------------------------------------------------------------------------------


def province_databases(kind: str, workdir: Path) -> Databases:
    """Databases with the domain's hooks, on the dispatch instant."""
    return Databases(kind, workdir, prefix="dispatch", start=T0, hooks=True)


def setup_province(pe: ProcessEngine, shape: DemoShape) -> int:
    """Deploy the library, build the province, import the demo plan and make it dispatchable
    (as tests/workflows/cascade/province.py ``setup_province``); return the plan's id."""
    with pe.unit_of_work("bench:admin") as uow:
        for key in PROCESSES:
            deploy(uow, (REPO / "bpmn" / f"{key}.bpmn").read_bytes(), source_name=f"{key}.bpmn")
        so = build_demo_province(uow, shape)
        plan = import_demo_plan(uow, YEAR)
        add_aliases(uow, unit_by_code(uow, "HP.VP"), ["Đơn vị CNTT"])
        add_unit(uow, AddUnit("HP.KHCN", "Sở KH&CN", "ngoai"), parent=so)
        blocked = recheck_plan(uow, plan)
        plan_id = plan.id
    assert blocked == 0, f"{blocked} task(s) of the demo plan are not dispatchable"
    return plan_id


def count_rows(pe: ProcessEngine) -> dict[str, int]:
    with pe.read() as s:
        return {name: int(s.scalar(select(func.count()).select_from(m)) or 0) for name, m in MODELS.items()}


def units_by_kind(pe: ProcessEngine) -> dict[str, int]:
    with pe.read() as s:
        return {kind: n for kind, n in s.execute(select(OrgUnit.kind, func.count()).group_by(OrgUnit.kind))}


def seal_all(pe: ProcessEngine) -> tuple[float, int]:
    started, sealed = time.perf_counter(), 0
    while n := pe.seal_audit():
        sealed += n
    return time.perf_counter() - started, sealed


def open_tasks(pe: ProcessEngine, process_key: str, element: str) -> list[uuid.UUID]:
    with pe.read() as s:
        query = select(HumanTask.id).where(HumanTask.process_key == process_key, HumanTask.element_id == element,
                                           HumanTask.status == "open").order_by(HumanTask.instance_id)  # fmt: skip
        return list(s.scalars(query).all())


def complete(pe: ProcessEngine, task_id: uuid.UUID, data: dict[str, Any], actor: str = "bench:officer") -> None:
    with pe.unit_of_work(actor) as uow:
        complete_task(uow, task_id, data)


@contextmanager
def counting(db: Engine) -> Iterator[list[int]]:
    """Count the statements sent to ``db`` (executemany = one) inside the block: ``[n]``."""
    seen = [0]

    def count(*_: Any) -> None:
        seen[0] += 1

    event.listen(db, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db, "before_cursor_execute", count)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def profiled(enabled: bool) -> Iterator[cProfile.Profile | None]:
    if not enabled:
        yield None
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield profiler
    finally:
        profiler.disable()


def top_functions(profiler: cProfile.Profile | None, limit: int = 15) -> list[dict[str, Any]] | None:
    if profiler is None:
        return None
    entries = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    top = sorted(entries.items(), key=lambda item: item[1][3], reverse=True)
    repo = [item for item in top if str(REPO) in item[0][0] and "/.venv/" not in item[0][0]][:limit]
    return [{"function": f"{Path(file).relative_to(REPO)}:{line}({fn})", "calls": nc, "tottime": tt, "cumtime": ct}
            for (file, line, fn), (_cc, nc, tt, ct, _c) in repo]  # fmt: skip


# --- 1 + 2: the province ---------------------------------------------------------------------


def province(dbs: Databases, shape: DemoShape, args: argparse.Namespace) -> dict[str, Any]:
    with dbs.fresh("province") as (db, pe, clock, _url):
        started = time.perf_counter()
        plan_id = setup_province(pe, shape)
        setup_s = time.perf_counter() - started
        units = units_by_kind(pe)
        seal_all(pe)
        before = count_rows(pe)
        settle(db)
        progress(f"{dbs.kind}: plan_dispatch ({sum(units.values()):,} units)")
        outcome: dict[str, Any] = {}

        def dispatch() -> None:
            with pe.unit_of_work("bench:so") as uow:
                outcome["result"] = plan_dispatch(uow, plan_id, include_past=INCLUDE_PAST).as_json()

        cpu = time.process_time()
        with profiled(args.profile) as prof, counting(db) as statements:
            dispatch_s = timed(dispatch)
        cpu = time.process_time() - cpu
        after = count_rows(pe)
        result = outcome["result"]
        created = result["created"]
        dispatched: dict[str, Any] = {
            "units": units, "setup_seconds": setup_s, "seconds": dispatch_s, "created": created,
            "per_instance_us": dispatch_s / created * 1e6, "instances_per_s": created / dispatch_s,
            "cpu_per_instance_us": cpu / created * 1e6, "statements": statements[0],
            "by_process": result["by_process"], "scheduled": result["scheduled"],
            "rows": {name: after[name] - before[name] for name in after}, "profile": top_functions(prof),
        }  # fmt: skip
        progress(f"{dbs.kind}: dispatched {created:,} instances in {dispatch_s:.1f} s")

        # 2. every commune accepts each task, then hands it on to all its schools.
        clock.advance(timedelta(minutes=5))
        seal_all(pe)
        settle(db)
        wards: dict[str, dict[str, Any]] = {}
        forms: tuple[tuple[str, dict[str, Any]], ...] = (("tiep_nhan", {}), ("giao_cho_truong", {}))
        for step, data in forms:
            task_ids = open_tasks(pe, WARD, step)
            progress(f"{dbs.kind}: {len(task_ids):,} communes' tasks complete {step}")
            step_before = count_rows(pe)
            samples: list[float] = []
            cpu = time.process_time()
            with profiled(args.profile and step == "giao_cho_truong") as prof, counting(db) as statements:
                for task_id in task_ids:
                    elapsed = timed(lambda t=task_id, f=data: complete(pe, t, f, actor="bench:xa"))
                    samples.append(elapsed)
                    clock.advance(timedelta(seconds=elapsed))  # the engine's time follows the wall clock
            cpu = time.process_time() - cpu
            step_after = count_rows(pe)
            rows = {name: step_after[name] - step_before[name] for name in step_after}
            tenth = max(1, len(samples) // 10)
            wards[step] = {"completions": len(samples), "seconds": sum(samples), **stats_ms(samples), "rows": rows,
                           "created": rows["instance"], "first_tenth_median_ms": stats_ms(samples[:tenth])["median_ms"],
                           "last_tenth_median_ms": stats_ms(samples[-tenth:])["median_ms"], "profile": top_functions(prof),
                           "cpu_ms": cpu / len(samples) * 1e3, "statements": statements[0] / len(samples)}  # fmt: skip
        seal_s, sealed = seal_all(pe)
        final = count_rows(pe)
        with pe.read() as s:
            state_bytes = s.scalar(select(func.avg(func.length(Instance.state))).where(Instance.process_key == SCHOOL,
                                                                                       Instance.parent_id.is_not(None)))  # fmt: skip
    handed = wards["giao_cho_truong"]
    handed["per_created_us"] = handed["seconds"] / handed["created"] * 1e6 if handed["created"] else math.nan
    total_created = created + handed["created"]
    total_s = dispatch_s + wards["tiep_nhan"]["seconds"] + handed["seconds"]
    return {
        "dispatch": dispatched, "wards": wards, "seal_after": {"seconds": seal_s, "events": sealed},
        "final_rows": final, "total_created": total_created, "total_seconds": total_s,
        "instances_per_s": total_created / total_s, "creating_seconds": dispatch_s + handed["seconds"],
        "state_bytes": float(state_bytes or 0), "peak_rss_mb": peak_rss_mb(),
    }  # fmt: skip


def what_if(dbs: Databases, shape: DemoShape) -> dict[str, Any]:
    """The dispatch with every org unit held by the planner's session (one SELECT beforehand), so
    that ``session.get(OrgUnit, school.parent_id)`` is an identity-map hit."""
    original = cascade._Planner.__init__

    def patched(self: Any, uow: Any, plan: Any) -> None:
        original(self, uow, plan)
        self._bench_units = list(uow.session.scalars(select(OrgUnit)))

    with dbs.fresh("whatif") as (db, pe, _clock, _url):
        plan_id = setup_province(pe, shape)
        seal_all(pe)
        settle(db)
        outcome: dict[str, Any] = {}

        def dispatch() -> None:
            with pe.unit_of_work("bench:so") as uow:
                outcome["created"] = plan_dispatch(uow, plan_id, include_past=INCLUDE_PAST).created

        cascade._Planner.__init__ = patched  # type: ignore[method-assign]
        try:
            seconds = timed(dispatch)
        finally:
            cascade._Planner.__init__ = original  # type: ignore[method-assign]
    return {"seconds": seconds, "created": outcome["created"], "per_instance_us": seconds / outcome["created"] * 1e6}


def raw(kind: str, n: int, state_bytes: int) -> dict[str, Any]:
    """bulk_bench's raw limit: n instance rows + n task rows, one executemany each, + COMMIT."""
    from bench.bulk_bench import Databases as BulkDatabases
    from bench.bulk_bench import raw_limit

    dbs = BulkDatabases(kind)
    try:
        seconds = raw_limit(dbs, n, state_bytes)
    finally:
        dbs.close()
    return {"n": n, "seconds": seconds, "per_instance_us": seconds / n * 1e6, "state_bytes": state_bytes}


# --- 3: one school's completion vs its siblings -----------------------------------------------

STEPS: tuple[tuple[str, dict[str, Any]], ...] = (("tiep_nhan", {}), ("thuc_hien", {"bao_cao": {"ket_qua": "Đã thực hiện"}}), ("duyet_bao_cao", {"lanh_dao_duyet": "dong_y"}))


def siblings(dbs: Databases, big: int, samples: int) -> dict[str, Any]:
    small = 10
    with dbs.fresh("siblings") as (db, pe, clock, _url):
        setup_province(pe, SMALL_SHAPE)
        with pe.read() as s:
            task = s.scalars(select(PlanTask).where(PlanTask.status == "active").order_by(PlanTask.position).limit(1)).one()
        plan_key, task_key, period = f"plan:{task.plan_id}", task.stt, str(YEAR)
        data: dict[str, Any] = {"don_vi_giao": "HP.X001", "tieu_de": task.content[:200], "han_xu_ly": DUE.isoformat()}

        def parent(tag: str) -> uuid.UUID:
            clock.advance(timedelta(seconds=1))
            cmd = StartInstance(WARD, {**data, "don_vi_giao": "HP"}, unit_code="HP.X001", business_key=f"bench/{tag}",
                                plan_key=plan_key, task_key=task_key, period=period, due_at=DUE)  # fmt: skip
            with pe.unit_of_work("bench:so") as uow:
                instance_id = start_instance(uow, cmd).id
            return instance_id

        def children(parent_id: uuid.UUID, n: int, tag: str) -> float:
            specs = [ChildSpec(unit_code=f"HP.X001.S{i:05d}", parent_id=parent_id, business_key=f"bench/{tag}/{i}",
                               plan_key=plan_key, task_key=task_key, period=period, due_at=DUE) for i in range(n)]  # fmt: skip

            def call() -> None:
                with pe.unit_of_work("bench:xa") as uow:
                    assert start_instances(uow, SCHOOL, specs, data=data).created == n

            return timed(call)

        parents: dict[int, list[uuid.UUID]] = {small: [parent(f"small-{p}") for p in range(math.ceil(samples / small))],
                                               big: [parent("big")]}  # fmt: skip
        created = {}
        for n, ids in parents.items():
            seconds = sum(children(parent_id, n, f"{n}-{p}") for p, parent_id in enumerate(ids))
            created[n] = {"children": n * len(ids), "seconds": seconds, "per_instance_us": seconds / (n * len(ids)) * 1e6}
            progress(f"{dbs.kind}: {n * len(ids):,} children under {len(ids)} parent(s) in {seconds:.2f} s")

        # The children that will complete: all of the small parents', spread over the big one's.
        chosen: dict[int, list[uuid.UUID]] = {}
        with pe.read() as s:
            for n, ids in parents.items():
                kids = list(s.scalars(select(Instance.id).where(Instance.parent_id.in_(ids)).order_by(Instance.id)))
                step = len(kids) / samples
                chosen[n] = [kids[int(i * step)] for i in range(samples)]
        seal_all(pe)
        settle(db)
        timings: dict[str, dict[int, list[float]]] = {}
        for element, form in STEPS:
            with pe.read() as s:
                tasks = {n: [s.scalars(select(HumanTask.id).where(HumanTask.instance_id == kid, HumanTask.status == "open")).one()
                             for kid in kids] for n, kids in chosen.items()}  # fmt: skip
            timings[element] = {n: [] for n in chosen}
            for i in range(samples):
                for n in chosen:
                    clock.advance(timedelta(milliseconds=1))  # below the seal interval: no seal per commit
                    timings[element][n].append(timed(lambda t=tasks[n][i], f=form: complete(pe, t, f)))
            progress(f"{dbs.kind}: {element} completed on {samples} children of each fan-out")
        counters = parent_counters(pe, parents)
    steps_out = {}
    for element, per_n in timings.items():
        stats = {str(n): stats_ms(v) for n, v in per_n.items()}
        steps_out[element] = {**stats, "ratio": stats[str(big)]["median_ms"] / stats[str(small)]["median_ms"]}
    return {"small": small, "big": big, "samples": samples, "created": {str(n): v for n, v in created.items()},
            "steps": steps_out, "counters": counters}  # fmt: skip


def parent_counters(pe: ProcessEngine, parents: dict[int, list[uuid.UUID]]) -> list[dict[str, Any]]:
    """The parents' stored counters, and the same counted from their children's tracking rows."""
    child = Tracking.__table__.alias("child")
    out = []
    with pe.read() as s:
        for n, ids in parents.items():
            for parent_id in ids:
                row = s.get(Tracking, parent_id)
                assert row is not None, "a parent without a tracking row"
                counted = s.execute(select(
                    func.count(), func.sum(case((child.c.phase != "new", 1), else_=0)),
                    func.sum(case((child.c.phase.in_(("submitted", "approved")), 1), else_=0)),
                ).where(child.c.parent_id == parent_id)).one()  # fmt: skip
                stored = (row.n_children, row.n_accepted, row.n_submitted)
                truth = tuple(int(x or 0) for x in counted)
                out.append({"fanout": n, "parent": str(parent_id), "stored": stored, "counted": truth, "ok": stored == truth})
    return out


# --- report -----------------------------------------------------------------------------------


def run(kind: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    dbs = province_databases(kind, workdir)
    shape = QUICK_SHAPE if args.quick else FULL_SHAPE
    out: dict[str, Any] = {"province": province(dbs, shape, args)}
    if args.province_only:
        return out
    if not args.no_what_if:
        progress(f"{kind}: dispatch again with the org units preloaded (what-if)")
        out["what_if"] = what_if(dbs, shape)
    if not args.no_raw:
        p = out["province"]
        progress(f"{kind}: raw executemany of {p['total_created']:,} instance + task rows")
        out["raw"] = raw(kind, p["total_created"], round(p["state_bytes"]))
    progress(f"{kind}: one school's completion, 10 vs {args.n:,} siblings")
    out["siblings"] = siblings(dbs, args.n, args.samples)
    return out


def report(kind: str, r: dict[str, Any]) -> None:
    p, d = r["province"], r["province"]["dispatch"]
    units = d["units"]
    rows: list[list[Any]] = [["plan_dispatch (one unit of work)", d["created"], d["seconds"], d["seconds"] * 1000 / d["created"],
                              d["per_instance_us"], d.get("cpu_per_instance_us"), d["instances_per_s"], d.get("statements"),
                              d["rows"]["human_task"], d["rows"]["timer"], d["rows"]["tracking"], d["rows"]["audit_event"]]]  # fmt: skip
    notes = [f"province: {sum(units.values()):,} units ({', '.join(f'{k} {v:,}' for k, v in sorted(units.items()))}); "
             f"set up (deploy + build + import) in {d['setup_seconds']:.1f} s",
             "created by process: " + ", ".join(f"{k} {v:,}" for k, v in d["by_process"].items())
             + f"; later periods waiting: {d['scheduled']}"]  # fmt: skip
    if "what_if" in r:
        w = r["what_if"]
        rows.append(["  what-if: org units preloaded in the session", w["created"], w["seconds"], w["seconds"] * 1000 / w["created"],
                     w["per_instance_us"], None, w["created"] / w["seconds"], None, None, None, None, None])  # fmt: skip
        notes.append(f"what-if / as shipped: {w['seconds'] / d['seconds']:.2f} (_Planner.__init__ monkeypatched to hold every "
                     "OrgUnit, so session.get(OrgUnit, parent_id) in _Planner._child hits the identity map)")  # fmt: skip
    emit(table(f"{kind}: 1. plan_dispatch of the demo plan to the whole province",
               ["phase", "instances", "seconds", "ms/inst", "µs/inst", "CPU µs/inst", "inst/s", "statements", "human_task", "timer",
                "tracking", "audit"],
               rows, notes))  # fmt: skip

    rows = []
    for step, w in p["wards"].items():
        rows.append([f"{step} (one complete_task per unit of work)", w["completions"], w["seconds"], w["median_ms"], w["p95_ms"],
                     w["mean_ms"], w.get("cpu_ms"), w.get("statements"), w["first_tenth_median_ms"], w["last_tenth_median_ms"], w["created"], w.get("per_created_us"), w["rows"]["human_task"], w["rows"]["timer"],
                     w["rows"]["tracking"], w["rows"]["audit_event"]])  # fmt: skip
    emit(table(f"{kind}: 2. every commune hands every task on to its schools",
               ["step", "completions", "seconds", "median ms", "p95 ms", "mean ms", "CPU ms", "statements", "1st 10 %", "last 10 %", "inst. created", "µs/created inst.",
                "human_task", "timer", "tracking", "audit"], rows,
               ["the engine's clock follows wall time, so the after-commit seal runs about once a second; "
                f"what was left unsealed at the end: {p['seal_after']['events']:,} events sealed in {p['seal_after']['seconds']:.2f} s",
                "1st / last 10 % = median ms of the first and the last tenth of the completions (the database grows in between)",
                "human_task ... audit = rows added (completed tasks stay, with status 'completed'; audit = before the final seal)"]))  # fmt: skip

    final = p["final_rows"]
    rows = [["instances created (phases 1 + 2)", p["total_created"]],
            ["rows now: instance / human_task / timer / tracking / audit_event",
             " / ".join(f"{final[k]:,}" for k in ("instance", "human_task", "timer", "tracking", "audit_event"))],
            ["seconds: dispatch + every tiep_nhan + every giao_cho_truong", p["total_seconds"]],
            ["instances per second, whole province", p["instances_per_s"]],
            ["µs per instance, whole province", p["total_seconds"] / p["total_created"] * 1e6],
            ["instances per second, creating operations only (dispatch + giao_cho_truong)", p["total_created"] / p["creating_seconds"]],
            ["peak RSS of this process, MB", p.get("peak_rss_mb")]]  # fmt: skip
    notes = []
    if p["total_created"] < 60_000:
        notes.append(f"fewer than 60,000 instances ({p['total_created']:,}): a smaller shape (--quick), or fewer plan tasks and periods")
    if "raw" in r:
        x = r["raw"]
        rows += [[f"raw executemany of {x['n']:,} instance + {x['n']:,} task rows + COMMIT (s)", x["seconds"]],
                 ["raw µs per instance", x["per_instance_us"]],
                 ["x raw: whole province", p["total_seconds"] / x["seconds"]],
                 ["x raw: plan_dispatch per instance", d["per_instance_us"] / x["per_instance_us"]]]  # fmt: skip
        if "what_if" in r:
            rows.append(["x raw: plan_dispatch per instance, what-if", r["what_if"]["per_instance_us"] / x["per_instance_us"]])
        rows.append(["x raw: giao_cho_truong per created instance", p["wards"]["giao_cho_truong"]["per_created_us"] / x["per_instance_us"]])
        notes.append(f"raw = bench/bulk_bench.py raw_limit: the same tables of a fresh database, values prepared beforehand, "
                     f"state {x['state_bytes']:,} bytes; ours also writes tracking and audit rows, runs the workflows and the hooks")  # fmt: skip
    emit(table(f"{kind}: 2b. the whole province", ["figure", "value"], rows, notes))
    if "siblings" not in r:
        return

    sib = r["siblings"]
    small, big = str(sib["small"]), str(sib["big"])
    rows = []
    for element, st in sib["steps"].items():
        rows.append([element, st[small]["median_ms"], st[small]["p95_ms"], st[big]["median_ms"], st[big]["p95_ms"], st["ratio"]])
    created = sib["created"]
    emit(table(f"{kind}: 3. one school's completion with {int(small):,} vs {int(big):,} siblings "
               f"(ms, {sib['samples']} children each, interleaved)",
               ["step", f"median @{int(small):,}", "p95", f"median @{int(big):,}", "p95", "ratio"], rows,
               [f"children created with start_instances: {int(big):,} in {created[big]['seconds']:.2f} s "
                f"({created[big]['per_instance_us']:.0f} µs each); {created[small]['children']} under "
                f"{created[small]['children'] // int(small)} parents of {small}",
                "ratio = median @big / median @small (≈ 1.0: the parent's counters change by one UPDATE)"]))  # fmt: skip
    by_fanout: dict[int, list[dict[str, Any]]] = {}
    for c in sib["counters"]:
        by_fanout.setdefault(c["fanout"], []).append(c)
    rows = []
    for n, items in by_fanout.items():
        stored = [sum(c["stored"][i] for c in items) for i in range(3)]
        counted = [sum(c["counted"][i] for c in items) for i in range(3)]
        rows.append([f"{len(items)} parent(s) of {n:,}", *stored, " / ".join(f"{x:,}" for x in counted), all(c["ok"] for c in items)])
    emit(table(f"{kind}: 3b. the parents' tracking counters (summed over the parents)",
               ["parents", "n_children", "n_accepted", "n_submitted", "counted from children", "equal"], rows))  # fmt: skip

    for label, prof in (("plan_dispatch", p["dispatch"]["profile"]), ("giao_cho_truong completions", p["wards"]["giao_cho_truong"]["profile"])):
        if prof:
            emit(table(f"{kind}: cProfile of {label}: repository functions by cumulative time", ["function", "calls", "own s", "cumulative s"],
                       [[t["function"][:90], t["calls"], t["tottime"], t["cumtime"]] for t in prof]))  # fmt: skip


def summary(results: dict[str, dict[str, Any]]) -> None:
    kinds = list(results)

    def row(label: str, get: Callable[[dict[str, Any]], Any]) -> list[Any]:
        values = []
        for kind in kinds:
            try:
                values.append(get(results[kind]))
            except (KeyError, ZeroDivisionError, TypeError):
                values.append(None)
        return [label, *values]

    rows = [
        row("plan_dispatch: instances", lambda r: r["province"]["dispatch"]["created"]),
        row("plan_dispatch: seconds", lambda r: r["province"]["dispatch"]["seconds"]),
        row("plan_dispatch: µs per instance", lambda r: r["province"]["dispatch"]["per_instance_us"]),
        row("  what-if, org units preloaded: µs per instance", lambda r: r["what_if"]["per_instance_us"]),
        row("commune tiep_nhan: median ms", lambda r: r["province"]["wards"]["tiep_nhan"]["median_ms"]),
        row("commune giao_cho_truong: completions", lambda r: r["province"]["wards"]["giao_cho_truong"]["completions"]),
        row("commune giao_cho_truong: median ms", lambda r: r["province"]["wards"]["giao_cho_truong"]["median_ms"]),
        row("giao_cho_truong: instances created", lambda r: r["province"]["wards"]["giao_cho_truong"]["created"]),
        row("giao_cho_truong: µs per created instance", lambda r: r["province"]["wards"]["giao_cho_truong"]["per_created_us"]),
        row("total instances (phases 1 + 2)", lambda r: r["province"]["total_created"]),
        row("whole province: seconds", lambda r: r["province"]["total_seconds"]),
        row("whole province: instances per second", lambda r: r["province"]["instances_per_s"]),
        row("whole province: x raw executemany", lambda r: r["province"]["total_seconds"] / r["raw"]["seconds"]),
        row("peak RSS, MB", lambda r: r["province"]["peak_rss_mb"]),
    ]
    any_r = next(iter(results.values()))
    if "siblings" not in any_r:
        emit(table("Summary", ["figure", *kinds], rows))
        return
    small, big = str(any_r["siblings"]["small"]), str(any_r["siblings"]["big"])
    for element in STEPS:
        rows.append(row(f"{element[0]} @{int(small):,} / @{int(big):,} siblings (ms)",
                        lambda r, e=element[0]: f"{r['siblings']['steps'][e][small]['median_ms']:.2f} / "
                                                f"{r['siblings']['steps'][e][big]['median_ms']:.2f}"))  # fmt: skip
        rows.append(row(f"  ratio {element[0]}", lambda r, e=element[0]: r["siblings"]["steps"][e]["ratio"]))
    rows.append(row("parents' counters = counted", lambda r: all(c["ok"] for c in r["siblings"]["counters"])))
    emit(table("Summary", ["figure", *kinds], rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 10-commune province and N=1,000 siblings (< 1 min)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--n", type=int, help="the large fan-out of phase 3 (default 10,000; 1,000 with --quick)")
    parser.add_argument("--samples", type=int, default=50, help="children completing per fan-out in phase 3 (default 50)")
    parser.add_argument("--no-what-if", action="store_true", help="skip the dispatch with the org units preloaded")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw executemany limit")
    parser.add_argument("--profile", action="store_true", help="cProfile the dispatch and the giao_cho_truong completions")
    parser.add_argument("--province-only", action="store_true", help="phases 1 + 2 only (no what-if, raw limit or siblings)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    if args.n is None:
        args.n = 1_000 if args.quick else 10_000
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    begun = time.perf_counter()
    emit(f"giaoviec dispatch benchmark ({'quick' if args.quick else 'full'}), {os.cpu_count()} CPUs, "
         f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f} at start")  # fmt: skip
    return run_on_databases(kinds, args, "giaoviec-dispatch-bench-", run, report, summary, begun)


if __name__ == "__main__":
    raise SystemExit(main())
