"""What the worker gets through: due timers, the day's urging of a province, email through the outbox.

Run from the repository root::

    .venv/bin/python -m bench.worker_bench [--quick] [--db sqlite|postgresql|both] [--timers 20000]
                                           [--procs 1,4] [--mail 2000] [--only timers,deadlines,urging,email]
                                           [--profile] [--json out.json]

Per database (SQLite file in a temp dir, WAL, synchronous=NORMAL; PostgreSQL: the test suite's
throwaway server, ``tests.fixtures.postgres.get_server()``, fsync off), each phase on a fresh,
migrated database:

1. Timers. ``--timers`` N instances of ``timer_then_task(duration="PT1H")`` (start → one-hour
   timer → user task), bulk-started 5,000 per unit of work (N = 20,000 by default: at 180–360
   timers/s, 100,000 would take 5–9 minutes per measurement), then
   a. one worker in this process: ``giaoviec.worker.Worker(pe).sweep(t0 + 2 h)`` again and again
      until a sweep fires nothing (one sweep fires at most ``MAX_TIMER_BATCHES`` ×
      ``TIMER_BATCH`` = 200 × 100 instances); timers/s, ms per timer, and the SQL statements per
      timer (a SQLAlchemy ``before_cursor_execute`` listener, by verb);
   b. P worker processes (``--procs``, default 4): ``giaoviec worker --poll 0.05`` with
      ``GIAOVIEC_DATABASE_URL``, as tests/test_worker.py runs them. They read the wall clock, so
      here the instances are started by an engine whose ``FrozenClock`` stands 2 h before the
      wall clock. Timed from the spawn until no timer row is ``waiting`` (the harness polls the
      database every 0.1 s), then SIGTERM; process start-up (one ``giaoviec worker --once`` with
      nothing due, timed apart) is inside that time. On SQLite the workers take turns on the
      single write lock (``BEGIN IMMEDIATE``): more processes cannot go faster there.
   Every run checks that each timer fired exactly once (one ``timer_fired`` event per timer, one
   ``after`` task per instance). The audit events the sweep leaves unsealed are sealed and timed
   apart (``pe.seal_audit()`` until 0).
2. Urging. The demo province (``build_demo_province``: ``DemoShape()`` in full, 10 communes with
   ``--quick``), the three BPMN files deployed, the domain hooks installed, the demo plan
   imported and dispatched at 2026-12-01 08:00 (+07:00) as bench/dispatch_bench.py does (its
   helpers), and every commune hands every task on to its schools (``tiep_nhan``, then
   ``giao_cho_truong`` with ``{}``; 100 completions per unit of work here, to set up faster).
   Then ``workflows.escalation.run.run_escalations(uow, now)`` in its own unit of work (commit
   included) at successive instants around the year-end deadline (last allowed day Thursday
   31/12/2026; 01/01/2027 is a holiday): the reminder, the day itself, the first working day late
   (a Monday: the weekly list goes out too), the escalation day, a second run that day (nothing
   new), and the next Monday's weekly list. Notices, digests, seconds, µs per notice; then the
   audit seal of the run's events (one per notice), timed apart.
3. Email. ``--mail`` M outbox messages (Vietnamese subject and text) queued with
   ``add_outbox_message``; an aiosmtpd server (tests/fixtures/smtp.py ``Server``) runs in a child
   process on 127.0.0.1 (its parsing of each message does not share this process's GIL);
   ``engine.outbox.deliver_due(pe, SmtpTransport(config), now, limit=100)`` (the worker's batch)
   in a loop until all are sent: emails/s, ms per email. The raw limit: the same messages built
   beforehand with ``build_message`` and sent with ``smtplib.SMTP.send_message`` over one
   connection, nothing written to the database. "x raw" = ours / raw.

``--quick``: N = 5,000 timers, 1 and 4 processes, the 10-commune province, M = 200 (both
databases in under 3 minutes here; the full run takes about 10). ``--profile``: cProfile of
extra passes (2,000 timers, the urging a week after the last instant, 200 emails); their timings
are not used elsewhere.

The engine only sees a ``FrozenClock``; the harness times with ``perf_counter``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import smtplib
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select

from bench.databases import Databases
from bench.dispatch_bench import FULL_SHAPE as PROVINCE_SHAPE
from bench.dispatch_bench import (
    QUICK_SHAPE,
    WARD,
    count_rows,
    open_tasks,
    profiled,
    province_databases,
    setup_province,
    top_functions,
)
from bench.engine_bench import settle
from bench.report import emit, progress, run_on_databases, table
from engine import (
    AuditEvent,
    ChildSpec,
    FrozenClock,
    HumanTask,
    Instance,
    OutboxMessage,
    ProcessEngine,
    Timer,
    add_outbox_message,
    complete_task,
    deploy,
    fire_due_timers,
    start_instances,
)
from engine.models import WorkerHeartbeat
from engine.outbox import Claimed, deliver_due
from giaoviec import worker as worker_module
from giaoviec.worker import Worker
from tests.engine.bpmn_samples import process, timer_then_task
from workflows.cascade.dispatch import plan_dispatch
from workflows.escalation.models import Notice
from workflows.escalation.run import URGED_PHASES, run_escalations
from workflows.notify.smtp import SmtpConfig, SmtpTransport, build_message
from workflows.org.demo import DemoShape
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking

REPO = Path(__file__).resolve().parents[1]
GIAOVIEC = str(Path(sys.executable).with_name("giaoviec"))
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
SWEEP_AT = T0 + timedelta(hours=2)  # every one-hour timer started at T0 is due
CHUNK = 5_000  # instances per start_instances call (per unit of work)
HAND_ON_BATCH = 100  # commune completions per unit of work while setting up the province
SENDER = "Sở GDĐT Hải Phòng <noreply@haiphong.edu.vn>"
BASE_URL = "https://giaoviec.haiphong.edu.vn"


def at(y: int, m: int, d: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=LOCAL_TZ)


# The year-end tasks are due 2027-01-01 00:00 (+07:00): last allowed day Thu 31/12/2026.
INSTANTS: tuple[tuple[str, datetime], ...] = (
    ("Wed 30/12: 1 working day before (reminder)", at(2026, 12, 30)),
    ("Thu 31/12: the last allowed day (due today)", at(2026, 12, 31)),
    ("Mon 04/01: 1st working day late + weekly list", at(2027, 1, 4)),
    ("Tue 05/01: 2nd working day late (escalation)", at(2027, 1, 5)),
    ("Tue 05/01 again: second run of the day", at(2027, 1, 5, 9, 5)),
    ("Mon 11/01: weekly list, everything overdue", at(2027, 1, 11)),
)
PROFILE_INSTANT = ("Mon 18/01 (profiled): weekly list", at(2027, 1, 18))


# --- databases --------------------------------------------------------------------------------


def seal_all(pe: ProcessEngine) -> tuple[float, int]:
    started, sealed = time.perf_counter(), 0
    while n := pe.seal_audit():
        sealed += n
    return time.perf_counter() - started, sealed


class Statements:
    """Counts the SQL statements sent to the database (``before_cursor_execute``), by verb."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self.by_verb: Counter[str] = Counter()
        self.executemany = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        self.by_verb[statement.lstrip().split(None, 1)[0].upper()] += 1
        self.executemany += bool(executemany)

    def __enter__(self) -> Statements:
        event.listen(self.db, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.db, "before_cursor_execute", self)

    @property
    def total(self) -> int:
        return sum(self.by_verb.values())


