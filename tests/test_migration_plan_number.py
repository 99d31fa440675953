"""Migration 0011 builds the one-plan-per-number index on a database that already holds a plan
imported twice: the later copy is renumbered, nothing is lost (both databases)."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select

from engine import make_engine, upgrade
from engine.migrate import alembic_config
from tests.fixtures.plugin import T0
from workflows.org.models import OrgUnit
from workflows.plans.models import Plan


def test_a_plan_imported_twice_before_the_index_is_renumbered(db_url: str) -> None:
    db = make_engine(db_url)
    config = alembic_config()
    before = ScriptDirectory.from_config(config).get_revision("0011").down_revision
    try:
        with db.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, str(before))
        with db.begin() as connection:
            root = connection.execute(insert(OrgUnit).values(code="HP", name="Sở", kind="so", path="/1/").returning(OrgUnit.id)).scalar_one()
            row = {"root_id": root, "issuer_unit_id": root, "title": "t", "year": 2026, "legal_bases": [], "status": "draft",
                   "notes": [], "created_at": T0, "created_by": "t"}  # fmt: skip
            for number in ("637/KH-SGDĐT", "637/KH-SGDĐT", "637/KH-SGDĐT", None, None):
                connection.execute(insert(Plan).values(number=number, **row))
        upgrade(db)
        with db.connect() as connection:
            numbers = connection.execute(select(Plan.id, Plan.number).order_by(Plan.id)).all()
        first = numbers[0][0]
        assert [n for _, n in numbers] == ["637/KH-SGDĐT", f"637/KH-SGDĐT (#{first + 1})", f"637/KH-SGDĐT (#{first + 2})", None, None]
    finally:
        db.dispose()
