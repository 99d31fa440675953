"""Where a completion's CPU goes, phase by phase: the engine alone (a child's task a -> b), a
school's three steps with the domain's hooks (``tiep_nhan``, ``thuc_hien``, ``duyet_bao_cao``) and,
with ``--communes``, a commune's acceptance and its hand-on to its schools (``giao_cho_truong``: a
bulk start under the step) in the quick province of ``bench.dispatch_bench``.

    .venv/bin/python -m bench.step_phases sqlite|postgresql [--rounds 5] [--per-round 250] [--communes]

Each phase is a function of the step path, wrapped to add up its own CPU time (``process_time``,
its callees' phases taken out); the hooks are timed one by one. The best of ``--rounds`` rounds
is shown (the machine is shared: the best round is the least disturbed), with the statements per
completion. The wrappers cost a few µs each: compare phases, not the total with other benches.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from bench import dispatch_bench as dispatch
from bench import engine_bench as eb
from engine import (
    ChildSpec,
    HumanTask,
    Instance,
    StartInstance,
    bulk,
    commands,
    start_instance,
    start_instances,
    state,
    steps,
    uow,
)
from workflows.cascade import dispatch as cascade
from workflows.plans.models import PlanTask
from workflows.tracking import follow

PHASES: tuple[tuple[Any, str, str], ...] = (
    (commands, "_task_and_instance", "the task with its instance (SELECT)"),
    (commands, "_load", "load: bundle, timer rows"),
    (steps, "read_timer_rows", "the timer rows (SELECT)"),
    (state.StateCodec, "load", "state: load"),
    (steps, "run", "SpiffWorkflow: run to the next wait state"),
    (steps, "sync_timers", "timer rows"),
    (steps, "sync_human_tasks", "task rows"),
    (state.StateCodec, "dump", "state: dump"),
    (steps, "write_instance", "UPDATE instance (+ task rows)"),
    (steps, "save", "save: the rest"),
    (uow.UnitOfWork, "_commit", "commit: events, flush, COMMIT"),
    (commands, "complete_task", "complete_task: the rest"),
    # a bulk start (a commune's hand-on), and the domain's parts of a hand-on
    (steps, "new_workflow", "bulk: the template's new workflow"),
    (bulk, "_insert", "bulk: INSERTs (executemany)"),
    (bulk, "_not_started_yet", "bulk: business keys already started?"),
    (bulk, "latest_definition", "bulk: latest definition"),
    (bulk, "_summary_events", "bulk: summary events"),
    (cascade, "_plan_task_of", "hand-on: the plan's task"),
    (follow, "_add_hand_on", "tracking: the schools' rows"),
)


class PhaseClock:
    """Own CPU time per label: a wrapped call's time minus that of the wrapped calls inside it."""

    def __init__(self) -> None:
        self.own: Counter[str] = Counter()
        self._inner: list[float] = []

    def wrap(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            self._inner.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                spent, inner = time.process_time() - started, self._inner.pop()
                self.own[label] += spent - inner
                if self._inner:
                    self._inner[-1] += spent

        return timed


@contextmanager
def phases_timed(pe: Any, clock: PhaseClock) -> Iterator[None]:
    """The step path's functions and ``pe``'s hooks wrapped by ``clock`` inside the block."""
    saved = [(owner, name, getattr(owner, name)) for owner, name, _label in PHASES]
    hooks = {name: list(getattr(pe.hooks, name)) for name in vars(pe.hooks) if isinstance(getattr(pe.hooks, name), list)}
    try:
        for owner, name, label in PHASES:
            setattr(owner, name, clock.wrap(getattr(owner, name), label))
        for name, listed in hooks.items():
            getattr(pe.hooks, name)[:] = [clock.wrap(hook, f"hook {name}: {_named(hook)}") for hook in listed]
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
        for name, listed in hooks.items():
            getattr(pe.hooks, name)[:] = listed


def _named(hook: Any) -> str:
    return f"{hook.__module__.rsplit('.', 1)[-1]}.{getattr(hook, '__name__', type(hook).__name__)}"


def measure(db: Any, pe: Any, task_ids: list[Any], complete: Callable[[Any], None], rounds: int) -> dict[str, Any]:
    """The best of ``rounds`` rounds over ``task_ids``: µs of CPU per completion, in all and by phase."""
    per_round = len(task_ids) // rounds
    sent = [0]

    def count(*_: Any) -> None:
        sent[0] += 1

    best: dict[str, Any] | None = None
    event.listen(db, "before_cursor_execute", count)
    try:
        for r in range(rounds):
            clock, sent[0] = PhaseClock(), 0
            chunk = task_ids[r * per_round : (r + 1) * per_round]
            with phases_timed(pe, clock):
                started = time.process_time()
                for task_id in chunk:
                    complete(task_id)
                total = time.process_time() - started
            result = {"cpu_us": total / len(chunk) * 1e6, "statements": sent[0] / len(chunk),
                      "phases_us": {label: spent / len(chunk) * 1e6 for label, spent in clock.own.most_common()}}  # fmt: skip
            if best is None or result["cpu_us"] < best["cpu_us"]:
                best = result
    finally:
        event.remove(db, "before_cursor_execute", count)
    assert best is not None
    return best


def engine_only(kind: str, workdir: Path, server: Any, rounds: int, per_round: int) -> dict[str, Any]:
    dbs = eb.Databases(kind, workdir, server)
    db, pe, clock = dbs.fresh("phases")
    eb.deploy_once(pe, eb.user_task_chain(eb.CHILD_PROCESS, names=("a", "b", "c"), fields=eb.CHILD_FORM), "c.bpmn")
    n = rounds * per_round + 50
    eb.start_children(pe, clock, None, n, "p")
    ids = eb.open_tasks(pe, "a", n, tag="p")

    def complete(task_id: Any) -> None:
        clock.advance(timedelta(seconds=1))
        eb.complete(pe, task_id)

    for task_id in ids[:50]:  # warm-up: the definition's parse, the statement caches
        complete(task_id)
    try:
        return {"a -> b (engine only)": measure(db, pe, ids[50:], complete, rounds)}
    finally:
        dbs.close()


def school_steps(kind: str, workdir: Path, rounds: int, per_round: int) -> dict[str, Any]:
    """A commune's instance with ``rounds * per_round`` schools under it, each through its steps."""
    dbs = dispatch.province_databases(kind, workdir)
    out: dict[str, Any] = {}
    with dbs.fresh("phases") as (db, pe, clock, _url):
        dispatch.setup_province(pe, dispatch.SMALL_SHAPE)
        with pe.read() as s:
            task = s.scalars(select(PlanTask).where(PlanTask.status == "active").order_by(PlanTask.position).limit(1)).one()
        keys = {"plan_key": f"plan:{task.plan_id}", "task_key": task.stt, "period": str(dispatch.YEAR), "due_at": dispatch.DUE}
        data = {"don_vi_giao": "HP.X001", "tieu_de": task.content[:200], "han_xu_ly": dispatch.DUE.isoformat()}
        with pe.unit_of_work("bench:so") as w:
            parent = start_instance(w, StartInstance(dispatch.WARD, {**data, "don_vi_giao": "HP"}, unit_code="HP.X001",
                                                     business_key="bench/parent", **keys)).id  # fmt: skip
        n = rounds * per_round + 20
        specs = [ChildSpec(unit_code=f"HP.X001.S{i:05d}", parent_id=parent, business_key=f"bench/{i}", **keys) for i in range(n)]
        with pe.unit_of_work("bench:xa") as w:
            start_instances(w, dispatch.SCHOOL, specs, data=data)
        with pe.read() as s:
            children = list(s.scalars(select(Instance.id).where(Instance.parent_id == parent).order_by(Instance.id)))
        dispatch.seal_all(pe)
        for element, form in dispatch.STEPS:
            with pe.read() as s:
                ids = [s.scalars(select(HumanTask.id).where(HumanTask.instance_id == c, HumanTask.status == "open")).one() for c in children]

            def complete(task_id: Any, form: dict[str, Any] = form) -> None:
                clock.advance(timedelta(milliseconds=1))  # below the seal interval
                dispatch.complete(pe, task_id, form)

            for task_id in ids[:20]:
                complete(task_id)
            out[f"school {element} (domain hooks)"] = measure(db, pe, ids[20:], complete, rounds)
    return out


def commune_steps(kind: str, workdir: Path, rounds: int) -> dict[str, Any]:
    """Every commune of the quick province accepts each task dispatched to it, then hands it on to
    its schools; the last ``rounds`` × 100 of each step are measured (the first 30 warm up)."""
    dbs = dispatch.province_databases(kind, workdir)
    out: dict[str, Any] = {}
    with dbs.fresh("communes") as (db, pe, clock, _url):
        plan_id = dispatch.setup_province(pe, dispatch.QUICK_SHAPE)
        with pe.unit_of_work("bench:so") as w:
            dispatch.plan_dispatch(w, plan_id, include_past=dispatch.INCLUDE_PAST)
        clock.advance(timedelta(minutes=5))
        dispatch.seal_all(pe)

        def complete(task_id: Any) -> None:
            clock.advance(timedelta(milliseconds=10))
            dispatch.complete(pe, task_id, {}, actor="bench:xa")

        for step in ("tiep_nhan", "giao_cho_truong"):
            ids = dispatch.open_tasks(pe, dispatch.WARD, step)
            measured = ids[30 : 30 + rounds * 100]
            for task_id in ids[:30]:
                complete(task_id)
            out[f"commune {step} (domain hooks)"] = measure(db, pe, measured, complete, rounds)
            for task_id in ids[30 + len(measured) :]:  # the rest, so that every task moves on
                complete(task_id)
    return out


def report(kind: str, results: dict[str, Any]) -> None:
    for name, result in results.items():
        print(f"{kind}: {name}: {result['cpu_us']:,.0f} µs CPU, {result['statements']:.1f} statements per completion")
        for label, spent in result["phases_us"].items():
            if spent >= 1:
                print(f"    {label:60s} {spent:7,.0f} µs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=("sqlite", "postgresql"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=250)
    parser.add_argument("--communes", action="store_true", help="also a commune's acceptance and hand-on (quick province, ~1 min)")
    args = parser.parse_args(argv)
    server = None
    if args.kind == "postgresql":
        from tests.fixtures.postgres import get_server

        server = get_server()
    workdir = Path(tempfile.mkdtemp())
    report(args.kind, engine_only(args.kind, workdir, server, args.rounds, args.per_round))
    report(args.kind, school_steps(args.kind, workdir, args.rounds, args.per_round // 4))
    if args.communes:
        report(args.kind, commune_steps(args.kind, workdir, min(args.rounds, 3)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
