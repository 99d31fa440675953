"""Database engines and sessions: SQLite (embedded default) and PostgreSQL 15 (production).

SQLite is opened in WAL mode with foreign keys on and a busy timeout. We take over pysqlite's
transaction handling (SQLAlchemy's documented recipe) so that a write command starts with
``BEGIN IMMEDIATE``: SQLite has one writer, and taking the lock up front turns a race into a short
wait instead of a failed upgrade from a stale snapshot.

Checkpoints (the WAL copied into the database file, with an fsync) are the worker's job
(``checkpoint``, at every sweep), not the commit's: at SQLite's default a commit checkpoints once
the WAL passes 1,000 pages, every ~50 completions, and that commit took 5-9 ms instead of ~0.1
(bench/README.md). ``SQLITE_WAL_AUTOCHECKPOINT_PAGES`` only bounds the WAL when no worker runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DATABASE_URL_ENV = "GIAOVIEC_DATABASE_URL"
INSTANCE_DIR_ENV = "GIAOVIEC_INSTANCE_DIR"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000  # 40 MB of 4 KB pages


def default_database_url() -> str:
    """``GIAOVIEC_DATABASE_URL``, else a SQLite file in the instance folder (created if needed)."""
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    return f"sqlite:///{instance_dir() / 'giaoviec.sqlite3'}"


def instance_dir() -> Path:
    """``GIAOVIEC_INSTANCE_DIR`` (default ``./instance``), created if needed: this installation's files."""
    instance = Path(os.environ.get(INSTANCE_DIR_ENV, "instance")).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    return instance


def normalise_url(url: str) -> str:
    """Route plain ``postgresql://`` URLs to psycopg 3, the only PostgreSQL driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str | None = None, **kwargs: object) -> Engine:
    url = normalise_url(url or default_database_url())
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)  # type: ignore[arg-type]
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)  # type: ignore[arg-type]


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def checkpoint(engine: Engine) -> int:
    """Copy the WAL's committed pages into the SQLite database file without waiting for readers
    or writers (a PASSIVE checkpoint: what a reader still uses stays for the next one). Returns
    the WAL frames checkpointed; 0 on PostgreSQL, which checkpoints on its own."""
    if not is_sqlite(engine):
        return 0
    connection = engine.raw_connection()  # no BEGIN: a checkpoint runs outside a transaction
    try:
        cursor = connection.cursor()
        _busy, _frames, checkpointed = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        cursor.close()
    finally:
        connection.close()
    return max(0, checkpointed)  # -1 when the database is not in WAL mode


def session_factory(engine: Engine, *, write: bool = True) -> sessionmaker[Session]:
    """Sessions for commands (``write=True``: BEGIN IMMEDIATE on SQLite) or for read-only queries."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write and is_sqlite(engine) else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)
