"""The inbox list in Debian's Chromium: the commune's officer filters by a school, saves the filter
and applies it again, downloads the export; a school officer ticks rows with the keyboard and
accepts them in bulk. Accessibility (axe) on each page, no CSP violation, screenshots on a desktop
and a phone."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.fixtures.browser import page_problems, screenshot
from tests.fixtures.webapp import check_accessibility
from tests.webui.test_browser import log_in
from tests.webui.test_inbox_browser import shots
from tests.webui.test_inbox_list import two_extension_requests
from tests.workflows.authz.world import open_task


def test_filter_save_apply_and_export(page, world_server, pe, world):
    problems = page_problems(page)
    two_extension_requests(pe, world)
    log_in(page, world_server, "x_cv")
    page.goto(f"{world_server.url}/inbox")
    assert page.locator("tbody tr").count() == 3
    check_accessibility(page)
    shots(page, "inbox_list")

    page.get_by_label("Đơn vị (trực thuộc)").select_option(label="Trường Tiểu học Một (1)")
    page.get_by_role("button", name="Lọc", exact=True).click()
    page.wait_for_url("**/inbox?**unit=T.X1.TH1**")
    assert page.locator("tbody tr").count() == 1 and "Trường Tiểu học Một" in page.locator("tbody tr").text_content()

    page.get_by_label("Tên bộ lọc").fill("Trường Một")
    page.get_by_role("button", name="Lưu bộ lọc").click()
    page.wait_for_load_state()
    assert "Đã lưu bộ lọc “Trường Một”." in page.get_by_role("status").text_content()
    check_accessibility(page)
    screenshot(page, "webui_inbox_list_saved")

    page.goto(f"{world_server.url}/inbox")
    assert page.locator("tbody tr").count() == 3
    page.get_by_role("link", name="Trường Một", exact=True).click()
    page.wait_for_url("**/inbox?**unit=T.X1.TH1**")
    assert page.locator("tbody tr").count() == 1

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải danh sách (Excel)").click()
    path = download.value.path()
    assert download.value.suggested_filename.startswith("hop-viec-") and download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active
    data = [r for r in sheet.iter_rows(values_only=True) if r and isinstance(r[0], int)]
    assert [(r[3], r[5]) for r in data] == [("Xem xét đề nghị gia hạn", "Trường Tiểu học Một")]
    assert problems == []


def test_tick_rows_with_the_keyboard_and_accept_them(page, world_server, pe, world):
    problems = page_problems(page)
    first = open_task(pe, world.th1, "tiep_nhan")
    log_in(page, world_server, "s1_cv")
    page.goto(f"{world_server.url}/inbox")
    box = page.get_by_label("Chọn việc: Tiếp nhận nhiệm vụ — Trường Tiểu học Một")
    box.focus()
    page.keyboard.press("Space")  # a native checkbox: ticked from the keyboard
    assert box.is_checked()
    page.keyboard.press("Shift+Tab")  # back to the bar: the bulk buttons are reachable too
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Đôn đốc (gửi thư)"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Tiếp nhận"
    check_accessibility(page)
    screenshot(page, "webui_inbox_list_selected")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{world_server.url}/inbox/bulk")
    assert page.get_by_role("heading", level=1).text_content() == "Kết quả: Tiếp nhận"
    assert "Đã thực hiện 1 trên 1 việc đã chọn." in page.get_by_role("status").text_content()
    check_accessibility(page)
    shots(page, "inbox_bulk_result")
    work = open_task(pe, world.th1, "thuc_hien")
    assert first and work
    # A row whose step takes no "accept": refused, and the page says which and why.
    page.get_by_role("link", name="Về hộp việc").click()
    page.get_by_label("Chọn việc: Thực hiện và dự thảo báo cáo — Trường Tiểu học Một").check()
    page.get_by_role("button", name="Tiếp nhận", exact=True).click()
    page.wait_for_url(f"{world_server.url}/inbox/bulk")
    assert "Đã thực hiện 0 trên 1 việc đã chọn." in page.get_by_role("status").text_content()
    refused = page.locator("ul.bulk-refused li").text_content()
    assert refused.startswith("Thực hiện và dự thảo báo cáo:") and "tiếp nhận" in refused
    check_accessibility(page)
    screenshot(page, "webui_inbox_bulk_refused")
    assert open_task(pe, world.th1, "thuc_hien") == work
    assert problems == []
