"""Outbox email over a real SMTP server (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL.

Time is the frozen clock; the only waiting is for the server thread, and smtplib returns only
after the server has answered DATA, i.e. after the handler stored the message.
"""

from __future__ import annotations

import smtplib
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from engine import AuditEvent, OutboxMessage, add_outbox_message
from engine.outbox import (
    Claimed,
    DeliveryResult,
    PermanentDeliveryError,
    TransientDeliveryError,
    claim_due,
    deliver_due,
    failed_messages,
)
from tests.fixtures.smtp import SENDER, Server
from tests.work import HANG_GUARD
from workflows.notify import SmtpConfig, SmtpTransport, build_message, classify, message_id

SUBJECT = "Nhắc việc: Báo cáo quý II — hạn 15/07/2026"
TEXT = "Kính gửi Trường THPT Ngô Quyền,\n\nĐề nghị nộp báo cáo quý II trước ngày 15/07/2026.\nTrân trọng & <cảm ơn>."
LINK = "https://giaoviec.haiphong.edu.vn/tasks/42?tab=report&x=1"
BAD = "khong-ton-tai@haiphong.edu.vn"


@pytest.fixture
def server():
    s = Server()
    s.start()
    yield s
    s.stop()


@pytest.fixture
def stopped_server():
    s = Server()
    yield s
    s.stop()


def queue(pe, n=1, recipient="hieutruong@ngoquyen.edu.vn", **payload):
    with pe.unit_of_work("test") as uow:
        rows = [
            add_outbox_message(
                uow, "email", {"subject": SUBJECT, "text": TEXT, **payload}, recipient=recipient
            )
            for _ in range(n)
        ]
    return [row.id for row in rows]


def stored(pe, message_id):
    with pe.read() as s:
        return s.get(OutboxMessage, message_id)


def audit_events(pe):
    with pe.read() as s:
        return [
            e.event
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.event.like("outbox_%")).order_by(AuditEvent.id)
            )
        ]


# --- delivery through the server ------------------------------------------------------------


def test_a_vietnamese_reminder_arrives_intact(pe, clock, server):
    [outbox_id] = queue(pe, link=LINK)
    assert deliver_due(pe, SmtpTransport(server.config())) == DeliveryResult(
        sent=1, retried=0, failed=0
    )

    [got] = server.mailbox.received
    assert all(byte < 128 for byte in got.raw)  # every non-ASCII character encoded (RFC 2047, QP)
    assert got["Subject"] == SUBJECT
    assert got["From"].addresses[0].display_name == "Sở GDĐT Hải Phòng"
    assert got["From"].addresses[0].addr_spec == "noreply@haiphong.edu.vn"
    assert got["To"] == "hieutruong@ngoquyen.edu.vn"
    assert got["Message-ID"] == f"<{outbox_id}@haiphong.edu.vn>"
    assert parsedate_to_datetime(got["Date"]) == clock.now()
    assert got.get_content_type() == "multipart/alternative"
    plain = got.get_body(("plain",)).get_content()
    plain = plain.replace("\r\n", "\n")  # the wire's line ends, kept by the parser
    assert plain.startswith(TEXT)
    assert f"Mở nhiệm vụ: {LINK}" in plain
    page = got.get_body(("html",)).get_content()
    assert "Trân trọng &amp; &lt;cảm ơn&gt;." in page  # the text is escaped, not markup
    assert (
        '<a href="https://giaoviec.haiphong.edu.vn/tasks/42?tab=report&amp;x=1">Mở nhiệm vụ</a>'
        in page
    )

    row = stored(pe, outbox_id)
    assert (row.status, row.sent_at, row.attempts) == ("sent", clock.now(), 1)
    assert audit_events(pe) == ["outbox_sent"]


def test_a_given_html_part_is_sent_as_it_is(pe, server):
    queue(pe, html="<p>Đã <b>quá hạn</b></p>")
    deliver_due(pe, SmtpTransport(server.config()))
    [got] = server.mailbox.received
    assert got.get_body(("html",)).get_content().strip() == "<p>Đã <b>quá hạn</b></p>"


