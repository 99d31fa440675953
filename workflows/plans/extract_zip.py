"""Check an XLSX package before any XML parser sees it, and read its merged ranges.

Cheapest checks first, so that hostile files are refused in well under a second:
1. the ZIP directory: member count, encrypted members, declared sizes and compression ratios
   (zipfile never inflates a member past its declared size: a lying header ends in a CRC error);
2. the content types: an .xlsx/.xlsm/.xltx workbook, not .xlsb, Word or an OpenDocument file;
3. every member that is XML: no DOCTYPE or ENTITY anywhere, only ASCII-compatible encodings
   (so that the byte search cannot be dodged with UTF-16 or EBCDIC), and for each worksheet its
   rows, columns, cells and merged ranges within the limits.
openpyxl (which parses with the standard library) then reads only files that passed.

The same pass notes what openpyxl's streaming reader does not say: which rows are hidden, and
which formula cells have no computed value (a file written by a program that never calculated
it reads as empty there, which would be wrong).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl.utils import column_index_from_string

from workflows.plans.extract_errors import Limits, megabytes, refuse
from workflows.plans.extract_grid import Span

_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""<\?xml[ \t\r\n][^>]{0,200}?encoding[ \t\r\n]*=[ \t\r\n]*["']([^"']{0,40})["']""")
_ASCII_COMPATIBLE = re.compile(
    r"utf-?8|us-ascii|ascii|iso-?8859-\d{1,2}|latin-?1|(?:windows|cp)-?125\d", re.IGNORECASE
)
_SHEET_DATA = re.compile(rb"<" + _NS + rb"sheetData[\s/>]")
_ROW = re.compile(rb"<" + _NS + rb"row[\s/>]")
_ROW_NUMBER = re.compile(rb"<" + _NS + rb"row\s[^>]*?\br\s*=\s*[\"'](\d+)[\"']")
_CELL = re.compile(rb"<" + _NS + rb"c[\s/>]")
_CELL_COLUMN = re.compile(rb"\sr\s*=\s*[\"']\$?([A-Z]{1,3})\$?\d+[\"']")
_MERGE = re.compile(
    rb"<" + _NS + rb"mergeCell\s[^>]*?\bref\s*=\s*[\"']\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?[\"']"
)
_ROW_TAG = re.compile(rb"<" + _NS + rb"row\s[^>]*>")
_CELL_ELEMENT = re.compile(rb"<" + _NS + rb"c(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + _NS + rb"c>)", re.DOTALL)
_FORMULA = re.compile(rb"<" + _NS + rb"f[\s/>]")
_VALUE = re.compile(rb"<" + _NS + rb"v(?:\s[^>]*)?(?:/>|>([^<]*)<)")
_SHARED_STRINGS = re.compile(rb"<" + _NS + rb"sst[\s>]")
_SHARED_STRING = re.compile(rb"<" + _NS + rb"si[\s/>]")
_WORKBOOK_TYPES = (
    b"spreadsheetml.sheet.main",
    b"spreadsheetml.template.main",
    b"ms-excel.sheet.macroEnabled.main",
    b"ms-excel.template.macroEnabled.main",
)
_SHEET_ENTRY = re.compile(rb"<" + _NS + rb"sheet\s[^>]*>")
_RELATIONSHIP = re.compile(rb"<" + _NS + rb"Relationship\s[^>]*>")
_ATTRIBUTE = re.compile(rb"""(?:^|\s)([\w:]+)\s*=\s*["']([^"']*)["']""")
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError)


@dataclass(frozen=True)
class ZipScan:
    """What the checks learnt, per worksheet part (e.g. ``xl/worksheets/sheet1.xml``): merged
    ranges, hidden rows (1-based), and the cells ("B5") of formulas with no computed value."""

    merges: dict[str, list[Span]]
    hidden_rows: dict[str, list[int]] = field(default_factory=dict)
    uncached_formulas: dict[str, list[str]] = field(default_factory=dict)


