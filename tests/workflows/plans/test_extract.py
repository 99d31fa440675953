"""extract_plan: seed 001's appendices in the layouts clerks send, and hostile files refused fast."""

from __future__ import annotations

import datetime as dt
import io
import os
import warnings
from collections.abc import Callable

import openpyxl
import pytest

from tests.work import run_counted
from tests.workflows.plans import sample_files as sf
from workflows.plans.extract import (
    ExtractedPlan,
    Limits,
    PlanFileRefused,
    RawTask,
    Section,
    extract_plan,
)
from workflows.plans.extract_header import indicator_field, target_key, task_field
from workflows.plans.extract_text import clean_cell, fold, is_stt, section_code, section_line
from workflows.plans.extract_xlsx import number_text

EXPECTED_TASKS = [sf.flat(task) for task in sf.TASKS]
TASK_SECTIONS = [Section(code, title) for code, title in sf.TASK_SECTIONS]


def assert_all_30_tasks(plan: ExtractedPlan, *, deliverable: bool = True) -> None:
    assert plan.sections == TASK_SECTIONS
    assert [t.stt for t in plan.tasks] == [str(n) for n in range(1, 31)]
    for got, want in zip(plan.tasks, EXPECTED_TASKS, strict=True):
        assert (got.section, got.content, got.lead, got.coordinators, got.timeframe) == (
            want.section, want.content, want.lead, want.coordinators, want.timeframe,
        ), got.stt  # fmt: skip
        assert got.deliverable == (want.deliverable if deliverable else None), got.stt
        assert got.authority is None and got.extras == {}


def task(plan: ExtractedPlan, stt: int) -> RawTask:
    return next(t for t in plan.tasks if t.stt == str(stt))


# -- the layouts ---------------------------------------------------------------------------------
def test_formal_appendix_with_merged_two_row_header_titles_and_footer():
    plan = extract_plan(sf.formal_xlsx(), "Phu luc 2.xlsx")
    assert_all_30_tasks(plan)
    assert plan.missing_columns == [] and plan.indicators == [] and plan.sheets_used == ["Phụ lục 2"]
    assert plan.preamble == [
        "SỞ GIÁO DỤC VÀ ĐÀO TẠO | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "PHỤ LỤC 2",
        "DANH MỤC NHIỆM VỤ CỤ THỂ CHUYỂN ĐỔI SỐ NĂM 2026",
        "(Kèm theo Kế hoạch số …/KH-SGDĐT ngày … tháng … năm 2026)",
    ]
    assert plan.notes[0] == sf.FOOTER_NOTE
    assert "Uông Minh Long" in plan.notes and any("KT. GIÁM ĐỐC" in note for note in plan.notes)
    # Rows as Excel numbers them: titles 1-4, header 6-7, "(1)…(6)" 8, section I 9, task 1 10.
    assert (task(plan, 1).source_row, task(plan, 1).sheet) == (10, "Phụ lục 2")


def test_formal_appendix_details_a_person_would_check():
    plan = extract_plan(sf.formal_xlsx(), "pl2.xlsx")
    # The lead merged down over tasks 1-6 belongs to each of them.
    assert {task(plan, n).lead for n in range(1, 7)} == {"Văn phòng Sở"}
    # Task 17 was cut by a page break: its second row (no STT) is merged back.
    assert task(plan, 17).content == (
        "Chuẩn hóa, khai thác dữ liệu thi, dữ liệu học sinh và dữ liệu quản trị nhà trường "
        "(lớp học, điểm, thời khóa biểu…) phục vụ phân tích chất lượng giáo dục và điều hành."
    )
    assert task(plan, 17).timeframe == "Quý II-III"
    assert task(plan, 13).lead == "Phòng GDMN-GDTH"
    assert task(plan, 7).coordinators == "Phòng GDMN-GDTH; Phòng GDTrH; Phòng QLCL; các cơ sở giáo dục"
    assert task(plan, 1).deliverable == "Báo cáo quý; báo cáo năm; bảng tổng hợp chỉ tiêu"
    assert task(plan, 9).coordinators == "Sở KH&CN; các cơ sở giáo dục"
    assert task(plan, 30).section == "VII"  # typed as one merged cell "VII. Truyền thông…"


