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
    start_instances,
)
from engine.models import WorkerHeartbeat
from giaoviec.worker import Worker
from tests.engine.bpmn_samples import timer_then_task
from tests.fixtures.smtp import SENDER, Server
from tests.test_cli import GIAOVIEC, ROOT, run
from workflows.notify import SmtpConfig, SmtpTransport
from workflows.roles import role_catalog


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
        env.update(GIAOVIEC_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}?timeout=5", GIAOVIEC_MAIL_FROM=SENDER)
    return subprocess.Popen([GIAOVIEC, "worker", "--poll", "0.05", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def _wait(condition, timeout: float, what: str) -> None:
    """A bounded poll of the database for another process's progress (no timing assumption)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_one_sweep_at_an_instant_then_nothing_new(db_url, pe, clock):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, timer_then_task(duration="PT1H"))
        start_instances(uow, "t", [ChildSpec(unit_code=f"U{i}") for i in range(3)], data={})
    instant = (clock.now() + timedelta(hours=2)).isoformat()
    first = json.loads(run(db_url, "worker", "--once", "--now", instant, "--json").stdout)
    assert (first["timers_fired"], first["timer_failures"]) == (3, 0)
    again = json.loads(run(db_url, "worker", "--once", "--now", instant, "--json").stdout)
    assert again == dict.fromkeys(again, 0)
    assert _count(pe, HumanTask, HumanTask.element_id == "after") == 3
    refused = run(db_url, "worker", "--now", instant, check=False)
    assert refused.returncode != 0 and "--once" in refused.stderr and "Traceback" not in refused.stderr
    bad = run(db_url, "worker", "--once", "--now", "2026-13-01", check=False)
    assert bad.returncode == 1 and "ISO" in bad.stderr and "Traceback" not in bad.stderr


def test_sigterm_stops_after_the_sweep_and_says_so(db_url, pe):
    proc = _spawn(db_url)
    try:
        _wait(lambda: _count(pe, WorkerHeartbeat, WorkerHeartbeat.sweeps >= 2) == 1, 60, "two sweeps")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
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
                    _wait(lambda p=proc, b=before: p.poll() is not None or _progress(pe) > b, 60, "the worker to start")
                time.sleep(rng.uniform(0, 0.25))
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
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
    try:
        _wait(lambda: _count(pe, Timer, Timer.status == "waiting") == 0, 600, "every timer to fire")
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            assert proc.wait(timeout=60) == 0
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
        monkeypatch.setenv("GIAOVIEC_SMTP_URL", f"smtp://127.0.0.1:{server.port}?timeout=5")
        monkeypatch.setenv("GIAOVIEC_MAIL_FROM", SENDER)
        report = json.loads(run(db_url, "worker", "--once", "--now", clock.now().isoformat(), "--json").stdout)
    finally:
        server.stop()
    assert (report["sent"], report["failed"]) == (1, 1)
    [failure] = json.loads(run(db_url, "mail-failures", "--json").stdout)
    assert failure["recipient"] == "sai-dia-chi@demo.giaoviec.vn" and "550" in failure["error"]
    assert "Tổng: 1 thư không gửi được" in run(db_url, "mail-failures").stdout
    assert [m["To"] for m in server.mailbox.received] == ["dung@demo.giaoviec.vn"]


def test_a_timer_fires_within_5_s_of_its_due_time_at_the_default_poll(db_url, pe):
    due = datetime.now(UTC) + timedelta(seconds=8)  # the worker has started (and polls) before it is due
    _due_timers(pe, 1, ago=timedelta(hours=1) - (due - datetime.now(UTC)))
    env = {**os.environ, "GIAOVIEC_DATABASE_URL": db_url}
    proc = subprocess.Popen([GIAOVIEC, "worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _count(pe, Timer, Timer.status == "fired") == 1, 60, "the timer to fire")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    with pe.read() as s:
        [timer] = s.scalars(select(Timer)).all()
    late = (timer.fired_at - timer.due_at).total_seconds()
    print(f"\ntimer fired {late:.2f} s after its due time ({db_url.split(':')[0]})")
    assert 0 <= late <= 5
