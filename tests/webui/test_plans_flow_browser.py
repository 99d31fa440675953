"""A plan from its file to the units that have not reported, in a real browser (Debian's Chromium
through Playwright), both databases.

``test_plans_browser.py`` follows the Hải Phòng appendix through the dry run (names mapped there);
this one takes a small appendix of its own with two bodies the province does not know and goes on
from where that one stops. A Sở officer maps one name on the dry run and rechecks, saves the plan
with the other still unknown, marks it outside the sector on the plan's page and rechecks there,
reads the dispatch preview (instances per unit type) and dispatches. Work moves on (Văn phòng
reports, the commune accepts, the deadline passes); the plan page shows the statuses and the units
that have not submitted, overdue; the XLSX export says the same. A commune's officer sees only its
own. Screenshots of each page, and the accessibility checks on each.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import select

from engine import HumanTask, deploy
from tests.engine.bpmn_samples import LIBRARY
from tests.fixtures.browser import screenshot
from tests.fixtures.webapp import check_accessibility
from tests.webui.test_browser import PHONE, log_in
from tests.webui.test_plans import PROCESSES, SO_OFFICER
from workflows.actions import tasks as task_actions
from workflows.actions.people import person_acting
from workflows.hooks import install
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking

NUMBER = "15/KH-SGDĐT"
MAPPED = "Tổ công nghệ số"  # the Phòng QLCL's team, named on the dry run
OUTSIDE = "Ban Chỉ đạo chuyển đổi số thành phố"  # outside the sector, marked on the plan's page
COMMUNE_OFFICER = "hp_x001_cv"


def appendix() -> bytes:
    """Two tasks for the first quarter: Văn phòng leads the first, with the communes; the second
    is led by a name the province does not know, with another beside a known phòng."""
    out = io.StringIO()
    rows = [
        ["PHỤ LỤC - NHIỆM VỤ CHUYỂN ĐỔI SỐ QUÝ I NĂM 2026"],
        ["STT", "Nội dung nhiệm vụ", "Sản phẩm/Kết quả", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian thực hiện"],
        ["I", "Chuyển đổi số trong quản lý", "", "", "", ""],
        ["1", "Báo cáo tiến độ chuyển đổi số quý I", "Báo cáo", "Văn phòng Sở", "UBND các xã, phường", "Quý I"],
        ["2", "Rà soát hạ tầng mạng các đơn vị", "Báo cáo rà soát", MAPPED, f"Phòng Giáo dục Trung học; {OUTSIDE}", "Quý I"],
    ]  # fmt: skip
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


@pytest.fixture
def library(pe):
    install(pe)
    with pe.unit_of_work("tester") as uow:
        for key in PROCESSES:
            deploy(uow, (LIBRARY / f"{key}.bpmn").read_bytes())


def step(pe, unit_code: str, username: str, action, **kwargs) -> None:
    """``username`` takes ``action`` on the one open task of ``unit_code``'s instance of task 1."""
    with pe.unit_of_work(username) as uow:
        row = uow.session.scalars(select(Tracking).where(Tracking.unit_code == unit_code, Tracking.task_key == "1")).one()
        [task] = uow.session.scalars(select(HumanTask).where(HumanTask.instance_id == row.instance_id, HumanTask.status == "open")).all()
        action(uow, person_acting(uow.session, username), task.id, **kwargs)


