"""The audit search's rows as files: CSV (UTF-8 with a byte-order mark, which Excel needs to read
Vietnamese) and XLSX. Instants in Hà Nội time, dd/mm/yyyy hh:mm:ss. A cell that a spreadsheet
would run as a formula (=, +, -, @) is written as text: the trail holds what people typed."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from webui.i18n import TIMEZONE
from workflows.actions.audit_search import AuditRow

ZONE = ZoneInfo(TIMEZONE)
HEADER = ("id", "thoi_diem", "su_kien", "nguoi_thuc_hien", "ho_ten", "thay_mat", "doi_tuong", "hanh_dong_bi_tu_choi",
          "instance_id", "task_id", "chi_tiet")  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cells(row: AuditRow) -> list[str | int]:
    return [
        row.id, row.occurred_at.astimezone(ZONE).strftime("%d/%m/%Y %H:%M:%S"), row.event, row.actor, row.actor_name or "",
        row.on_behalf_of or "", row.subject or "", row.refused_action or "", str(row.instance_id or ""), str(row.task_id or ""),
        row.detail,
    ]  # fmt: skip


def _safe(value: str | int) -> str | int:
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA) else value


def to_csv(rows: Sequence[AuditRow], truncated: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows([_safe(c) for c in _cells(r)] for r in rows)
    if truncated:
        writer.writerow([f"# cắt ở {len(rows)} dòng / cut at {len(rows)} rows"])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def to_xlsx(rows: Sequence[AuditRow], truncated: bool) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("nhat_ky")
    sheet.append(HEADER)
    for row in rows:
        sheet.append([_safe(c) for c in _cells(row)])
    if truncated:
        sheet.append([f"# cắt ở {len(rows)} dòng / cut at {len(rows)} rows"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