def test_smtp_down_is_retried_with_backoff_then_delivered_once_up(pe, clock, stopped_server):
    [first] = queue(pe)
    clock.advance(timedelta(milliseconds=1))  # so ``first`` is claimed first
    [second] = queue(pe)
    transport = SmtpTransport(stopped_server.config())
    assert deliver_due(pe, transport) == DeliveryResult(sent=0, retried=1, failed=0)
    row = stored(pe, first)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        "pending",
        1,
        clock.now() + timedelta(minutes=1),
    )
    assert "cannot connect" in row.last_error
    # The server is down for all: the second message was not tried, so not counted.
    assert (stored(pe, second).attempts, stored(pe, second).next_attempt_at) == (
        0,
        row.next_attempt_at,
    )

    assert deliver_due(pe, transport) == DeliveryResult(0, 0, 0)  # not yet due
    assert deliver_due(pe, transport, clock.advance(timedelta(minutes=1))).retried == 1
    assert stored(pe, first).next_attempt_at == clock.now() + timedelta(minutes=2)  # doubled

    stopped_server.start()
    assert deliver_due(pe, transport, clock.advance(timedelta(minutes=1))) == DeliveryResult(
        0, 0, 0
    )
    assert deliver_due(pe, transport, clock.advance(timedelta(minutes=1))).sent == 2
    assert (stored(pe, first).status, stored(pe, first).attempts) == ("sent", 3)
    assert (stored(pe, second).status, stored(pe, second).attempts) == ("sent", 1)
    assert stopped_server.mailbox.message_ids() == {
        f"<{first}@haiphong.edu.vn>": 1,
        f"<{second}@haiphong.edu.vn>": 1,
    }
    assert audit_events(pe) == ["outbox_deferred", "outbox_deferred", "outbox_sent", "outbox_sent"]


def test_a_550_for_a_bad_address_fails_the_message_and_the_batch_goes_on(pe, server):
    server.mailbox.refuse[BAD] = (
        "550 5.1.1 <khong-ton-tai@haiphong.edu.vn>: Recipient address rejected: User unknown"
    )
    [bad] = queue(pe, recipient=BAD)
    [good] = queue(pe)
    assert deliver_due(pe, SmtpTransport(server.config())) == DeliveryResult(
        sent=1, retried=0, failed=1
    )
    row = stored(pe, bad)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550 5.1.1" in row.last_error and "User unknown" in row.last_error
    with pe.read() as s:
        assert [m.id for m in failed_messages(s)] == [bad]
    assert stored(pe, good).status == "sent"
    assert len(server.mailbox.received) == 1


def test_a_451_for_an_address_is_retried(pe, clock, server):
    server.mailbox.refuse[BAD] = "451 4.2.0 mailbox busy"
    [message] = queue(pe, recipient=BAD)
    assert deliver_due(pe, SmtpTransport(server.config())).retried == 1
    del server.mailbox.refuse[BAD]
    assert (
        deliver_due(pe, SmtpTransport(server.config()), clock.advance(timedelta(minutes=1))).sent
        == 1
    )
    assert stored(pe, message).attempts == 2


def test_a_crashed_workers_message_waits_for_the_lease_then_goes_with_the_same_message_id(
    pe, clock, server
):
    [outbox_id] = queue(pe)
    transport = SmtpTransport(server.config())
    [claimed] = claim_due(pe, clock.now(), limit=10, lease=timedelta(minutes=5))
    transport.send(claimed)  # ... and the worker dies before recording the outcome

    assert deliver_due(
        pe, transport, clock.advance(timedelta(minutes=4, seconds=59))
    ) == DeliveryResult(0, 0, 0)
    assert deliver_due(pe, transport, clock.advance(timedelta(seconds=1))).sent == 1
    assert server.mailbox.message_ids() == {
        f"<{outbox_id}@haiphong.edu.vn>": 2
    }  # receivers can de-duplicate
    assert stored(pe, outbox_id).attempts == 2


def test_delivering_twice_at_one_instant_sends_nothing_new(pe, server):
    queue(pe, 3)
    transport = SmtpTransport(server.config())
    assert deliver_due(pe, transport).sent == 3
    assert deliver_due(pe, transport) == DeliveryResult(0, 0, 0)
    assert len(server.mailbox.received) == 3


def test_one_connection_per_batch(pe, server):
    queue(pe, 5)
    assert deliver_due(pe, SmtpTransport(server.config())).sent == 5
    assert server.mailbox.ehlos == 1


