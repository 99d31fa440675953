"""The contract of ``users``, ``inbox``, ``task show`` and ``task ACTION`` through the console
script, on both databases: a school's work done by its people, refusals in one line that change
nothing, the administrator's repair tool."""

from __future__ import annotations

import json

from tests.test_cli import run

UNITS = ("Mã đơn vị,Tên đơn vị,Loại,Đơn vị cấp trên\nHP,Sở GDĐT,so,\nHP.X001,UBND xã A,xa,HP\n"
         "HP.X001.THCS01,Trường THCS A,thcs,HP.X001\nHP.X001.THCS02,Trường THCS B,thcs,HP.X001\n")  # fmt: skip
USERS = ("Tên đăng nhập,Họ và tên,Mã đơn vị,Vai trò\n"
         "a_cv,Nguyễn Văn A,HP.X001.THCS01,Chuyên viên\na_ld,Trần Thị B,HP.X001.THCS01,Lãnh đạo\n"
         "b_cv,Lê Văn C,HP.X001.THCS02,Chuyên viên\nx_cv,Phạm Văn D,HP.X001,Chuyên viên\n"
         "x_ld,Hoàng Thị E,HP.X001,Lãnh đạo\nhp_qt,Quản trị Sở,HP,Quản trị\n")  # fmt: skip
ITEM_KEYS = {"task_id", "instance_id", "step", "name", "unit", "role", "due", "status", "plan_id", "task_stt", "period"}


def world(db_url, tmp_path):
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "users.csv").write_text(USERS, encoding="utf-8")
    run(db_url, "org", "import-units", str(tmp_path / "units.csv"))
    run(db_url, "org", "import-users", str(tmp_path / "users.csv"))
    run(db_url, "deploy", "bpmn/giao_nhiem_vu.bpmn")
    data = '{"tieu_de": "Báo cáo quý I", "don_vi_giao": "HP.X001"}'
    return run(db_url, "start", "giao_nhiem_vu", "--unit", "HP.X001.THCS01", "--data", data).stdout.split()[0]


def inbox(db_url, username, *args):
    return json.loads(run(db_url, "inbox", "--as", username, *args, "--json").stdout)


def act(db_url, action, task_id, username, *args, check=True):
    return run(db_url, "task", action, task_id, "--as", username, *args, check=check)


def only_task(db_url, username):
    [item] = inbox(db_url, username)["items"]
    return item


def test_users_lists_people_by_unit_and_role(db_url, tmp_path):
    world(db_url, tmp_path)
    school = json.loads(run(db_url, "users", "--unit", "HP.X001.THCS01", "--json").stdout)
    assert school == [
        {"username": "a_cv", "name": "Nguyễn Văn A", "unit": "HP.X001.THCS01", "roles": ["officer"]},
        {"username": "a_ld", "name": "Trần Thị B", "unit": "HP.X001.THCS01", "roles": ["leader"]},
    ]
    leaders = json.loads(run(db_url, "users", "--role", "leader", "--json").stdout)
    assert [u["username"] for u in leaders] == ["a_ld", "x_ld"]
    assert "a_cv" in run(db_url, "users").stdout


