"""The day's digests delivered through a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine import OutboxMessage
from engine.outbox import deliver_due
from tests.fixtures.smtp import Server
from tests.workflows.escalation.world import THIRTY_SCHOOLS, at, digest, province, run
from workflows.notify import SmtpTransport


@pytest.fixture
def server():
    s = Server()
    s.start()
    yield s
    s.stop()


def test_the_wards_digest_arrives_in_vietnamese_intact(pe, clock, server):
    province(pe, THIRTY_SCHOOLS)
    now = at(4, 2)
    result = run(pe, clock, now)
    queued = digest(pe, "hp_x001_ld", date(2026, 4, 2))

    delivered = deliver_due(pe, SmtpTransport(server.config()), now)

    assert (delivered.sent, delivered.retried, delivered.failed) == (result.digests, 0, 0)
    [got] = [m for m in server.mailbox.received if m["To"] == "hp_x001_ld@demo.giaoviec.vn"]
    assert all(byte < 128 for byte in got.raw)  # encoded on the wire (RFC 2047, quoted-printable)
    assert got["Subject"] == "[Giao việc] Đôn đốc ngày 02/04/2026: 30 việc"
    assert got["Message-ID"] == f"<{queued.id}@haiphong.edu.vn>"
    plain = got.get_body(("plain",)).get_content().replace("\r\n", "\n")
    first_line = next(line for line in queued.payload["text"].splitlines() if line.startswith("- "))
    assert first_line.startswith("- Trường Mầm non Hồng Bàng 1: ")
    assert first_line in plain.splitlines()
    assert plain.count("quá hạn 2 ngày làm việc, chuyển cấp trên") == 30
    page = got.get_body(("html",)).get_content()
    assert "Đơn vị cấp dưới quá hạn, chuyển cấp trên đôn đốc (30)" in page
    with pe.read() as s:
        assert set(s.scalars(select(OutboxMessage.status).where(OutboxMessage.kind == "digest"))) == {"sent"}
