"""The inbox list as an XLSX workbook (openpyxl, write-only: 10,000 rows stream without building a
cell object per cell): Vietnamese headings, deadlines as real date cells shown dd/mm/yyyy hh:mm in
Hà Nội, so that Excel sorts and filters them as dates. The sheet says when the list was cut."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from webui.formatting import ZONE, role_name
from workflows.actions.inbox import EXPORT_CAP

HEADINGS = ("STT", "Hạn", "Quá hạn", "Việc", "Nhiệm vụ", "Đơn vị thực hiện", "Đơn vị xử lý bước",
            "Số kế hoạch", "Tên kế hoạch", "Kỳ", "Người xử lý", "Trạng thái")  # fmt: skip
STATUS_WORDS = {"open": "Đang chờ xử lý", "completed": "Đã xử lý", "cancelled": "Đã hủy"}
DATE_FORMAT = "dd/mm/yyyy hh:mm"
WIDTHS = (6, 18, 9, 36, 10, 30, 30, 18, 40, 12, 22, 16)


def workbook_bytes(rows: list[dict[str, Any]], *, truncated: bool, now: datetime) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Hộp việc")
    for n, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + n)].width = width
    bold = Font(bold=True)
    heading = []
    for text in HEADINGS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for n, row in enumerate(rows, start=1):
        sheet.append([n, _due_cell(sheet, row["due"]), "Quá hạn" if row["overdue"] else "", row["name"] or row["step"],
                      row["task_stt"] or "", row["work_unit_name"] or row["work_unit"] or "",
                      row["unit_name"] or row["unit"] or "", row["plan_number"] or "", row["plan_title"] or "",
                      row["period"] or "", row["assignee"] or f"Chưa giao ({role_name(row['role'] or '')})",
                      STATUS_WORDS.get(row["status"], row["status"])])  # fmt: skip
    sheet.append([])
    local = now.astimezone(ZONE)
    note = f"Xuất lúc {local:%d/%m/%Y %H:%M}: {len(rows):,} việc".replace(",", ".")
    if truncated:
        note += f" — danh sách bị cắt ở {EXPORT_CAP:,} dòng đầu; hãy lọc bớt để xuất đủ".replace(",", ".")
    sheet.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _due_cell(sheet: Any, due: str | None) -> Any:
    if not due:
        return "Không có hạn"
    cell = WriteOnlyCell(sheet, value=datetime.fromisoformat(due).astimezone(ZONE).replace(tzinfo=None))
    cell.number_format = DATE_FORMAT
    return cell
