"""Why a plan file is refused, in Vietnamese first and English second, and the limits that apply.

Every refusal carries a stable ``code`` so that callers (CLI, web, tests) branch on it while a
person reads the message in their language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

MB = 1024 * 1024

_LOOKED_FOR_VI = (
    "bảng nhiệm vụ có các cột “STT”, “Nhiệm vụ cụ thể” (hoặc “Nội dung nhiệm vụ”), "
    "“Sản phẩm/Kết quả”, “Đơn vị chủ trì”, “Đơn vị phối hợp”, “Thời gian thực hiện”; "
    "hoặc bảng chỉ tiêu có các cột “STT”, “Chỉ tiêu”, “Đơn vị tính”, “Mức đạt 2026” (hoặc “Năm 2030”…)"
)
_LOOKED_FOR_EN = (
    "a task table with columns “STT”, “Nhiệm vụ cụ thể” (or “Nội dung nhiệm vụ”), "
    "“Sản phẩm/Kết quả”, “Đơn vị chủ trì”, “Đơn vị phối hợp”, “Thời gian thực hiện”; "
    "or an indicator table with “STT”, “Chỉ tiêu”, “Đơn vị tính”, “Mức đạt 2026” (or “Năm 2030”…)"
)
_SAVE_AS_XLSX_VI = "Hãy mở tệp bằng Excel và lưu lại dưới dạng “Excel Workbook (*.xlsx)”."
_SAVE_AS_XLSX_EN = "Open it in Excel and save it again as “Excel Workbook (*.xlsx)”."
_SAVE_AS_CSV_VI = "hãy lưu lại bằng “CSV UTF-8 (Comma delimited) (*.csv)” hoặc dưới dạng .xlsx."
_SAVE_AS_CSV_EN = "save it again as “CSV UTF-8 (Comma delimited) (*.csv)” or as .xlsx."

CATALOG: dict[str, tuple[str, str]] = {
    "empty": ("Tệp rỗng, không có nội dung.", "The file is empty."),
    "too_large": (
        "Tệp quá lớn ({size_mb} MB); giới hạn là {limit_mb} MB.",
        "The file is too large ({size_mb} MB); the limit is {limit_mb} MB.",
    ),
    "legacy_xls": (
        "Đây là tệp Excel 97–2003 (.xls), chưa được hỗ trợ. " + _SAVE_AS_XLSX_VI,
        "This is a legacy Excel 97–2003 (.xls) file, which is not supported. " + _SAVE_AS_XLSX_EN,
    ),
    "legacy_office": (
        "Đây là tệp Office đời cũ (định dạng OLE, ví dụ .doc), không phải bảng tính .xlsx hay CSV.",
        "This is a legacy Office (OLE) file such as .doc, not an .xlsx or CSV spreadsheet.",
    ),
    "encrypted": (
        "Tệp được đặt mật khẩu (mã hoá) nên không đọc được. Hãy gỡ mật khẩu rồi lưu lại trước khi nhập.",
        "The file is password-protected (encrypted) and cannot be read. Remove the password and save it again.",
    ),
    "xlsb": (
        "Đây là bảng tính Excel nhị phân (.xlsb), chưa được hỗ trợ. " + _SAVE_AS_XLSX_VI,
        "This is a binary Excel workbook (.xlsb), which is not supported. " + _SAVE_AS_XLSX_EN,
    ),
    "ods": (
        "Đây là bảng tính OpenDocument (.ods), chưa được hỗ trợ. Hãy lưu lại dưới dạng .xlsx.",
        "This is an OpenDocument spreadsheet (.ods), which is not supported. Save it as .xlsx.",
    ),
    "word": (
        "Đây là văn bản Word, không phải bảng tính. Hãy chép bảng phụ lục sang Excel và lưu dưới dạng .xlsx.",
        "This is a Word document, not a spreadsheet. Copy the appendix table into Excel and save it as .xlsx.",
    ),
    "pdf": (
        "Tệp PDF không nhập trực tiếp được. Hãy dùng bảng phụ lục dạng Excel (.xlsx) hoặc CSV.",
        "PDF files cannot be imported directly. Use the appendix table as Excel (.xlsx) or CSV.",
    ),
    "html": (
        "Tệp là trang HTML/XML (thường do phần mềm xuất ra với đuôi .xls), không phải .xlsx. " + _SAVE_AS_XLSX_VI,
        "The file is an HTML/XML page (often exported with an .xls name), not .xlsx. " + _SAVE_AS_XLSX_EN,
    ),
    "image": (
        "Tệp là hình ảnh ({kind}), không phải bảng tính .xlsx hay CSV.",
        "The file is an image ({kind}), not an .xlsx or CSV spreadsheet.",
    ),
    "archive": (
        "Tệp là tệp nén ({kind}), không phải bảng tính .xlsx hay CSV.",
        "The file is a compressed archive ({kind}), not an .xlsx or CSV spreadsheet.",
    ),
    "zip_not_xlsx": (
        "Tệp nén ZIP không phải bảng tính Excel (.xlsx).",
        "The ZIP file is not an Excel workbook (.xlsx).",
    ),
    "binary": (
        "Tệp chứa dữ liệu nhị phân, không phải bảng tính .xlsx hay văn bản CSV.",
        "The file holds binary data, not an .xlsx spreadsheet or CSV text.",
    ),
    "corrupt": (
        "Tệp Excel bị hỏng hoặc không đúng chuẩn nên không đọc được ({detail}). " + _SAVE_AS_XLSX_VI,
        "The Excel file is damaged or malformed and cannot be read ({detail}). " + _SAVE_AS_XLSX_EN,
    ),
    "zip_too_many_members": (
        "Tệp có quá nhiều thành phần bên trong ({count}; giới hạn {limit}); bị từ chối vì lý do an toàn.",
        "The file has too many internal parts ({count}; the limit is {limit}); refused for safety.",
    ),
    "zip_too_large": (
        "Nội dung giải nén của tệp quá lớn ({size_mb} MB; giới hạn {limit_mb} MB); bị từ chối vì lý do an toàn.",
        "The file's uncompressed content is too large ({size_mb} MB; the limit is {limit_mb} MB); refused for safety.",
    ),
    "zip_bomb": (
        "Phần “{member}” trong tệp có tỷ lệ nén bất thường (gấp {ratio} lần) — nghi là “bom nén”; "
        "bị từ chối vì lý do an toàn.",
        "The part “{member}” has an absurd compression ratio ({ratio}×), a likely zip bomb; refused for safety.",
    ),
    "xml_doctype": (
        "Phần “{member}” của tệp có khai báo DOCTYPE/ENTITY; không được phép vì lý do an toàn.",
        "The part “{member}” declares a DOCTYPE or ENTITY, which is refused for safety.",
    ),
    "xml_encoding": (
        "Phần “{member}” của tệp dùng bảng mã không được hỗ trợ ({encoding}). " + _SAVE_AS_XLSX_VI,
        "The part “{member}” uses an unsupported encoding ({encoding}). " + _SAVE_AS_XLSX_EN,
    ),
    "too_many_rows": (
        "Trang “{sheet}” có quá nhiều dòng ({rows}; giới hạn {limit}).",
        "The sheet “{sheet}” has too many rows ({rows}; the limit is {limit}).",
    ),
    "too_many_columns": (
        "Trang “{sheet}” có quá nhiều cột ({columns}; giới hạn {limit}).",
        "The sheet “{sheet}” has too many columns ({columns}; the limit is {limit}).",
    ),
    "too_many_cells": (
        "Tệp có quá nhiều ô dữ liệu ({cells}; giới hạn {limit}).",
        "The file has too many cells ({cells}; the limit is {limit}).",
    ),
    "csv_utf16": (
        "Tệp văn bản được lưu bằng bảng mã UTF-16/UTF-32 (“Unicode Text”); " + _SAVE_AS_CSV_VI,
        "The text file is saved as UTF-16/UTF-32 (“Unicode Text”); " + _SAVE_AS_CSV_EN,
    ),
    "csv_encoding": (
        "Tệp CSV không dùng bảng mã UTF-8 nên chữ tiếng Việt không đọc đúng được; " + _SAVE_AS_CSV_VI,
        "The CSV file is not UTF-8, so its Vietnamese text cannot be read reliably; " + _SAVE_AS_CSV_EN,
    ),
    "csv_malformed": (
        "Tệp CSV không đúng định dạng ở dòng {line} ({detail}); " + _SAVE_AS_CSV_VI,
        "The CSV file is malformed at line {line} ({detail}); " + _SAVE_AS_CSV_EN,
    ),
    "csv_quote": (
        "Dòng {line} của tệp CSV có dấu ngoặc kép (\") không được đóng đúng chỗ, nên các dòng sau sẽ bị gộp "
        "vào một ô. Hãy sửa dấu ngoặc kép ở dòng này (một ô có dấu ngoặc kép phải được bao cả ô và viết "
        "dấu ngoặc kép bên trong thành \"\"), hoặc " + _SAVE_AS_CSV_VI,
        "Line {line} of the CSV file has a double quote (\") that is not closed where it should be, so the rows "
        "after it would be swallowed into one cell. Fix the quote on that line (a quoted cell must be quoted "
        "whole, with quotes inside it doubled as \"\"), or " + _SAVE_AS_CSV_EN,
    ),
    "cell_too_long": (
        "Ô {cell} của trang “{sheet}” dài {length} ký tự; giới hạn là {limit} ký tự (như Excel).",
        "The cell {cell} of the sheet “{sheet}” holds {length} characters; the limit is {limit} (as in Excel).",
    ),
    "formula_no_value": (
        "Trang “{sheet}” có {count} ô công thức chưa có giá trị đã tính (ví dụ {cells}): tệp được tạo bằng "
        "một phần mềm chưa tính công thức, nên không biết ô đó hiển thị gì. Hãy mở tệp bằng Excel, lưu lại rồi nhập.",
        "The sheet “{sheet}” has {count} formula cells with no computed value (e.g. {cells}): the file was made by "
        "a program that did not calculate them, so what they show is unknown. Open it in Excel, save it, and import again.",
    ),
    "no_table": (
        "Không tìm thấy bảng nhiệm vụ hay bảng chỉ tiêu. Cần một dòng tiêu đề cột, ví dụ: " + _LOOKED_FOR_VI + ".",
        "No task or indicator table was found. A header row is needed, for example: " + _LOOKED_FOR_EN + ".",
    ),
}


class PlanFileRefused(Exception):
    """The uploaded file cannot be imported; nothing of it was kept."""

    def __init__(self, code: str, message_vi: str, message_en: str, params: dict[str, Any] | None = None):
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en
        self.params = dict(params or {})


def refuse(code: str, **params: Any) -> NoReturn:
    """Raise the ``PlanFileRefused`` of ``code`` with its messages filled from ``params``."""
    vi, en = CATALOG[code]
    raise PlanFileRefused(code, vi.format(**params), en.format(**params), params)


def megabytes(size: int, over: int | None = None) -> str:
    """A size in MB as a person reads it: ``17.6``, ``60``, ``0.5``. Given ``over``, a limit that
    ``size`` exceeds, with as many decimals as it takes to show that it does (``10.001``, not ``10``)."""
    places = 1
    while True:
        text = f"{size / MB:.{places}f}".rstrip("0").rstrip(".")
        if over is None or size <= over or float(text) * MB > over or places >= 6:
            return text
        places += 1


@dataclass(frozen=True)
class Limits:
    """What an uploaded plan file may hold; past any of these it is refused whole."""

    max_file_bytes: int = 10 * MB
    max_uncompressed_bytes: int = 100 * MB
    max_zip_members: int = 1000
    # Excel's own XML compresses 5-50x; deflate tops out near 1030x, which is what bombs use.
    max_compression_ratio: float = 200.0
    ratio_checked_above_bytes: int = 1 * MB
    max_rows: int = 20_000
    max_columns: int = 100
    # Excel's own limit for one cell: a longer cell was not typed in Excel (a CSV quote left
    # open, or a crafted file), whichever the format.
    max_cell_chars: int = 32_767
    # openpyxl reads ~40,000 cells a second: the cap keeps the worst accepted file to a few seconds.
    max_cells: int = 200_000