def test_two_deliverers_at_once_send_each_message_exactly_once(pe, server):
    ids = queue(pe, 200)
    start = threading.Barrier(2)
    results: dict[str, list[DeliveryResult]] = {"A": [], "B": []}
    errors: list[BaseException] = []

    def deliverer(name):
        try:
            start.wait(HANG_GUARD)
            while True:
                result = deliver_due(pe, SmtpTransport(server.config()), limit=7)
                if result == DeliveryResult(0, 0, 0):
                    return
                results[name].append(result)
        except BaseException as exc:  # reported by the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=deliverer, args=(name,)) for name in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG_GUARD)
    assert errors == []
    assert server.mailbox.message_ids() == Counter({f"<{i}@haiphong.edu.vn>": 1 for i in ids})
    assert sum(r.sent for rs in results.values() for r in rs) == 200
    with pe.read() as s:
        statuses = Counter(s.scalars(select(OutboxMessage.status)))
        sent_events = s.scalars(select(AuditEvent).where(AuditEvent.event == "outbox_sent")).all()
    assert statuses == {"sent": 200}
    assert len(sent_events) == 200


def test_login_uses_the_percent_decoded_credentials(pe):
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)

    s = Server(authenticator=authenticator, auth_require_tls=False)
    s.start()
    try:
        queue(pe)
        config = s.config(userinfo="giaovien%40ngoquyen.edu.vn:p%40ss%3Aw%2Frd%20%25@")
        assert deliver_due(pe, SmtpTransport(config)).sent == 1
    finally:
        s.stop()
    assert seen == [("giaovien@ngoquyen.edu.vn", "p@ss:w/rd %")]


def test_refused_credentials_leave_the_message_pending(pe, clock):
    # handled=False: aiosmtpd answers 535 itself (with handled=True it would say nothing).
    s = Server(
        authenticator=lambda *a: AuthResult(success=False, handled=False), auth_require_tls=False
    )
    s.start()
    try:
        [message] = queue(pe)
        assert deliver_due(pe, SmtpTransport(s.config(userinfo="u:wrong@"))).retried == 1
    finally:
        s.stop()
    row = stored(pe, message)
    assert (
        row.status == "pending" and "535" in row.last_error
    )  # a configuration problem, not the message's


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://user:pass@mail.example.vn:587?starttls=1", ("mail.example.vn", 587, "user", "pass", False, True, 30.0)),
        ("smtp://u:p@mail.example.vn?starttls=true", ("mail.example.vn", 587, "u", "p", False, True, 30.0)),
        ("smtps://user:pass@mail.example.vn:465", ("mail.example.vn", 465, "user", "pass", True, False, 30.0)),
        ("smtps://mail.example.vn", ("mail.example.vn", 465, None, None, True, False, 30.0)),
        ("smtp://localhost:8025", ("localhost", 8025, None, None, False, False, 30.0)),
        ("smtp://localhost", ("localhost", 25, None, None, False, False, 30.0)),
        ("SMTP://a%40b.vn:p%25%3A%2F@Mail.Example.VN:2525/?timeout=7.5&starttls=0",
         ("mail.example.vn", 2525, "a@b.vn", "p%:/", False, False, 7.5)),
    ],
)  # fmt: skip
def test_smtp_urls(url, expected):
    c = SmtpConfig.from_url(url, SENDER)
    assert (
        c.host,
        c.port,
        c.username,
        c.password,
        c.implicit_tls,
        c.starttls,
        c.timeout,
    ) == expected
    assert c.sender.display_name == "Sở GDĐT Hải Phòng"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.vn", "scheme must be smtp:// or smtps://, not 'http'"),
        ("mail.example.vn:25", "scheme must be smtp:// or smtps://"),
        ("smtp://", "no host"),
        ("smtp://user:secret@mail.example.vn:99999", "port of 'mail.example.vn' must be a number"),
        ("smtp://user:secret@mail.example.vn:abc", "must be a number from 1 to 65535"),
        ("smtp://mail.example.vn/relay", "unexpected path"),
        ("smtp://mail.example.vn?tls=1", "unknown option(s) tls"),
        ("smtp://mail.example.vn?starttls=maybe", "starttls='maybe' must be 1 or 0"),
        ("smtp://mail.example.vn?timeout=0", "timeout='0' must be a number of seconds"),
        ("smtp://mail.example.vn?timeout=soon", "timeout='soon'"),
        ("smtp://mail.example.vn?starttls", "cannot read the options"),
        ("smtps://mail.example.vn?starttls=1", "smtps:// is TLS already"),
        ("smtp://:secret@mail.example.vn", "a password without a user name"),
        ("smtp://gi%C3%A1o:secret@mail.example.vn", "must be ASCII"),
        ("smtp://u:s%C3%AAcret@mail.example.vn", "must be ASCII"),
    ],
)
def test_bad_smtp_urls_are_refused_in_words_without_the_password(url, message):
    with pytest.raises(ValueError, match="GIAOVIEC_SMTP_URL") as refused:
        SmtpConfig.from_url(url, SENDER)
    assert message in str(refused.value)
    assert "secret" not in str(refused.value)