def test_simple_header_with_synonyms_and_numbers_typed_as_numbers():
    plan = extract_plan(sf.simple_xlsx(), "ke-hoach.xlsx")
    assert_all_30_tasks(plan)
    assert plan.missing_columns == [] and plan.notes == [] and plan.preamble == []
    assert task(plan, 1).source_row == 3


def test_missing_deliverable_column_is_reported_not_fatal():
    plan = extract_plan(sf.no_deliverable_xlsx(), "nv.xlsx")
    assert_all_30_tasks(plan, deliverable=False)
    assert plan.missing_columns == ["deliverable"]
    assert plan.preamble == ["Danh mục nhiệm vụ năm 2026"]


def test_indicators_and_tasks_on_two_sheets():
    plan = extract_plan(sf.two_sheets_xlsx(), "ke-hoach-cds-2026.xlsx")
    assert plan.sheets_used == ["Phụ lục 1", "Phụ lục 2"]
    assert_all_30_tasks(plan)
    assert plan.indicator_sections == [Section(code, title) for code, title in sf.INDICATOR_SECTIONS]
    assert len(plan.indicators) == 22
    for got, want in zip(plan.indicators, sf.INDICATORS, strict=True):
        assert (got.stt, got.section, got.name, got.unit) == (str(want.stt), want.section, sf.unwrap(want.name), want.unit)
        assert got.targets == {"2026": want.target_2026}  # "100%" typed as 1 with format 0%
        assert (got.monitoring_unit, got.reporting_units, got.sheet) == (None, None, "Phụ lục 1")
    assert plan.indicators[20].unit == "Cơ sở giáo dục" and plan.indicators[20].targets == {"2026": "≥300"}
    assert plan.notes == ["Bỏ qua trang tính ẩn “Danh mục”."]


def test_pdf_converted_to_excel_every_printed_line_a_row():
    plan = extract_plan(sf.pdf_converted_xlsx(), "ke-hoach-cds.xlsx")
    assert_all_30_tasks(plan)
    assert [(i.name, i.unit, i.targets) for i in plan.indicators] == [
        (sf.unwrap(i.name), i.unit, {"2026": i.target_2026}) for i in sf.INDICATORS
    ]
    assert [s.code for s in plan.indicator_sections] == ["I", "II", "III", "IV"]
    assert plan.missing_columns == [] and plan.notes == []
    assert plan.preamble[0] == "Phụ lục 1" and plan.preamble[3] == "PHỤ LỤC 2"


@pytest.mark.parametrize(
    ("options", "encoding"),
    [
        ({"delimiter": ",", "bom": True}, "utf-8-sig"),
        ({"delimiter": ";", "bom": False, "two_row_header": True}, "utf-8"),
        ({"delimiter": "\t", "bom": True, "wrapped": False}, "utf-8-sig"),
    ],
)
def test_csv_exports(options: dict[str, object], encoding: str):
    plan = extract_plan(sf.tasks_csv(**options), "phu-luc-2.csv")  # type: ignore[arg-type]
    assert_all_30_tasks(plan)
    assert plan.encoding == encoding and plan.sheets_used == ["phu-luc-2.csv"]
    assert plan.notes == [sf.FOOTER_NOTE]


def test_csv_in_windows_1258_is_read_as_nfc():
    utf8 = sf.tasks_csv(bom=False)
    plan = extract_plan(sf.to_cp1258(utf8.decode()), "cu.csv")
    assert plan.encoding == "cp1258"
    assert plan.tasks == extract_plan(utf8, "cu.csv").tasks


def test_excel_sep_hint_decides_the_delimiter():
    plan = extract_plan(b"sep=;\r\n" + sf.tasks_csv(delimiter=";", bom=False), "x.csv")
    assert len(plan.tasks) == 30 and plan.preamble[0].startswith("PHỤ LỤC 2")


