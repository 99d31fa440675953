"""Two people act on one report at the same instant: exactly one wins, and nothing of the other
is applied. A pauses just before COMMIT; B runs; A resumes (as in tests/engine/test_concurrency).
On PostgreSQL B blocks behind A's row and loses on the re-checked condition (ConflictError); on
SQLite B waits for the write lock at BEGIN and then sees A's result (InvalidState)."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy import func, select

from engine import AuditEvent, ConflictError, InvalidState
from tests.engine.test_concurrency import wait_until_blocked_on_lock
from tests.work import HANG_GUARD
from tests.workflows.reports.world import HIGH_SCHOOL, instance, simple_input
from workflows.indicators.models import IndicatorFigure
from workflows.reports.inputs import FigureInput
from workflows.reports.models import Report
from workflows.reports.versions import history, new_version, set_status


def _race(pe, act):
    """``act(uow, name)`` in A (paused before COMMIT) and then in B; each one's outcome."""
    a_paused, release_a = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def pause(_uow):
        a_paused.set()
        assert release_a.wait(HANG_GUARD)

    def run(name, hook=None):
        try:
            with pe.unit_of_work(name) as uow:
                if hook:
                    uow.before_commit.append(hook)
                act(uow, name)
            outcome[name] = "won"
        except (ConflictError, InvalidState) as exc:
            outcome[name] = exc

    a = threading.Thread(target=run, args=("A", pause))
    a.start()
    assert a_paused.wait(HANG_GUARD)
    b = threading.Thread(target=run, args=("B",))
    b.start()
    if pe.db.dialect.name == "postgresql":
        wait_until_blocked_on_lock(pe)
    release_a.set()
    a.join(HANG_GUARD)
    b.join(HANG_GUARD)
    return outcome


def _expected_loss(pe):
    return ConflictError if pe.db.dialect.name == "postgresql" else InvalidState


def test_two_reviewers_at_once_one_decision(pe, world):
    target = world.instances[HIGH_SCHOOL]
    with pe.unit_of_work("thpt001_cv") as uow:
        figures = (FigureInput(None, "18", Decimal(3), Decimal(4)),)
        report = new_version(
            uow, instance(uow, target), simple_input("x", *figures), status="submitted"
        )

    def review(uow, name):
        set_status(uow, report, "approved" if name == "A" else "returned", note=f"ý kiến {name}")

    outcome = _race(pe, review)
    assert outcome["A"] == "won" and isinstance(outcome["B"], _expected_loss(pe)), outcome["B"]
    with pe.read() as s:
        stored = s.get(Report, report.id)
        decisions = s.scalar(
            select(func.count()).where(AuditEvent.event.in_(["report_approved", "report_returned"]))
        )
        figures = s.scalar(select(func.count()).select_from(IndicatorFigure))
    assert (stored.status, stored.reviewed_by, stored.review_note, decisions, figures) == (
        "approved",
        "A",
        "ý kiến A",
        1,
        1,
    )


def test_two_new_versions_at_once_one_number(pe, world):
    target = world.instances[HIGH_SCHOOL]

    def write(uow, name):
        new_version(uow, instance(uow, target), simple_input(f"bản của {name}"))

    # On SQLite B writes after A's commit and simply gets the next number: nothing is lost.
    outcome = _race(pe, write)
    assert outcome["A"] == "won"
    with pe.read() as s:
        versions = [(r.version, r.ket_qua) for r in history(s, target)]
    if pe.db.dialect.name == "postgresql":
        assert isinstance(outcome["B"], ConflictError) and versions == [(1, "bản của A")]
    else:
        assert outcome["B"] == "won" and versions == [(1, "bản của A"), (2, "bản của B")]
