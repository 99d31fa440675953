"""Rows of a CSV or XLSX table, keyed by the header row, read safely (see workflows.plans.extract)."""

from __future__ import annotations

import csv
import io

from engine import BadData


def read_rows(data: bytes, filename: str) -> list[dict[str, str]]:
    """The first table of a CSV (UTF-8, BOM allowed, comma/semicolon/tab) or XLSX file."""
    if data[:4] == b"PK\x03\x04":
        from workflows.plans.extract import read_sheet_rows

        grid = read_sheet_rows(data, filename)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadData(detail="tệp CSV phải mã hóa UTF-8 / CSV must be UTF-8") from None
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        grid = [row for row in csv.reader(io.StringIO(text), dialect)]
    grid = [[(cell or "").strip() for cell in row] for row in grid if any((cell or "").strip() for cell in row)]
    if not grid:
        raise BadData(detail="tệp không có dòng nào / the file has no rows")
    header = grid[0]
    return [dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)) for row in grid[1:]]