def scan_xlsx(data: bytes, limits: Limits) -> ZipScan:
    """Refuse a hostile or non-workbook ZIP; return the merged ranges of a safe one."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except _ZIP_ERRORS as exc:
        refuse("corrupt", detail=_detail(exc))
    with archive:
        _check_directory(infos, limits)
        _check_content_types(archive, {info.filename for info in infos})
        names = _sheet_names(archive)
        scan = ZipScan({})
        cells = 0
        for info in infos:
            part = _read(archive, info)
            if not _is_xml(part, info.filename):
                continue
            if _DTD.search(part):
                refuse("xml_doctype", member=info.filename)
            if _SHARED_STRINGS.search(part, 0, 4096) and len(_SHARED_STRING.findall(part)) > limits.max_cells:
                refuse("too_many_cells", cells=len(_SHARED_STRING.findall(part)), limit=limits.max_cells)
            if _SHEET_DATA.search(part):
                sheet = names.get(info.filename, info.filename)
                cells += _check_sheet(part, sheet, limits)
                scan.merges[info.filename] = _merges(part, sheet, limits)
                if cells > limits.max_cells:
                    refuse("too_many_cells", cells=cells, limit=limits.max_cells)
                scan.hidden_rows[info.filename] = _hidden_rows(part)
                scan.uncached_formulas[info.filename] = _uncached_formulas(part)
    return scan


def _detail(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _check_directory(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_zip_members:
        refuse("zip_too_many_members", count=len(infos), limit=limits.max_zip_members)
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            refuse("encrypted")
        if info.file_size > limits.ratio_checked_above_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                refuse("zip_bomb", member=info.filename, ratio=f"{ratio:.0f}")
        total += info.file_size
    if total > limits.max_uncompressed_bytes:
        refuse("zip_too_large", size_mb=megabytes(total), limit_mb=megabytes(limits.max_uncompressed_bytes))


def _check_content_types(archive: zipfile.ZipFile, names: set[str]) -> None:
    if "[Content_Types].xml" not in names:
        mimetype = _read(archive, archive.getinfo("mimetype"))[:100] if "mimetype" in names else b""
        if b"opendocument.spreadsheet" in mimetype:
            refuse("ods")
        if b"opendocument.text" in mimetype:
            refuse("word")
        refuse("zip_not_xlsx")
    types = _read(archive, archive.getinfo("[Content_Types].xml"))
    if any(kind in types for kind in _WORKBOOK_TYPES):
        return
    if b"ms-excel.sheet.binary" in types:
        refuse("xlsb")
    if b"wordprocessingml" in types:
        refuse("word")
    refuse("zip_not_xlsx")


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    # Read at most the declared size (plus one byte), never ``read()``: asked for everything,
    # zipfile inflates the whole deflate stream in one go before it checks the size, so a member
    # that claims 1 kB and holds 10 GB of zeros would be inflated in memory first.
    try:
        with archive.open(info) as member:
            return member.read(info.file_size + 1)
    except RuntimeError:  # zipfile's "password required" for an encrypted member
        refuse("encrypted")
    except _ZIP_ERRORS as exc:
        refuse("corrupt", detail=_detail(exc))


def _is_xml(part: bytes, member: str) -> bool:
    """Whether a member is XML text; refuse XML in an encoding the byte search could miss."""
    if part.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        refuse("xml_encoding", member=member, encoding="UTF-16/UTF-32")
    head = part[:512].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if not head.startswith(b"<"):
        return False
    if b"\x00" in head:
        refuse("xml_encoding", member=member, encoding="UTF-16/UTF-32")
    declared = _ENCODING.match(head)
    if declared is not None:
        encoding = declared.group(1).decode("ascii", "replace")
        if not _ASCII_COMPATIBLE.fullmatch(encoding):
            refuse("xml_encoding", member=member, encoding=encoding)
    return True


def _check_sheet(part: bytes, sheet: str, limits: Limits) -> int:
    """Refuse a worksheet past the row, column or cell limits; return its cell count."""
    rows = len(_ROW.findall(part))
    numbers = [int(n) for n in _ROW_NUMBER.findall(part)] if rows <= limits.max_rows else []
    last_row = max([rows, *numbers])
    if last_row > limits.max_rows:
        refuse("too_many_rows", sheet=sheet, rows=last_row, limit=limits.max_rows)
    cells = len(_CELL.findall(part))
    if cells > limits.max_cells:
        refuse("too_many_cells", cells=cells, limit=limits.max_cells)
    letters = set(_CELL_COLUMN.findall(part))
    last_column = max((column_index_from_string(c.decode()) for c in letters), default=0)
    if last_column > limits.max_columns:
        refuse("too_many_columns", sheet=sheet, columns=last_column, limit=limits.max_columns)
    return cells


def _hidden_rows(part: bytes) -> list[int]:
    hidden = []
    for tag in _ROW_TAG.findall(part):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if attributes.get(b"hidden", b"").strip().lower() in (b"1", b"true") and attributes.get(b"r", b"").isdigit():
            hidden.append(int(attributes[b"r"]))
    return hidden


def _uncached_formulas(part: bytes) -> list[str]:
    """Formula cells with no value, or an empty one where only a text result can be empty
    (openpyxl writes ``<v></v>``; Excel writes ``t="str"`` with an empty text result)."""
    if not _FORMULA.search(part):
        return []
    found = []
    for attributes, body in _CELL_ELEMENT.findall(part):
        if not body or not _FORMULA.search(body):
            continue
        value = _VALUE.search(body)
        attribute = dict(_ATTRIBUTE.findall(attributes))
        if value is None or (not (value.group(1) or b"").strip() and attribute.get(b"t") != b"str"):
            found.append(attribute.get(b"r", b"?").decode("ascii", "replace"))
    return found


def _merges(part: bytes, sheet: str, limits: Limits) -> list[Span]:
    spans: list[Span] = []
    area = 0
    for first_col, first_row, last_col, last_row in _MERGE.findall(part):
        c0, r0 = column_index_from_string(first_col.decode()), int(first_row)
        c1 = column_index_from_string(last_col.decode()) if last_col else c0
        r1 = int(last_row) if last_row else r0
        r0, r1, c0, c1 = min(r0, r1), max(r0, r1), min(c0, c1), max(c0, c1)
        if r1 > limits.max_rows:
            refuse("too_many_rows", sheet=sheet, rows=r1, limit=limits.max_rows)
        if c1 > limits.max_columns:
            refuse("too_many_columns", sheet=sheet, columns=c1, limit=limits.max_columns)
        area += (r1 - r0 + 1) * (c1 - c0 + 1)
        if area > limits.max_cells:
            refuse("too_many_cells", cells=area, limit=limits.max_cells)
        if (r0, c0) != (r1, c1):
            spans.append((r0 - 1, c0 - 1, r1 - 1, c1 - 1))
    return spans


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Best effort, for messages only: worksheet part -> the sheet's name as the clerk sees it."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except (KeyError, *_ZIP_ERRORS):
        return {}
    targets = {}
    for tag in _RELATIONSHIP.findall(rels):
        attributes = dict(_ATTRIBUTE.findall(tag))
        targets[attributes.get(b"Id")] = attributes.get(b"Target", b"")
    names = {}
    for tag in _SHEET_ENTRY.findall(workbook):
        attributes = {key.rpartition(b":")[2]: value for key, value in _ATTRIBUTE.findall(tag)}
        target = targets.get(attributes.get(b"id"), b"").decode("utf-8", "replace").lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        names[part] = html.unescape(attributes.get(b"name", b"").decode("utf-8", "replace"))
    return names
