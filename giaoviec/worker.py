"""The worker: each sweep fires due timers, opens due periods, marks overdue work, runs the day's
urging, delivers the outbox, publishes the audit chain's head, records a heartbeat, and seals the
audit events committed since the last sweep (commands never seal them on the request path). On
SQLite it also checkpoints the WAL into the database file, which commits then never do.
APScheduler drives the loop.

Safety without coordination between workers:
* Timers: ``engine.fire_due_timers`` claims instances with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL)
  or under SQLite's single writer; the row lock is the lease, held by the step's transaction. A
  worker that stalls or dies loses its connection, its transaction rolls back and the timer is
  still due. The fence is the instance's ``version``: a step computed from version v commits
  only if the row is still at v (``ConflictError`` otherwise), so a stale step never applies.
* Outbox: claimed with an explicit lease (``engine.outbox``); a message sent by a worker that died
  before recording it is resent after the lease with the same Message-ID (an exact resend).
* Urging runs at most once per province and local day (``escalation_run``), so a second sweep at
  the same instant sends nothing new.
Nothing is sent from inside a database transaction.

One failure stops nothing else: a timer step that fails becomes an incident on its instance and
the sweep goes on (``engine.timer_sweep``); a phase that fails (timers, periods, overdue,
urging, outbox, heartbeat) is logged, counted in the report and named in the heartbeat's
``last_error``, and the next phases still run.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from engine import (
    ProcessEngine,
    Transport,
    WorkerHeartbeat,
    default_anchor_path,
    deliver_due,
    fire_due_timers,
    publish_head,
)
from workflows.cascade.dispatch import open_due_periods
from workflows.escalation.run import run_escalations
from workflows.notify.anchor import queue_anchor_mail
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.follow import mark_overdue

log = logging.getLogger(__name__)

TIMER_BATCH = 100  # instances per transaction: short locks, steady progress
MAX_TIMER_BATCHES = 200  # one sweep never runs forever; the next one continues
SIGNAL_CHECK_SECONDS = 0.1  # how soon the main thread sees SIGTERM/SIGINT (the handler only notes it)


@dataclass
class SweepReport:
    timers_fired: int = 0
    timer_failures: int = 0
    periods_opened: int = 0
    instances_created: int = 0
    marked_overdue: int = 0
    notices: int = 0
    digests: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    anchors: int = 0
    anchor_mails: int = 0
    sealed: int = 0  # audit events chained by this sweep (commands never seal: the worker does)
    checkpointed: int = 0  # SQLite WAL frames copied into the database file (commits never do)
    phase_failures: int = 0  # phases of this sweep that failed (the others still ran)
    errors: list[str] = field(default_factory=list)  # one line per failed phase

    def as_json(self) -> dict[str, int]:
        """The counts (the errors go to the log and to the heartbeat's ``last_error``)."""
        counts = asdict(self)
        del counts["errors"]
        return counts


Phase = Callable[[datetime, SweepReport], None]


class Worker:
    def __init__(self, pe: ProcessEngine, *, transport: Callable[[], Transport] | None = None, worker_id: str | None = None,
                 base_url: str = "http://localhost:5000", anchor_path: Path | None = None) -> None:  # fmt: skip
        self.pe = pe
        self.transport = transport
        self.base_url = base_url
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = pe.clock.now()
        self.anchor_path = anchor_path or default_anchor_path()
        self._anchor_mailed: date | None = None

    def _phases(self) -> list[tuple[str, Phase]]:
        """The parts of a sweep, in order; each runs in its own transaction(s)."""
        parts: list[tuple[str, Phase]] = [
            ("timers", self._fire_timers), ("periods", self._open_periods),
            ("overdue", self._mark_overdue), ("urging", self._urge),
        ]  # fmt: skip
        if self.transport is not None:
            parts.append(("outbox", self._deliver))
        parts += [("audit", self._seal_audit), ("anchor", self._publish_audit_anchor), ("checkpoint", self._checkpoint)]
        return parts

    def sweep(self, now: datetime | None = None) -> SweepReport:
        """One pass as of ``now`` (default: the clock). A phase that fails is logged, counted and
        named in the heartbeat's ``last_error``; the phases after it still run (one broken part,
        e.g. a mail server or a bug in the urging, never stops timers, periods or overdue marks)."""
        now = now or self.pe.clock.now()
        report = SweepReport()
        for name, phase in self._phases():
            self._isolated(name, phase, now, report)
        self._isolated("heartbeat", self._beat, now, report)
        return report

    @staticmethod
    def _isolated(name: str, phase: Phase, now: datetime, report: SweepReport) -> None:
        try:
            phase(now, report)
        except Exception as exc:  # noqa: BLE001 — one phase's failure never stops the others
            report.phase_failures += 1
            report.errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
            log.error("sweep phase %s failed: %s: %s", name, type(exc).__name__, str(exc)[:300])
            log.debug("sweep phase %s failed", name, exc_info=True)

    def _fire_timers(self, now: datetime, report: SweepReport) -> None:
        for _ in range(MAX_TIMER_BATCHES):
            result = fire_due_timers(self.pe, now, TIMER_BATCH, actor="worker")
            report.timers_fired += result.fired
            report.timer_failures += result.failed
            if result.instances + result.failed < TIMER_BATCH:
                break

    def _open_periods(self, now: datetime, report: SweepReport) -> None:
        with self.pe.unit_of_work("worker", now=now) as uow:
            opened = open_due_periods(uow, now)
        report.periods_opened, report.instances_created = opened.opened, opened.created

    def _mark_overdue(self, now: datetime, report: SweepReport) -> None:
        with self.pe.unit_of_work("worker", now=now) as uow:
            report.marked_overdue = mark_overdue(uow, now)

    def _urge(self, now: datetime, report: SweepReport) -> None:
        with self.pe.unit_of_work("worker", now=now) as uow:
            urged = run_escalations(uow, now, base_url=self.base_url)
        report.notices, report.digests = urged.notices, urged.digests

    def _seal_audit(self, now: datetime, report: SweepReport) -> None:
        """Chain every event committed so far: commands leave sealing to the worker, off the
        request path (docs/engine.md, audit trail)."""
        report.sealed += self.pe.seal_all()

    def _publish_audit_anchor(self, now: datetime, report: SweepReport) -> None:
        """Append the audit chain's head to the anchor file when it moved, and mail it to the
        inspectors once a day (engine.audit_anchor). Real time, not the sweep's ``now``."""
        published = publish_head(self.pe, self.anchor_path)
        report.anchors = int(published.written)
        head = published.head
        day = head.published_at.astimezone(LOCAL_TZ).date() if head else None
        if head is None or self._anchor_mailed == day:
            return
        with self.pe.unit_of_work("worker", now=head.published_at) as uow:
            report.anchor_mails = queue_anchor_mail(uow, head)
        self._anchor_mailed = day

    def _checkpoint(self, now: datetime, report: SweepReport) -> None:
        """SQLite: the WAL into the database file, off the request path (``ProcessEngine.checkpoint``)."""
        report.checkpointed = self.pe.checkpoint()

    def run_once(self, now: datetime | None = None) -> SweepReport:
        """One sweep (cron, a trial run), after which the heartbeat says "stopped"."""
        try:
            return self.sweep(now)
        finally:
            self.heartbeat(now or self.pe.clock.now(), "stopped")

    def _beat(self, now: datetime, report: SweepReport) -> None:
        self.heartbeat(now, "running", error="; ".join(report.errors)[:2000] or None)

    def _deliver(self, now: datetime, report: SweepReport) -> None:
        assert self.transport is not None
        delivered = deliver_due(self.pe, self.transport(), now)
        report.sent, report.retried, report.failed = delivered.sent, delivered.retried, delivered.failed

    def heartbeat(self, now: datetime, status: str, error: str | None = None) -> None:
        """Upsert this worker's row; a failure here never stops the worker."""
        try:
            with self.pe.write_session() as session, session.begin():
                row = session.get(WorkerHeartbeat, self.worker_id)
                if row is None:
                    session.add(WorkerHeartbeat(worker_id=self.worker_id, host=socket.gethostname(), pid=os.getpid(),
                                                started_at=self.started_at, last_seen=now, sweeps=1, status=status, last_error=error))  # fmt: skip
                else:
                    session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == self.worker_id).values(
                        last_seen=now, sweeps=WorkerHeartbeat.sweeps + int(status == "running"), status=status, last_error=error))  # fmt: skip
        except SQLAlchemyError as exc:
            log.warning("heartbeat not recorded: %s", exc)

    def run_forever(self, poll_seconds: float = 2.0) -> None:
        """Sweep every ``poll_seconds`` until SIGTERM/SIGINT; the sweep in progress finishes first.

        The signal handler only notes the signal; the main thread, which does nothing else, sees
        it and stops the scheduler. Stopping inside the handler (as before) ran in the middle of
        whatever the main thread was doing: if that was logging, the handler held the log's lock
        while it waited for the sweep, and the sweep's next log line waited for the lock for ever
        (a worker that never exited after SIGTERM, seen under load in the four-worker test)."""
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        scheduler.add_job(self._safe_sweep, "interval", seconds=poll_seconds, next_run_time=self.pe.clock.now())
        received: list[int] = []

        def note(signum: int, frame: Any) -> None:
            received.append(signum)  # no lock, no I/O: see above

        signal.signal(signal.SIGTERM, note)
        signal.signal(signal.SIGINT, note)
        scheduler.start()
        while not received:
            time.sleep(SIGNAL_CHECK_SECONDS)
        log.info("signal %s: stopping after the current sweep", received[0])
        scheduler.shutdown(wait=True)  # the sweep in progress ends before "stopped" is written
        self.heartbeat(self.pe.clock.now(), "stopped")

    def _safe_sweep(self) -> None:
        try:
            self.sweep()
        except Exception as exc:  # noqa: BLE001 — a failed sweep is logged and retried at the next tick
            log.exception("sweep failed")
            self.heartbeat(self.pe.clock.now(), "running", error=f"{type(exc).__name__}: {exc}"[:2000])