def test_a_plan_fixed_saved_dispatched_then_its_units_not_submitted_on_the_page_and_in_the_export(
    library, watched, live_server, pe, clock, tmp_path
):
    page = watched
    log_in(page, live_server, SO_OFFICER)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/plans/import")
    source = tmp_path / "ke-hoach-quy-1.csv"
    source.write_bytes(appendix())
    page.get_by_label("Số ký hiệu (ví dụ 637/KH-SGDĐT)").fill(NUMBER)
    page.get_by_label("Tệp phụ lục (XLSX hoặc CSV)").set_input_files(str(source))
    page.get_by_role("button", name="Đọc thử và xem trước").click()
    assert page.get_by_role("heading", level=1).text_content() == "Xem trước kế hoạch"
    assert page.locator("tr.unclear").count() == 1

    # The dry run: one name mapped to its unit, the other left for later; recheck.
    page.get_by_label(MAPPED).first.select_option("HP.QLCL")
    page.get_by_role("button", name="Ghi nhận và kiểm tra lại").first.click()
    assert "Kiểm tra lại: 1 nhiệm vụ chưa đạt “6 rõ”." in page.get_by_role("status").text_content()
    assert page.locator("tr.unclear").count() == 1 and "rõ trách nhiệm" in page.locator("tr.unclear").text_content()
    assert OUTSIDE in page.locator("tr.unclear").text_content()
    check_accessibility(page)
    screenshot(page, "webui_plan_flow_dry_run")

    # Saved with the problem: the plan page says why it cannot be dispatched and offers the mapping.
    page.get_by_role("button", name="Lưu kế hoạch").click()
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    plan_url = page.url
    assert "Chưa giao được: còn 1 nhiệm vụ chưa đạt “6 rõ”." in page.locator(".notice-error").text_content()
    assert page.get_by_role("link", name="Xem trước và giao kế hoạch").count() == 0
    check_accessibility(page)
    screenshot(page, "webui_plan_flow_saved_unclear")
    page.get_by_label(OUTSIDE).select_option("external")
    page.get_by_role("button", name="Ghi nhận và kiểm tra lại").click()
    assert "Đã kiểm tra lại: 0 nhiệm vụ chưa đạt “6 rõ”." in page.get_by_role("status").first.text_content()
    assert page.locator("tr.unclear").count() == 0

    # The preview: how many instances each unit type gets, nothing made yet.
    page.get_by_role("link", name="Xem trước và giao kế hoạch").click()
    rows = page.locator("table.counts-table tbody tr")
    assert [rows.nth(i).locator("td").all_text_contents() for i in range(rows.count())] == [
        ["Phòng thuộc Sở", "3"], ["UBND xã, phường, đặc khu", "1"],
    ]  # fmt: skip
    assert page.locator("table.counts-table tfoot td").text_content() == "4"
    assert "Sẽ tạo mới: 4; đã có từ trước: 0." in page.locator("ul.links").text_content()
    assert f"Cơ quan ngoài ngành, không giao: {OUTSIDE}." in page.locator("ul.links").text_content()
    assert "nhận việc khi UBND xã, phường giao lại" in page.locator("ul.links").text_content()
    check_accessibility(page)
    screenshot(page, "webui_plan_flow_dispatch_preview")
    page.get_by_role("button", name="Giao kế hoạch").click()
    page.wait_for_url(plan_url)
    assert "Đã giao kế hoạch: 4 phiên bản quy trình mới" in page.get_by_role("status").first.text_content()

    # Work moves on: Văn phòng reports task 1 (with the Sở now), the commune accepts it; on
    # 2 April the first quarter's deadline has passed.
    step(pe, "HP.VP", "hp_vp_cv", task_actions.accept)
    step(pe, "HP.VP", "hp_vp_cv", task_actions.submit, draft=task_actions.Draft(ket_qua="Đã triển khai"))
    step(pe, "HP.VP", "hp_vp_ld", task_actions.approve)
    step(pe, "HP.X001", COMMUNE_OFFICER, task_actions.accept)
    clock.set(datetime(2026, 4, 2, 9, tzinfo=LOCAL_TZ))
    log_in(page, live_server, SO_OFFICER)  # the session idled out over the month
    page.goto(plan_url)
    summary = page.locator("ul.summary").text_content()
    assert re.search(r"2\s+Chưa tiếp nhận", summary) and re.search(r"1\s+Đang thực hiện quá hạn", summary)
    assert re.search(r"1\s+Chờ duyệt", summary)
    pending = page.locator("#pending-title")
    assert pending.text_content().split() == ["Đơn", "vị", "chưa", "nộp", "báo", "cáo", "(3)"]
    first, second = page.locator("details.pending").all()
    assert first.get_attribute("open") is not None and "I.1. Báo cáo tiến độ chuyển đổi số quý I" in first.locator("summary").text_content()
    assert [r.locator("td").all_text_contents() for r in first.locator("tbody tr").all()] == [
        ["UBND Xã Hồng Bàng", "Phối hợp", "Quý I/2026", "Đang thực hiện", "25/03/2026 Quá hạn"],  # a coordinator's deadline comes first
    ]  # fmt: skip
    second.locator("summary").click()
    assert [r.locator("td").first.text_content() for r in second.locator("tbody tr").all()] == [
        "Phòng Giáo dục Trung học", "Phòng Quản lý chất lượng",
    ]  # fmt: skip
    check_accessibility(page)
    screenshot(page, "webui_plan_flow_progress")
    page.evaluate("document.getElementById('pending-title').scrollIntoView()")
    screenshot(page, "webui_plan_flow_pending", full_page=False)

    # The export: the same figures and units, Vietnamese headings, days as dd/mm/yyyy.
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải về tiến độ và danh sách chưa nộp (Excel)").click()
    assert download.value.suggested_filename == "tien-do-15-KH-SGDĐT.xlsx"
    saved = tmp_path / "tien-do.xlsx"
    download.value.save_as(saved)
    book = openpyxl.load_workbook(saved)
    assert book.sheetnames == ["Tiến độ", "Chưa nộp", "Thông tin"]
    progress = [list(r) for r in book["Tiến độ"].iter_rows(values_only=True)]
    assert progress[0][:6] == ["STT", "Nhiệm vụ", "Đơn vị chủ trì", "Thời gian", "Tổng số", "Chưa tiếp nhận"]
    assert progress[0][-3:] == ["Tỷ lệ hoàn thành (%)", "Tỷ lệ hoàn thành đúng hạn (%)", "Số đơn vị chưa nộp"]
    assert [(r[0], r[4], r[-1]) for r in progress[1:]] == [("I.1", 2, 1), ("I.2", 2, 2)]
    sheet = book["Chưa nộp"]
    units = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[2], r[3], r[4], r[5], r[6], r[8]) for r in units] == [
        ("I.1", "Quý I/2026", "UBND Xã Hồng Bàng", "HP.X001", "Phối hợp", "Đang thực hiện", "Có"),
        ("I.2", "Quý I/2026", "Phòng Giáo dục Trung học", "HP.GDTRH", "Phối hợp", "Chưa tiếp nhận", "Có"),
        ("I.2", "Quý I/2026", "Phòng Quản lý chất lượng", "HP.QLCL", "Chủ trì", "Chưa tiếp nhận", "Có"),
    ]  # fmt: skip
    assert [r[7].date().isoformat() for r in units] == ["2026-03-25", "2026-03-25", "2026-04-01"]
    assert sheet["H2"].number_format == "dd/mm/yyyy"
    about = dict(book["Thông tin"].iter_rows(values_only=True))
    assert about["Số ký hiệu"] == NUMBER and about["Phạm vi số liệu"] == "Toàn tỉnh/thành phố"

    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.evaluate("document.getElementById('pending-title').scrollIntoView()")
    screenshot(page, "webui_plan_flow_pending_phone", full_page=False)

    # The commune's officer reads the plan over its own work only: its one row, no mapping, no dispatch.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Đăng xuất").click()
    log_in(page, live_server, COMMUNE_OFFICER)
    page.goto(plan_url)
    assert "đơn vị UBND Xã Hồng Bàng và các đơn vị trực thuộc" in page.locator("#progress-title").text_content()
    assert [r.locator("td").first.text_content() for r in page.locator("details.pending tbody tr").all()] == ["UBND Xã Hồng Bàng"]
    assert page.get_by_role("link", name="Xem trước và giao kế hoạch").count() == 0
    check_accessibility(page)
    screenshot(page, "webui_plan_flow_commune")
    assert page.problems == []
