"""``giaoviec demo load``, ``giaoviec serve`` and ``giaoviec users …`` through the console script."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine import Instance
from giaoviec.cli import main
from giaoviec.demo_logins import set_demo_password
from giaoviec.shell import Context
from tests.fixtures.webapp import csrf_token, login, web_config
from tests.workflows.accounts.people import OFFICER, TINY
from webui import create_app
from workflows.accounts import demo_passwords_missing
from workflows.actions.inbox import inbox
from workflows.actions.people import user_named
from workflows.org.demo import build_demo_province
from workflows.org.models import User
from workflows.plans.models import Plan

ROOT = Path(__file__).resolve().parents[2]
GIAOVIEC = str(Path(sys.executable).with_name("giaoviec"))


def run(db_url, *args, check=True, env=None, stdin=None):
    environment = {k: v for k, v in os.environ.items() if k != "GIAOVIEC_DEMO_PASSWORD"}
    environment.update({"GIAOVIEC_DATABASE_URL": db_url, **(env or {})})
    result = subprocess.run([GIAOVIEC, *args], cwd=ROOT, env=environment, input=stdin, capture_output=True, text=True, timeout=600)
    assert "Traceback" not in result.stdout + result.stderr
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_demo_load_dispatches_the_plan_prints_one_login_per_role_that_works_and_runs_again(db_url, pe):
    out = run(db_url, "demo", "load").stdout
    assert "giao_nhiem_vu v1" in out and "Kế hoạch mẫu 637/KH-SGDĐT: #1, đã giao / dispatched: " in out
    assert "Đăng nhập / log in: http://127.0.0.1:5000/login" in out
    password = re.search(r"\(shown once\): (\S+)", out).group(1)
    logins = re.findall(r"^  (Lãnh đạo|Chuyên viên|Văn thư|Quản trị|Thanh tra) +(\S+) +(.+?)  +(.+)$", out, re.M)
    assert [(role, user) for role, user, _name, _unit in logins] == [
        ("Lãnh đạo", "hp_x001_thcs01_ld"), ("Chuyên viên", "hp_x001_thcs01_cv"), ("Văn thư", "hp_vp_vt"),
        ("Quản trị", "hp_vp_qt"), ("Thanh tra", "hp_ttra_tt"),
    ]  # fmt: skip
    assert logins[0][2:] == ("Lãnh đạo Trường THCS Hồng Bàng 1", "Trường THCS Hồng Bàng 1")
    with pe.read() as s:
        made = (s.scalar(select(func.count()).select_from(Instance)), s.scalar(select(func.count()).select_from(User)))
        assert s.scalars(select(Plan.status)).all() == ["dispatched"]

    # Again: nothing fails, nothing is made twice, the password is kept (and not shown).
    again = run(db_url, "demo", "load").stdout
    assert "Tỉnh mẫu" not in again and "637/KH-SGDĐT: #1, đã giao / dispatched\n" in again and "(shown once)" not in again
    with pe.read() as s:
        assert (s.scalar(select(func.count()).select_from(Instance)), s.scalar(select(func.count()).select_from(User))) == made

    client = create_app(web_config(pe)).test_client()
    for _role, username, name, _unit in logins:
        assert login(client, username, password).status_code == 302, username
        assert name in client.get("/").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert login(client, logins[0][1], password + "x").status_code == 401

    # The plan reached the demo school: its officer's inbox has the plan's task, on the page too.
    officer = logins[1][1]
    with pe.read() as s:
        items = inbox(s, user_named(s, officer), pe.clock.now()).items
    assert items and {i["step"] for i in items} == {"tiep_nhan"} and {i["plan_id"] for i in items} == {1}
    assert login(client, officer, password).status_code == 302
    page = client.get("/inbox")
    assert page.status_code == 200 and "Tiếp nhận nhiệm vụ" in page.get_data(as_text=True)


def test_the_demo_password_is_set_once_or_from_the_environment(pe):
    with pe.unit_of_work("test") as uow:
        build_demo_province(uow, TINY)
    context = Context("vi", "test")
    context._engine = pe
    with pe.unit_of_work("test") as uow:
        assert demo_passwords_missing(uow, TINY.code)
    assert "(shown once)" in set_demo_password(context, None)
    assert "không in lại" in set_demo_password(context, None)  # a second run keeps it
    assert "GIAOVIEC_DEMO_PASSWORD" in set_demo_password(context, "mat-khau-demo-2026")
    client = create_app(web_config(pe)).test_client()
    assert login(client, OFFICER, "mat-khau-demo-2026").status_code == 302


def test_a_too_short_demo_password_is_refused_in_one_line_before_anything_changes(db_url):
    result = run(db_url, "demo", "load", check=False, env={"GIAOVIEC_DEMO_PASSWORD": "ngan"})
    assert result.returncode == 1 and result.stderr.strip() == "Mật khẩu phải có ít nhất 8 ký tự."
    assert "Tỉnh mẫu" not in result.stdout


def test_users_set_password_and_end_sessions(db_url, pe):
    run(db_url, "org", "demo", "--communes", "1")
    user = "hp_x001_thcs01_cv"
    short = run(db_url, "users", "set-password", user, "--password-stdin", stdin="ngan\n", check=False)
    assert (short.returncode, short.stderr.strip()) == (1, "Mật khẩu phải có ít nhất 8 ký tự.")
    done = run(db_url, "users", "set-password", user, "--password-stdin", stdin="Mật khẩu mới 2026\n")
    assert done.stdout.startswith(f"{user}: đã đặt mật khẩu mới; 0 phiên")
    client = create_app(web_config(pe)).test_client()
    assert login(client, user, "Mật khẩu mới 2026").status_code == 302
    assert run(db_url, "users", "end-sessions", user).stdout.startswith(f"{user}: đã kết thúc 1 phiên")
    assert client.get("/").status_code == 302
    missing = run(db_url, "users", "end-sessions", "khong_co", check=False)
    assert (missing.returncode, missing.stderr.strip()) == (1, 'Không tìm thấy người dùng "khong_co".')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_with_the_login_page_and_keeps_its_secret_key(db_url, tmp_path):
    run(db_url, "db", "upgrade")
    port = _free_port()
    env = {**os.environ, "GIAOVIEC_DATABASE_URL": db_url, "GIAOVIEC_INSTANCE_DIR": str(tmp_path)}
    env.pop("GIAOVIEC_SECRET_KEY", None)
    server = subprocess.Popen([GIAOVIEC, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == f"Giao việc: http://127.0.0.1:{port}/  (máy chủ phát triển; Ctrl+C để dừng)"
        # Werkzeug logs "Running on" once its socket listens (or the stream ends if it died).
        for line in server.stderr:
            if f"Running on http://127.0.0.1:{port}" in line:
                break
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login")
        assert page.status == 200
        assert 'name="csrf_token"' in page.read().decode()
        assert "Secure" not in page.headers["Set-Cookie"]  # plain http on localhost: development
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
        server.stderr.close()
    key = tmp_path / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) == 64


@pytest.mark.parametrize("port", ["0", "70000", "abc"])
def test_serve_refuses_a_bad_port(port):
    result = CliRunner().invoke(main, ["serve", "--port", port])
    assert result.exit_code == 2 and "--port" in result.output
