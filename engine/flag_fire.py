"""Firing claimed flag deadlines (``engine.timer_flags``) in the database, without their rows
coming back through Python.

The sweep (``engine.timer_sweep``) has claimed and locked the instances; here, per batch:

* PostgreSQL: one statement. A data-modifying CTE marks the timers fired (``… WHERE status =
  'waiting' RETURNING``, so a timer another transaction fired meanwhile is left out), bumps the
  instances' ``version`` (the optimistic lock's fence) and inserts one ``timer_fired`` event per
  fired timer with ``INSERT … SELECT`` from the CTE; the ids go as one ``uuid[]`` (``= ANY``).
* SQLite: three statements over the same id set (one JSON array, ``json_each``): the events
  (``INSERT … SELECT``), the versions, the timers. The sweep holds the single writer lock from
  its claim to its COMMIT (``BEGIN IMMEDIATE``), so every claimed timer is still waiting.

The event's ``data`` is built by the database in the same form Python wrote it before
(``{"timer": str(id), "due_at": due_at.isoformat()}``, UTC): the seal hashes what is stored,
and readers compare ``due_at`` with ``datetime.isoformat()``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text

from engine.models import UtcDateTime

_PG_FIRE = text("""
WITH done AS (
    UPDATE timer SET status = 'fired', fired_at = :now
    WHERE id = ANY(CAST(:ids AS uuid[])) AND status = 'waiting'
    RETURNING id, instance_id, element_id, due_at
), bumped AS (
    UPDATE instance SET version = version + 1 WHERE id IN (SELECT instance_id FROM done)
), events AS (
    INSERT INTO audit_event (occurred_at, event, actor, on_behalf_of, instance_id, task_id, subject, data)
    SELECT :now, 'timer_fired', :actor, :on_behalf_of, instance_id, NULL, element_id,
           json_build_object('timer', id::text, 'due_at',
               to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
               || CASE WHEN date_part('microseconds', due_at)::bigint % 1000000 = 0 THEN ''
                       ELSE to_char(due_at AT TIME ZONE 'UTC', '.US') END
               || '+00:00')
    FROM done ORDER BY due_at, id
)
SELECT instance_id, element_id FROM done
""").bindparams(bindparam("now", type_=UtcDateTime()))

# SQLite keeps a Uuid as 32 lowercase hex digits and a datetime as 'YYYY-MM-DD HH:MM:SS.ffffff'.
_SQLITE_IDS = "SELECT value FROM json_each(:ids)"
_SQLITE_EVENTS = text(f"""
INSERT INTO audit_event (occurred_at, event, actor, on_behalf_of, instance_id, task_id, subject, data)
SELECT :now, 'timer_fired', :actor, :on_behalf_of, instance_id, NULL, element_id,
       json_object('timer', substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-' || substr(id, 13, 4) || '-'
                            || substr(id, 17, 4) || '-' || substr(id, 21),
                   'due_at', replace(substr(due_at, 1, 19), ' ', 'T')
                             || CASE WHEN coalesce(substr(due_at, 21), '') IN ('', '000000') THEN ''
                                     ELSE '.' || substr(due_at, 21) END
                             || '+00:00')
FROM timer WHERE id IN ({_SQLITE_IDS}) AND status = 'waiting' ORDER BY due_at, id
""").bindparams(bindparam("now", type_=UtcDateTime()))
_SQLITE_VERSIONS = text(
    f"UPDATE instance SET version = version + 1 WHERE id IN "
    f"(SELECT instance_id FROM timer WHERE id IN ({_SQLITE_IDS}) AND status = 'waiting')"
)
_SQLITE_TIMERS = text(
    f"UPDATE timer SET status = 'fired', fired_at = :now WHERE id IN ({_SQLITE_IDS}) AND status = 'waiting'"
).bindparams(bindparam("now", type_=UtcDateTime()))


def fire_flags(
    conn: Any, rows: Sequence[Any], now: datetime, actor: str, on_behalf_of: str | None
) -> list[tuple[uuid.UUID, str]]:
    """Fire the claimed timers ``rows`` (``timer_id``, ``instance_id``, ``element_id``) still
    waiting; return (instance id, element id) of each one fired."""
    if not rows:
        return []
    who = {"now": now, "actor": actor, "on_behalf_of": on_behalf_of}
    if conn.dialect.name == "postgresql":
        return [
            (row[0], row[1])
            for row in conn.execute(_PG_FIRE, {**who, "ids": [row.timer_id for row in rows]})
        ]
    ids = {"ids": json.dumps([row.timer_id.hex for row in rows])}
    fired = conn.execute(_SQLITE_EVENTS, {**who, **ids}).rowcount
    conn.execute(_SQLITE_VERSIONS, ids)
    conn.execute(_SQLITE_TIMERS, {"now": now, **ids})
    if fired != len(
        rows
    ):  # the claim read them waiting in this transaction, under the one writer lock
        raise RuntimeError(
            f"{len(rows) - fired} claimed timer(s) no longer waiting under the write lock"
        )
    return [(row.instance_id, row.element_id) for row in rows]
