"""What changed between two report versions: words, figures, files (pure, no database)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from workflows.reports.diff import diff_versions, word_diff


def version(n, ket_qua="", kho_khan="", kien_nghi="", figures=(), files=()):
    return SimpleNamespace(version=n, ket_qua=ket_qua, kho_khan=kho_khan, kien_nghi=kien_nghi, figures=list(figures),
                           attachments=[SimpleNamespace(sha256=sha, filename=name) for sha, name in files])  # fmt: skip


@pytest.mark.parametrize(("before", "after", "segments"), [
    ("Đã tổ chức 10/12 lớp.", "Đã tổ chức 12/12 lớp.",
     (("equal", "Đã tổ chức "), ("delete", "10/12"), ("insert", "12/12"), ("equal", " lớp."))),
    ("", "Mới", (("insert", "Mới"),)),
    ("Bỏ hết", "", (("delete", "Bỏ hết"),)),
    ("Dòng 1\nDòng 2", "Dòng 1\nDòng 2\nDòng 3", (("equal", "Dòng 1\nDòng 2"), ("insert", "\nDòng 3"))),
    ("<b>x</b>", "<b>y</b>", (("delete", "<b>x</b>"), ("insert", "<b>y</b>"))),  # plain data; the page escapes it
])  # fmt: skip
def test_word_diff(before, after, segments):
    assert word_diff(before, after) == segments
    assert "".join(t for op, t in segments if op != "insert") == before
    assert "".join(t for op, t in segments if op != "delete") == after


def test_figures_and_files_by_indicator_and_by_content():
    older = version(1, "Giống", figures=[{"indicator_id": 7, "code": "2", "numerator": "12", "denominator": "40"},
                                         {"indicator_id": 9, "code": "10", "numerator": "3", "denominator": None}],
                    files=[("a" * 64, "bien_ban.pdf"), ("b" * 64, "cu.xlsx")])  # fmt: skip
    newer = version(2, "Giống", figures=[{"indicator_id": 7, "code": "2", "numerator": "38", "denominator": "40"},
                                         {"indicator_id": 5, "code": "1", "numerator": "1", "denominator": "2"}],
                    files=[("a" * 64, "bien_ban_doi_ten.pdf"), ("c" * 64, "moi.docx")])  # fmt: skip
    diff = diff_versions(older, newer)
    assert (diff.older, diff.newer, diff.texts) == (1, 2, [])
    assert [(f.key, f.before, f.after) for f in diff.figures] == [("1", None, "1/2"), ("2", "12/40", "38/40"), ("10", "3", None)]
    assert (diff.added_files, diff.removed_files) == (["moi.docx"], ["cu.xlsx"])  # a renamed file is the same file
    assert not diff.unchanged and diff_versions(older, older).unchanged