@pytest.mark.parametrize("sender", ["", "noreply", "Sở GDĐT <noreply@>", "a b@c.vn"])
def test_bad_senders_are_refused(sender):
    with pytest.raises(ValueError, match="GIAOVIEC_MAIL_FROM"):
        SmtpConfig.from_url("smtp://localhost", sender)


def test_config_from_the_environment_keeps_the_password_out_of_its_repr():
    env = {
        "GIAOVIEC_SMTP_URL": " smtps://noreply:s%40cret@mail.haiphong.edu.vn ",
        "GIAOVIEC_MAIL_FROM": SENDER,
    }
    config = SmtpConfig.from_env(env)
    assert (config.host, config.port, config.password) == ("mail.haiphong.edu.vn", 465, "s@cret")
    assert "s@cret" not in repr(config)
    with pytest.raises(ValueError, match="GIAOVIEC_SMTP_URL is not set"):
        SmtpConfig.from_env({"GIAOVIEC_MAIL_FROM": SENDER})
    with pytest.raises(ValueError, match="GIAOVIEC_MAIL_FROM is not set"):
        SmtpConfig.from_env({"GIAOVIEC_SMTP_URL": "smtp://localhost"})


# --- messages and errors, without a server --------------------------------------------------

CONFIG = SmtpConfig.from_url("smtp://localhost", SENDER)
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def claimed(payload, recipient="a@b.vn"):
    return Claimed(uuid.UUID(int=7), "email", recipient, payload, 1, None, T0)


def test_the_message_id_depends_only_on_the_outbox_id_and_the_sender_domain():
    message = build_message(claimed({"subject": "s", "text": "t"}), CONFIG)
    assert (
        message["Message-ID"]
        == message_id(uuid.UUID(int=7), CONFIG)
        == f"<{uuid.UUID(int=7)}@haiphong.edu.vn>"
    )
    assert message["Auto-Submitted"] == "auto-generated"


def test_line_breaks_in_a_subject_become_spaces():
    message = build_message(claimed({"subject": "Báo cáo\nquý II\r\n", "text": "t"}), CONFIG)
    assert message["Subject"] == "Báo cáo quý II"


@pytest.mark.parametrize(
    ("payload", "recipient", "problem"),
    [
        ({"text": "t"}, "a@b.vn", "payload.subject is missing"),
        ({"subject": "s", "text": " "}, "a@b.vn", "payload.text is missing or empty"),
        ({"subject": "s", "text": "t", "link": "javascript:alert(1)"}, "a@b.vn", "http(s) URL"),
        ({"subject": "s", "text": "t", "html": 5}, "a@b.vn", "payload.html must be text"),
        ({"subject": "s", "text": "t"}, None, "not an email address"),
        ({"subject": "s", "text": "t"}, "không phải địa chỉ", "not an email address"),
    ],
)
def test_a_payload_that_can_never_be_an_email_is_a_permanent_error(payload, recipient, problem):
    with pytest.raises(
        PermanentDeliveryError, match=problem.replace("(", r"\(").replace(")", r"\)")
    ):
        build_message(claimed(payload, recipient), CONFIG)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (smtplib.SMTPRecipientsRefused({"a@b.vn": (550, b"no such user")}), PermanentDeliveryError),
        (
            smtplib.SMTPRecipientsRefused({"a@b.vn": (550, b"x"), "c@d.vn": (452, b"full")}),
            TransientDeliveryError,
        ),
        (smtplib.SMTPRecipientsRefused({"a@b.vn": (451, b"greylisted")}), TransientDeliveryError),
        (smtplib.SMTPDataError(554, b"5.7.1 rejected as spam"), PermanentDeliveryError),
        (
            smtplib.SMTPSenderRefused(553, b"sender rejected", "noreply@x.vn"),
            PermanentDeliveryError,
        ),
        (smtplib.SMTPDataError(421, b"closing"), TransientDeliveryError),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), TransientDeliveryError),
        (TimeoutError("timed out"), TransientDeliveryError),
        (ConnectionResetError(104, "reset"), TransientDeliveryError),
        (smtplib.SMTPNotSupportedError("SMTPUTF8 not supported"), PermanentDeliveryError),
    ],
)
def test_errors_while_sending_are_classified_by_their_code(error, kind):
    assert type(classify(error)) is kind
