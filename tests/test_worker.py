"""``giaoviec worker``: one sweep at an instant, a graceful stop, kill -9 at random points of
sweeps (nothing lost, nothing applied twice, every email delivered), and four workers on
PostgreSQL over 10,000 due timers. Real processes, a real SMTP server, both databases."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine import (
    AuditEvent,
    ChildSpec,
    FrozenClock,
    HumanTask,
    OutboxMessage,
    ProcessEngine,
    Timer,
    add_outbox_message,
    deploy,
    read_anchors,
    start_instances,
)
from engine.audit_anchor import anchor_line
from engine.db import SQLITE_WAL_AUTOCHECKPOINT_PAGES
from engine.models import WorkerHeartbeat
from giaoviec.worker import Worker
from tests.engine.bpmn_samples import timer_then_task
from tests.fixtures.smtp import SENDER, Server
from tests.test_cli import GIAOVIEC, ROOT, run
from tests.work import HANG_GUARD
from workflows.notify import SmtpConfig, SmtpTransport
from workflows.org.demo import DemoShape, build_demo_province
from workflows.roles import role_catalog

SMTP_TIMEOUT = 60  # seconds: a local test server answering slowly on a loaded machine is not the failure tested here


def _due_timers(pe: ProcessEngine, n: int, *, ago: timedelta = timedelta(hours=2)) -> None:
    """``n`` instances waiting on a one-hour timer that started ``ago`` (by the wall clock)."""
    started = datetime.now(UTC) - ago
    starter = ProcessEngine(pe.db, clock=FrozenClock(started), roles=role_catalog())
    with starter.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task(duration="PT1H"))
    for first in range(0, n, 5_000):
        with starter.unit_of_work("tester") as uow:
            start_instances(uow, "t", [ChildSpec(unit_code=f"U{i}", business_key=f"k{i}") for i in range(first, min(n, first + 5_000))], data={})


def _mail(pe: ProcessEngine, n: int) -> list:
    with pe.unit_of_work("tester") as uow:
        return [add_outbox_message(uow, "email", {"subject": f"Đôn đốc việc số {i} — hạn 15/07/2026", "text": f"Kính gửi đơn vị,\nviệc số {i} sắp đến hạn."},
                                   recipient=f"don-vi-{i}@demo.giaoviec.vn").id for i in range(n)]  # fmt: skip


def _count(pe, model, *where) -> int:
    with pe.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _progress(pe) -> int:
    return _count(pe, Timer, Timer.status == "fired") + _count(pe, OutboxMessage, OutboxMessage.attempts > 0)


def _spawn(db_url: str, smtp_port: int | None = None, *args: str) -> subprocess.Popen:
    env = {**os.environ, "GIAOVIEC_DATABASE_URL": db_url}
    if smtp_port is not None:
        env.update(GIAOVIEC_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}?timeout={SMTP_TIMEOUT}", GIAOVIEC_MAIL_FROM=SENDER)
    return subprocess.Popen([GIAOVIEC, "worker", "--poll", "0.05", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def _wait(condition, what: str, progress=None) -> None:
    """Poll the database until ``condition()``. Slow is not hung: the guard only fails a wait in
    which ``progress()`` (when given) has not changed for ``HANG_GUARD`` seconds."""
    seen = progress() if progress else None
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        if progress is not None and (now := progress()) != seen:
            seen, deadline = now, time.monotonic() + HANG_GUARD
        if time.monotonic() > deadline:
            raise AssertionError(f"no progress in {HANG_GUARD:.0f} s waiting for {what}")
        time.sleep(0.02)


def test_one_sweep_at_an_instant_then_nothing_new(db_url, pe, clock):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task(duration="PT1H"))
        start_instances(uow, "t", [ChildSpec(unit_code=f"U{i}") for i in range(3)], data={})
    instant = (clock.now() + timedelta(hours=2)).isoformat()
    first = json.loads(run(db_url, "worker", "--once", "--now", instant, "--json").stdout)
    assert (first["timers_fired"], first["timer_failures"]) == (3, 0)
    again = json.loads(run(db_url, "worker", "--once", "--now", instant, "--json").stdout)
    again.pop("checkpointed")  # SQLite: the first sweep's own heartbeat, copied from the WAL
    assert again == dict.fromkeys(again, 0)
    assert _count(pe, HumanTask, HumanTask.element_id == "after") == 3
    refused = run(db_url, "worker", "--now", instant, check=False)
    assert refused.returncode != 0 and "--once" in refused.stderr and "Traceback" not in refused.stderr
    bad = run(db_url, "worker", "--once", "--now", "2026-13-01", check=False)
    assert bad.returncode == 1 and "ISO" in bad.stderr and "Traceback" not in bad.stderr


def test_the_worker_checkpoints_sqlite_and_commits_never_do(db_url, pe, clock):
    """A commit never copies the WAL into the database file (an fsync, 5-9 ms on the request path
    every ~50 completions at SQLite's default): the worker's sweep does, off the request path."""
    with pe.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task(duration="PT1H"))
        start_instances(uow, "t", [ChildSpec(unit_code=f"U{i}") for i in range(50)], data={})
    report = Worker(pe, worker_id="w1").sweep(clock.now())
    if pe.db.url.get_backend_name() != "sqlite":
        assert report.checkpointed == 0 and report.phase_failures == 0  # PostgreSQL checkpoints on its own
        return
    assert report.checkpointed > 0 and report.phase_failures == 0
    with pe.read() as s:
        assert s.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == SQLITE_WAL_AUTOCHECKPOINT_PAGES
    assert Worker(pe, worker_id="w1").sweep(clock.now()).checkpointed <= 10  # only what the last sweep wrote after


def test_once_marks_its_heartbeat_stopped(db_url, pe):
    run(db_url, "worker", "--once")
    with pe.read() as s:
        [beat] = s.scalars(select(WorkerHeartbeat)).all()
    assert (beat.status, beat.sweeps, beat.last_error) == ("stopped", 1, None)


def test_a_sweep_publishes_the_audit_head_that_verify_checks(db_url, pe, anchor_file):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task())
    first = json.loads(run(db_url, "worker", "--once", "--json").stdout)
    again = json.loads(run(db_url, "worker", "--once", "--json").stdout)
    assert (first["anchors"], again["anchors"]) == (1, 0)  # the head has not moved since
    [(_, anchor)] = read_anchors(anchor_file)
    verified = run(db_url, "audit", "verify", "--anchor", str(anchor_file)).stdout
    assert verified == f"OK {anchor.seq} events, head #{anchor.seq} {anchor.hash}, 1 anchors\n"


def test_inspectors_get_the_audit_head_once_a_day(pe, clock, anchor_file):
    with pe.unit_of_work("tester") as uow:
        build_demo_province(uow, DemoShape(communes=0, upper_secondary=0, multi_level=0, centres=0))
    worker = Worker(pe)
    first = worker.sweep()
    assert (first.anchors, first.anchor_mails) == (1, 1)
    clock.advance(timedelta(hours=2))
    assert (worker.sweep().anchor_mails, Worker(pe).sweep().anchor_mails) == (0, 0)  # one a day, whichever worker
    clock.advance(timedelta(days=1))
    assert worker.sweep().anchor_mails == 1
    with pe.read() as s:
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "audit_anchor").order_by(OutboxMessage.created_at)).all()
    assert [(m.recipient, m.dedupe_key) for m in mails] == [
        ("hp_ttra_tt@demo.giaoviec.vn", "audit-anchor:hp_ttra_tt:2026-03-02"), ("hp_ttra_tt@demo.giaoviec.vn", "audit-anchor:hp_ttra_tt:2026-03-03")]
    lines = [(origin, anchor) for origin, anchor in read_anchors(anchor_file)]
    assert anchor_line(lines[0][1]) in mails[0].payload["text"]  # the line the inspector can check with
    assert mails[0].payload["subject"] == "[Giao việc] Mốc neo nhật ký kiểm toán ngày 02/03/2026"


def test_sigterm_stops_after_the_sweep_and_says_so(db_url, pe):
    proc = _spawn(db_url)
    try:
        _wait(lambda: _count(pe, WorkerHeartbeat, WorkerHeartbeat.sweeps >= 2) == 1, "two sweeps")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=HANG_GUARD) == 0
    finally:
        proc.kill()
        proc.wait()
    with pe.read() as s:
        [beat] = s.scalars(select(WorkerHeartbeat)).all()
    assert beat.status == "stopped" and beat.pid == proc.pid and beat.last_error is None


@pytest.mark.slow
def test_kill_9_at_random_points_loses_nothing_and_applies_nothing_twice(db_url, pe):
    n_timers, n_mail, kills = 1_500, 60, 50
    _due_timers(pe, n_timers)
    mail = _mail(pe, n_mail)
    server = Server()
    server.start()
    rng = random.Random(20261124)
    try:
        for _ in range(kills):
            before = _progress(pe)
            proc = _spawn(db_url, server.port)
            try:
                if before < n_timers + n_mail:  # kill mid-sweep: once this worker has committed some work
                    _wait(lambda p=proc, b=before: p.poll() is not None or _progress(pe) > b, "the worker to start")
                time.sleep(rng.uniform(0, 0.25))
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=HANG_GUARD)
        finisher = Worker(ProcessEngine(pe.db, clock=pe.clock.__class__(datetime.now(UTC)), roles=role_catalog()),
                          transport=lambda: SmtpTransport(SmtpConfig.from_url(f"smtp://127.0.0.1:{server.port}", SENDER)))  # fmt: skip
        later = datetime.now(UTC) + timedelta(minutes=10)  # past every outbox lease of a killed worker
        finisher.sweep(later)
        finisher.sweep(later)
    finally:
        server.stop()

    with pe.read() as s:
        fired = Counter(e.data["timer"] for e in s.scalars(select(AuditEvent).where(AuditEvent.event == "timer_fired")))
        afters = Counter(t.instance_id for t in s.scalars(select(HumanTask).where(HumanTask.element_id == "after")))
        statuses = Counter(m.status for m in s.scalars(select(OutboxMessage)))
    assert len(fired) == n_timers and set(fired.values()) == {1}  # no timer lost, none fired twice
    assert len(afters) == n_timers and set(afters.values()) == {1}  # no step applied twice
    assert statuses == {"sent": n_mail}
    received = server.mailbox.message_ids()
    assert len(received) == n_mail  # every email delivered
    by_id: dict[str, set] = {}
    for message in server.mailbox.received:
        by_id.setdefault(message["Message-ID"], set()).add((message["Subject"], message.get_body(("plain",)).get_content()))
    assert all(len(v) == 1 for v in by_id.values())  # a duplicate is only ever an exact resend
    duplicates = sum(received.values()) - len(received)
    print(f"\nkill -9 x{kills} ({db_url.split(':')[0]}): {n_timers} timers fired once each; "
          f"{n_mail} emails delivered, {duplicates} exact resends (same Message-ID)")
    assert {str(m) for m in mail} == {k.strip("<>").split("@")[0] for k in received}


@pytest.mark.slow
@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_four_workers_on_postgresql_fire_10000_timers_exactly_once(db_url, pe):
    n = 10_000
    _due_timers(pe, n)
    workers = [_spawn(db_url) for _ in range(4)]

    def waiting() -> int:
        return _count(pe, Timer, Timer.status == "waiting")

    try:
        _wait(lambda: waiting() == 0, "every timer to fire", progress=waiting)
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            assert proc.wait(timeout=HANG_GUARD) == 0
    with pe.read() as s:
        fired = Counter(e.data["timer"] for e in s.scalars(select(AuditEvent).where(AuditEvent.event == "timer_fired")))
        beats = s.scalars(select(WorkerHeartbeat)).all()
    assert len(fired) == n and set(fired.values()) == {1}
    assert _count(pe, HumanTask, HumanTask.element_id == "after") == n
    assert len(beats) == 4 and {b.status for b in beats} == {"stopped"}


def test_a_refused_address_is_a_permanent_failure_shown_to_admins(db_url, pe, clock, monkeypatch):
    server = Server()
    server.mailbox.refuse["sai-dia-chi@demo.giaoviec.vn"] = "550 5.1.1 Không có hộp thư này"
    server.start()
    try:
        with pe.unit_of_work("tester") as uow:
            add_outbox_message(uow, "email", {"subject": "Đôn đốc: báo cáo quý I", "text": "Kính gửi thầy/cô"}, recipient="sai-dia-chi@demo.giaoviec.vn")
            add_outbox_message(uow, "email", {"subject": "Đôn đốc: báo cáo quý I", "text": "Kính gửi thầy/cô"}, recipient="dung@demo.giaoviec.vn")
        monkeypatch.setenv("GIAOVIEC_SMTP_URL", f"smtp://127.0.0.1:{server.port}?timeout={SMTP_TIMEOUT}")
        monkeypatch.setenv("GIAOVIEC_MAIL_FROM", SENDER)
        report = json.loads(run(db_url, "worker", "--once", "--now", clock.now().isoformat(), "--json").stdout)
    finally:
        server.stop()
    assert (report["sent"], report["failed"]) == (1, 1)
    [failure] = json.loads(run(db_url, "mail-failures", "--json").stdout)
    assert failure["recipient"] == "sai-dia-chi@demo.giaoviec.vn" and "550" in failure["error"]
    assert "Tổng: 1 thư không gửi được" in run(db_url, "mail-failures").stdout
    assert [m["To"] for m in server.mailbox.received] == ["dung@demo.giaoviec.vn"]


def test_a_timer_fires_in_the_first_sweep_after_its_due_time(db_url, pe):
    due = datetime.now(UTC) + timedelta(seconds=8)  # the worker has started (and polls) before it is due
    _due_timers(pe, 1, ago=timedelta(hours=1) - (due - datetime.now(UTC)))
    env = {**os.environ, "GIAOVIEC_DATABASE_URL": db_url}
    proc = subprocess.Popen([GIAOVIEC, "worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def fired() -> bool:
        # A sweep records its heartbeat (with the instant it swept at) after firing what was due
        # then; read the heartbeat first, so a sweep seen is a sweep whose firing is seen too.
        with pe.read() as s:
            swept_at = s.scalar(select(func.max(WorkerHeartbeat.last_seen)))
            [timer] = s.scalars(select(Timer)).all()
        assert swept_at is None or swept_at < timer.due_at or timer.status == "fired", "a sweep after the due time missed it"
        return timer.status == "fired"

    try:
        _wait(fired, "the timer to fire")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=HANG_GUARD)
    with pe.read() as s:
        [timer] = s.scalars(select(Timer)).all()
    assert timer.fired_at >= timer.due_at  # never early; how late is a latency, measured in bench/


# --- one failure stops nothing else -------------------------------------------------------------

PHASES = {"timers": "fire_due_timers", "periods": "open_due_periods", "overdue": "mark_overdue",
          "urging": "run_escalations", "outbox": "deliver_due"}  # fmt: skip


@pytest.mark.parametrize("failing", list(PHASES))
def test_a_failing_phase_is_logged_counted_and_the_others_still_run(pe, clock, monkeypatch, caplog, failing):
    import giaoviec.worker as worker_module

    ran: list[str] = []
    for phase, name in PHASES.items():
        real = getattr(worker_module, name)

        def spy(*args, _phase=phase, _real=real, **kwargs):
            ran.append(_phase)
            if _phase == failing:
                raise RuntimeError(f"hỏng {_phase}")
            return _real(*args, **kwargs)

        monkeypatch.setattr(worker_module, name, spy)
    worker = Worker(pe, transport=lambda: object(), worker_id="w1")
    report = worker.sweep(clock.now())
    assert ran == list(PHASES)  # every phase ran, the failing one included, in order
    assert report.phase_failures == 1 and report.errors == [f"{failing}: RuntimeError: hỏng {failing}"]
    assert f"sweep phase {failing} failed" in caplog.text
    with pe.read() as s:
        beat = s.get(WorkerHeartbeat, "w1")
    assert beat.status == "running" and beat.last_error == f"{failing}: RuntimeError: hỏng {failing}"
    monkeypatch.undo()
    assert worker.sweep(clock.now()).phase_failures == 0
    with pe.read() as s:
        assert s.get(WorkerHeartbeat, "w1").last_error is None


def test_an_unreadable_instance_does_not_stop_the_sweep(pe, clock):
    """The issue's case: one instance whose state cannot be loaded stopped every timer."""
    from tests.engine.test_availability import _store_nested_data, _three_waiting

    good, bad, also_good = _three_waiting(pe)
    _store_nested_data(pe, bad)
    report = Worker(pe, worker_id="w1").sweep(clock.now() + timedelta(hours=2))
    assert (report.timers_fired, report.timer_failures, report.phase_failures) == (2, 1, 0)
    assert _count(pe, HumanTask, HumanTask.element_id == "after") == 2
