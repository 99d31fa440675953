"""What a file is, from its first bytes (never its name): XLSX (a ZIP), CSV text, or refused.

Known non-spreadsheet formats get a message that tells the clerk what to do instead: a legacy
.xls must be saved as .xlsx, a password must be removed, a PDF or Word plan needs its appendix
table copied into Excel.
"""

from __future__ import annotations

from typing import Literal

from workflows.plans.extract_errors import Limits, megabytes, refuse

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_IMAGES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}
_ARCHIVES = {b"\x1f\x8b": "gzip", b"Rar!\x1a\x07": "RAR", b"7z\xbc\xaf\x27\x1c": "7z"}


def _other_image(head: bytes) -> str | None:
    """Formats whose magic is too short to trust alone ("BM" may start a CSV's "BM-01")."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[:2] == b"BM" and head[6:10] == b"\0\0\0\0":
        return "BMP"
    return None


def _looks_like_markup(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<html", b"<!doctype", b"<table", b"<meta", b"<head", b"<body"))


def sniff(data: bytes, limits: Limits) -> Literal["xlsx", "csv"]:
    """``"xlsx"`` for a ZIP to open as a workbook, ``"csv"`` for text; refuse anything else."""
    if not data:
        refuse("empty")
    if len(data) > limits.max_file_bytes:
        refuse("too_large", size_mb=megabytes(len(data), limits.max_file_bytes), limit_mb=megabytes(limits.max_file_bytes))
    head = data[:512]
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE):
        # An encrypted .xlsx is an OLE file whose streams are EncryptionInfo + EncryptedPackage.
        if "EncryptedPackage".encode("utf-16-le") in data:
            refuse("encrypted")
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            refuse("legacy_xls")
        refuse("legacy_office")
    if head.startswith(b"%PDF"):
        refuse("pdf")
    if head.startswith(b"{\\rtf"):
        refuse("word")
    for magic, kind in _IMAGES.items():
        if head.startswith(magic):
            refuse("image", kind=kind)
    if (other := _other_image(head)) is not None:
        refuse("image", kind=other)
    for magic, kind in _ARCHIVES.items():
        if head.startswith(magic):
            refuse("archive", kind=kind)
    if _looks_like_markup(head):
        refuse("html")
    return "csv"
