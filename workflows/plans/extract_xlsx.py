"""Read a checked XLSX into grids of cleaned text, one per visible worksheet.

openpyxl runs in read-only mode (streaming, no per-cell objects kept; it never expands merged
ranges, hyperlinks or drawings) with ``data_only=True`` (formulas' cached values). The merged
ranges, hidden rows and formulas without a cached value come from ``extract_zip``'s own scan: a
visible sheet with such a formula is refused (its text is unknown), hidden rows are skipped and
reported, as hidden sheets are. A cell longer than Excel allows is refused, as in a CSV.
Numbers and dates are shown as Excel shows them ("100%", "31/12/2026"), so a target reads
"≥95%" or "100%" whichever way the clerk typed it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from workflows.plans.extract_errors import Limits, PlanFileRefused, refuse
from workflows.plans.extract_grid import Grid
from workflows.plans.extract_text import clean_cell
from workflows.plans.extract_zip import ZipScan

_QUOTED = re.compile(r'"([^"]*)"')
_NOT_DIGITS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_DECIMALS = re.compile(r"\.([0#?]+)")
_PLACEHOLDER = re.compile(r"[0#?]")


def number_text(value: float, number_format: str) -> str:
    """A number as Excel displays it under ``number_format`` (percent, decimals, quoted text)."""
    section = number_format.split(";")[0]
    body = _NOT_DIGITS.sub("", section)
    decimals_match = _DECIMALS.search(body)
    decimals = len(decimals_match.group(1)) if decimals_match else 0
    if "%" in body:
        text = f"{value * 100:.{decimals}f}%"
    elif decimals_match:
        text = f"{value:.{decimals}f}"
    elif float(value).is_integer():
        text = str(int(value))
    else:
        text = format(value, ".15g")
    first = _PLACEHOLDER.search(section)
    split = first.start() if first else len(section)
    prefix = "".join(_QUOTED.findall(section[:split]))
    suffix = "".join(_QUOTED.findall(section[split:]))
    return f"{prefix}{text}{suffix}"


def cell_text(cell: object) -> str:
    """The cleaned text of a read-only cell."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_cell(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return number_text(value, getattr(cell, "number_format", "General") or "General")
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M" if value.time() != dt.time() else "%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return clean_cell(str(value))


def _read_sheet(ws: ReadOnlyWorksheet, part: str, scan: ZipScan, limits: Limits) -> Grid:
    uncached = scan.uncached_formulas.get(part, [])
    if uncached:
        refuse("formula_no_value", sheet=ws.title, count=len(uncached), cells=", ".join(uncached[:5]))
    ws.reset_dimensions()  # trust the cells, not a <dimension> that may be wrong
    rows: list[list[str]] = []
    for number, row in enumerate(ws.iter_rows(), start=1):
        if number > limits.max_rows:
            refuse("too_many_rows", sheet=ws.title, rows=f"> {limits.max_rows}", limit=limits.max_rows)
        for column, cell in enumerate(row):
            value = getattr(cell, "value", None)
            if isinstance(value, str) and len(value) > limits.max_cell_chars:
                refuse("cell_too_long", sheet=ws.title, cell=f"{get_column_letter(column + 1)}{number}",
                       length=len(value), limit=limits.max_cell_chars)  # fmt: skip
        texts = [cell_text(cell) for cell in row[: limits.max_columns]]
        if any(cell_text(cell) for cell in row[limits.max_columns :]):
            refuse("too_many_columns", sheet=ws.title, columns=len(row), limit=limits.max_columns)
        rows.append(texts)
    while rows and not any(rows[-1]):
        rows.pop()
    merges = [span for span in scan.merges.get(part, []) if span[0] < len(rows)]
    hidden = frozenset(n - 1 for n in scan.hidden_rows.get(part, []) if n <= len(rows))
    return Grid(ws.title, rows, merges, hidden)


def read_xlsx(data: bytes, scan: ZipScan, limits: Limits) -> tuple[list[Grid], list[str]]:
    """Grids of the visible worksheets, and the names of the hidden ones (skipped)."""
    # openpyxl warns about parts it drops (data validation extensions, unknown styles…);
    # they do not matter for reading cell text, so those warnings are silenced here only.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # a malformed package can raise almost anything
            refuse("corrupt", detail=f"{type(exc).__name__}: {exc}"[:200])
        try:
            grids, hidden = [], []
            for ws in workbook.worksheets:
                if ws.sheet_state != "visible":
                    hidden.append(ws.title)
                    continue
                # openpyxl keeps the sheet's part name privately; the pin on openpyxl 3.1 and
                # the merged-header tests guard this.
                grids.append(_read_sheet(ws, ws._worksheet_path, scan, limits))
        except PlanFileRefused:
            raise
        except Exception as exc:
            refuse("corrupt", detail=f"{type(exc).__name__}: {exc}"[:200])
        finally:
            workbook.close()
    return grids, hidden
