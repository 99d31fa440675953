"""``giaoviec bench``: the command's contract (its JSON keys and table), at tiny sizes.

Only the shape of the output is checked: the numbers are the benchmark's, never asserted here.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from giaoviec.cli import main

pytestmark = pytest.mark.slow  # the whole benchmark runs, at tiny sizes (~30 s each)

# Per database; ``<db>_`` is prepended.
FIGURES = (
    "deploy_ms", "deploy_noop_ms", "start_ms", "start_batched_ms", "complete_one_ms", "complete_one_large_ms",
    "complete_fanout_ratio", "complete_seal_ms", "complete_in_memory_ms", "completions_per_s_1_thread", "completions_per_s_1_thread_incl_worker",
    "completions_per_s_4_threads", "completions_per_s_4_procs", "completions_p99_ms_4_procs",
    "school_submit_ms", "school_accept_ms", "school_approve_ms", "school_fanout_ratio", "school_counters_match",
    "completions_lost_4_procs", "completions_applied_twice_4_procs", "timers_per_s", "timer_statements", "timers_100k_s", "timers_exactly_once",
    "deadlines_per_s", "deadline_statements", "deadlines_100k_s", "deadlines_exactly_once",
    "province_instances", "province_seconds", "state_bytes", "raw_tx_per_s_1", "raw_tx_per_s_4",
    "complete_one_ms_raw_ratio", "completions_per_s_4_threads_raw_ratio", "province_seconds_raw_ratio",
)  # fmt: skip


def _kind(db_url: str) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgresql"


def test_bench_json_names_every_figure(db_url: str) -> None:
    kind = _kind(db_url)  # the bench makes its own databases; the fixture picks the kind (and skips)
    result = CliRunner().invoke(main, ["bench", "--smoke", "--db", kind, "--json"])
    assert result.exit_code == 0, result.output
    blob = json.loads(result.stdout.strip().splitlines()[-1])
    missing = [f"{kind}_{name}" for name in FIGURES if f"{kind}_{name}" not in blob]
    assert not missing
    assert blob[f"{kind}_timers_exactly_once"] is True and blob[f"{kind}_deadlines_exactly_once"] is True
    assert blob[f"{kind}_province_instances"] > 0 and blob[f"{kind}_school_counters_match"] is True
    assert blob[f"{kind}_completions_lost_4_procs"] == 0 and blob[f"{kind}_completions_applied_twice_4_procs"] == 0
    assert blob["naive_over_ours_" + kind + "_10_ratio"] > 0
    assert "peak_rss_mb" in blob
    other = "postgresql" if kind == "sqlite" else "sqlite"
    assert not any(key.startswith(other) for key in blob)  # --db chose one database
    ratios = [key for key in blob if "ratio" in key]
    assert ratios and all(key.endswith("_ratio") for key in ratios)
    assert all(isinstance(blob[key], (int, float)) for key in ratios)


def test_bench_table_has_figure_value_target_ratio() -> None:
    result = CliRunner().invoke(main, ["bench", "--smoke", "--db", "sqlite"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("figure"))
    assert header.split() == ["figure", "value", "target", "x", "raw", "limit"]
    assert any(line.startswith("sqlite: complete one task") and "<= 1" in line for line in lines)
    assert any(line.startswith("peak RSS") for line in lines)
