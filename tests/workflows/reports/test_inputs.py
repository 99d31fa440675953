"""Form validation and the content hash: pure functions, no database."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest

from engine import BadData
from workflows.reports.inputs import (
    MAX_ATTACHMENTS,
    MAX_TEXT_CHARS,
    FigureInput,
    ReportInput,
    content_hash,
)

SHA = "ab" * 32


def _form(**report) -> dict:
    return {"bao_cao": {"ket_qua": "Đã triển khai.", **report}}


def _refusal(form: dict, files=()) -> str:
    with pytest.raises(BadData) as refused:
        ReportInput.from_form(form, files)
    return str(refused.value)


def test_a_valid_form_gives_exact_canonical_input():
    form = _form(
        ket_qua="  Kết quả\r\ndòng hai  ",
        kho_khan="Thiếu thiết bị",
        chi_so=[
            {"ma": "19", "tu_so": "3"},
            {"ma": "18", "tu_so": "12.50", "mau_so": 40},
            {"indicator_id": 7, "tu_so": 0.1, "mau_so": "0.3"},
        ],
        tep_dinh_kem=[SHA.upper()],
    )
    report = ReportInput.from_form(form, [("bao_cao.pdf", b"%PDF-1.7")])
    assert (report.ket_qua, report.kho_khan, report.kien_nghi) == (
        "Kết quả\ndòng hai",
        "Thiếu thiết bị",
        "",
    )
    # Sorted: figures by indicator id first, then by code; numbers are exact decimals.
    assert [f.as_json() for f in report.figures] == [
        {"indicator_id": 7, "code": None, "numerator": "0.1", "denominator": "0.3"},
        {"indicator_id": None, "code": "18", "numerator": "12.5", "denominator": "40"},
        {"indicator_id": None, "code": "19", "numerator": "3", "denominator": None},
    ]
    assert report.figures[0].numerator == Decimal("0.1")
    assert report.attachments == (SHA, ("bao_cao.pdf", b"%PDF-1.7"))


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        ({"ma": "18", "tu_so": "-1", "mau_so": "40"}, "chi_so[0]: tử số -1 phải ≥ 0"),
        ({"ma": "18", "tu_so": "41", "mau_so": "40"}, "chi_so[0]: tử số 41 lớn hơn mẫu số 40"),
        ({"ma": "18", "tu_so": "0", "mau_so": "0"}, "chi_so[0]: mẫu số 0 phải > 0"),
        ({"ma": "18", "tu_so": "1", "mau_so": "-5"}, "chi_so[0]: mẫu số -5 phải > 0"),
        ({"ma": "18", "tu_so": "mười"}, "chi_so[0].tu_so: tử số 'mười' không phải số"),
        ({"ma": "18", "tu_so": "12,5"}, "chi_so[0].tu_so: tử số dùng dấu chấm"),
        ({"ma": "18", "tu_so": "1.00001"}, "chi_so[0].tu_so: tử số tối đa 4 chữ số thập phân"),
        ({"ma": "18", "tu_so": "NaN"}, "chi_so[0].tu_so: tử số không phải số hữu hạn"),
        ({"ma": "18", "tu_so": True}, "chi_so[0].tu_so: tử số không phải số"),
        ({"ma": "18", "tu_so": "1e15"}, "chi_so[0].tu_so: tử số số quá lớn"),
        ({"ma": "18"}, "chi_so[0].tu_so: thiếu tử số"),
        ({"tu_so": "1"}, "chi_so[0]: thiếu ma hoặc indicator_id"),
        ({"indicator_id": "7", "tu_so": "1"}, "chi_so[0].indicator_id: phải là số nguyên dương"),
        ({"ma": "", "tu_so": "1"}, "chi_so[0].ma: mã chỉ tiêu không hợp lệ"),
    ],
)
def test_each_bad_figure_gets_a_specific_message(figure, expected):
    assert expected in _refusal(_form(chi_so=[figure]))


def test_every_problem_is_reported_at_once():
    message = _refusal({"bao_cao": {
        "ket_qua": "", "kien_nghi": 12,
        "chi_so": [{"ma": "18", "tu_so": "5", "mau_so": "40"}, {"ma": "18", "tu_so": "1"}, "x"],
        "tep_dinh_kem": ["not-a-hash"],
    }})  # fmt: skip
    assert "kien_nghi: kiến nghị phải là văn bản" in message
    assert "chi_so[1]: chỉ tiêu đã có ở chi_so[0]" in message
    assert "chi_so[2]: phải là một đối tượng" in message
    assert "tep_dinh_kem[0]: mã tệp không hợp lệ" in message
    assert "ket_qua: kết quả là bắt buộc" not in message  # reported only when nothing else is wrong
    assert "ket_qua: kết quả là bắt buộc" in _refusal({"bao_cao": {"ket_qua": "   "}})


def test_shape_and_size_limits():
    assert "thiếu mục bao_cao" in _refusal({"ket_qua": "x"})
    assert "kien_ngi: không phải mục của báo cáo" in _refusal(_form(kien_ngi="Đề nghị"))  # misspelt: refused, not dropped
    assert f"tối đa {MAX_TEXT_CHARS}" in _refusal(_form(ket_qua="x" * (MAX_TEXT_CHARS + 1)))
    assert (
        ReportInput.from_form(_form(ket_qua="x" * MAX_TEXT_CHARS)).ket_qua == "x" * MAX_TEXT_CHARS
    )
    assert "chi_so: phải là danh sách" in _refusal(_form(chi_so={"ma": "18"}))
    files = [(f"{i}.txt", b"x") for i in range(MAX_ATTACHMENTS)]
    assert f"tối đa {MAX_ATTACHMENTS} tệp" in _refusal(_form(tep_dinh_kem=[SHA]), files)
    assert len(ReportInput.from_form(_form(), files).attachments) == MAX_ATTACHMENTS


def _hash(report: ReportInput, attachments=("a" * 64,)) -> str:
    return content_hash(
        report.ket_qua,
        report.kho_khan,
        report.kien_nghi,
        [f.as_json() for f in report.figures],
        attachments,
    )


BASE = ReportInput("Đã triển khai LMS", "Thiếu máy", "Cấp thêm kinh phí",
                   (FigureInput(None, "18", Decimal(12), Decimal(40)), FigureInput(3, None, Decimal(5))))  # fmt: skip


def test_the_hash_is_stable_for_the_same_content():
    again = ReportInput(
        unicodedata.normalize("NFD", "Đã triển khai LMS\r\n"), "Thiếu máy", "Cấp thêm kinh phí",
        (FigureInput(3, None, Decimal("5.000")), FigureInput(None, "18", Decimal("12.0"), Decimal("4E+1"))),
    )  # fmt: skip
    assert _hash(again) == _hash(BASE)
    assert _hash(BASE, ("b" * 64, "a" * 64)) == _hash(
        BASE, ("a" * 64, "b" * 64)
    )  # attachments are a set
    assert len(_hash(BASE)) == 64 and int(_hash(BASE), 16) >= 0


@pytest.mark.parametrize(
    "changed",
    [
        ReportInput("Đã triển khai LMS.", BASE.kho_khan, BASE.kien_nghi, BASE.figures),
        ReportInput(BASE.ket_qua, "Thiếu máy tính", BASE.kien_nghi, BASE.figures),
        ReportInput(BASE.ket_qua, BASE.kho_khan, "", BASE.figures),
        ReportInput(BASE.ket_qua, BASE.kho_khan, BASE.kien_nghi, (BASE.figures[0],)),
        ReportInput(
            BASE.ket_qua,
            BASE.kho_khan,
            BASE.kien_nghi,
            (FigureInput(None, "18", Decimal(13), Decimal(40)), BASE.figures[1]),
        ),
        ReportInput(
            BASE.ket_qua,
            BASE.kho_khan,
            BASE.kien_nghi,
            (FigureInput(None, "18", Decimal(12), Decimal(41)), BASE.figures[1]),
        ),
        ReportInput(
            BASE.ket_qua,
            BASE.kho_khan,
            BASE.kien_nghi,
            (FigureInput(None, "18", Decimal(12)), BASE.figures[1]),
        ),
        ReportInput(
            BASE.ket_qua,
            BASE.kho_khan,
            BASE.kien_nghi,
            (FigureInput(None, "17", Decimal(12), Decimal(40)), BASE.figures[1]),
        ),
    ],
)
def test_any_content_change_changes_the_hash(changed):
    assert _hash(changed) != _hash(BASE)


def test_an_attachment_change_changes_the_hash():
    assert _hash(BASE, ("b" * 64,)) != _hash(BASE)
    assert _hash(BASE, ()) != _hash(BASE)
    # The sections are distinct fields: the same words moved to another section change the hash.
    assert _hash(ReportInput("a", "b")) != _hash(ReportInput("a\nb", ""))