# --- 1. timers ----------------------------------------------------------------------------------


def waiting_timers(pe: ProcessEngine, n: int) -> float:
    """Deploy ``timer_then_task`` and start ``n`` instances waiting on its one-hour timer, 5,000
    per unit of work, at the engine's clock; return the seconds the starts took."""
    with pe.unit_of_work("bench:admin") as uow:
        deploy(uow, timer_then_task(duration="PT1H"), source_name="timer_then_task.bpmn")
    started = time.perf_counter()
    for first in range(0, n, CHUNK):
        specs = [ChildSpec(unit_code=f"U{i:06d}", business_key=f"timer/{i}") for i in range(first, min(n, first + CHUNK))]
        with pe.unit_of_work("bench:so") as uow:
            assert start_instances(uow, "t", specs, data={}).created == len(specs)
    return time.perf_counter() - started


def exactly_once(pe: ProcessEngine, n: int) -> dict[str, Any]:
    """Each timer fired once (its ``timer_fired`` events), each instance has one ``after`` task."""
    with pe.read() as s:
        fired = Counter(data["timer"] for data in s.scalars(select(AuditEvent.data).where(AuditEvent.event == "timer_fired")))
        afters = Counter(s.scalars(select(HumanTask.instance_id).where(HumanTask.element_id == "after")))
        statuses = dict(s.execute(select(Timer.status, func.count()).group_by(Timer.status)).all())
    ok = len(fired) == n and set(fired.values()) == {1} and len(afters) == n and set(afters.values()) == {1}
    return {"ok": ok, "timers_fired": len(fired), "fired_twice": sum(1 for v in fired.values() if v > 1), "after_tasks": sum(afters.values()),
            "statuses": statuses}  # fmt: skip


def timers_in_process(dbs: Databases, n: int) -> dict[str, Any]:
    with dbs.fresh("timers_inproc") as (db, pe, _clock, _url):
        create_s = waiting_timers(pe, n)
        seal_all(pe)
        settle(db)
        worker = Worker(pe, worker_id="bench:in-process")
        sweeps: list[dict[str, Any]] = []
        with Statements(db) as statements:
            started, cpu = time.perf_counter(), time.process_time()
            while True:
                begun = time.perf_counter()
                report = worker.sweep(SWEEP_AT)
                sweeps.append({"fired": report.timers_fired, "failures": report.timer_failures, "seconds": time.perf_counter() - begun})
                if report.timers_fired + report.timer_failures == 0:
                    break
            seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        seal_s, sealed = seal_all(pe)
        check = exactly_once(pe, n)
    fired = sum(s["fired"] for s in sweeps)
    return {
        "n": n, "create_seconds": create_s, "seconds": seconds, "fired": fired, "timers_per_s": fired / seconds,
        "ms_per_timer": seconds / fired * 1000, "cpu_seconds": cpu_s, "cpu_ms_per_timer": cpu_s / fired * 1000, "sweeps": sweeps, "statements": statements.total,
        "statements_by_verb": dict(statements.by_verb.most_common()), "executemany": statements.executemany,
        "statements_per_timer": statements.total / fired, "seal_seconds": seal_s, "sealed": sealed,
        "per_timer_with_seal_ms": (seconds + seal_s) / fired * 1000, "check": check,
    }  # fmt: skip