def test_milestone_indicators_with_monitoring_and_reporting_units():
    plan = extract_plan(sf.milestones_xlsx(), "chi-tieu.xlsx")
    assert plan.tasks == [] and plan.missing_columns == []
    assert plan.indicator_sections == [Section(code, title) for code, title in sf.MILESTONE_SECTIONS]
    assert len(plan.indicators) == 12
    for got, want in zip(plan.indicators, sf.MILESTONES, strict=True):
        assert got.name == sf.unwrap(want.name)
        assert got.targets == dict(zip(sf.MILESTONE_YEARS, (sf.unwrap(t) for t in want.targets), strict=True))
        assert got.monitoring_unit == "BCĐ ƯDCNTT"
        assert got.reporting_units == "Cán bộ, giáo viên, nhân viên"
        assert got.unit is None
    assert plan.indicators[9].targets == {"2025": "100%", "2030": "Duy trì", "2035": "Duy trì", "2040": "Duy trì", "2045": "Duy trì"}


def test_short_monitoring_label():
    plan = extract_plan(sf.milestones_xlsx("Đơn vị theo dõi"), "chi-tieu.xlsx")
    assert {i.monitoring_unit for i in plan.indicators} == {"BCĐ ƯDCNTT"}


def test_stt_theo_kh48_and_den_nam_columns():
    plan = extract_plan(sf.kh48_csv(), "pl1.csv")
    assert [(i.stt, i.unit, i.targets) for i in plan.indicators] == [
        ("11.1", "%", {"2030": "≥80%", "2045": "Duy trì, nâng cao"}),
        ("11.2", "%", {"2030": "100%", "2045": "100%"}),
        ("43", "%", {"2030": ">95%", "2045": "100%"}),
    ]
    assert plan.indicators[1].name == (
        "Tỷ lệ thủ tục hành chính đủ điều kiện trong lĩnh vực giáo dục được cung cấp dịch vụ công "
        "trực tuyến toàn trình"
    )


def test_extra_columns_authority_and_unnumbered_rows():
    rows: list[list[object]] = [
        ["Số TT", "Tên nhiệm vụ", "Kết quả/sản phẩm", "Cơ quan chủ trì", "Phối hợp", "Thời hạn", "Cấp phê duyệt", "Ghi chú"],
        ["I", "Thể chế"],
        ["", "Ban hành quy chế", "Quyết định", "Văn phòng Sở", "Các phòng", "Quý I", "Giám đốc Sở", "Ưu tiên"],
        [1, "Rà soát quy trình", "Báo cáo", "Phòng KHTC", "", "Quý II", "", ""],
        [2],  # a template row numbered in advance and never filled
        [3],
    ]
    plan = extract_plan(sf.excel_style_xlsx(rows), "x.xlsx")
    assert [(t.stt, t.section, t.content, t.authority, t.extras) for t in plan.tasks] == [
        ("", "I", "Ban hành quy chế", "Giám đốc Sở", {"Ghi chú": "Ưu tiên"}),
        ("1", "I", "Rà soát quy trình", None, {}),
    ]
    assert plan.tasks[1].coordinators is None
    assert plan.notes == ["Bỏ qua 2 dòng chỉ có số thứ tự, không có nội dung (dòng 5–6)."]


def test_everything_else_is_kept_as_notes_not_tasks():
    rows: list[list[object]] = [
        ["STT", "Nội dung", "Đơn vị chủ trì", "Thời gian hoàn thành"],
        [1, "Tổ chức hội nghị", "Văn phòng Sở", "Quý I"],
        [],
        ["", "Các nhiệm vụ phát sinh sẽ được bổ sung sau"],
        [2, "Sơ kết", "Văn phòng Sở", "Quý III"],
        ["Hải Phòng, ngày 12 tháng 3 năm 2026"],
        ["", "", "Người lập biểu"],
    ]
    plan = extract_plan(sf.excel_style_xlsx(rows), "x.xlsx")
    assert [t.content for t in plan.tasks] == ["Tổ chức hội nghị", "Sơ kết"]
    assert plan.notes == [
        "Các nhiệm vụ phát sinh sẽ được bổ sung sau",
        "Hải Phòng, ngày 12 tháng 3 năm 2026",
        "Người lập biểu",
    ]
    assert plan.missing_columns == ["deliverable", "coordinators"]


