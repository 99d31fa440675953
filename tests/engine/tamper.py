"""What an attacker with the database owner's rights does to the audit trail: drop the guards,
change rows, put the guards back so that nothing looks amiss."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, text

from engine import AuditEvent
from engine.audit import APPEND_ONLY_TABLES, sqlite_trigger_sql


def drop_guards(conn: Connection) -> None:
    for table in APPEND_ONLY_TABLES:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
        else:
            for action in ("update", "delete"):
                conn.execute(text(f"DROP TRIGGER {table}_no_{action}"))


def restore_guards(conn: Connection) -> None:
    for table in APPEND_ONLY_TABLES:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                              "FOR EACH ROW EXECUTE FUNCTION giaoviec_refuse_change()"))  # fmt: skip
        else:
            for action in ("UPDATE", "DELETE"):
                conn.execute(text(sqlite_trigger_sql(table, action)))


def unguarded(db: Engine, *statements: str, **params: object) -> None:
    """Run ``statements`` with the guards dropped, then put the guards back, in one transaction."""
    with db.begin() as conn:
        drop_guards(conn)
        for statement in statements:
            conn.execute(text(statement), params)
        restore_guards(conn)


def insert_event(db: Engine, *, occurred_at: datetime, event: str = "task_completed", event_id: int | None = None) -> None:
    """An INSERT, which the guards allow: a forged event with the date the attacker chooses."""
    values = {"occurred_at": occurred_at, "event": event, "actor": "mallory", "data": {}}
    if event_id is not None:
        values["id"] = event_id
    with db.begin() as conn:
        conn.execute(AuditEvent.__table__.insert(), values)
