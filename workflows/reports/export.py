"""A plan as XLSX workbooks, for people to read and file: the Sở's consolidated reports of one
period (``plan_summary_xlsx``), and the plan page's progress with the units that have not
submitted (``plan_progress_xlsx``). Headings are Vietnamese; dates dd/mm/yyyy.

Every text cell is written as text: a value starting with "=", "+", "-" or "@" is never a
formula (a report saying "=HYPERLINK(…)" must not become a link, nor any other formula, when a
clerk opens the file). Times are shown in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from workflows.reports.consolidate import PlanSummary
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.pending import PHASE_LABELS, ROLE_LABELS, PendingUnit
from workflows.tracking.status import STATUSES, StatusSummary

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
PROGRESS_COLUMNS = (("STT", 8), ("Nhiệm vụ", 50), ("Đơn vị chủ trì", 28), ("Thời gian", 16), ("Tổng số", 9),
                    *((label, 13) for label, _en in STATUSES.values()), ("Tỷ lệ hoàn thành (%)", 12),
                    ("Tỷ lệ hoàn thành đúng hạn (%)", 14), ("Số đơn vị chưa nộp", 11))  # fmt: skip
PENDING_COLUMNS = (("STT", 8), ("Nhiệm vụ", 50), ("Kỳ", 14), ("Đơn vị", 40), ("Mã đơn vị", 22), ("Vai trò", 16),
                   ("Tình trạng", 16), ("Hạn", 12), ("Quá hạn", 9))  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@")
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
_DATE_FORMAT = "dd/mm/yyyy hh:mm"
_DAY_FORMAT = "dd/mm/yyyy"
_PERCENT_FORMAT = "0.00"
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


@dataclass(frozen=True)
class ProgressRow:
    """One task's line of the progress sheet."""

    label: str  # "I.1": section and STT as the plan writes them
    stt: str  # the task's key, which ``PendingUnit.task_key`` names
    content: str
    lead: str
    timeframe: str
    summary: StatusSummary | None
    pending: int


@dataclass(frozen=True)
class ProgressWorkbook:
    number: str | None
    title: str
    year: int
    issuer: str
    scope: str  # "" for the whole province, else the unit whose subtree is counted
    as_of: datetime
    tasks: Sequence[ProgressRow]
    pending: Sequence[tuple[PendingUnit, str]]  # each with its period's label


def plan_progress_xlsx(book: ProgressWorkbook) -> bytes:
    """Sheets "Tiến độ" (per task: the eight statuses, the two rates, how many have not
    submitted), "Chưa nộp" (every unit not submitted, soonest deadline first within each task)
    and "Thông tin" (which plan, whose work, counted when)."""
    workbook = Workbook()
    progress = workbook.active
    assert progress is not None
    progress.title = "Tiến độ"
    _header(progress, PROGRESS_COLUMNS)
    for number, task in enumerate(book.tasks, 2):
        summary = task.summary or StatusSummary()
        _append(progress, number, [task.label, task.content, task.lead, task.timeframe, summary.total,
                                   *(summary.statuses[code] for code in STATUSES), _percent(summary.completion_rate),
                                   _percent(summary.on_time_rate), task.pending])  # fmt: skip
        for column in (len(PROGRESS_COLUMNS) - 2, len(PROGRESS_COLUMNS) - 1):
            progress.cell(row=number, column=column).number_format = _PERCENT_FORMAT
    labels = {t.stt: t.label for t in book.tasks}
    contents = {t.stt: t.content for t in book.tasks}
    pending = workbook.create_sheet("Chưa nộp")
    _header(pending, PENDING_COLUMNS)
    for number, (row, period) in enumerate(book.pending, 2):
        _append(pending, number, [labels.get(row.task_key, row.task_key), contents.get(row.task_key, ""), period, row.unit_name,
                                  row.unit_code, ROLE_LABELS.get(row.role, (row.role,))[0],
                                  PHASE_LABELS.get(row.phase, (row.phase,))[0], _day(row.due_at),
                                  "Có" if row.overdue else "Không"])  # fmt: skip
    about = workbook.create_sheet("Thông tin")
    scope = f"{book.scope} và các đơn vị trực thuộc" if book.scope else "Toàn tỉnh/thành phố"
    as_of = book.as_of.astimezone(LOCAL_TZ).replace(tzinfo=None)
    for number, (key, value) in enumerate((("Số ký hiệu", book.number or ""), ("Kế hoạch", book.title), ("Năm", book.year),
                                           ("Đơn vị ban hành", book.issuer), ("Phạm vi số liệu", scope),
                                           ("Số liệu tính đến", as_of)), 1):  # fmt: skip
        about.cell(row=number, column=1, value=key).font = Font(bold=True)
        _append(about, number, ["", value])
    about.column_dimensions["A"].width = 20
    about.column_dimensions["B"].width = 80
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else (value * 100).quantize(Decimal("0.01"))


def _day(instant: datetime | None) -> date | None:
    """A deadline's day in Hà Nội (deadlines are the end of a day, or the start of the next)."""
    return None if instant is None else instant.astimezone(LOCAL_TZ).date()


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
        elif isinstance(value, date):
            cell.value = value
            cell.number_format = _DAY_FORMAT
        else:
            cell.value = value