def deadline_task(key: str = "d", duration: str = "PT1H") -> bytes:
    """start -> user task with a non-interrupting deadline (``duration``) that sets ``qua_han``:
    the library's deadline shape, which the sweep fires set-based (engine/timer_flags.py)."""
    body = (
        '<bpmn:startEvent id="start"/><bpmn:userTask id="work" name="Thực hiện"/><bpmn:endEvent id="end"/>'
        '<bpmn:boundaryEvent id="qua_han_xu_ly" attachedToRef="work" cancelActivity="false">'
        f"<bpmn:timerEventDefinition><bpmn:timeDuration>{duration}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:scriptTask id="ghi_nhan_qua_han"><bpmn:script>qua_han = True</bpmn:script></bpmn:scriptTask>'
        '<bpmn:endEvent id="da_ghi_nhan"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="qua_han_xu_ly" targetRef="ghi_nhan_qua_han"/>'
        '<bpmn:sequenceFlow id="f4" sourceRef="ghi_nhan_qua_han" targetRef="da_ghi_nhan"/>'
    )
    return process(body, key=key, lanes={"Chuyên viên": ["work"]})


def deadlines_in_process(dbs: Databases, n: int, profile: bool = False) -> dict[str, Any]:
    """``n`` due deadlines (``deadline_task``), one worker in this process, until none is due
    (``profile``: under cProfile, its top functions under ``"profile"``)."""
    with dbs.fresh("deadlines") as (db, pe, _clock, _url):
        pe.set_based_deadlines = True
        with pe.unit_of_work("bench:admin") as uow:
            deploy(uow, deadline_task(), source_name="deadline_task.bpmn")
        begun = time.perf_counter()
        for first in range(0, n, CHUNK):
            specs = [ChildSpec(unit_code=f"U{i:06d}", business_key=f"deadline/{i}") for i in range(first, min(n, first + CHUNK))]
            with pe.unit_of_work("bench:so") as uow:
                start_instances(uow, "d", specs, data={})
        create_s = time.perf_counter() - begun
        seal_all(pe)
        settle(db)
        # The worker's timer phase alone (``Worker._fire_timers``: batches of TIMER_BATCH until
        # none is due); the seal of the events it wrote, which the worker's next phase does, is
        # timed apart (issue 15: "its cost is shown separately").
        with Statements(db) as statements, profiled(profile) as prof:
            started, cpu = time.perf_counter(), time.process_time()
            fired = 0
            while (result := fire_due_timers(pe, SWEEP_AT, worker_module.TIMER_BATCH, actor="worker")).fired:
                fired += result.fired
            seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        seal_s, sealed = seal_all(pe)
        with pe.read() as s:
            per_timer = Counter(data["timer"] for data in s.scalars(select(AuditEvent.data).where(AuditEvent.event == "timer_fired")))
            waiting = s.scalar(select(func.count()).select_from(Timer).where(Timer.status == "waiting"))
    ok = len(per_timer) == n and set(per_timer.values()) == {1} and waiting == 0
    return {
        "n": n, "create_seconds": create_s, "seconds": seconds, "cpu_seconds": cpu_s, "fired": fired, "timers_per_s": fired / seconds,
        "cpu_us_per_timer": cpu_s / max(1, fired) * 1e6, "statements": statements.total,
        "statements_by_verb": dict(statements.by_verb.most_common()), "statements_per_timer": statements.total / max(1, fired),
        "seal_seconds": seal_s, "sealed": sealed, "seconds_incl_seal": seconds + seal_s, "exactly_once": ok,
        "profile": top_functions(prof, 20) if profile else None,
    }  # fmt: skip


def cli_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIAOVIEC_")}  # no SMTP: mail waits
    env["GIAOVIEC_DATABASE_URL"] = url
    return env


