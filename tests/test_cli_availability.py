"""The issue's reproduction through the console script, on both databases: nested form data was
accepted (exit 0), then the next step exited 3 and so did every timer sweep."""

from __future__ import annotations

import json

from tests.test_cli import ADMIN, run, school

NESTED = "[" * 500 + "]" * 500


def test_nested_data_is_refused_in_one_line_and_the_timers_still_fire(db_url, tmp_path):
    run(db_url, "deploy", "bpmn/phoi_hop.bpmn")
    run(db_url, "start", "phoi_hop", "--unit", school(db_url, tmp_path), "--data", '{"tieu_de": "t"}')
    [task] = json.loads(run(db_url, "tasks", "--json").stdout)

    refused = run(db_url, "complete", task["id"], *ADMIN, "--data", f'{{"ghi_chu": {NESTED}}}', check=False)
    assert refused.returncode == 1 and refused.stdout == ""
    [line] = refused.stderr.strip().splitlines()
    assert "lồng nhau quá sâu tại ghi_chu[0][0]" in line and "tối đa 32 cấp" in line
    english = run(db_url, "--lang", "en", "complete", task["id"], *ADMIN, "--data", f'{{"ghi_chu": {NESTED}}}', check=False)
    assert english.returncode == 1 and "nested too deeply at ghi_chu[0][0]" in english.stderr

    # The bound answers before the step's form; the step (tiep_nhan, no form) then completes empty.
    run(db_url, "complete", task["id"], *ADMIN)
    fired = run(db_url, "timers", "fire", "--now", "2099-01-01T00:00:00+07:00").stdout.strip()
    assert fired == "instances=1 fired=1 failed=0"  # the deadline of the next task ("thuc_hien")
    sweep = json.loads(run(db_url, "worker", "--once", "--now", "2099-01-02T00:00:00+07:00", "--json").stdout)
    assert sweep["phase_failures"] == 0 and sweep["timer_failures"] == 0
