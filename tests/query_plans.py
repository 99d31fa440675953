"""Which statements of an action read a whole table: the database's own plan, not a timing.

On SQLite, ``EXPLAIN QUERY PLAN``; on PostgreSQL, ``EXPLAIN`` with sequential scans disabled, so
that a small test table's plan shows whether an index could serve the query at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

_READING = ("SELECT", "UPDATE", "DELETE", "WITH")


def statements_of(db: Engine, action: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The statements that read rows (SELECT, UPDATE, DELETE, WITH) ``action`` sent, with their
    parameters (an executemany's first set)."""
    sent: list[tuple[str, Any]] = []

    def listen(_conn, _cursor, statement, parameters, _context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.split()[0] in _READING:
            sent.append((statement, parameters[0] if executemany else parameters))

    event.listen(db, "before_cursor_execute", listen)
    try:
        action()
    finally:
        event.remove(db, "before_cursor_execute", listen)
    return sent


def full_scans(db: Engine, statements: list[tuple[str, Any]]) -> dict[str, list[str]]:
    """The statements whose plan reads a whole table, with that plan."""
    plans = {statement: _plan(db, statement, parameters) for statement, parameters in statements}
    return {statement: plan for statement, plan in plans.items() if _scans(db, plan)}


def _plan(db: Engine, statement: str, parameters: Any) -> list[str]:
    raw = db.raw_connection()
    try:
        cursor = raw.cursor()
        if db.dialect.name == "postgresql":
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return [row[3] for row in cursor.fetchall()]
    finally:
        raw.rollback()
        raw.close()


def _scans(db: Engine, plan: list[str]) -> bool:
    if db.dialect.name == "postgresql":
        return any("Seq Scan" in line for line in plan)
    return any(line.startswith("SCAN") and "INDEX" not in line and "CONSTANT" not in line for line in plan)
