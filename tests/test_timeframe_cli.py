"""``giaoviec timeframe``: the JSON contract, the Vietnamese table, exit 2 on a refusal."""

from __future__ import annotations

import json

from click.testing import CliRunner

from giaoviec.timeframe_cli import timeframe


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(timeframe, list(args))


def test_json_shape_is_exactly_kind_and_periods() -> None:
    result = run("Quý II", "--year", "2026", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "kind": "once",
        "periods": [{"label": "Quý II/2026", "start": "2026-04-01", "end": "2026-06-30", "due": "2026-07-01T00:00:00+07:00"}],
    }


def test_json_recurring_and_continuous() -> None:
    data = json.loads(run("trước ngày 15 hằng tháng", "--year", "2026", "--json").stdout)
    assert data["kind"] == "recurring"
    assert len(data["periods"]) == 12
    assert data["periods"][0] == {
        "label": "Tháng 1/2026 (trước ngày 15/01/2026)", "start": "2026-01-01", "end": "2026-01-14",
        "due": "2026-01-15T00:00:00+07:00",
    }  # fmt: skip
    assert all(set(p) == {"label", "start", "end", "due"} for p in data["periods"])
    continuous = json.loads(run("Thường xuyên", "--year", "2026", "--json").stdout)
    assert continuous == {
        "kind": "continuous",
        "periods": [{"label": "Thường xuyên năm 2026", "start": "2026-01-01", "end": "2026-12-31", "due": None}],
    }


def test_before_10_12() -> None:
    data = json.loads(run("trước 10/12", "--year", "2026", "--json").stdout)
    assert data["periods"][0]["due"] == "2026-12-10T00:00:00+07:00"


def test_table_in_vietnamese() -> None:
    result = run("Hàng quý", "--year", "2026")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Loại: định kỳ (recurring)"
    assert lines[1].split() == ["Kỳ", "Từ", "ngày", "Đến", "hết", "ngày", "Quá", "hạn", "từ"]
    assert lines[2].split() == ["Quý", "I/2026", "01/01/2026", "31/03/2026", "00:00", "01/04/2026"]
    assert len(lines) == 6


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
