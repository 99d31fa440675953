"""Migration 0012 gives rows tracked before it their role (both databases): the demo plan is
dispatched, the schema taken back to 0011 (no role), then upgraded again."""

from __future__ import annotations

from collections import Counter

from alembic import command
from sqlalchemy import select

from engine import make_engine, upgrade
from engine.migrate import alembic_config
from tests.workflows.cascade.province import act, dispatch, instances, setup_province
from workflows.hooks import install
from workflows.tracking.models import Tracking


def test_roles_are_filled_for_rows_tracked_before(pe, db_url: str) -> None:
    install(pe, guard=False)  # the harness drives the steps as "tester"; the guard is tested in tests/workflows/actions
    plan_id = setup_province(pe)
    dispatch(pe, plan_id)
    [ward] = instances(pe, unit_code="HP.X001", task_key="1")
    act(pe, ward, "tiep_nhan")
    act(pe, ward, "giao_cho_truong", {})
    with pe.read() as s:
        made = Counter((r.process_key, r.parent_id is not None, r.role) for r in s.scalars(select(Tracking)))
    db = make_engine(db_url)
    config = alembic_config()
    try:
        with db.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0011")
        upgrade(db)
        with db.connect() as connection:
            again = Counter(connection.execute(select(Tracking.process_key, Tracking.parent_id.is_not(None), Tracking.role)).all())
    finally:
        db.dispose()
    # Coordinators (a phòng's phoi_hop, a commune handing its coordinating schools on) are
    # children of the lead's instance; the commune's schools are children of the commune's.
    assert {(p, child, role) for (p, child, role) in made} == {
        ("giao_nhiem_vu", False, "lead"), ("phoi_hop", True, "coordinator"),
        ("xa_phuong_trien_khai", True, "ward"), ("giao_nhiem_vu", True, "school"),
    }  # fmt: skip
    assert Counter({(p, bool(child), role): n for (p, child, role), n in again.items()}) == made
