"""``giaoviec org …`` through the real console script."""

from __future__ import annotations

from sqlalchemy import select

from engine import AuditEvent, make_engine
from tests.test_cli import run


def test_demo_import_alias_external_and_delegate(db_url, tmp_path):
    summary = run(db_url, "org", "demo", "--communes", "2").stdout
    assert "UBND xã, phường, đặc khu: 2" in summary and "Phòng thuộc Sở: 9" in summary

    units = tmp_path / "units.csv"
    units.write_text("Mã đơn vị,Tên đơn vị,Loại,Đơn vị cấp trên,Tên gọi khác\n"
                     "HP.X001.MN99,Trường Mầm non Hoa Sen,mn,HP.X001.MN98,MN Hoa Sen\n"
                     "HP.X001.MN98,Trường Mầm non Hoa Mai,mn,HP.X001,\n", encoding="utf-8-sig")  # fmt: skip
    # A parent listed after its child is still created first; the file has a BOM.
    assert run(db_url, "org", "import-units", str(units), check=False).stderr.count("dòng") == 1  # MN under MN: refused

    units.write_text("Mã đơn vị;Tên đơn vị;Loại;Đơn vị cấp trên\nHP.X001.MN98;Trường Mầm non Hoa Mai;mn;HP.X001\n", encoding="utf-8")
    assert run(db_url, "org", "import-units", str(units)).stdout.strip() == "OK 1"

    users = tmp_path / "users.csv"
    users.write_text("Tên đăng nhập,Họ và tên,Mã đơn vị,Vai trò\nhoamai_ht,Nguyễn Thị Lan,HP.X001.MN98,Lãnh đạo\n"
                     "sai,Người Sai,HP.KHONG,Chuyên viên\nsai2,Người Sai 2,HP.X001,Kế toán\n", encoding="utf-8")  # fmt: skip
    failed = run(db_url, "org", "import-users", str(users), check=False)
    assert failed.returncode == 1
    assert [line.split(": ")[1] for line in failed.stderr.strip().splitlines()] == ["dòng 3", "dòng 4"]
    users.write_text("Tên đăng nhập,Họ và tên,Mã đơn vị,Vai trò\nhoamai_ht,Nguyễn Thị Lan,HP.X001.MN98,Lãnh đạo\n", encoding="utf-8")
    assert run(db_url, "org", "import-users", str(users)).stdout.strip() == "OK 1"

    assert run(db_url, "org", "alias", "HP.GDTRH", "P. Trung học").stdout.strip() == "OK"
    assert run(db_url, "org", "external", "Sở KH&CN").stdout.strip() == "HP.NGOAI001"
    assert run(db_url, "org", "delegate", "hp_gdtrh_ld", "hp_gdtrh_cv", "--from", "2026-03-01", "--to", "2026-03-15").stdout.startswith("OK ")
    refused = run(db_url, "org", "delegate", "hp_gdtrh_cv", "hp_gdtrh_ld", "--from", "2026-03-01", "--to", "2026-03-15", check=False)
    assert refused.returncode == 1 and "không phải lãnh đạo" in refused.stderr
    # A person acting delegates only their own approvals: an officer cannot hand the leader's on.
    forged = run(db_url, "--actor", "hp_gdtrh_cv", "org", "delegate", "hp_gdtrh_ld", "hp_gdtrh_cv", "--from", "2026-04-01",
                 "--to", "2026-04-15", check=False)  # fmt: skip
    assert forged.returncode == 1 and forged.stderr.startswith("Bạn không có quyền") and "hp_gdtrh_ld" in forged.stderr
    own = run(db_url, "--actor", "hp_gdtrh_ld", "org", "delegate", "hp_gdtrh_ld", "hp_gdtrh_cv", "--from", "2026-04-01", "--to", "2026-04-15")
    assert own.stdout.startswith("OK ")
    db = make_engine(db_url)
    try:
        with db.connect() as conn:
            refusals = conn.execute(select(AuditEvent.actor, AuditEvent.data).where(AuditEvent.event == "action_refused")).all()
    finally:
        db.dispose()
    assert [(actor, data["action"]) for actor, data in refusals] == [("hp_gdtrh_cv", "delegate")]
