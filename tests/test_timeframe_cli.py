"""``giaoviec timeframe``: the JSON contract (old keys kept, new ones added), the Vietnamese
table, exit 2 on a refusal."""

from __future__ import annotations

import json

from click.testing import CliRunner

from giaoviec.timeframe_cli import timeframe


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(timeframe, list(args))


KEYS = {"label", "key", "start", "end", "due", "effective_due", "cutoff_from", "cutoff_to"}


def test_json_shape_is_exactly_kind_and_periods() -> None:
    result = run("Quý II", "--year", "2026", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "kind": "once",
        "periods": [{"label": "Quý II/2026", "key": "2026-Q2", "start": "2026-04-01", "end": "2026-06-30",
                     "due": "2026-07-01T00:00:00+07:00", "effective_due": "2026-07-01T00:00:00+07:00",
                     "cutoff_from": "2026-03-15", "cutoff_to": "2026-06-14"}],
    }  # fmt: skip


def test_json_recurring_and_continuous() -> None:
    data = json.loads(run("trước ngày 15 hằng tháng", "--year", "2026", "--json").stdout)
    assert data["kind"] == "recurring"
    assert len(data["periods"]) == 12
    assert data["periods"][0] == {
        "label": "Tháng 1/2026 (trước ngày 15/01/2026)", "key": "2026-01", "start": "2026-01-01", "end": "2026-01-14",
        "due": "2026-01-15T00:00:00+07:00", "effective_due": "2026-01-15T00:00:00+07:00",
        "cutoff_from": "2025-12-15", "cutoff_to": "2026-01-14",
    }  # fmt: skip
    assert all(set(p) == KEYS for p in data["periods"])
    continuous = json.loads(run("Thường xuyên", "--year", "2026", "--json").stdout)
    assert continuous == {
        "kind": "continuous",
        "periods": [{"label": "Thường xuyên năm 2026", "key": "2026", "start": "2026-01-01", "end": "2026-12-31", "due": None,
                     "effective_due": None, "cutoff_from": "2025-12-15", "cutoff_to": "2026-12-14"}],
    }  # fmt: skip


def test_json_shows_the_nominal_and_the_effective_due_across_tet() -> None:
    february = json.loads(run("trước ngày 15 hằng tháng", "--year", "2026", "--json").stdout)["periods"][1]
    assert (february["due"], february["effective_due"]) == ("2026-02-15T00:00:00+07:00", "2026-02-24T00:00:00+07:00")


def test_json_of_the_report_due_on_the_5th_of_the_next_month() -> None:
    periods = json.loads(run("trước ngày 05 tháng sau", "--year", "2026", "--json").stdout)["periods"]
    assert [p["key"] for p in periods] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert (periods[-1]["label"], periods[-1]["due"]) == ("Tháng 12/2026 (trước ngày 05/01/2027)", "2027-01-05T00:00:00+07:00")


def test_before_10_12() -> None:
    data = json.loads(run("trước 10/12", "--year", "2026", "--json").stdout)
    assert data["periods"][0]["due"] == "2026-12-10T00:00:00+07:00"


def test_table_in_vietnamese() -> None:
    result = run("Hàng quý", "--year", "2026")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Loại: định kỳ (recurring)"
    assert lines[1].split() == ["Kỳ", "Từ", "ngày", "Đến", "hết", "ngày", "Quá", "hạn", "từ", "Quá", "hạn", "thực", "tế", "từ", "Chốt", "số", "liệu"]
    assert lines[2].split() == ["Quý", "I/2026", "01/01/2026", "31/03/2026", "00:00", "01/04/2026", "00:00", "01/04/2026", "15/12/2025-14/03/2026"]
    assert len(lines) == 6  # no day off moves a quarter of 2026: no note


def test_table_says_why_an_effective_due_moved() -> None:
    lines = run("trước ngày 15 hằng tháng", "--year", "2026").stdout.splitlines()
    assert lines[3].split()[-5:] == ["00:00", "15/02/2026", "00:00", "24/02/2026", "15/01/2026-14/02/2026"]
    assert lines[-1].startswith("Quá hạn thực tế: thời hạn có ngày cuối là ngày nghỉ") and "Điều 148" in lines[-1]


def test_table_of_a_year_with_no_period() -> None:
    result = run("Từ năm 2027", "--year", "2026")
    assert result.exit_code == 0
    assert "Không có kỳ nào trong năm 2026." in result.stdout


def test_refusal_exits_2_with_the_vietnamese_message_on_stderr() -> None:
    result = run("khi có yêu cầu", "--year", "2026", "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "không nêu một thời hạn xác định" in result.stderr
    assert "Các cách ghi thời gian được chấp nhận" in result.stderr


def test_impossible_quarter_is_refused() -> None:
    result = run("Quý V", "--year", "2026")
    assert result.exit_code == 2
    assert 'Không có "Quý V"' in result.stderr


def test_year_is_required() -> None:
    result = run("Quý II")
    assert result.exit_code == 2
    assert "--year" in result.stderr
