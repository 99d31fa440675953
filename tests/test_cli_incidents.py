"""``giaoviec incidents resolve ID --reason TEXT``: closing an incident whose instance was cancelled."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from engine import AuditEvent, Instance
from tests.engine.test_incidents import _open_incident
from tests.test_cli import run


def test_resolve_closes_an_incident_of_a_cancelled_instance_and_is_audited(db_url, pe):
    instance, incident = _open_incident(pe)
    running = run(db_url, "incidents", "resolve", str(incident.id), "--reason", "thử", check=False)
    assert running.returncode == 1 and "incidents retry" in running.stderr and len(running.stderr.splitlines()) == 1
    with pe.db.begin() as conn:
        conn.execute(update(Instance).where(Instance.id == instance.id).values(status="cancelled"))
    done = run(db_url, "--actor", "admin:lan", "incidents", "resolve", str(incident.id), "--reason", "Nhiệm vụ đã hủy")
    assert done.stdout == f"Đã đóng sự cố #{incident.id} (không còn tác dụng) / incident #{incident.id} resolved as moot\n"
    assert json.loads(run(db_url, "incidents", "--json").stdout) == []
    with pe.read() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.event == "incident_resolved")).all()
    assert (event.actor, event.data["reason"], event.data["resolution"]) == ("admin:lan", "Nhiệm vụ đã hủy", "moot")
    again = run(db_url, "incidents", "resolve", str(incident.id), "--reason", "lần nữa", check=False)
    assert again.returncode == 1 and "đã được xử lý" in again.stderr


def test_resolve_needs_a_reason_and_an_incident_that_exists(db_url):
    no_reason = run(db_url, "incidents", "resolve", "1", check=False)
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    blank = run(db_url, "incidents", "resolve", "1", "--reason", "  ", check=False)
    assert blank.returncode == 1 and "lý do" in blank.stderr
    for missing in ("999", "99999999999999999999999"):
        result = run(db_url, "incidents", "resolve", missing, "--reason", "không có", check=False)
        assert result.returncode == 1 and f"Không tìm thấy sự cố {missing}" in result.stderr