def test_unlabelled_number_column_dates_and_a_browser_path():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([None, "Nhiệm vụ", "Đơn vị chủ trì", "Thời hạn"])
    ws.append([1, "Tổng kết năm học", "Văn phòng Sở", dt.datetime(2026, 5, 31)])  # noqa: DTZ001 (Excel has no zones)
    ws.append([2, "Tuyển sinh lớp 10", "Phòng QLCL", dt.date(2026, 6, 15)])
    buffer = io.BytesIO()
    wb.save(buffer)
    plan = extract_plan(buffer.getvalue(), "C:\\fakepath\\ke-hoach.xlsx")
    assert [(t.stt, t.timeframe, t.extras) for t in plan.tasks] == [("1", "31/05/2026", {}), ("2", "15/06/2026", {})]
    csv_plan = extract_plan(sf.tasks_csv(), "C:\\fakepath\\phu-luc-2.csv")
    assert csv_plan.sheets_used == ["phu-luc-2.csv"]


def test_openpyxl_warnings_are_silenced_only_around_its_reads():
    data = sf.minimal_xlsx()  # no named cell style, as some generators write: openpyxl warns
    with pytest.warns(UserWarning, match="no default style"):
        openpyxl.load_workbook(io.BytesIO(data), read_only=True).close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(extract_plan(data, "x.xlsx").tasks) == 1


# -- pure helpers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Phòng\nGDMN-\nGDTH", "Phòng GDMN-GDTH"),
        ("Quý II-\nIII", "Quý II-III"),
        ("Năm 2026 -\n2027", "Năm 2026 - 2027"),
        ("Báo cáo quý;\r\nbáo cáo năm;\n\n  bảng  tổng hợp ", "Báo cáo quý; báo cáo năm; bảng tổng hợp"),
        ("Các phòng; các cơ sở\ngiáo dục", "Các phòng; các cơ sở giáo dục"),
        ("Nghi\u0323 quye\u0302\u0301t", "Nghị quyết"),  # decomposed input comes out NFC
        ("Dòng một_x000D_\ndòng hai\u00a0\u200b", "Dòng một dòng hai"),
        ("", ""),
    ],
)
def test_clean_cell(raw: str, clean: str):
    assert clean_cell(raw) == clean


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("STT", "stt"), ("TT", "stt"), ("Số TT", "stt"), ("STT (theo KH48)", "stt"),
        ("Nhiệm vụ cụ thể", "content"), ("Nội dung nhiệm vụ", "content"), ("Nội dung", "content"),
        ("Nhiệm vụ", "content"), ("Tên nhiệm vụ", "content"),
        ("Sản phẩm", "deliverable"), ("Sản phẩm/Kết quả", "deliverable"), ("Kết quả", "deliverable"),
        ("Sản phẩm đầu ra", "deliverable"), ("Kết quả/sản phẩm", "deliverable"),
        ("Đơn vị chủ trì", "lead"), ("Chủ trì", "lead"), ("Cơ quan chủ trì", "lead"),
        ("ĐƠN VỊ CHỦ TRÌ", "lead"), ("don vi chu tri", "lead"), ("Đơn vị thực hiện", "lead"),
        ("Đơn vị phối hợp", "coordinators"), ("Phối hợp", "coordinators"),
        ("Thời gian", "timeframe"), ("Thời gian thực hiện", "timeframe"), ("Thời hạn", "timeframe"),
        ("Tiến độ", "timeframe"), ("Thời gian hoàn thành", "timeframe"),
        ("Thẩm quyền", "authority"), ("Cấp phê duyệt", "authority"),
        ("Ghi chú", None), ("Đơn vị tính", None), ("Kinh phí", None),
    ],
)  # fmt: skip
def test_task_header_names(label: str, field: str | None):
    assert task_field(fold(label)) == field


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Chỉ tiêu", "name"), ("Tên chỉ tiêu", "name"), ("Đơn vị tính", "unit"), ("ĐVT", "unit"),
        ("Mức đạt 2026", "target"), ("Năm 2026", "target"), ("2026", "target"),
        ("Chỉ tiêu 2026", "target"), ("Đến năm 2030", "target"),
        ("Đơn vị theo dõi", "monitoring_unit"), ("Đơn vị theo dõi/báo cáo", "monitoring_unit"),
        (sf.MONITORING_LABEL, "monitoring_unit"), (sf.REPORTING_LABEL, "reporting_units"),
    ],
)  # fmt: skip
def test_indicator_header_names(label: str, field: str):
    assert indicator_field(fold(label)) == field


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Mức đạt 2026", "2026"), ("Năm 2025", "2025"), ("2030", "2030"), ("Đến năm 2045", "2045"),
        ("Chỉ tiêu 2026", "2026"), ("Mức đạt theo lộ trình Năm 2035", "2035"),
        ("Giai đoạn 2026-2030", "2026-2030"), ("Kết quả thực hiện 2025", "Kết quả thực hiện 2025"),
    ],
)  # fmt: skip
def test_target_keys(label: str, key: str):
    assert target_key(label) == key


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (1, "0%", "100%"), (0.955, "0.0%", "95.5%"), (300, "General", "300"), (2.5, "General", "2.5"),
        (0.95, '"≥"0%', "≥95%"), (12, '#,##0" trường"', "12 trường"), (1.0, "0.00", "1.00"),
    ],
)  # fmt: skip
def test_numbers_read_as_excel_shows_them(value: float, number_format: str, text: str):
    assert number_text(value, number_format) == text


