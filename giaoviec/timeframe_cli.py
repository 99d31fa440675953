"""``giaoviec timeframe "PHRASE" --year 2026 [--json]``: what a timeframe phrase means.

Prints the schedule as a table in Vietnamese, or as JSON
``{"kind": …, "periods": [{"label", "start", "end", "due"}]}`` with ``due`` an ISO instant in
+07:00 or null. A phrase the parser refuses exits 2 with its message (and the accepted forms) on
stderr. Needs no database.
"""

from __future__ import annotations

import json
from typing import Any

import click

from workflows.timeframes import Schedule, TimeframeRefused, parse_timeframe
from workflows.timeframes.model import MAX_YEAR, MIN_YEAR

KIND_VI = {"once": "một lần", "recurring": "định kỳ", "continuous": "thường xuyên (không có hạn)"}


def schedule_dict(schedule: Schedule) -> dict[str, Any]:
    return {
        "kind": schedule.kind,
        "periods": [
            {"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat(),
             "due": p.due.isoformat() if p.due else None}  # fmt: skip
            for p in schedule.periods
        ],
    }


def _table(schedule: Schedule, year: int) -> str:
    head = ("Kỳ", "Từ ngày", "Đến hết ngày", "Quá hạn từ")
    rows = [
        (p.label, p.start.strftime("%d/%m/%Y"), p.end.strftime("%d/%m/%Y"),
         p.due.strftime("%H:%M %d/%m/%Y") if p.due else "không có hạn")  # fmt: skip
        for p in schedule.periods
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [f"Loại: {KIND_VI[schedule.kind]} ({schedule.kind})"]
    if not rows:
        return "\n".join([*lines, f"Không có kỳ nào trong năm {year}."])
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [head, *rows]]
    return "\n".join(lines)


def _english() -> bool:
    """Under ``giaoviec --lang en`` the group's context carries the language; alone, Vietnamese."""
    root = click.get_current_context().find_root().obj
    return getattr(root, "lang", "vi") == "en"


@click.command("timeframe")
@click.argument("phrase")
@click.option("--year", type=click.IntRange(MIN_YEAR, MAX_YEAR), required=True,
              help="Năm của kế hoạch: năm đọc các kỳ không ghi năm, và năm liệt kê các kỳ định kỳ.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Kết quả dạng JSON.")
def timeframe(phrase: str, year: int, as_json: bool) -> None:
    """Giải nghĩa một cách ghi thời gian (ví dụ "Hằng quý", "trước ngày 15 hằng tháng")."""
    try:
        schedule = parse_timeframe(phrase, year)
    except TimeframeRefused as refusal:
        click.echo(refusal.message_en if _english() else refusal.message_vi, err=True)
        raise SystemExit(2) from None
    if as_json:
        click.echo(json.dumps(schedule_dict(schedule), ensure_ascii=False, indent=2))
    else:
        click.echo(_table(schedule, year))
