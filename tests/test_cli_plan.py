"""``giaoviec plan import`` through the real console script: the acceptance contract."""

from __future__ import annotations

import json

from tests.test_cli import run
from tests.workflows.plans.sample_files import formal_xlsx, tasks_csv


def test_dry_run_json_then_store(db_url, tmp_path):
    run(db_url, "org", "demo", "--communes", "1")
    path = tmp_path / "phu_luc_2.xlsx"
    path.write_bytes(formal_xlsx())
    dry = json.loads(run(db_url, "plan", "import", str(path), "--dry-run", "--json", "--year", "2026").stdout)
    assert set(dry) >= {"sections", "tasks", "indicators", "unknown_units"}
    assert len(dry["tasks"]) == 30 and dry["unknown_units"] == ["Đơn vị CNTT", "Sở KH&CN"]
    task = dry["tasks"][0]
    assert set(task) >= {"stt", "section", "content", "deliverable", "lead", "coordinators", "timeframe", "problems"}
    assert isinstance(task["coordinators"], list) and all(set(p) == {"rule", "message"} for t in dry["tasks"] for p in t["problems"])
    assert run(db_url, "plan", "show", "1", check=False).returncode == 1  # the dry run stored nothing

    unread = run(db_url, "plan", "import", str(path), "--year", "2026", "--reporting-regime", "khi cần", check=False)
    assert unread.returncode == 1 and "chế độ báo cáo" in unread.stderr and "khi cần" in unread.stderr
    plan_id = run(db_url, "plan", "import", str(path), "--year", "2026", "--number", "637/KH-SGDĐT",
                  "--reporting-regime", "Định kỳ hằng quý").stdout.strip()  # fmt: skip
    assert plan_id.isdigit()
    shown = json.loads(run(db_url, "plan", "show", plan_id, "--json").stdout)
    assert shown["number"] == "637/KH-SGDĐT" and len(shown["tasks"]) == 30
    assert shown["reporting_regime"] == "Định kỳ hằng quý"
    assert sum(1 for t in shown["tasks"] if not t["dispatchable"]) == 4

    run(db_url, "org", "external", "Sở KH&CN")
    run(db_url, "org", "alias", "HP.VP", "Đơn vị CNTT")
    assert run(db_url, "plan", "recheck", plan_id).stdout.startswith("OK, 0 ")


def test_csv_with_bom_and_hostile_files(db_url, tmp_path):
    run(db_url, "org", "demo", "--communes", "1")
    csv_path = tmp_path / "phu_luc.csv"
    csv_path.write_bytes(tasks_csv())
    dry = json.loads(run(db_url, "plan", "import", str(csv_path), "--dry-run", "--json", "--year", "2026").stdout)
    assert len(dry["tasks"]) == 30
    for name, data in (("bomb.xlsx", b"PK\x03\x04" + b"\0" * 100), ("empty.csv", b""), ("old.xls", bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600)):
        path = tmp_path / name
        path.write_bytes(data)
        refused = run(db_url, "plan", "import", str(path), "--dry-run", "--json", check=False)
        assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1


def test_a_dry_run_needs_no_province_nor_even_a_schema(db_url, tmp_path):
    path = tmp_path / "phu_luc_2.xlsx"
    path.write_bytes(formal_xlsx())
    for url in (db_url, f"sqlite:///{tmp_path / 'fresh.sqlite3'}"):
        dry = json.loads(run(url, "plan", "import", str(path), "--dry-run", "--json", "--year", "2026").stdout)
        assert len(dry["tasks"]) == 30 and "Văn phòng Sở" in dry["unknown_units"]
        assert all("rõ trách nhiệm" in [p["rule"] for p in t["problems"]] for t in dry["tasks"])
    stored = run(db_url, "plan", "import", str(path), check=False)  # storing does need a province
    assert stored.returncode == 1 and "giaoviec org demo" in stored.stderr