def test_section_codes_and_lines():
    assert [section_code(s) for s in ("I", "II.", "Phần III", "A", "IIII", "1", "a")] == [
        "I", "II", "III", "A", None, None, None,
    ]  # fmt: skip
    assert section_line("VII. Truyền thông và nhân rộng") == ("VII", "Truyền thông và nhân rộng")
    assert section_line("IV Phát triển nhân lực số") == ("IV", "Phát triển nhân lực số")
    assert section_line("KT. GIÁM ĐỐC") is None and section_line("Ghi chú: x") is None
    assert all(is_stt(s) for s in ("1", "17", "1.2", "11.1", "a)", "(3)", "-", "12000"))
    assert not any(is_stt(s) for s in ("STT", "Ghi chú", "1 2"))


# -- hostile files ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    return sf.zip_bomb()


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty": (lambda: b"", "empty"),
    "60 MB": (lambda: bytes(60 * 1024 * 1024), "too_large"),
    "legacy .xls (OLE)": (sf.legacy_xls, "legacy_xls"),
    "password-protected .xlsx": (sf.encrypted_ole, "encrypted"),
    "ZIP-encrypted member": (sf.encrypted_member, "encrypted"),
    "PNG": (sf.png, "image"),
    "PDF": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf"),
    "Word .docx": (sf.word_docx, "word"),
    "OpenDocument .ods": (sf.ods, "ods"),
    "binary .xlsb": (sf.xlsb, "xlsb"),
    "HTML saved as .xls": (lambda: b"<html><body><table><tr><td>STT</td></tr></table>", "html"),
    "random bytes": (lambda: os.urandom(64 * 1024), "binary"),
    "CSV in UTF-16": (lambda: sf.tasks_csv(bom=False).decode().encode("utf-16"), "csv_utf16"),
    "CSV in UTF-16 without BOM": (lambda: sf.tasks_csv(bom=False).decode().encode("utf-16-le"), "csv_utf16"),
    "truncated ZIP": (lambda: sf.minimal_xlsx()[:300], "corrupt"),
    "sizes that lie": (sf.lying_sizes, "corrupt"),
    "XXE in sharedStrings.xml": (sf.xxe_in_shared_strings, "xml_doctype"),
    "XXE in a sheet": (sf.xxe_in_sheet, "xml_doctype"),
    "billion laughs in workbook.xml": (sf.billion_laughs_in_workbook, "xml_doctype"),
    "DTD in a part nobody opens": (sf.xxe_in_odd_part, "xml_doctype"),
    "DTD hidden by UTF-16": (sf.utf16_sheet_with_doctype, "xml_encoding"),
    "DTD hidden by EBCDIC": (sf.ebcdic_sheet, "xml_encoding"),
    "20,001 rows": (sf.too_many_rows, "too_many_rows"),
    "a cell on row 1,048,576": (sf.far_row, "too_many_rows"),
    "a cell in column XFD": (sf.far_column, "too_many_columns"),
    "a merge over the whole sheet": (sf.merge_bomb, "too_many_rows"),
    "1,001 members": (sf.too_many_members, "zip_too_many_members"),
    "no table": (lambda: "Họ tên,Ngày sinh\nNguyễn Văn A,01/01/1980\n".encode(), "no_table"),
}