def timers_processes(dbs: Databases, n: int, procs: int) -> dict[str, Any]:
    """``procs`` × ``giaoviec worker --poll 0.05`` until no timer waits. The workers use the wall
    clock, so the instances start on an engine clock 2 h behind it (their timers are due)."""
    wall = datetime.now(UTC).replace(microsecond=0)
    created_at = wall - timedelta(hours=2)
    with dbs.fresh(f"timers_p{procs}", start=created_at) as (db, pe, clock, url):
        create_s = waiting_timers(pe, n)
        seal_all(pe)
        env = cli_env(url)
        # Start-up cost: one --once sweep at the creation instant, when nothing is due yet.
        begun = time.perf_counter()
        probe = subprocess.run([GIAOVIEC, "worker", "--once", "--now", created_at.isoformat(), "--json"], cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=120)  # fmt: skip
        startup_s = time.perf_counter() - begun
        assert probe.returncode == 0 and json.loads(probe.stdout)["timers_fired"] == 0, probe.stderr
        settle(db)

        def waiting() -> int:
            with pe.read() as s:
                return int(s.scalar(select(func.count()).select_from(Timer).where(Timer.status == "waiting")) or 0)

        logs = [dbs.workdir / f"worker-{procs}-{i}.log" for i in range(procs)]  # a pipe would fill up and block them
        started = time.perf_counter()
        workers = [subprocess.Popen([GIAOVIEC, "worker", "--poll", "0.05"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                    stderr=log.open("w")) for log in logs]  # fmt: skip
        try:
            deadline = started + max(900.0, n / 10)
            while (left := waiting()) > 0:
                if time.perf_counter() > deadline or all(w.poll() is not None for w in workers):
                    raise RuntimeError(f"{left} timers still waiting; workers: {[w.poll() for w in workers]}")
                time.sleep(0.1)
            seconds = time.perf_counter() - started
        finally:
            for proc in workers:
                proc.send_signal(signal.SIGTERM)
            codes = []
            for proc in workers:
                try:
                    codes.append(proc.wait(timeout=120))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    codes.append(proc.wait())
        errors = [line for log in logs for line in log.read_text(errors="replace").splitlines()
                  if "Traceback" in line or " ERROR " in line or "locked" in line]  # fmt: skip
        with pe.read() as s:
            pids = {proc.pid for proc in workers}
            beats = [b for b in s.scalars(select(WorkerHeartbeat)) if b.pid in pids]
        clock.set(datetime.now(UTC))  # the workers sealed with the wall clock; go on from there
        seal_s, sealed = seal_all(pe)
        check = exactly_once(pe, n)
    return {
        "n": n, "procs": procs, "create_seconds": create_s, "startup_seconds": startup_s, "seconds": seconds,
        "timers_per_s": n / seconds, "ms_per_timer": seconds / n * 1000, "exit_codes": codes, "errors": errors[:5],
        "sweeps": sum(b.sweeps for b in beats), "stopped": sum(b.status == "stopped" for b in beats),
        "seal_seconds": seal_s, "sealed": sealed, "check": check,
    }  # fmt: skip


def timers_profile(dbs: Databases, n: int) -> list[dict[str, Any]] | None:
    with dbs.fresh("timers_profile") as (db, pe, _clock, _url):
        waiting_timers(pe, n)
        seal_all(pe)
        settle(db)
        worker = Worker(pe, worker_id="bench:profile")
        with profiled(True) as prof:
            while worker.sweep(SWEEP_AT).timers_fired:
                pass
    return top_functions(prof, 20)


# --- 2. urging ----------------------------------------------------------------------------------


def hand_on(pe: ProcessEngine, clock: FrozenClock) -> dict[str, Any]:
    """Every commune accepts each task, then hands it on to all its schools (the hook starts them)."""
    out: dict[str, Any] = {}
    for step in ("tiep_nhan", "giao_cho_truong"):
        task_ids = open_tasks(pe, WARD, step)
        started = time.perf_counter()
        for first in range(0, len(task_ids), HAND_ON_BATCH):
            clock.advance(timedelta(seconds=1))  # the after-commit seal runs, as it would in a day's work
            with pe.unit_of_work("bench:xa") as uow:
                for task_id in task_ids[first : first + HAND_ON_BATCH]:
                    complete_task(uow, task_id, {})
        out[step] = {"completions": len(task_ids), "seconds": time.perf_counter() - started}
    return out


def urging(kind: str, workdir: Path, shape: DemoShape, profile: bool) -> dict[str, Any]:
    dbs = province_databases(kind, workdir)
    with dbs.fresh("urging") as (db, pe, clock, _url):
        started = time.perf_counter()
        plan_id = setup_province(pe, shape)
        with pe.unit_of_work("bench:so") as uow:
            created = plan_dispatch(uow, plan_id).created
        dispatch_s = time.perf_counter() - started
        progress(f"{kind}: set up and dispatched {created:,} instances in {dispatch_s:.1f} s; communes hand on")
        handed = hand_on(pe, clock)
        seal_all(pe)
        with pe.read() as s:
            running = int(s.scalar(select(func.count()).select_from(Instance).where(Instance.status == "running")) or 0)
            urged = int(s.scalar(select(func.count()).select_from(Tracking).where(Tracking.phase.in_(URGED_PHASES), Tracking.due_at.is_not(None))) or 0)
            by_due = Counter()
            for due, n in s.execute(select(Tracking.due_at, func.count()).where(Tracking.phase.in_(URGED_PHASES)).group_by(Tracking.due_at)):
                by_due[due.astimezone(LOCAL_TZ).date().isoformat() if due else "none"] += n
        rows = count_rows(pe)
        progress(f"{kind}: {running:,} running instances, {urged:,} urged with a deadline; the day's urging at {len(INSTANTS)} instants")
        settle(db)
        runs = [urge_once(pe, clock, label, when) for label, when in INSTANTS]
        prof = None
        if profile:
            with profiled(True) as profiler:
                runs.append(urge_once(pe, clock, *PROFILE_INSTANT))
            prof = top_functions(profiler, 20)
    return {"setup_dispatch_seconds": dispatch_s, "dispatched": created, "hand_on": handed, "running": running,
            "urged_with_deadline": urged, "by_due": dict(sorted(by_due.items())), "rows": rows, "runs": runs, "profile": prof}  # fmt: skip


def urge_once(pe: ProcessEngine, clock: FrozenClock, label: str, when: datetime) -> dict[str, Any]:
    clock.set(when)
    before = _urge_counts(pe)
    outcome: dict[str, Any] = {}
    started = time.perf_counter()  # commands never seal (the worker does): the seal is timed apart below
    with pe.unit_of_work("worker", now=when) as uow:
        outcome["result"] = run_escalations(uow, when, base_url=BASE_URL)
    seconds = time.perf_counter() - started
    seal_s, sealed = seal_all(pe)
    after = _urge_counts(pe)
    day = when.astimezone(LOCAL_TZ).date()
    with pe.read() as s:
        kinds = dict(s.execute(select(Notice.kind, func.count()).where(Notice.day == day).group_by(Notice.kind).order_by(Notice.kind)).all())
    result = outcome["result"]
    return {
        "label": label, "at": when.isoformat(), "seconds": seconds, "notices": result.notices, "digests": result.digests,
        "unreached": result.unreached, "skipped": list(result.skipped_provinces), "kinds": kinds if result.notices else {},
        "us_per_notice": seconds / result.notices * 1e6 if result.notices else None,
        "rows": {k: after[k] - before[k] for k in after}, "seal_seconds": seal_s, "sealed": sealed,
    }  # fmt: skip


def _urge_counts(pe: ProcessEngine) -> dict[str, int]:
    with pe.read() as s:
        return {name: int(s.scalar(select(func.count()).select_from(m)) or 0)
                for name, m in (("notice", Notice), ("outbox", OutboxMessage), ("audit_event", AuditEvent))}  # fmt: skip


# --- 3. email -----------------------------------------------------------------------------------

SMTP_CHILD = """
import sys
from tests.fixtures.smtp import Server
server = Server()
server.start()
print(server.port, flush=True)
for line in sys.stdin:
    command = line.strip()
    if command == "count":
        print(len(server.mailbox.received), len(server.mailbox.message_ids()), flush=True)
    elif command == "reset":
        server.mailbox.received.clear()
        print("ok", flush=True)
    else:
        break
server.stop()
"""


class SmtpChild:
    """tests/fixtures/smtp.py's aiosmtpd ``Server`` in a process of its own."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SMTP_CHILD], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def ask(self, command: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def received(self) -> tuple[int, int]:
        total, distinct = self.ask("count").split()
        return int(total), int(distinct)

    def close(self) -> None:
        with suppress(BrokenPipeError, ValueError):
            self.ask("quit")
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def queue_mail(pe: ProcessEngine, m: int) -> float:
    started = time.perf_counter()
    with pe.unit_of_work("bench:so") as uow:
        for i in range(m):
            add_outbox_message(uow, "email", {
                "subject": f"Đôn đốc thực hiện nhiệm vụ số {i} — hạn 31/12/2026 (Kế hoạch 637/KH-SGDĐT)",
                "text": f"Kính gửi Thủ trưởng đơn vị,\n\nSở Giáo dục và Đào tạo đề nghị đơn vị hoàn thành nhiệm vụ số {i} "
                        "và gửi báo cáo trước ngày 31/12/2026.\n\nTrân trọng.",
                "link": f"{BASE_URL}/tasks?item={i}",
            }, recipient=f"Hiệu trưởng Trường số {i} <truong-{i:05d}@demo.giaoviec.vn>")  # fmt: skip
    return time.perf_counter() - started


def email(dbs: Databases, m: int, limit: int, profile: bool) -> dict[str, Any]:
    server = SmtpChild()
    config = SmtpConfig.from_url(f"smtp://127.0.0.1:{server.port}?timeout=10", SENDER)
    try:
        with dbs.fresh("email") as (db, pe, clock, _url):
            queue_s = queue_mail(pe, m)
            seal_all(pe)
            settle(db)
            now = clock.now()
            calls, counts = 0, Counter()
            started = time.perf_counter()
            while counts["sent"] < m:
                delivered = deliver_due(pe, SmtpTransport(config), now, limit=limit)
                calls += 1
                counts.update({"sent": delivered.sent, "retried": delivered.retried, "failed": delivered.failed})
                if delivered.sent + delivered.retried + delivered.failed == 0:
                    raise RuntimeError(f"nothing delivered after {counts['sent']} of {m}")
            seconds = time.perf_counter() - started
            received = server.received()
            seal_s, sealed = seal_all(pe)
            with pe.read() as s:
                claimed = [Claimed(id=r.id, kind=r.kind, recipient=r.recipient, payload=dict(r.payload), attempts=1,
                                   instance_id=r.instance_id, claimed_at=now) for r in s.scalars(select(OutboxMessage))]  # fmt: skip
        # The raw limit: the same messages, built beforehand, one connection, no database.
        server.ask("reset")
        begun = time.perf_counter()
        messages = [build_message(c, config) for c in claimed]
        build_s = time.perf_counter() - begun
        begun = time.perf_counter()
        smtp = smtplib.SMTP("127.0.0.1", server.port, timeout=10)
        for message in messages:
            smtp.send_message(message, from_addr=config.sender.addr_spec, to_addrs=[message["To"].addresses[0].addr_spec])
        smtp.quit()
        raw_s = time.perf_counter() - begun
        raw_received = server.received()
        prof = None
        if profile:
            with dbs.fresh("email_profile") as (db, pe, clock, _url):
                queue_mail(pe, min(m, 200))
                seal_all(pe)
                with profiled(True) as profiler:
                    while deliver_due(pe, SmtpTransport(config), clock.now(), limit=limit).sent:
                        pass
            prof = top_functions(profiler, 20)
    finally:
        server.close()
    return {
        "m": m, "limit": limit, "queue_seconds": queue_s, "seconds": seconds, "calls": calls, **counts,
        "emails_per_s": m / seconds, "ms_per_email": seconds / m * 1000, "received": received,
        "seal_seconds": seal_s, "sealed": sealed, "build_seconds": build_s, "raw_seconds": raw_s,
        "raw_emails_per_s": m / raw_s, "raw_ms_per_email": raw_s / m * 1000, "raw_received": raw_received,
        "x_raw": seconds / raw_s, "x_raw_incl_build": seconds / (raw_s + build_s), "profile": prof,
    }  # fmt: skip


# --- report -------------------------------------------------------------------------------------


def run(kind: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    dbs = Databases(kind, workdir, prefix="worker", start=T0, hooks=False)
    out: dict[str, Any] = {}
    if "timers" in args.only:
        progress(f"{kind}: {args.timers:,} due timers, one worker in this process")
        out["timers"] = {"in_process": timers_in_process(dbs, args.timers), "processes": []}
        for procs in args.procs:
            progress(f"{kind}: {args.timers:,} due timers, {procs} worker process(es)")
            out["timers"]["processes"].append(timers_processes(dbs, args.timers, procs))
        if args.profile:
            progress(f"{kind}: cProfile of a sweep of 2,000 timers")
            out["timers"]["profile"] = timers_profile(dbs, min(args.timers, 2_000))
    if "deadlines" in args.only:
        progress(f"{kind}: {args.deadlines:,} due deadlines (a flag each), one worker in this process")
        out["deadlines"] = deadlines_in_process(dbs, args.deadlines, args.profile)
    if "urging" in args.only:
        progress(f"{kind}: urging over the {'10-commune' if args.quick else 'demo'} province")
        out["urging"] = urging(kind, workdir, QUICK_SHAPE if args.quick else PROVINCE_SHAPE, args.profile)
    if "email" in args.only:
        progress(f"{kind}: {args.mail:,} emails through the outbox")
        out["email"] = email(dbs, args.mail, args.mail_limit, args.profile)
    return out


def report(kind: str, r: dict[str, Any]) -> None:
    if "timers" in r:
        t, one = r["timers"], r["timers"]["in_process"]
        rows: list[list[Any]] = [["1 worker, in this process (Worker.sweep)", one["n"], one["seconds"], one["timers_per_s"], one["ms_per_timer"],
                                  1.0, one["sealed"], one["seal_seconds"], one["check"]["ok"]]]  # fmt: skip
        for p in t["processes"]:
            rows.append([f"{p['procs']} worker process(es), giaoviec worker --poll 0.05", p["n"], p["seconds"], p["timers_per_s"],
                         p["ms_per_timer"], p["timers_per_s"] / one["timers_per_s"], p["sealed"], p["seal_seconds"],
                         p["check"]["ok"] and not p["errors"]])  # fmt: skip
        verbs = ", ".join(f"{v} {n / one['fired']:.2f}" for v, n in one["statements_by_verb"].items())
        notes = [f"started {one['n']:,} instances ({one['n'] // CHUNK or 1} start_instances calls) in {one['create_seconds']:.2f} s",
                 f"in-process sweeps: {len(one['sweeps'])} (" + ", ".join(f"{s['fired']:,} in {s['seconds']:.1f} s" for s in one["sweeps"]) + ")",
                 f"CPU of this process: {one['cpu_seconds']:.2f} s, {one['cpu_ms_per_timer']:.2f} ms per timer",
                 f"SQL statements per timer: {one['statements_per_timer']:.2f} ({verbs}); executemany: {one['executemany']}",
                 "x 1 = timers/s over the in-process worker's; sealed = audit events left unsealed after the run, sealed apart in 'seal s'"]  # fmt: skip
        for p in t["processes"]:
            notes.append(f"{p['procs']} process(es): start-up of one process (giaoviec worker --once, nothing due) {p['startup_seconds']:.2f} s, "
                         f"{p['sweeps']:,} sweeps in all (a sweep ends at the first batch that claims < {worker_module.TIMER_BATCH}), exit codes {p['exit_codes']}" + (f", errors: {p['errors']}" if p["errors"] else ""))  # fmt: skip
        if kind == "sqlite" and t["processes"]:
            notes.append("SQLite: one writer at a time (BEGIN IMMEDIATE), so the processes take turns on the write lock")
        emit(table(f"{kind}: 1. firing {one['n']:,} due timers (timer_then_task, PT1H)",
                   ["worker(s)", "timers", "seconds", "timers/s", "ms/timer", "x 1", "sealed", "seal s", "exactly once"], rows, notes))  # fmt: skip
        if t.get("profile"):
            emit(table(f"{kind}: cProfile of a sweep: repository functions by cumulative time", ["function", "calls", "own s", "cumulative s"],
                       [[x["function"][:90], x["calls"], x["tottime"], x["cumtime"]] for x in t["profile"]]))  # fmt: skip
    if "deadlines" in r:
        d = r["deadlines"]
        verbs = ", ".join(f"{v} {n:,}" for v, n in d["statements_by_verb"].items())
        emit(table(f"{kind}: 1b. firing {d['n']:,} due deadlines (deadline_task, a flag each: the set-based path)",
                   ["deadlines", "seconds", "CPU s", "deadlines/s", "CPU µs/deadline", "statements/deadline", "100k est. s", "exactly once"],
                   [[d["n"], d["seconds"], d["cpu_seconds"], d["timers_per_s"], d["cpu_us_per_timer"], d["statements_per_timer"],
                     100_000 / d["timers_per_s"], d["exactly_once"]]], [f"statements: {verbs}"]))  # fmt: skip
        if d.get("profile"):
            emit(table(f"{kind}: cProfile of the deadline sweeps: repository functions by cumulative time", ["function", "calls", "own s", "cumulative s"],
                       [[x["function"][:90], x["calls"], x["tottime"], x["cumtime"]] for x in d["profile"]]))  # fmt: skip
    if "urging" in r:
        u = r["urging"]
        rows = []
        for x in u["runs"]:
            kinds = ", ".join(f"{k} {v:,}" for k, v in x["kinds"].items()) or "-"
            rows.append([x["label"], x["notices"], x["digests"], x["seconds"], x["us_per_notice"], x["rows"]["audit_event"], x["sealed"],
                         x["seal_seconds"], kinds])  # fmt: skip
        hand = u["hand_on"]
        emit(table(f"{kind}: 2. run_escalations over a province with {u['running']:,} running instances",
                   ["instant (09:00 +07:00)", "notices", "digests", "seconds", "µs/notice", "audit rows", "sealed", "seal s", "notices by kind"], rows,
                   [f"set up + plan_dispatch ({u['dispatched']:,} instances): {u['setup_dispatch_seconds']:.1f} s; communes: "
                    + ", ".join(f"{k} {v['completions']:,} in {v['seconds']:.1f} s" for k, v in hand.items()),
                    f"urged work with a deadline: {u['urged_with_deadline']:,}; by local due date: "
                    + ", ".join(f"{k} {v:,}" for k, v in u["by_due"].items()),
                    "rows: " + ", ".join(f"{k} {v:,}" for k, v in u["rows"].items()),
                    "seconds = run_escalations + COMMIT in one unit of work; the seal of its audit events is timed apart",
                    "each notice is a row in escalation_notice and one audit event; the weekly list (danh_sach_tuan) is one notice per "
                    "overdue item per person of the office (its leaders and officers)"]))  # fmt: skip
        if u.get("profile"):
            emit(table(f"{kind}: cProfile of run_escalations: repository functions by cumulative time", ["function", "calls", "own s", "cumulative s"],
                       [[x["function"][:90], x["calls"], x["tottime"], x["cumtime"]] for x in u["profile"]]))  # fmt: skip
    if "email" in r:
        e = r["email"]
        rows = [[f"deliver_due(limit={e['limit']}) in a loop ({e['calls']} calls)", e["m"], e["seconds"], e["emails_per_s"], e["ms_per_email"], e["x_raw"],
                 f"{e['received'][0]:,} / {e['received'][1]:,}"],
                ["raw: smtplib send_message of pre-built messages, one connection", e["m"], e["raw_seconds"], e["raw_emails_per_s"], e["raw_ms_per_email"], 1.0,
                 f"{e['raw_received'][0]:,} / {e['raw_received'][1]:,}"],
                ["  building them (build_message), apart", e["m"], e["build_seconds"], e["m"] / e["build_seconds"], e["build_seconds"] / e["m"] * 1000, None, None]]  # fmt: skip
        emit(table(f"{kind}: 3. {e['m']:,} emails through the outbox to a local SMTP server (aiosmtpd, own process)",
                   ["how", "emails", "seconds", "emails/s", "ms/email", "x raw", "received / Message-IDs"], rows,
                   [f"queued with add_outbox_message in one unit of work in {e['queue_seconds']:.2f} s; "
                    f"sent {e['sent']:,}, retried {e['retried']}, failed {e['failed']}",
                    f"x raw incl. building the messages: {e['x_raw_incl_build']:.2f}; "
                    f"audit events of the delivery ({e['sealed']:,}) sealed apart in {e['seal_seconds']:.2f} s"]))  # fmt: skip
        if e.get("profile"):
            emit(table(f"{kind}: cProfile of deliver_due: repository functions by cumulative time", ["function", "calls", "own s", "cumulative s"],
                       [[x["function"][:90], x["calls"], x["tottime"], x["cumtime"]] for x in e["profile"]]))  # fmt: skip


def summary(results: dict[str, dict[str, Any]]) -> None:
    kinds = list(results)

    def row(label: str, get: Callable[[dict[str, Any]], Any]) -> list[Any]:
        values = []
        for kind in kinds:
            try:
                values.append(get(results[kind]))
            except (KeyError, IndexError, ZeroDivisionError, TypeError):
                values.append(None)
        return [label, *values]

    def procs(r: dict[str, Any], p: int) -> dict[str, Any]:
        return next(x for x in r["timers"]["processes"] if x["procs"] == p)

    def heaviest(r: dict[str, Any]) -> dict[str, Any]:
        return max(r["urging"]["runs"], key=lambda x: x["notices"])

    any_r = next(iter(results.values()))
    rows = []
    if "timers" in any_r:
        rows.append(row("timers: N", lambda r: r["timers"]["in_process"]["n"]))
        rows.append(row("timers/s, 1 worker in-process", lambda r: r["timers"]["in_process"]["timers_per_s"]))
        rows.append(row("  ms per timer", lambda r: r["timers"]["in_process"]["ms_per_timer"]))
        rows.append(row("  SQL statements per timer", lambda r: r["timers"]["in_process"]["statements_per_timer"]))
        for p in sorted({x["procs"] for x in any_r["timers"]["processes"]}):
            rows.append(row(f"timers/s, {p} worker process(es)", lambda r, p=p: procs(r, p)["timers_per_s"]))
            rows.append(row(f"  ratio {p} processes / 1 in-process", lambda r, p=p: procs(r, p)["timers_per_s"] / r["timers"]["in_process"]["timers_per_s"]))
        if {1, 4} <= {x["procs"] for x in any_r["timers"]["processes"]}:
            rows.append(row("  ratio 4 processes / 1 process", lambda r: procs(r, 4)["timers_per_s"] / procs(r, 1)["timers_per_s"]))
        rows.append(row("every timer fired exactly once", lambda r: r["timers"]["in_process"]["check"]["ok"]
                        and all(x["check"]["ok"] for x in r["timers"]["processes"])))  # fmt: skip
    if "urging" in any_r:
        rows.append(row("urging: running instances", lambda r: r["urging"]["running"]))
        rows.append(row("heaviest run: notices", lambda r: heaviest(r)["notices"]))
        rows.append(row("  digests", lambda r: heaviest(r)["digests"]))
        rows.append(row("  seconds (incl. commit)", lambda r: heaviest(r)["seconds"]))
        rows.append(row("  µs per notice", lambda r: heaviest(r)["us_per_notice"]))
        rows.append(row("  seal of its audit events, s", lambda r: heaviest(r)["seal_seconds"]))
        rows.append(row("all runs: seconds / notices", lambda r: f"{sum(x['seconds'] for x in r['urging']['runs']):.1f} / "
                        f"{sum(x['notices'] for x in r['urging']['runs']):,}"))  # fmt: skip
    if "email" in any_r:
        rows.append(row("emails/s through the outbox", lambda r: r["email"]["emails_per_s"]))
        rows.append(row("  ms per email", lambda r: r["email"]["ms_per_email"]))
        rows.append(row("  raw smtplib emails/s", lambda r: r["email"]["raw_emails_per_s"]))
        rows.append(row("  x raw", lambda r: r["email"]["x_raw"]))
    emit(table("Summary", ["figure", *kinds], rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 5,000 timers, a 10-commune province, 200 emails")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--timers", type=int, help="due timers N (default 20,000; 5,000 with --quick)")
    parser.add_argument("--deadlines", type=int, help="due deadlines for --only deadlines (default 100,000; 20,000 with --quick)")
    parser.add_argument("--procs", help="worker process counts, comma-separated, 0 for none (default 4; 1,4 with --quick)")
    parser.add_argument("--mail", type=int, help="emails M (default 2,000; 200 with --quick)")
    parser.add_argument("--mail-limit", type=int, default=100, help="deliver_due batch (default 100, the worker's)")
    parser.add_argument("--only", default="timers,urging,email", help="which parts, comma-separated (default all)")
    parser.add_argument("--profile", action="store_true", help="cProfile extra passes of each part")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    args.timers = args.timers or (5_000 if args.quick else 20_000)
    args.deadlines = args.deadlines or (20_000 if args.quick else 100_000)
    args.mail = args.mail or (200 if args.quick else 2_000)
    args.procs = [int(p) for p in (args.procs or ("1,4" if args.quick else "4")).split(",") if int(p) > 0]
    args.only = set(args.only.split(","))
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    begun = time.perf_counter()
    emit(f"giaoviec worker benchmark ({'quick' if args.quick else 'full'}), {os.cpu_count()} CPUs, Python {platform.python_version()}, "
         f"load average {os.getloadavg()[0]:.2f} at start; sweep batch {worker_module.TIMER_BATCH} x {worker_module.MAX_TIMER_BATCHES}")  # fmt: skip
    return run_on_databases(kinds, args, "giaoviec-worker-bench-", run, report, summary, begun)


if __name__ == "__main__":
    raise SystemExit(main())
