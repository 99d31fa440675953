"""What a file is from its bytes, and each content stored once (on both databases)."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from engine import BadData
from workflows.reports import blobs
from workflows.reports.blobs import MAX_BLOB_BYTES, clean_filename, sniff_media_type, store_blob
from workflows.reports.models import Blob

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def _ooxml(main: str, *extra: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types><Override PartName="/x.xml" ContentType="{main}"/></Types>',
        )
        for name in extra:
            archive.writestr(name, b"\x00\x01")
    return out.getvalue()


def _xlsx() -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "Báo cáo"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _stream(name: str) -> bytes:
    return name.encode("utf-16-le")


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "bao_cao.pdf", blobs.PDF),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "anh.png", blobs.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "anh.jpg", blobs.JPEG),
        (
            _ooxml(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
            ),
            "bc.docx",
            blobs.DOCX,
        ),
        (_xlsx(), "so_lieu.xlsx", blobs.XLSX),
        (
            _ooxml(
                "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
            ),
            "bc.pptx",
            blobs.PPTX,
        ),
        (OLE + _stream("WordDocument"), "bc.doc", blobs.DOC),
        (OLE + _stream("Workbook"), "bc.xls", blobs.XLS),
        ("Kết quả: đã triển khai\nDòng 2\t(tab)".encode(), "ghi_chu.txt", blobs.TEXT),
        ("\ufeffmã,tên\n18,Lớp học LMS\n".encode(), "so_lieu.csv", blobs.CSV),
        # The name never decides the kind: a PDF named .exe is a PDF.
        (b"%PDF-1.4\n", "virus.exe", blobs.PDF),
    ],
)
def test_accepted_kinds_are_told_by_their_bytes(content, filename, expected):
    assert sniff_media_type(content, filename) == expected


@pytest.mark.parametrize(
    ("content", "filename", "says"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100, "bao_cao.pdf", "Tệp chương trình"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 50, "bao_cao.txt", "Tệp chương trình"),
        (
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
            "bao_cao.txt",
            "HTML/SVG/XML",
        ),
        (b"Xin chao\n<script>fetch('/api')</script>", "ghi_chu.txt", "HTML/SVG/XML"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "anh.png", "HTML/SVG/XML"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "anh.jpg",
            "HTML/SVG/XML",
        ),
        (b"#!/bin/sh\nrm -rf /\n", "ghi_chu.txt", "Tệp lệnh"),
        (_ooxml("application/vnd.ms-word.document.macroEnabled.main+xml"), "bc.docx", "macro"),
        (
            _ooxml(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                "word/vbaProject.bin",
            ),
            "bc.docx",
            "macro",
        ),  # fmt: skip
        (_ooxml("application/vnd.oasis.opendocument.text"), "bc.docx", "không phải văn bản Office"),
        (_ooxml("application/octet-stream"), "bc.zip", "không phải văn bản Office"),
        (b"PK\x03\x04garbage", "bc.docx", "tệp nén hỏng"),
        (OLE + _stream("EncryptedPackage"), "bc.docx", "mật khẩu"),
        (OLE + _stream("WordDocument") + _stream("_VBA_PROJECT"), "bc.doc", "macro"),
        (OLE + _stream("SummaryInformation"), "setup.msi", "Tệp OLE"),
        (b"GIF89a\x01\x00\x01\x00", "anh.gif", "không nhận dạng được"),
        ("Kêt quá".encode("latin-1"), "ghi_chu.txt", "không phải văn bản UTF-8"),
        (b"abc\x00def", "ghi_chu.txt", "Tệp nhị phân"),
        (b"", "rong.pdf", "tệp rỗng"),
    ],
)
def test_other_kinds_are_refused_with_a_reason(content, filename, says):
    with pytest.raises(BadData) as refused:
        sniff_media_type(content, filename)
    message = str(refused.value)
    assert says in message and message.count(" / ") >= 1  # Vietnamese, then English
    assert message.startswith(f"Dữ liệu không hợp lệ: {filename}:")


def test_the_size_limit():
    assert MAX_BLOB_BYTES == 20 * 1024 * 1024
    with pytest.raises(BadData, match="tệp quá lớn"):
        sniff_media_type(b"a" * (MAX_BLOB_BYTES + 1), "lon.txt")
    assert sniff_media_type(b"a" * MAX_BLOB_BYTES, "vua.txt") == blobs.TEXT
    with pytest.raises(BadData, match="tối đa 10 byte"):
        sniff_media_type(b"a" * 11, "lon.txt", limit=10)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\a\\Báo cáo.pdf", "Báo cáo.pdf"),
        ("bao\x00cao\n.pdf", "baocao.pdf"),
        ("...", "tep_dinh_kem"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
    ],
)
def test_filenames_are_cleaned(given, kept):
    assert clean_filename(given) == kept


def test_identical_content_is_stored_once(pe):
    pdf = b"%PDF-1.7\n" + b"x" * 1000
    with pe.unit_of_work("officer") as uow:
        first = store_blob(uow.session, pdf, filename="a.pdf", now=uow.now)
        again = store_blob(uow.session, pdf, filename="b.pdf", now=uow.now)  # same step
        assert again is first
    with pe.unit_of_work("officer") as uow:
        later = store_blob(uow.session, pdf, filename="c.pdf", now=uow.now)  # a later step
        other = store_blob(uow.session, pdf + b"!", filename="a.pdf", now=uow.now)
        assert (later.sha256, later.size, later.media_type) == (first.sha256, 1009, blobs.PDF)
        assert other.sha256 != first.sha256
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 2
        assert s.scalar(select(Blob.data).where(Blob.sha256 == first.sha256)) == pdf


def test_a_refused_file_stores_nothing(pe):
    with pytest.raises(BadData), pe.unit_of_work("officer") as uow:
        store_blob(uow.session, b"MZ\x90\x00", filename="bao_cao.pdf", now=uow.now)
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 0