# Refusing runs at most ~60,000 Python statements (reading the directory of a 1,001-member ZIP)
# and inflates at most the sheet it must count rows in (1.4 MB for 20,001 rows); reading the
# sample plan with openpyxl runs 200,000. Counted, not timed: a refusal that parsed the file, or
# inflated a bomb, runs past these however fast the machine.
MAX_REFUSAL_STATEMENTS = 100_000
MAX_REFUSAL_INFLATED = 2 * 1024 * 1024


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_with_bounded_work(case: str):
    build, code = HOSTILE[case]
    data = build()
    refused, work = run_counted(lambda: extract_plan(data, "ke-hoach.xlsx"), zip_bytes=True, limit=MAX_REFUSAL_STATEMENTS)
    assert isinstance(refused, PlanFileRefused), refused
    assert work.inflated <= MAX_REFUSAL_INFLATED, f"{work.inflated} bytes inflated"
    assert refused.code == code
    assert refused.message_vi and refused.message_en
    assert refused.message_vi != refused.message_en


def test_zip_bomb_is_refused_before_inflating(zip_bomb: bytes):
    refused, work = run_counted(lambda: extract_plan(zip_bomb, "bom.xlsx"), zip_bytes=True, limit=MAX_REFUSAL_STATEMENTS)
    assert isinstance(refused, PlanFileRefused), refused
    assert work.inflated == 0
    assert refused.code == "zip_bomb"
    assert "xl/worksheets/sheet1.xml" in refused.message_vi


def test_total_uncompressed_size_is_capped():
    limits = Limits(max_uncompressed_bytes=4000, max_compression_ratio=10_000)
    with pytest.raises(PlanFileRefused) as refused:
        extract_plan(sf.formal_xlsx(), "x.xlsx", limits)
    assert refused.value.code == "zip_too_large"


def test_messages_say_what_to_do():
    with pytest.raises(PlanFileRefused) as xls:
        extract_plan(sf.legacy_xls(), "ke-hoach.xls")
    assert ".xlsx" in xls.value.message_vi and "Excel 97–2003" in xls.value.message_vi
    with pytest.raises(PlanFileRefused) as none:
        extract_plan(b"a;b\n1;2\n", "x.csv")
    for name in ("STT", "Nhiệm vụ cụ thể", "Đơn vị chủ trì", "Thời gian thực hiện", "Chỉ tiêu", "Đơn vị tính"):
        assert name in none.value.message_vi
    with pytest.raises(PlanFileRefused) as utf16:
        extract_plan("STT,Nhiệm vụ\n".encode("utf-16"), "x.csv")
    assert "CSV UTF-8" in utf16.value.message_vi


def test_nothing_is_half_imported():
    """A good sheet next to an oversized one: the whole file is refused."""
    good = sf.two_sheets_xlsx()
    limits = Limits(max_rows=35)  # "Phụ lục 1" (29 rows) fits; "Phụ lục 2" (38 rows) does not
    with pytest.raises(PlanFileRefused) as refused:
        extract_plan(good, "x.xlsx", limits)
    assert refused.value.code == "too_many_rows" and "Phụ lục 2" in refused.value.message_vi


def test_content_decides_not_the_name():
    assert len(extract_plan(sf.simple_xlsx(), "ke-hoach.csv").tasks) == 30
    assert len(extract_plan(sf.tasks_csv(), "ke-hoach.xlsx").tasks) == 30
