"""The throwaway PostgreSQL server used by the PostgreSQL half of the suite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from tests.fixtures import postgres as pgmod
from tests.fixtures.postgres import (
    PostgresUnavailable,
    ThrowawayPostgres,
    get_server,
    is_ci,
    postgres_available,
)
from tests.work import HANG_GUARD

pytestmark = pytest.mark.postgres


def _require_binaries() -> None:
    available, reason = postgres_available()
    # In CI a missing server must fail loudly, so carry on and let start() raise.
    if not available and not is_ci():
        pytest.skip(reason)


@pytest.fixture(scope="module")
def server() -> Iterator[ThrowawayPostgres]:
    # A private instance, not get_server(): these tests stop servers, and the
    # process-wide one belongs to the rest of the suite.
    _require_binaries()
    srv = ThrowawayPostgres().start()
    try:
        yield srv
    finally:
        srv.stop()


def _process_uid(pid: int) -> int | None:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    return None


def test_connects_and_reports_supported_version(server: ThrowawayPostgres) -> None:
    with server.connect() as conn:
        row = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()
    assert row is not None
    assert row[0] >= pgmod.MIN_MAJOR_VERSION * 10000


def test_settings_are_tuned_for_tests(server: ThrowawayPostgres) -> None:
    expected = {
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "shared_buffers": "128MB",
        "max_connections": "200",
        "listen_addresses": "127.0.0.1",
        "TimeZone": "UTC",
    }
    with server.connect() as conn:
        for name, value in expected.items():
            row = conn.execute(f"SHOW {name}").fetchone()
            assert row is not None
            assert row[0] == value, name


def test_server_runs_as_unprivileged_user(server: ThrowawayPostgres) -> None:
    assert server.pid is not None
    owner = server.data_dir.stat().st_uid
    uid = _process_uid(server.pid)
    if os.geteuid() == 0:
        assert owner != 0
        assert uid is None or uid == owner
        assert server.os_user not in ("", "root")
    else:
        assert owner == os.geteuid()
        assert uid is None or uid == os.geteuid()


def test_private_dirs_are_not_world_readable(server: ThrowawayPostgres) -> None:
    assert server.base_dir is not None
    for path in (server.base_dir, server.data_dir, server.socket_dir):
        assert path.stat().st_mode & 0o077 == 0, path


def test_unix_socket_in_private_dir_accepts_connections(server: ThrowawayPostgres) -> None:
    if not any(server.socket_dir.glob(".s.PGSQL.*")):
        pytest.skip("socket path too long for this OS; server is TCP-only")
    with psycopg.connect(host=str(server.socket_dir), port=server.port, user="postgres") as conn:
        row = conn.execute("SELECT 1").fetchone()
    assert row == (1,)


def test_url_works_with_sqlalchemy(server: ThrowawayPostgres) -> None:
    url = server.url()
    assert url == f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/postgres"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar() == "postgres"
    finally:
        engine.dispose()


def test_create_database_from_template_copies_rows(server: ThrowawayPostgres) -> None:
    server.create_database("gv_tpl")
    try:
        with server.connect("gv_tpl") as conn:
            conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")
            conn.execute("INSERT INTO t VALUES (1, 'giao viec')")
        # The template must have no open connections by now.
        server.create_database("gv_copy", template="gv_tpl")
        with server.connect("gv_copy") as conn:
            assert conn.execute("SELECT id, name FROM t").fetchall() == [(1, "giao viec")]

        # An open session must not stop the drop (WITH (FORCE)).
        lingering = server.connect("gv_copy")
        try:
            server.drop_database("gv_copy")
        finally:
            lingering.close()
        with server.connect() as conn:
            row = conn.execute("SELECT count(*) FROM pg_database WHERE datname = 'gv_copy'")
            assert row.fetchone() == (0,)
        # Teardown code may drop twice.
        server.drop_database("gv_copy")
        with pytest.raises(psycopg.errors.InvalidCatalogName):
            server.drop_database("gv_copy", missing_ok=False)
    finally:
        server.drop_database("gv_copy")
        server.drop_database("gv_tpl")


def test_odd_database_names_are_quoted(server: ThrowawayPostgres) -> None:
    name = 'gv "odd"/name'
    server.create_database(name)
    try:
        engine = sa.create_engine(server.url(name))
        try:
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT current_database()")).scalar() == name
        finally:
            engine.dispose()
    finally:
        server.drop_database(name)


def test_stop_removes_everything_and_is_idempotent() -> None:
    _require_binaries()
    srv = ThrowawayPostgres().start()
    base, port, pid = srv.base_dir, srv.port, srv.pid
    assert base is not None and base.is_dir() and pid is not None
    srv.stop()
    assert not base.exists()
    assert not srv.running
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", connect_timeout=2)
    srv.stop()
    with pytest.raises(RuntimeError, match="not running"):
        srv.url()


def test_server_dir_location_can_be_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    _require_binaries()
    monkeypatch.setenv("GIAOVIEC_PG_TMPDIR", "/tmp")
    with ThrowawayPostgres() as srv:
        assert srv.base_dir is not None
        assert srv.base_dir.parent == Path("/tmp")
        with srv.connect() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert not srv.base_dir.exists()


def test_get_server_is_a_started_singleton() -> None:
    _require_binaries()
    first = get_server()
    assert first.running
    assert get_server() is first
    with first.connect() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_failed_start_reports_log_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    _require_binaries()
    monkeypatch.setitem(pgmod._SERVER_SETTINGS, "shared_buffers", "not-a-size")
    srv = ThrowawayPostgres()
    with pytest.raises(PostgresUnavailable, match="shared_buffers") as excinfo:
        srv.start()
    assert "exited with code" in str(excinfo.value)
    assert srv.base_dir is not None and not srv.base_dir.exists()
    assert not srv.running


def test_killed_test_process_does_not_leak_server() -> None:
    _require_binaries()
    child_code = textwrap.dedent(
        """
        import importlib.util, sys, time
        spec = importlib.util.spec_from_file_location("pg", sys.argv[1])
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        srv = mod.ThrowawayPostgres().start()
        print(srv.base_dir, srv.pid, flush=True)
        time.sleep(120)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", child_code, pgmod.__file__],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().split()
        assert len(line) == 2, "child did not start a server"
        base, pid = Path(line[0]), int(line[1])
        assert base.is_dir()
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()

    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline and base.exists():
        time.sleep(0.1)
    assert not base.exists(), "watchdog did not remove the data dir"
    uid = _process_uid(pid)
    # The orphaned postmaster is gone (or a zombie nobody reaps, which is harmless).
    if uid is not None:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        assert state == "Z"
