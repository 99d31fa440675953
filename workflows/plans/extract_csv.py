"""Read CSV text into a grid: the encoding, the delimiter and the size, checked.

Encodings: UTF-8, with Excel's "CSV UTF-8" BOM or without; failing that, Windows-1258 (what
Excel's plain "CSV (Comma delimited)" writes on a Vietnamese Windows), accepted only if a table
header is then found in it. UTF-16/UTF-32 (Excel's "Unicode Text") is refused with advice to save
as CSV UTF-8. The delimiter (",", ";", tab, "|") is the one under which a header is recognised;
a first line "sep=;" (Excel's hint) decides it outright.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata

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


def _parse(text: str, delimiter: str, limits: Limits, name: str, max_rows: int | None = None) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False):
            if max_rows is not None and len(rows) >= max_rows:
                break
            if len(rows) >= limits.max_rows:
                refuse("too_many_rows", sheet=name, rows=f"> {limits.max_rows}", limit=limits.max_rows)
            while record and not record[-1].strip():
                record.pop()
            if len(record) > limits.max_columns:
                refuse("too_many_columns", sheet=name, columns=len(record), limit=limits.max_columns)
            rows.append([clean_cell(field) for field in record])
    except csv.Error as exc:
        refuse("csv_malformed", detail=str(exc)[:200])
    return rows


def _header_score(rows: list[list[str]], name: str) -> int:
    grid = Grid(name, [list(row) for row in rows])
    best = 0
    for r in range(len(grid.rows)):
        header = detect_header(grid, r)
        if header is not None:
            best = max(best, len(set(header.fields.values())))
    return best


def read_csv(data: bytes, name: str, limits: Limits) -> tuple[Grid, str]:
    """The CSV as one grid named ``name``, and the encoding it was read in."""
    text, encoding = decode_csv(data)
    sep = _SEP_LINE.match(text)
    if sep is not None:
        delimiter, text = sep.group(1), text[sep.end() :]
    else:
        sample = "".join(text.splitlines(keepends=True)[:_SNIFF_LINES])
        scores = {d: _header_score(_parse(sample, d, limits, name, _SNIFF_LINES), name) for d in _DELIMITERS}
        delimiter = max(_DELIMITERS, key=lambda d: scores[d])
        if scores[delimiter] == 0 and encoding == "cp1258":
            refuse("csv_encoding")
    return Grid(name, _parse(text, delimiter, limits, name)), encoding
