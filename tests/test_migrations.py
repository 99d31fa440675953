"""The Alembic head and the SQLAlchemy models describe the same schema, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine import make_engine
from engine.migrate import alembic_config, current_heads
from engine.models import Base
from workflows import all_models  # noqa: F401


def test_models_match_the_migration_head(db_url):
    db = make_engine(db_url)
    try:
        with db.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []
        from alembic.script import ScriptDirectory

        assert current_heads(db) == set(ScriptDirectory.from_config(alembic_config()).get_heads())
    finally:
        db.dispose()
