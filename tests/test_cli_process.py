"""``giaoviec process migrate`` through the real console script, on both databases: the dry run
lists what can move and changes nothing, a person without the right is refused (recorded), the
real run moves the instances, audited with the person named by ``--actor``."""

from __future__ import annotations

import json

from sqlalchemy import select

from engine import AuditEvent, Instance, ProcessDefinition, deploy
from tests.test_cli import run
from tests.webui.designer_models import V2, without_step
from tests.workflows.authz.world import build_world


def _versions_running(pe):
    with pe.read() as s:
        return sorted(s.scalars(select(ProcessDefinition.version).join(Instance, Instance.definition_id == ProcessDefinition.id)
                                .where(Instance.process_key == "giao_nhiem_vu", Instance.status == "running")))  # fmt: skip


def test_process_migrate_dry_run_refusal_and_move(pe, db_url):
    build_world(pe)
    with pe.unit_of_work("tester") as uow:
        deploy(uow, V2)
    dry = json.loads(run(db_url, "process", "migrate", "giao_nhiem_vu", "--from", "1", "--to", "2", "--dry-run", "--json",
                         "--actor", "p_cv").stdout)  # fmt: skip
    assert (len(dry["movable"]), dry["blocked"], dry["moved"]) == (3, [], [])
    assert all(row["waiting"] == ["tiep_nhan"] for row in dry["movable"])
    assert _versions_running(pe) == [1, 1, 1]

    refused = run(db_url, "process", "migrate", "giao_nhiem_vu", "--from", "1", "--to", "2", "--actor", "s1_cv", check=False)
    assert refused.returncode == 1 and "Bạn không có quyền chuyển hồ sơ sang phiên bản khác" in refused.stderr
    assert _versions_running(pe) == [1, 1, 1]

    moved = run(db_url, "process", "migrate", "giao_nhiem_vu", "--from", "1", "--to", "2", "--actor", "p_cv").stdout
    assert moved.splitlines()[0] == "giao_nhiem_vu v1 → v2: đã chuyển 3, không chuyển được 0"
    assert _versions_running(pe) == [2, 2, 2]
    with pe.read() as s:
        audited = [(e.event, e.actor) for e in s.scalars(select(AuditEvent).where(AuditEvent.event.in_(["instances_migrated", "action_refused"])))]
    assert audited == [("action_refused", "s1_cv"), ("instances_migrated", "p_cv")]

    with pe.unit_of_work("tester") as uow:
        deploy(uow, without_step(V2, b"tiep_nhan"))
    blocked = run(db_url, "process", "migrate", "giao_nhiem_vu", "--from", "2", "--to", "3", "--dry-run", "--actor", "p_cv").stdout
    assert "chuyển được 0, không chuyển được 3" in blocked and "(tiep_nhan) không có trong phiên bản mới" in blocked
