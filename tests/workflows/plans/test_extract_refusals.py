"""Appendix and org tables that must be refused or reported, not read wrong (issue 10, section 5):
CSV quotes left open, cells longer than Excel allows, hidden XLSX rows, formulas never computed."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from engine import BadData
from tests.workflows.plans.sample_files import SIMPLE_HEADER, replace_members
from workflows.plans.extract import PlanFileRefused, extract_plan
from workflows.plans.extract_errors import MB, Limits, megabytes
from workflows.tables import read_rows

ROWS = [
    ["1", "Tập huấn kỹ năng số", "Báo cáo", "Văn phòng Sở", "Phòng GDTrH", "Quý I"],
    ["2", "Số hóa hồ sơ", "Kho dữ liệu", "Phòng KHTC", "", "Quý II"],
    ["3", "Đánh giá chuyển đổi số", "Báo cáo", "Phòng QLCL", "", "Quý III"],
    ["4", "Tổng kết", "Báo cáo", "Văn phòng Sở", "", "Quý IV"],
]


def _csv(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def _plain(rows: list[list[str]]) -> list[str]:
    return [",".join(row) for row in [SIMPLE_HEADER, *rows]]


def _refusal(data: bytes, name: str = "phu_luc.csv") -> PlanFileRefused:
    with pytest.raises(PlanFileRefused) as caught:
        extract_plan(data, name)
    return caught.value


def test_a_well_formed_csv_reads_its_four_tasks() -> None:
    assert [t.stt for t in extract_plan(_csv(_plain(ROWS)), "phu_luc.csv").tasks] == ["1", "2", "3", "4"]


def test_a_quote_left_open_is_refused_naming_its_line() -> None:
    lines = _plain(ROWS)
    lines[2] = lines[2].replace("Số hóa", '"Số hóa')  # line 3: 2,"Số hóa hồ sơ,… never closed
    refused = _refusal(_csv(lines))
    assert (refused.code, refused.params) == ("csv_quote", {"line": 3})
    assert "Dòng 3" in refused.message_vi and "Line 3" in refused.message_en


def test_a_quote_closed_by_a_later_row_is_refused_naming_where_it_opened() -> None:
    # Without strict quotes rows 1-3 became one cell: the later quoted cell closes the stray quote.
    rows = [list(r) for r in ROWS]
    rows[0][1] = '"Tập huấn kỹ năng số'
    rows[2][1] = '"Đánh giá, chuyển đổi số"'
    refused = _refusal(_csv(_plain(rows)))
    assert (refused.code, refused.params["line"]) == ("csv_quote", 2)


def test_excel_sep_line_counts_in_the_line_named() -> None:
    lines = ["sep=,", *_plain(ROWS)]
    lines[3] = lines[3].replace("Số hóa", '"Số hóa')
    assert _refusal(_csv(lines)).params == {"line": 4}


@pytest.mark.parametrize("length", [Limits().max_cell_chars + 1, 200_000])  # past Excel's limit; past the csv module's own
def test_a_csv_cell_longer_than_excel_allows_is_refused(length: int) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][1] = "x" * length
    refused = _refusal(_csv(_plain(rows)))
    assert refused.code == "cell_too_long" and refused.params["cell"].endswith("3")
    assert str(Limits().max_cell_chars) in refused.message_vi


def _xlsx(rows: list[list[object]], *, hidden: tuple[int, ...] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Nhiệm vụ"
    for row in rows:
        sheet.append(row)
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_cell_longer_than_excel_allows_is_refused_the_same_way() -> None:
    # Excel and openpyxl never write more than 32,767 characters in a cell; a crafted file does.
    rows = [list(r) for r in ROWS]
    rows[1][1] = "x" * 100
    data = _xlsx([SIMPLE_HEADER, *rows])
    sheet = "xl/worksheets/sheet1.xml"
    xml = zipfile.ZipFile(io.BytesIO(data)).read(sheet).replace(b"x" * 100, b"x" * (Limits().max_cell_chars + 1))
    refused = _refusal(replace_members(data, {sheet: xml}), "phu_luc.xlsx")
    assert (refused.code, refused.params["cell"], refused.params["sheet"]) == ("cell_too_long", "B3", "Nhiệm vụ")


def test_hidden_xlsx_rows_are_skipped_and_reported_like_hidden_sheets() -> None:
    extracted = extract_plan(_xlsx([SIMPLE_HEADER, *ROWS], hidden=(3, 4)), "phu_luc.xlsx")
    assert [t.stt for t in extracted.tasks] == ["1", "4"]
    assert "Bỏ qua các dòng ẩn 3–4 của trang tính “Nhiệm vụ”." in extracted.notes


def test_a_formula_with_no_computed_value_is_refused_not_read_as_empty() -> None:
    # openpyxl, like other generators, writes formulas without their value; Excel computes it on save.
    rows = [list(r) for r in ROWS]
    rows[2][3] = '=CONCATENATE("Phòng ", "QLCL")'
    refused = _refusal(_xlsx([SIMPLE_HEADER, *rows]), "phu_luc.xlsx")
    assert (refused.code, refused.params["cells"], refused.params["count"]) == ("formula_no_value", "D4", 1)


def test_a_formula_with_its_computed_value_is_read() -> None:
    data = _xlsx([SIMPLE_HEADER, *ROWS])
    sheet = "xl/worksheets/sheet1.xml"
    xml = zipfile.ZipFile(io.BytesIO(data)).read(sheet).decode()
    start = xml.index('<c r="D4"')
    end = xml.index("</c>", start) + len("</c>")
    cached = xml[:start] + '<c r="D4" t="str"><f>"Phòng QLCL"</f><v>Phòng QLCL</v></c>' + xml[end:]
    assert extract_plan(replace_members(data, {sheet: cached.encode()}), "phu_luc.xlsx").tasks[2].lead == "Phòng QLCL"
    empty_text = xml[:start] + '<c r="D4" t="str"><f>""</f><v></v></c>' + xml[end:]  # Excel: a formula whose text is ""
    assert extract_plan(replace_members(data, {sheet: empty_text.encode()}), "phu_luc.xlsx").tasks[2].lead is None


def test_org_tables_name_the_line_of_an_open_quote_and_number_rows_as_the_file_does() -> None:
    header = "Mã đơn vị,Tên đơn vị,Loại,Đơn vị cấp trên"
    table = read_rows(_csv([header, "HP,Sở GDĐT,so,", "", "HP.X001,UBND xã A,xa,HP"]))
    assert table.header == ["Mã đơn vị", "Tên đơn vị", "Loại", "Đơn vị cấp trên"] and table.lines == [2, 4]
    with pytest.raises(BadData) as caught:
        read_rows(_csv([header, 'HP,"Sở GDĐT,so,', "HP.X001,UBND xã A,xa,HP"]))
    assert "Dòng 2" in caught.value.message("vi") and "Line 2" in caught.value.message("en")


def test_org_tables_skip_and_report_hidden_rows() -> None:
    table = read_rows(_xlsx([["Mã đơn vị", "Tên đơn vị", "Loại"], ["HP", "Sở", "so"], ["HP.VP", "Văn phòng", "phong"]], hidden=(2,)))
    assert (table.rows, table.lines) == ([{"Mã đơn vị": "HP.VP", "Tên đơn vị": "Văn phòng", "Loại": "phong"}], [3])
    assert table.notes == ["Bỏ qua các dòng ẩn 2 của trang tính “Nhiệm vụ”."]


@pytest.mark.parametrize(
    ("size", "over", "shown"),
    [(int(17.6 * MB), None, "17.6"), (10 * MB, None, "10"), (MB // 2, None, "0.5"), (10 * MB + 1, 10 * MB, "10.000001")],
)
def test_sizes_read_as_a_person_reads_them(size: int, over: int | None, shown: str) -> None:
    assert megabytes(size, over) == shown
