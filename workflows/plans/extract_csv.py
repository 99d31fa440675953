"""Read CSV text into a grid: the encoding, the delimiter and the size, checked.

Encodings: UTF-8, with Excel's "CSV UTF-8" BOM or without; failing that, Windows-1258 (what
Excel's plain "CSV (Comma delimited)" writes on a Vietnamese Windows), accepted only if a table
header is then found in it. UTF-16/UTF-32 (Excel's "Unicode Text") is refused with advice to save
as CSV UTF-8. The delimiter (",", ";", tab, "|") is the one under which a header is recognised;
a first line "sep=;" (Excel's hint) decides it outright.

Quotes are read strictly: a quote left open (or closed in the middle of a cell) would swallow the
rows after it into one cell, so the file is refused naming the line where that record starts.
No cell may be longer than Excel allows (``Limits.max_cell_chars``), as in an XLSX.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from typing import NoReturn

from openpyxl.utils import get_column_letter

from workflows.plans.extract_errors import Limits, refuse
from workflows.plans.extract_grid import Grid
from workflows.plans.extract_header import detect_header
from workflows.plans.extract_text import clean_cell

_DELIMITERS = (",", ";", "\t", "|")
_SEP_LINE = re.compile(r"sep=(.)\r?\n")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_SNIFF_LINES = 200
_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def decode_csv(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` of CSV bytes, NFC; refuse UTF-16/32 and binary data."""
    if data.startswith(_UTF16_32_BOMS):
        refuse("csv_utf16")
    head = data[:4096]
    if b"\x00" in head:
        # Mostly-ASCII UTF-16 without a BOM has a NUL in every other byte.
        if head.count(b"\x00") * 3 >= len(head):
            refuse("csv_utf16")
        refuse("binary")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1258"), "cp1258"
        except UnicodeDecodeError:
            refuse("csv_encoding")
    if len(_CONTROL.findall(text[:65536])) > 0:
        refuse("binary")
    if not text.strip():
        refuse("empty")
    return unicodedata.normalize("NFC", text), encoding


def parse_records(text: str, delimiter: str, limits: Limits, name: str, *, first_line: int = 1,
                  max_rows: int | None = None, strict: bool = True) -> list[tuple[int, list[str]]]:  # fmt: skip
    """``(line, cells)`` of each record: the line a text editor shows where it starts (``text``
    starting at ``first_line``), its cells cleaned. ``strict=False`` only to guess the delimiter
    from a sample cut anywhere."""
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    line = first_line
    try:
        for record in reader:
            if max_rows is not None and len(rows) >= max_rows:
                break
            if len(rows) >= limits.max_rows:
                refuse("too_many_rows", sheet=name, rows=f"> {limits.max_rows}", limit=limits.max_rows)
            while record and not record[-1].strip():
                record.pop()
            if len(record) > limits.max_columns:
                refuse("too_many_columns", sheet=name, columns=len(record), limit=limits.max_columns)
            for column, field in enumerate(record):
                if len(field) > limits.max_cell_chars:
                    _too_long(name, column, line, len(field), limits)
            rows.append((line, [clean_cell(field) for field in record]))
            line = first_line + reader.line_num
    except csv.Error as exc:
        detail = str(exc)
        if "field larger than field limit" in detail:
            _too_long(name, None, line, f"> {csv.field_size_limit()}", limits)
        if "expected after" in detail or "unexpected end of data" in detail:
            refuse("csv_quote", line=line)
        refuse("csv_malformed", line=line, detail=detail[:200])
    return rows


def _too_long(name: str, column: int | None, line: int, length: int | str, limits: Limits) -> NoReturn:
    cell = f"{get_column_letter(column + 1) if column is not None else ''}{line}"
    refuse("cell_too_long", sheet=name, cell=cell, length=length, limit=limits.max_cell_chars)


def _header_score(records: list[tuple[int, list[str]]], name: str) -> int:
    grid = Grid(name, [cells for _, cells in records])
    best = 0
    for r in range(len(grid.rows)):
        header = detect_header(grid, r)
        if header is not None:
            best = max(best, len(set(header.fields.values())))
    return best


def excel_separator(text: str) -> tuple[str | None, str, int]:
    """Excel's hint "sep=;" on the first line: ``(delimiter, the text after it, its first line)``,
    or ``(None, text, 1)`` without one."""
    sep = _SEP_LINE.match(text)
    return (sep.group(1), text[sep.end() :], 2) if sep is not None else (None, text, 1)


def read_csv(data: bytes, name: str, limits: Limits) -> tuple[Grid, str]:
    """The CSV as one grid named ``name``, and the encoding it was read in."""
    text, encoding = decode_csv(data)
    delimiter, text, first_line = excel_separator(text)
    if delimiter is None:
        sample = "".join(text.splitlines(keepends=True)[:_SNIFF_LINES])
        scores = {d: _header_score(parse_records(sample, d, limits, name, max_rows=_SNIFF_LINES, strict=False), name)
                  for d in _DELIMITERS}  # fmt: skip
        delimiter = max(_DELIMITERS, key=lambda d: scores[d])
        if scores[delimiter] == 0 and encoding == "cp1258":
            refuse("csv_encoding")
    records = parse_records(text, delimiter, limits, name, first_line=first_line)
    return Grid(name, [cells for _, cells in records]), encoding
