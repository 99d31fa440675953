"""Outbox delivery: claimed under a lease, sent outside any transaction, each outcome recorded once.

A scripted in-memory transport stands in for SMTP here (tests/workflows/test_notify_smtp.py
runs the same paths against a real SMTP server).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from engine import AuditEvent, OutboxMessage, add_outbox_message
from engine.outbox import (
    Backoff,
    Claimed,
    DeliveryResult,
    PermanentDeliveryError,
    TransientDeliveryError,
    TransportUnavailable,
    claim_due,
    deliver_due,
    failed_messages,
)

LEASE = timedelta(minutes=5)


class Scripted:
    """Records every send; raises what ``script`` says for a recipient (once per entry)."""

    def __init__(self, **script: list[BaseException | None]) -> None:
        self.sent: list[Claimed] = []
        self.script = script
        self.during_send = None

    def send(self, message: Claimed) -> None:
        if self.during_send is not None:
            self.during_send(message)
        outcomes = self.script.get((message.recipient or "").split("@")[0], [])
        error = outcomes.pop(0) if outcomes else None
        if error is not None:
            raise error
        self.sent.append(message)


def queue(pe, *recipients, **payload):
    """One message per recipient, each a millisecond older than the next, so claims go in order."""
    ids = []
    for age, r in enumerate(reversed(recipients), 1):
        with pe.unit_of_work("test", now=pe.clock.now() - timedelta(milliseconds=age)) as uow:
            message = add_outbox_message(
                uow, "email", {"subject": "s", "text": "t", **payload}, recipient=f"{r}@x.vn"
            )
        ids.append(message.id)
    return ids[::-1]


def row(pe, message_id):
    with pe.read() as s:
        return s.get(OutboxMessage, message_id)


def events(pe, *names):
    with pe.read() as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.event.in_(names)).order_by(AuditEvent.id)
        ).all()
    return [(e.event, e.subject, e.actor, e.data.get("attempts")) for e in rows]


def test_claim_counts_the_attempt_moves_the_lease_and_returns_plain_data(pe, clock):
    first, second, third = queue(pe, "a", "b", "c")
    claimed = claim_due(pe, clock.now(), limit=2, lease=LEASE)
    assert [c.id for c in claimed] == [first, second]  # the longest due first, at most ``limit``
    assert claimed[0].payload == {"subject": "s", "text": "t"}
    assert (claimed[0].attempts, claimed[0].recipient, claimed[0].claimed_at) == (
        1,
        "a@x.vn",
        clock.now(),
    )
    assert isinstance(claimed[0].payload, dict) and claimed[0].kind == "email"
    stored = row(pe, first)
    assert (stored.status, stored.attempts, stored.next_attempt_at) == (
        "pending",
        1,
        clock.now() + LEASE,
    )
    assert [c.id for c in claim_due(pe, clock.now(), limit=10, lease=LEASE)] == [third]


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [(1, timedelta(minutes=1)), (2, timedelta(minutes=2)), (5, timedelta(minutes=16)),
     (9, timedelta(minutes=256)), (10, timedelta(hours=6)), (10_000, timedelta(hours=6))],
)  # fmt: skip
def test_backoff_doubles_from_one_minute_up_to_six_hours(attempts, delay):
    assert Backoff().delay(attempts) == delay


def test_sent_once_at_an_instant_and_audited(pe, clock):
    [message_id] = queue(pe, "a")
    transport = Scripted()
    assert deliver_due(pe, transport) == DeliveryResult(sent=1, retried=0, failed=0)
    assert deliver_due(pe, transport) == DeliveryResult(0, 0, 0)  # same instant: nothing new
    assert deliver_due(pe, transport, clock.advance(timedelta(days=1))) == DeliveryResult(0, 0, 0)
    stored = row(pe, message_id)
    assert (stored.status, stored.sent_at, stored.attempts, stored.last_error) == (
        "sent",
        clock.now() - timedelta(days=1),
        1,
        None,
    )
    assert len(transport.sent) == 1
    assert events(pe, "outbox_sent") == [("outbox_sent", f"outbox:{message_id}", "worker", 1)]


def test_transient_errors_back_off_then_fail_after_the_last_attempt(pe, clock):
    [message_id] = queue(pe, "busy")
    backoff = Backoff(max_attempts=3)
    transport = Scripted(busy=[TransientDeliveryError("451 try later")] * 3)
    assert deliver_due(pe, transport, backoff=backoff).retried == 1
    assert row(pe, message_id).next_attempt_at == clock.now() + timedelta(minutes=1)
    assert deliver_due(
        pe, transport, clock.advance(timedelta(seconds=59)), backoff=backoff
    ) == DeliveryResult(0, 0, 0)
    assert (
        deliver_due(pe, transport, clock.advance(timedelta(seconds=1)), backoff=backoff).retried
        == 1
    )
    assert row(pe, message_id).next_attempt_at == clock.now() + timedelta(minutes=2)
    assert (
        deliver_due(pe, transport, clock.advance(timedelta(minutes=2)), backoff=backoff).failed == 1
    )
    stored = row(pe, message_id)
    assert (stored.status, stored.attempts) == ("failed", 3)
    assert stored.last_error == "TransientDeliveryError: 451 try later"
    assert [e[0] for e in events(pe, "outbox_deferred", "outbox_failed")] == [
        "outbox_deferred"
    ] * 2 + ["outbox_failed"]


def test_a_permanent_error_fails_at_once_and_is_listed_for_the_administrator(pe):
    bad, good = queue(pe, "nobody", "a")
    transport = Scripted(nobody=[PermanentDeliveryError("550 5.1.1 user unknown")])
    assert deliver_due(pe, transport) == DeliveryResult(sent=1, retried=0, failed=1)
    with pe.read() as s:
        [failed] = failed_messages(s)
    assert (failed.id, failed.status, failed.last_error) == (
        bad,
        "failed",
        "PermanentDeliveryError: 550 5.1.1 user unknown",
    )
    assert row(pe, good).status == "sent"


def test_a_transport_that_is_down_stops_the_batch_without_counting_the_others(pe, clock):
    first, second, third = queue(pe, "down", "a", "b")
    transport = Scripted(down=[TransportUnavailable("connection refused")])
    assert deliver_due(pe, transport) == DeliveryResult(sent=0, retried=1, failed=0)
    assert transport.sent == []
    retry_at = clock.now() + timedelta(minutes=1)
    assert [(row(pe, i).attempts, row(pe, i).next_attempt_at) for i in (first, second, third)] == [
        (1, retry_at), (0, retry_at), (0, retry_at)
    ]  # fmt: skip
    assert deliver_due(pe, transport, clock.advance(timedelta(minutes=1))).sent == 3


def test_an_unexpected_error_releases_the_rest_and_keeps_the_culprit_leased(pe, clock):
    culprit, other = queue(pe, "bug", "a")
    transport = Scripted(bug=[KeyError("subject")])
    with pytest.raises(KeyError):
        deliver_due(pe, transport)
    assert (row(pe, other).attempts, row(pe, other).next_attempt_at) == (0, clock.now())
    assert deliver_due(pe, transport).sent == 1  # the other goes at once
    assert row(pe, culprit).next_attempt_at == clock.now() + LEASE


def test_a_message_whose_worker_keeps_dying_is_failed_at_the_next_claim(pe, clock):
    [message_id] = queue(pe, "a")
    for _ in range(3):
        assert len(claim_due(pe, clock.now(), limit=1, lease=LEASE, max_attempts=3)) == 1
        clock.advance(LEASE)  # the worker died: no outcome recorded
    assert claim_due(pe, clock.now(), limit=1, lease=LEASE, max_attempts=3) == []
    stored = row(pe, message_id)
    assert (stored.status, stored.attempts) == ("failed", 3)
    assert "no outcome recorded after attempt 3" in stored.last_error
    assert events(pe, "outbox_failed") == [("outbox_failed", f"outbox:{message_id}", "worker", 3)]


def test_a_late_outcome_of_a_superseded_claim_changes_nothing(pe, clock):
    """Worker A's send outlives its lease; B claims the message again and sends it; A's late
    outcome must not overwrite B's. B runs inside A's send: no transaction of A is open then
    (on SQLite B could not even begin its write if one were)."""
    [message_id] = queue(pe, "a")
    b = Scripted()
    a = Scripted(a=[TransientDeliveryError("timed out")])

    def b_takes_over(_message):
        a.during_send = None
        assert deliver_due(pe, b, clock.advance(LEASE)).sent == 1

    a.during_send = b_takes_over
    assert deliver_due(pe, a, clock.now()) == DeliveryResult(
        sent=0, retried=0, failed=0, superseded=1
    )
    stored = row(pe, message_id)
    assert (stored.status, stored.attempts, stored.last_error) == ("sent", 2, None)
    assert [e[0] for e in events(pe, "outbox_sent", "outbox_deferred")] == ["outbox_sent"]


def test_a_late_send_of_a_superseded_claim_is_still_audited(pe, clock):
    [message_id] = queue(pe, "a")
    b, a = Scripted(), Scripted()

    def b_takes_over(_message):
        a.during_send = None
        deliver_due(pe, b, clock.advance(LEASE))

    a.during_send = b_takes_over
    assert deliver_due(pe, a, clock.now()).sent == 1  # both emails went out: both are on record
    with pe.read() as s:
        sent = s.scalars(
            select(AuditEvent).where(AuditEvent.event == "outbox_sent").order_by(AuditEvent.id)
        ).all()
    assert [(e.data["attempts"], e.data.get("claim_superseded")) for e in sent] == [
        (2, None),
        (1, True),
    ]
    assert row(pe, message_id).attempts == 2


def test_a_context_manager_transport_is_entered_once_per_batch(pe):
    queue(pe, "a", "b", "c")

    class Batching(Scripted):
        entered = exited = 0

        def __enter__(self):
            self.entered += 1
            return self

        def __exit__(self, *exc):
            self.exited += 1

    transport = Batching()
    assert deliver_due(pe, transport).sent == 3
    assert (transport.entered, transport.exited, len(transport.sent)) == (1, 1, 3)


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_postgresql_claims_skip_rows_another_deliverer_holds(pe, clock):
    """SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time."""
    ids = sorted(queue(pe, "a", "b", "c", "d"))
    with pe.db.connect() as other:
        other.execute(
            text("SELECT id FROM outbox_message WHERE id IN (:a, :b) FOR UPDATE"),
            {"a": ids[0], "b": ids[1]},
        )
        claimed = claim_due(pe, clock.now(), limit=10, lease=LEASE)  # does not wait for ``other``
        other.rollback()
    assert sorted(c.id for c in claimed) == ids[2:]
