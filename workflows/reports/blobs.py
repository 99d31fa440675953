"""Attachments' bytes: what a file is (from its bytes, never its name) and storing it once.

Accepted: PDF, Word/Excel/PowerPoint (DOCX/XLSX/PPTX), legacy Word/Excel (DOC/XLS), JPEG, PNG and
UTF-8 text or CSV. Everything else is refused, named where we can tell what it is: programs,
HTML/SVG/XML (a browser would run their scripts), macro-enabled or password-protected Office
files, other archives. A ZIP is only ever listed and its ``[Content_Types].xml`` read, with
its declared size bounded (zipfile never inflates past the declared size): nothing is extracted.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from datetime import datetime

from sqlalchemy.orm import Session

from engine import BadData
from workflows.reports.models import Blob

MAX_BLOB_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 5_000
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
MAX_FILENAME_CHARS = 255

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
JPEG = "image/jpeg"
PNG = "image/png"
TEXT = "text/plain; charset=utf-8"
CSV = "text/csv; charset=utf-8"

ACCEPTED = "PDF, DOCX, XLSX, PPTX, DOC, XLS, JPEG, PNG, TXT, CSV"

# The main part of each accepted OOXML package, as [Content_Types].xml declares it.
_OOXML_MAIN = {
    b"wordprocessingml.document.main+xml": DOCX,
    b"spreadsheetml.sheet.main+xml": XLSX,
    b"presentationml.presentation.main+xml": PPTX,
}
_PROGRAMS = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Markup a browser would render (and run scripts in) if the file were ever served inline.
_MARKUP = re.compile(
    r"<\s*(?:html|script|svg|iframe|body|head|meta|object|embed|!doctype|\?xml)\b", re.IGNORECASE
)
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    EOFError,
    OSError,
    ValueError,
    KeyError,
)


def _refuse(filename: str, vi: str, en: str) -> BadData:
    return BadData(detail=f"{filename}: {vi} / {en}")


def _unaccepted(filename: str, what_vi: str, what_en: str) -> BadData:
    return _refuse(
        filename,
        f"{what_vi} không được chấp nhận; chỉ nhận {ACCEPTED}",
        f"{what_en} is not accepted; accepted types: {ACCEPTED}",
    )


def sniff_media_type(content: bytes, filename: str, *, limit: int = MAX_BLOB_BYTES) -> str:
    """The media type of ``content`` from its bytes; ``BadData`` for anything not accepted.

    The filename only tells CSV from plain text (both are safe text) and names the file in
    messages.
    """
    if not content:
        raise _refuse(filename, "tệp rỗng", "the file is empty")
    if len(content) > limit:
        raise _refuse(
            filename,
            f"tệp quá lớn ({len(content)} byte; tối đa {limit} byte)",
            f"the file is too large ({len(content)} bytes; the limit is {limit} bytes)",
        )
    head = content[:16]
    if head.startswith(_PROGRAMS):
        raise _unaccepted(
            filename, "Tệp chương trình (.exe, ELF, Mach-O)", "A program (.exe, ELF, Mach-O)"
        )
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(_ZIP):
        return _ooxml(content, filename)
    if head.startswith(_OLE):
        return _legacy_office(content, filename)
    return _text(content, filename)


def _ooxml(content: bytes, filename: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise _refuse(filename, f"tệp nén có quá nhiều thành phần ({len(infos)})",
                              f"the archive has too many members ({len(infos)})")  # fmt: skip
            if any(info.flag_bits & 0x1 for info in infos):
                raise _refuse(filename, "tệp có mật khẩu; hãy gỡ mật khẩu rồi tải lên lại",
                              "the file is password-protected; remove the password and upload again")  # fmt: skip
            names = {info.filename.lower(): info for info in infos}
            if any(name.endswith("vbaproject.bin") for name in names):
                raise _macros(filename)
            types = names.get("[content_types].xml")
            if types is None or types.file_size > MAX_CONTENT_TYPES_BYTES:
                raise _unaccepted(
                    filename,
                    "Tệp nén (ZIP) không phải văn bản Office",
                    "A ZIP archive that is not an Office document",
                )
            declared = archive.read(types)
    except _ZIP_ERRORS as exc:
        raise _refuse(
            filename, "tệp nén hỏng", f"the archive is corrupt ({type(exc).__name__})"
        ) from None
    if b"macroenabled" in declared.lower():
        raise _macros(filename)
    found = {media for marker, media in _OOXML_MAIN.items() if marker in declared}
    if len(found) != 1:
        raise _unaccepted(
            filename,
            "Tệp nén (ZIP) không phải văn bản Office",
            "A ZIP archive that is not an Office document",
        )
    return found.pop()


def _macros(filename: str) -> BadData:
    return _refuse(filename, "tệp Office có macro không được chấp nhận; hãy lưu lại dạng không có macro (.docx, .xlsx, .pptx)",
                   "macro-enabled Office files are refused; save it without macros (.docx, .xlsx, .pptx)")  # fmt: skip


def _legacy_office(content: bytes, filename: str) -> str:
    """DOC or XLS by the names of their streams (an OLE2 file may also be an installer)."""

    def has_stream(name: str) -> bool:
        return name.encode("utf-16-le") in content

    if has_stream("EncryptedPackage"):
        raise _refuse(filename, "tệp có mật khẩu; hãy gỡ mật khẩu rồi tải lên lại",
                      "the file is password-protected; remove the password and upload again")  # fmt: skip
    if has_stream("_VBA_PROJECT"):
        raise _macros(filename)
    if has_stream("WordDocument"):
        return DOC
    if has_stream("Workbook") or has_stream("Book"):
        return XLS
    raise _unaccepted(
        filename, "Tệp OLE (không phải Word/Excel)", "An OLE file that is not Word or Excel"
    )


def _text(content: bytes, filename: str) -> str:
    try:
        text = content.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        raise _unaccepted(
            filename,
            "Tệp không nhận dạng được (không phải văn bản UTF-8)",
            "An unrecognised file (not UTF-8 text)",
        ) from None
    if _CONTROL.search(text):
        raise _unaccepted(
            filename, "Tệp nhị phân không nhận dạng được", "An unrecognised binary file"
        )
    if text.lstrip().startswith("<") or _MARKUP.search(text):
        raise _unaccepted(filename, "Tệp HTML/SVG/XML", "An HTML/SVG/XML file")
    if text.startswith("#!"):
        raise _unaccepted(filename, "Tệp lệnh (script)", "A script")
    return CSV if filename.lower().endswith(".csv") else TEXT


def clean_filename(filename: str) -> str:
    """The name to keep: no directories, no control characters, NFC, at most 255 characters."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = (
        _CONTROL.sub("", name)
        .replace("\r", "")
        .replace("\n", "")
        .replace("\t", " ")
        .strip()
        .strip(".")
    )
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        keep = extension[:20] if dot else ""
        name = (stem if dot else name)[: MAX_FILENAME_CHARS - len(keep) - 1].rstrip() + (
            f".{keep}" if keep else ""
        )
    return name or "tep_dinh_kem"


def store_blob(
    session: Session, content: bytes, *, filename: str, now: datetime, limit: int = MAX_BLOB_BYTES
) -> Blob:
    """Check ``content`` and store it once: the same bytes always give the same (existing) row."""
    media_type = sniff_media_type(content, filename, limit=limit)
    digest = hashlib.sha256(content).hexdigest()
    blob = session.get(Blob, digest)
    if blob is None:
        blob = Blob(
            sha256=digest, size=len(content), media_type=media_type, data=content, created_at=now
        )
        session.add(blob)
        session.flush()  # into the identity map: the same bytes again in this step find this row
    return blob