def test_a_school_does_its_work_through_the_cli(db_url, tmp_path):
    instance_id = world(db_url, tmp_path)
    mine = inbox(db_url, "a_cv")
    [item] = mine["items"]
    assert set(item) >= ITEM_KEYS and (item["instance_id"], item["step"], item["unit"], item["role"]) == (
        instance_id, "tiep_nhan", "HP.X001.THCS01", "officer")  # fmt: skip
    assert (mine["counts"]["unit"], mine["counts"]["mine"], mine["counts"]["all"]) == (1, 0, 1)
    assert inbox(db_url, "b_cv")["items"] == [] and inbox(db_url, "a_cv", "--scope", "mine")["items"] == []

    hidden = run(db_url, "task", "show", item["task_id"], "--as", "b_cv", "--json", check=False)
    assert hidden.returncode == 1 and hidden.stdout == "" and "Bạn không có quyền" in hidden.stderr
    shown = json.loads(run(db_url, "task", "show", item["task_id"], "--as", "a_cv", "--json").stdout)
    assert shown["allowed_actions"] == ["view", "comment", "accept"] and shown["status"] == "open"

    refused = act(db_url, "accept", item["task_id"], "b_cv", check=False)
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr.startswith("Bạn không có quyền tiếp nhận nhiệm vụ")
    assert only_task(db_url, "a_cv")["task_id"] == item["task_id"]  # nothing changed

    accepted = act(db_url, "accept", item["task_id"], "a_cv")
    assert "thuc_hien" in accepted.stdout
    work = only_task(db_url, "a_cv")
    (tmp_path / "bien_ban.txt").write_bytes(b"bien ban\n")
    act(db_url, "submit", work["task_id"], "a_cv", "--text", "Đã hoàn thành", "--file", str(tmp_path / "bien_ban.txt"),
        "--data", '{"chi_so": [{"ma": "1", "tu_so": "3", "mau_so": "4"}]}')  # fmt: skip
    review = only_task(db_url, "a_ld")
    assert review["step"] == "duyet_bao_cao" and inbox(db_url, "a_cv")["items"] == []
    act(db_url, "approve", review["task_id"], "a_ld", "--comment", "Đồng ý")
    appraisal = only_task(db_url, "x_cv")
    no_reason = act(db_url, "return", appraisal["task_id"], "x_cv", check=False)
    assert no_reason.returncode == 1
    act(db_url, "return", appraisal["task_id"], "x_cv", "--comment", "Bổ sung biên bản")
    redo = only_task(db_url, "a_cv")
    assert redo["step"] == "thuc_hien"
    act(db_url, "submit", redo["task_id"], "a_cv", "--text", "Đã bổ sung")
    act(db_url, "approve", only_task(db_url, "a_ld")["task_id"], "a_ld")
    act(db_url, "approve", only_task(db_url, "x_cv")["task_id"], "x_cv")
    sign = only_task(db_url, "x_ld")
    wrong = act(db_url, "sign", sign["task_id"], "a_ld", check=False)
    assert wrong.returncode == 1 and wrong.stderr.startswith("Bạn không có quyền ký duyệt")
    signed = json.loads(act(db_url, "sign", sign["task_id"], "x_ld", "--json").stdout)
    assert signed["status"] == "completed" and signed["next"] == []

    detail = json.loads(run(db_url, "task", "show", sign["task_id"], "--as", "x_ld", "--json").stdout)
    # Two versions: the report sent with its file (returned), then the corrected one (approved); a
    # file stored on the way is not a draft of its own.
    assert [r["status"] for r in detail["reports"]] == ["returned", "approved"]
    assert detail["reports"][0]["attachments"] == ["bien_ban.txt"] and detail["allowed_actions"] == ["view", "comment"]
    # Refusals are recorded for inspectors (the audit search), never shown in the task's history,
    # where they would tell one school about another's attempts.
    assert not any(e["event"] == "action_refused" for e in detail["history"])


def test_extension_and_the_repair_tool(db_url, tmp_path):
    world(db_url, tmp_path)
    task_id = only_task(db_url, "a_cv")["task_id"]
    not_admin = run(db_url, "complete", task_id, "--as", "a_ld", check=False)
    assert not_admin.returncode == 1 and "Bạn không có quyền" in not_admin.stderr
    run(db_url, "complete", task_id, "--as", "hp_qt", "--reason", "kẹt")
    work = only_task(db_url, "a_cv")
    act(db_url, "request-extension", work["task_id"], "a_cv", "--until", "2099-03-20", "--comment", "Chờ số liệu")
    decision = only_task(db_url, "x_cv")
    assert decision["step"] == "xem_xet_gia_han"
    act(db_url, "refuse-extension", decision["task_id"], "x_cv", "--comment", "Không đủ lý do")
    work = only_task(db_url, "a_cv")
    act(db_url, "request-extension", work["task_id"], "a_cv", "--until", "2099-03-25")
    granted = act(db_url, "grant-extension", only_task(db_url, "x_cv")["task_id"], "x_cv", "--until", "2099-03-25")
    assert "thuc_hien" in granted.stdout
    act(db_url, "comment", only_task(db_url, "a_cv")["task_id"], "x_cv", "--comment", "Nhắc nộp đúng hạn")
