"""Fresh migrated databases of one kind for a bench, each dropped after its phase."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from engine import FrozenClock, ProcessEngine, make_engine, upgrade
from workflows.hooks import install
from workflows.roles import role_catalog


class Databases:
    """SQLite files in ``workdir`` or databases on the test suite's throwaway PostgreSQL server.

    ``fresh`` yields (engine, process engine on a FrozenClock at ``start``, clock, url); with
    ``hooks`` the domain's hooks (tracking, reports, the commune hand-on) are installed.
    """

    def __init__(self, kind: str, workdir: Path, *, prefix: str, start: datetime, hooks: bool) -> None:
        self.kind = kind
        self.workdir = workdir
        self.prefix = prefix
        self.start = start
        self.hooks = hooks
        self.server: Any = None
        if kind == "postgresql":
            from tests.fixtures.postgres import get_server

            self.server = get_server()

    @contextmanager
    def fresh(self, name: str, start: datetime | None = None) -> Iterator[tuple[Engine, ProcessEngine, FrozenClock, str]]:
        if self.server is None:
            url, dbname = f"sqlite:///{self.workdir / name}.sqlite3", None
        else:
            dbname = f"{self.prefix}_{name}_{uuid.uuid4().hex[:8]}"
            self.server.create_database(dbname)
            url = self.server.url(dbname)
        db = make_engine(url)
        upgrade(db)
        clock = FrozenClock(start or self.start)
        pe = ProcessEngine(db, clock=clock, roles=role_catalog())
        if self.hooks:
            install(pe, guard=False)
        try:
            yield db, pe, clock, url
        finally:
            db.dispose()
            if dbname is not None:
                self.server.drop_database(dbname)
            else:
                for path in self.workdir.glob(f"{name}.sqlite3*"):
                    path.unlink()
