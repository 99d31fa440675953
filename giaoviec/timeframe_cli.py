"""``giaoviec timeframe "PHRASE" --year 2026 [--json]``: what a timeframe phrase means.

Prints the schedule as a table in Vietnamese, or as JSON (``workflows.timeframes.schedule_json``):
``{"kind": …, "periods": [{"label", "key", "start", "end", "due", "effective_due", "cutoff_from",
"cutoff_to"}]}``, instants ISO in +07:00 or null. ``due`` is the deadline as written;
``effective_due`` is when the work is really late, moved past days off of the national calendar
(Civil Code 2015, Điều 148); ``cutoff_*`` are the days the period's report covers (NĐ 09/2019).
A phrase the parser refuses exits 2 with its message (and the accepted forms) on stderr. Needs no
database.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import click

from workflows.timeframes import Schedule, TimeframeRefused, parse_timeframe, schedule_json
from workflows.timeframes.model import MAX_YEAR, MIN_YEAR

KIND_VI = {"once": "một lần", "recurring": "định kỳ", "continuous": "thường xuyên (không có hạn)"}


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _instant(value: datetime | None) -> str:
    return value.strftime("%H:%M %d/%m/%Y") if value else "không có hạn"


def _table(schedule: Schedule, year: int) -> str:
    head = ("Kỳ", "Từ ngày", "Đến hết ngày", "Quá hạn từ", "Quá hạn thực tế từ", "Chốt số liệu")
    rows = [
        (p.label, _day(p.start), _day(p.end), _instant(p.due), _instant(p.effective_due),
         f"{_day(p.cutoff_from)}-{_day(p.cutoff_to)}" if p.cutoff_from and p.cutoff_to else "")  # fmt: skip
        for p in schedule.periods
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [f"Loại: {KIND_VI[schedule.kind]} ({schedule.kind})"]
    if not rows:
        return "\n".join([*lines, f"Không có kỳ nào trong năm {year}."])
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [head, *rows]]
    if any(p.effective_due != p.due for p in schedule.periods):
        lines.append("Quá hạn thực tế: thời hạn có ngày cuối là ngày nghỉ thì kết thúc vào cuối ngày làm việc tiếp theo (Điều 148 Bộ luật Dân sự 2015).")
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
        click.echo(json.dumps(schedule_json(schedule), ensure_ascii=False, indent=2))
    else:
        click.echo(_table(schedule, year))
