"""``giaoviec plan dispatch`` through the real console script."""

from __future__ import annotations

import json

from tests.test_cli import run
from tests.workflows.plans.sample_files import formal_xlsx


def test_dispatch_refused_then_dry_run_then_dispatch(db_url, tmp_path):
    run(db_url, "org", "demo", "--communes", "1")
    run(db_url, "deploy", "bpmn/giao_nhiem_vu.bpmn", "bpmn/phoi_hop.bpmn", "bpmn/xa_phuong_trien_khai.bpmn")
    path = tmp_path / "phu_luc_2.xlsx"
    path.write_bytes(formal_xlsx())
    plan_id = run(db_url, "plan", "import", str(path), "--year", "2026").stdout.strip()

    refused = run(db_url, "plan", "dispatch", plan_id, check=False)
    assert refused.returncode == 1 and "STT" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1

    run(db_url, "org", "external", "Sở KH&CN")
    run(db_url, "org", "alias", "HP.VP", "Đơn vị CNTT")
    run(db_url, "plan", "recheck", plan_id)

    dry = run(db_url, "plan", "dispatch", plan_id, "--dry-run").stdout.splitlines()
    assert dry[-1] == "(chạy thử, chưa tạo gì)"
    counts = dict(line.split(": ", 1) for line in dry if ": " in line)
    assert {"Phòng thuộc Sở", "UBND xã, phường, đặc khu", "Trường THPT", "Tổng"} <= set(counts)
    assert not any(line.startswith("Trường mầm non") for line in dry)
    not_instances = {"Tổng", "Kỳ sau chờ mở đúng hạn", "Kỳ đã đến hạn trước ngày ban hành, không giao (dùng --include-past để giao)"}
    total = sum(int(v) for k, v in counts.items() if k not in not_instances and v.isdigit())
    assert counts["Tổng"].startswith(f"{total} (mới: {total}, đã có: 0)")
    assert json.loads(run(db_url, "tasks", "--json").stdout) == []  # the dry run created nothing

    done = run(db_url, "plan", "dispatch", plan_id).stdout.splitlines()
    assert f"Tổng: {total} (mới: {total}, đã có: 0)" in done and "(chạy thử, chưa tạo gì)" not in done
    assert "Cơ quan ngoài ngành, không giao: " in "\n".join(done)
    again = json.loads(run(db_url, "plan", "dispatch", plan_id, "--json").stdout)
    assert (again["created"], again["skipped"], again["total"]) == (0, total, total)
    [task] = json.loads(run(db_url, "tasks", "--unit", "HP.X001", "--json").stdout)[:1]
    assert task["process"] == "xa_phuong_trien_khai"
    # Every 2026 period had started by the time of dispatch (the wall clock is later in 2026), so
    # nothing waits; a sweep at any instant opens nothing new.
    assert run(db_url, "plan", "open-periods", "--now", "2026-12-31T23:00:00+07:00").stdout.strip() == "opened=0 created=0 skipped=0"


def test_status_counts_and_on_time_rate(db_url, tmp_path):
    run(db_url, "org", "demo", "--communes", "1")
    run(db_url, "deploy", "bpmn/giao_nhiem_vu.bpmn", "bpmn/phoi_hop.bpmn", "bpmn/xa_phuong_trien_khai.bpmn")
    run(db_url, "org", "external", "Sở KH&CN")
    run(db_url, "org", "alias", "HP.VP", "Đơn vị CNTT")
    path = tmp_path / "phu_luc_2.xlsx"
    path.write_bytes(formal_xlsx())
    plan_id = run(db_url, "plan", "import", str(path), "--year", "2026").stdout.strip()
    total = json.loads(run(db_url, "plan", "dispatch", plan_id, "--json").stdout)["created"]

    status = json.loads(run(db_url, "status", "--plan", plan_id, "--now", "2026-03-02T08:00:00+07:00", "--json").stdout)
    # The headline counts the lead units only; every instance is in exactly one view.
    views = status["views"]
    assert status["view"] == "lead" and sum(v["total"] for v in views.values()) == total
    assert (status["total"], status["statuses"]["chua_tiep_nhan"], status["on_time_rate"]) == (views["lead"]["total"],) * 2 + (None,)
    assert 0 < status["total"] < views["coordinator"]["total"]
    assert list(status["statuses"]) == [
        "chua_tiep_nhan", "dang_thuc_hien_trong_han", "dang_thuc_hien_qua_han", "cho_duyet", "bi_tra_lai",
        "hoan_thanh_dung_han", "hoan_thanh_qua_han", "da_huy",
    ]  # fmt: skip

    [ward_task] = [t for t in json.loads(run(db_url, "tasks", "--unit", "HP.X001", "--json").stdout) if t["element_id"] == "tiep_nhan"][:1]
    run(db_url, "complete", ward_task["id"], "--as", "hp_vp_qt")  # the demo's administrator repairs
    ward = json.loads(run(db_url, "status", "--plan", plan_id, "--unit", "HP.X001", "--now", "2026-03-02T08:00:00+07:00", "--json").stdout)
    in_views = [v["statuses"] for v in ward["views"].values()]
    assert sum(s["dang_thuc_hien_trong_han"] for s in in_views) == 1
    assert sum(s["chua_tiep_nhan"] for s in in_views) == sum(v["total"] for v in ward["views"].values()) - 1
    # A year later everything open is overdue: nothing on time, and the rate counts every item.
    late = json.loads(run(db_url, "status", "--plan", plan_id, "--now", "2027-06-01T00:00:00+07:00", "--json").stdout)
    assert late["on_time_rate"] == late["completion_rate"] == 0.0 and late["on_time"] == 0
    assert late["counted"] == late["buckets"]["chua_hoan_thanh_qua_han"] == late["stages"]["chua_hoan_thanh_qua_han"]["chua_tiep_nhan"] > 0

    text = run(db_url, "status", "--plan", plan_id).stdout
    assert "Chưa tiếp nhận:" in text and "Tỷ lệ hoàn thành đúng hạn" in text
    missing = run(db_url, "status", "--plan", "999", check=False)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    unknown = run(db_url, "status", "--plan", plan_id, "--unit", "KHONG_CO", check=False)
    assert unknown.returncode == 1 and "KHONG_CO" in unknown.stderr
