"""Settings from the environment (``giaoviec serve``) and an app built from a database URL."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import pytest

from tests.fixtures.webapp import SECRET, login
from tests.workflows.accounts.people import OFFICER, load_people
from webui import create_app
from webui.formatting import datetime_vn
from webui.settings import from_environment, instance_secret_key


def test_the_secret_key_is_made_once_and_kept(tmp_path):
    first = instance_secret_key(tmp_path / "instance")
    assert instance_secret_key(tmp_path / "instance") == first and len(first) == 64
    assert stat.S_IMODE((tmp_path / "instance" / "secret_key").stat().st_mode) == 0o600
    (tmp_path / "instance" / "secret_key").write_text("ngan\n")
    with pytest.raises(ValueError, match="too short"):
        instance_secret_key(tmp_path / "instance")


@pytest.mark.parametrize(
    ("env", "secure", "base"),
    [
        ({}, False, "http://127.0.0.1:5000"),
        ({"GIAOVIEC_BASE_URL": "https://giaoviec.haiphong.edu.vn/"}, True, "https://giaoviec.haiphong.edu.vn"),
        ({"GIAOVIEC_BASE_URL": "https://giaoviec.haiphong.edu.vn", "GIAOVIEC_COOKIE_SECURE": "0"}, False, "https://giaoviec.haiphong.edu.vn"),
        ({"GIAOVIEC_COOKIE_SECURE": "1"}, True, "http://127.0.0.1:5000"),
    ],
)
def test_secure_cookies_follow_the_base_url_unless_told(monkeypatch, tmp_path, env, secure, base):
    for name in ("GIAOVIEC_BASE_URL", "GIAOVIEC_COOKIE_SECURE", "GIAOVIEC_SECRET_KEY", "GIAOVIEC_TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIAOVIEC_INSTANCE_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = from_environment("127.0.0.1", 5000)
    assert (settings["SESSION_COOKIE_SECURE"], settings["GIAOVIEC_BASE_URL"]) == (secure, base)
    assert settings["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()


def test_the_environment_key_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("GIAOVIEC_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("GIAOVIEC_SECRET_KEY", SECRET)
    assert from_environment("0.0.0.0", 80)["SECRET_KEY"] == SECRET
    assert not (tmp_path / "secret_key").exists()


def test_an_app_built_from_a_database_url_installs_the_domain(pe, db_url):
    load_people(pe)
    app = create_app({"SECRET_KEY": SECRET, "GIAOVIEC_DATABASE_URL": db_url, "SESSION_COOKIE_SECURE": False})
    built = app.extensions["giaoviec.engine"]
    assert built is not pe and built.hooks.step_saved and built.hooks.instances_started  # tracking, cascade
    client = app.test_client()
    assert login(client, OFFICER).status_code == 302
    assert "Chuyên viên Trường THCS Hồng Bàng" in client.get("/").get_data(as_text=True)
    built.db.dispose()


@pytest.mark.parametrize(
    ("instant", "shown"),
    [(datetime(2026, 3, 1, 17, 0, tzinfo=UTC), "02/03/2026 00:00"), (datetime(2026, 12, 31, 16, 59, tzinfo=UTC), "31/12/2026 23:59")],
)
def test_instants_are_shown_in_ha_noi_time_as_dd_mm_yyyy(instant, shown):
    assert datetime_vn(instant) == shown
