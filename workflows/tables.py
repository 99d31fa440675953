"""Rows of a CSV or XLSX table keyed by its header row, read with the same defences as plan
files (size, zip bombs, XML entities, sheet size, cell length, CSV quotes, formulas without a
value: see workflows.plans.extract_*), each with the row (XLSX) or line (CSV) a person finds it at.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from engine import BadData
from workflows.plans.extract import skipped_notes
from workflows.plans.extract_csv import decode_csv, excel_separator, parse_records
from workflows.plans.extract_errors import Limits, PlanFileRefused
from workflows.plans.extract_sniff import sniff
from workflows.plans.extract_xlsx import read_xlsx
from workflows.plans.extract_zip import scan_xlsx


@dataclass(frozen=True)
class Table:
    """``rows[i]`` maps each ``header`` to its cell; ``lines[i]`` is where that row is in the
    file. ``notes`` says what was skipped (hidden sheets and rows)."""

    header: list[str]
    rows: list[dict[str, str]]
    lines: list[int]
    notes: list[str] = field(default_factory=list)


def read_rows(data: bytes, limits: Limits | None = None) -> Table:
    """The first non-empty sheet (or the CSV), as one dict per row after the header row."""
    limits = limits or Limits()
    try:
        numbered, notes = _xlsx(data, limits) if sniff(data, limits) == "xlsx" else (_csv(data, limits), [])
    except PlanFileRefused as refused:
        raise BadData("file_refused", vi=refused.message_vi, en=refused.message_en) from None
    numbered = [(line, cells) for line, cells in numbered if any(cells)]
    if not numbered:
        raise BadData("file_refused", vi="Tệp không có dòng nào.", en="The file has no rows.")
    header = numbered[0][1]
    body = numbered[1:]
    return Table(header, [dict(zip(header, cells, strict=False)) for _, cells in body], [line for line, _ in body], notes)


def _xlsx(data: bytes, limits: Limits) -> tuple[list[tuple[int, list[str]]], list[str]]:
    grids, hidden = read_xlsx(data, scan_xlsx(data, limits), limits)
    for grid in grids:
        rows = [(r + 1, row) for r, row in enumerate(grid.rows) if r not in grid.hidden_rows]
        if any(any(row) for _, row in rows):
            return rows, skipped_notes(hidden, [grid])
    return [], skipped_notes(hidden, [])


def _csv(data: bytes, limits: Limits) -> list[tuple[int, list[str]]]:
    text, _encoding = decode_csv(data)
    delimiter, text, first_line = excel_separator(text)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    return parse_records(text, delimiter, limits, "CSV", first_line=first_line)
