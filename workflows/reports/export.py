"""The Sở's consolidated view of a plan as an XLSX workbook, for people to read and file.

Every text cell is written as text: a value starting with "=", "+", "-" or "@" is never a
formula (a report saying "=HYPERLINK(…)" must not become a link, nor any other formula, when a
clerk opens the file). Times are shown in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from workflows.reports.consolidate import PlanSummary
from workflows.timeframes import LOCAL_TZ

STATUS_LABELS = {
    None: "Chưa có báo cáo",
    "draft": "Dự thảo",
    "submitted": "Đã nộp",
    "returned": "Bị trả lại",
    "approved": "Đã duyệt",
}
SUMMARY_COLUMNS = (("STT", 8), ("Nội dung", 50), ("Đơn vị", 32), ("Trạng thái báo cáo", 18), ("Phiên bản", 10),
                   ("Ngày nộp", 17), ("Kết quả", 60), ("Khó khăn, vướng mắc", 45), ("Kiến nghị", 45))  # fmt: skip
INDICATOR_COLUMNS = (("STT", 8), ("Chỉ tiêu", 60), ("Đơn vị tính", 14), ("Tử số", 14), ("Mẫu số", 14), ("Tỷ lệ %", 12),
                     ("Số đơn vị", 11))  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@")
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
_DATE_FORMAT = "dd/mm/yyyy hh:mm"
_WRAP = Alignment(wrap_text=True, vertical="top")


def plan_summary_xlsx(summary: PlanSummary) -> bytes:
    """Sheets "Tổng hợp" (one row per task × unit) and "Chỉ tiêu" (totals per indicator)."""
    workbook = Workbook()
    reports = workbook.active
    assert reports is not None
    reports.title = "Tổng hợp"
    _header(reports, SUMMARY_COLUMNS)
    for number, row in enumerate(summary.rows, 2):
        submitted = (
            row.submitted_at.astimezone(LOCAL_TZ).replace(tzinfo=None) if row.submitted_at else None
        )
        _append(reports, number, [row.task_key or "", row.content, f"{row.unit_name} ({row.unit_code})",
                                  STATUS_LABELS.get(row.status, row.status), row.version, submitted,
                                  row.ket_qua, row.kho_khan, row.kien_nghi])  # fmt: skip
    indicators = workbook.create_sheet("Chỉ tiêu")
    _header(indicators, INDICATOR_COLUMNS)
    for number, total in enumerate(summary.indicators, 2):
        rate = None if total.rate is None else total.rate * 100
        _append(indicators, number, [total.stt, total.name, total.unit_of_measure or "", total.numerator,
                                     total.denominator, None if rate is None else rate.quantize(Decimal("0.01")),
                                     total.units])  # fmt: skip
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _header(sheet: Worksheet, columns: tuple[tuple[str, int], ...]) -> None:
    bold = Font(bold=True)
    for index, (title, width) in enumerate(columns, 1):
        cell = sheet.cell(row=1, column=index, value=title)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def _append(sheet: Worksheet, row: int, values: list[Any]) -> None:
    for index, value in enumerate(values, 1):
        cell = sheet.cell(row=row, column=index)
        if value == "":
            continue  # an empty cell, not an empty string
        if isinstance(value, str):
            text = ILLEGAL_CHARACTERS_RE.sub("", value)
            if len(text) > MAX_CELL_CHARS:
                text = text[: MAX_CELL_CHARS - 30] + " … (cắt bớt / truncated)"
            cell.value = text
            # openpyxl reads a leading "=" as a formula: force the string type, and the quote
            # prefix keeps Excel from turning the text into a formula when someone edits it.
            cell.data_type = "s"
            if value.startswith(_FORMULA_STARTS):
                cell.quotePrefix = True
            cell.alignment = _WRAP
        elif isinstance(value, datetime):
            cell.value = value
            cell.number_format = _DATE_FORMAT
        else:
            cell.value = value
