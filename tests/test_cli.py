"""The command-line contract, through the real console script, on both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import make_engine
from tests.work import HANG_GUARD

ROOT = Path(__file__).resolve().parents[1]
GIAOVIEC = str(Path(sys.executable).with_name("giaoviec"))


def run(db_url, *args, check=True):
    env = {**os.environ, "GIAOVIEC_DATABASE_URL": db_url}
    result = subprocess.run([GIAOVIEC, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG_GUARD)
    assert "Traceback" not in result.stdout + result.stderr
    if check:
        assert result.returncode == 0, result.stderr
    return result


def school(db_url, tmp_path):
    """A Sở, a ward and one school in it (``start --unit`` needs a unit that exists); its code."""
    units = tmp_path / "don_vi.csv"
    units.write_text("Mã đơn vị,Tên đơn vị,Loại,Đơn vị cấp trên\nHP,Sở GDĐT,so,\nHP.X001,UBND xã A,xa,HP\n"
                     "HP.X001.THCS01,Trường THCS A,thcs,HP.X001\n", encoding="utf-8")  # fmt: skip
    run(db_url, "org", "import-units", str(units))
    users = tmp_path / "nguoi_dung.csv"  # the administrator who may use the repair tool (complete)
    users.write_text("Tên đăng nhập,Họ và tên,Mã đơn vị,Vai trò\nhp_qt,Quản trị Sở,HP,Quản trị\n", encoding="utf-8")
    run(db_url, "org", "import-users", str(users))
    return "HP.X001.THCS01"


ADMIN = ("--as", "hp_qt")  # ``complete`` is the administrator's repair tool


def test_start_tasks_complete_and_verify(db_url, tmp_path):
    assert run(db_url, "deploy", "bpmn/giao_nhiem_vu.bpmn").stdout == "giao_nhiem_vu v1\n"
    unit = school(db_url, tmp_path)
    started = run(db_url, "start", "giao_nhiem_vu", "--unit", unit, "--data", '{"tieu_de": "Báo cáo quý"}')
    instance_id, status = started.stdout.splitlines()[0].split()
    assert status == "running" and len(instance_id) == 36
    [task] = json.loads(run(db_url, "tasks", "--unit", unit, "--json").stdout)
    assert (task["element_id"], task["name"], task["role"]) == ("tiep_nhan", "Tiếp nhận nhiệm vụ", "officer")
    assert run(db_url, "tasks", "--unit", "KHAC", "--json").stdout.strip() == "[]"

    refused = run(db_url, "complete", task["id"], check=False)  # the default actor is no user
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    done = run(db_url, "complete", task["id"], *ADMIN, "--reason", "thử công cụ sửa chữa")
    assert done.stdout.splitlines()[0] == f"{instance_id} running"
    assert "thuc_hien" in done.stdout
    again = run(db_url, "complete", task["id"], *ADMIN, check=False)
    assert again.returncode == 1 and again.stdout == ""
    assert len(again.stderr.strip().splitlines()) == 1 and "đã được hoàn thành" in again.stderr
    english = run(db_url, "--lang", "en", "complete", task["id"], *ADMIN, check=False)
    assert "already completed" in english.stderr

    verified = run(db_url, "audit", "verify")
    assert verified.stdout.startswith("OK ")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("start", "khong_co_quy_trinh"), "khong_co_quy_trinh"),
        (("start", "giao_nhiem_vu", "--data", "{bad json"), "JSON"),
        (("start", "giao_nhiem_vu", "--data", "[1, 2]"), "JSON"),
        (("complete", "not-a-uuid"), "not-a-uuid"),
        (("complete", "00000000-0000-0000-0000-000000000000"), "00000000"),
        (("start", "giao_nhiem_vu", "--due", "2026-07-01"), "múi giờ"),
        (("incidents", "retry", "999"), "999"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(db_url, args, needle):
    run(db_url, "deploy", "bpmn/giao_nhiem_vu.bpmn")
    result = run(db_url, *args, check=False)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and needle in result.stderr


def test_an_unmigrated_database_says_what_to_do(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'empty.sqlite3'}", "tasks", check=False)
    assert result.returncode == 1 and "giaoviec db upgrade" in result.stderr


def test_an_unreachable_database_is_one_line(tmp_path):
    result = run("postgresql://nobody@127.0.0.1:1/none", "tasks", check=False)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1


def test_timers_fire_with_an_explicit_instant(db_url, tmp_path):
    run(db_url, "deploy", "bpmn/giao_nhiem_vu.bpmn")
    run(db_url, "start", "giao_nhiem_vu", "--unit", school(db_url, tmp_path))
    [task] = json.loads(run(db_url, "tasks", "--json").stdout)
    run(db_url, "complete", task["id"], *ADMIN)
    assert run(db_url, "timers", "fire", "--now", "2020-01-01T00:00:00+07:00").stdout.strip() == "instances=0 fired=0 failed=0"
    assert run(db_url, "timers", "fire", "--now", "2099-01-01T00:00:00+07:00").stdout.strip() == "instances=1 fired=1 failed=0"


def test_sqlite_default_is_a_wal_file_with_foreign_keys_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("GIAOVIEC_DATABASE_URL", raising=False)
    monkeypatch.setenv("GIAOVIEC_INSTANCE_DIR", str(tmp_path / "instance"))
    db = make_engine()
    try:
        assert db.url.database == str(tmp_path / "instance" / "giaoviec.sqlite3")
        with db.connect() as conn:
            pragmas = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in ("journal_mode", "foreign_keys", "busy_timeout")}
        assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}
    finally:
        db.dispose()


def test_demo_loads_a_province_the_library_and_the_dispatched_plan_once(db_url):
    first = run(db_url, "demo").stdout
    assert "Tỉnh mẫu: đã tạo" in first and "giao_nhiem_vu v1" in first and "637/KH-SGDĐT: #1, đã giao / dispatched: " in first
    assert "HP.X001: giao nhiệm vụ" in first  # the demo school's commune hands a task on
    second = run(db_url, "demo").stdout
    assert "Tỉnh mẫu" not in second and "637/KH-SGDĐT: #1, đã giao / dispatched\n" in second and "HP.X001:" not in second
    tasks = json.loads(run(db_url, "tasks", "--unit", "HP.X001.THCS01", "--json").stdout)
    assert len(tasks) == 1 and {t["element_id"] for t in tasks} == {"tiep_nhan"}


def test_long_running_shells_leave_their_startup_objects_out_of_full_collections():
    """``serve`` and ``worker`` freeze what startup built (a full collection scanned it all, a
    ~90 ms pause); checked in a child process, so that this one's memory stays collectable."""
    code = ("import gc; from giaoviec.shell import freeze_startup_objects; import webui; "
            "freeze_startup_objects(); print(gc.get_freeze_count(), len(gc.get_objects(2)))")  # fmt: skip
    frozen, left = map(int, subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split())
    assert frozen > 10_000 and left < frozen / 10
