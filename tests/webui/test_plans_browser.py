"""A plan import in a real browser (Debian's Chromium through Playwright), both databases: a Sở
officer uploads a bad file, then the Hải Phòng 2026 appendix, reads the dry run, names the two
unknown bodies, rechecks, saves, previews the dispatch and dispatches; a screenshot of each page,
on a desk and on a phone, and the accessibility checks on each."""

from __future__ import annotations

import re
import zipfile

import pytest

from engine import deploy
from tests.engine.bpmn_samples import LIBRARY
from tests.fixtures.browser import screenshot
from tests.fixtures.webapp import check_accessibility
from tests.webui.test_browser import PHONE, log_in
from tests.webui.test_plans import PROCESSES, SEED, SO_OFFICER, seed_bytes
from workflows.hooks import install


@pytest.fixture
def library(pe):
    install(pe)
    with pe.unit_of_work("tester") as uow:
        for key in PROCESSES:
            deploy(uow, (LIBRARY / f"{key}.bpmn").read_bytes())


def test_a_plan_is_imported_fixed_in_the_browser_and_dispatched(library, watched, live_server, tmp_path):
    page = watched
    log_in(page, live_server, SO_OFFICER)
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("navigation").get_by_role("link", name="Kế hoạch", exact=True).click()
    assert page.get_by_role("heading", level=1).text_content() == "Kế hoạch"
    check_accessibility(page)
    screenshot(page, "webui_plans_empty")
    page.get_by_role("link", name="Nhập kế hoạch từ tệp").click()
    page.wait_for_url(f"{live_server.url}/plans/import")
    check_accessibility(page)
    screenshot(page, "webui_plans_upload")

    # A Word document by mistake: told so in Vietnamese, the number typed is kept.
    word = tmp_path / "ke-hoach.docx"
    with zipfile.ZipFile(word, "w") as docx:
        docx.writestr("[Content_Types].xml", '<Types><Override ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        docx.writestr("word/document.xml", "<w:document/>")
    page.get_by_label("Số ký hiệu (ví dụ 637/KH-SGDĐT)").fill("637/KH-SGDĐT")
    page.get_by_label("Tệp phụ lục (XLSX hoặc CSV)").set_input_files(str(word))
    page.get_by_role("button", name="Đọc thử và xem trước").click()
    alert = page.get_by_role("alert").text_content()
    assert "Word" in alert
    assert page.get_by_label("Số ký hiệu (ví dụ 637/KH-SGDĐT)").input_value() == "637/KH-SGDĐT"
    check_accessibility(page)
    screenshot(page, "webui_plans_upload_refused")

    seed = tmp_path / SEED
    seed.write_bytes(seed_bytes())
    page.get_by_label("Tệp phụ lục (XLSX hoặc CSV)").set_input_files(str(seed))
    page.get_by_role("button", name="Đọc thử và xem trước").click()
    assert page.get_by_role("heading", level=1).text_content() == "Xem trước kế hoạch"
    assert page.locator("tr.unclear").count() == 4
    check_accessibility(page)
    screenshot(page, "webui_plans_dry_run")
    screenshot(page, "webui_plans_dry_run_top", full_page=False)
    page.locator("tr.unclear").first.scroll_into_view_if_needed()
    screenshot(page, "webui_plans_dry_run_problem", full_page=False)
    page.evaluate("window.scrollTo(0, 0)")

    page.get_by_label("Đơn vị CNTT").select_option("HP.VP")
    page.get_by_label("Sở KH&CN").select_option("external")
    page.get_by_role("button", name="Ghi nhận và kiểm tra lại").first.click()
    assert "Kiểm tra lại: 0 nhiệm vụ chưa đạt “6 rõ”." in page.get_by_role("status").text_content()
    assert page.locator("tr.unclear").count() == 0
    check_accessibility(page)
    screenshot(page, "webui_plans_rechecked")

    page.get_by_label("Số ký hiệu (ví dụ 637/KH-SGDĐT)").fill("637/KH-SGDĐT")
    page.get_by_label("Trích yếu (để trống: lấy từ tệp)").fill("Kế hoạch chuyển đổi số ngành Giáo dục và Đào tạo năm 2026")
    page.get_by_role("button", name="Lưu kế hoạch").click()
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    assert page.get_by_role("heading", level=1).text_content() == "Kế hoạch chuyển đổi số ngành Giáo dục và Đào tạo năm 2026"
    check_accessibility(page)
    screenshot(page, "webui_plan_saved")

    page.get_by_role("link", name="Xem trước và giao kế hoạch").click()
    assert page.get_by_role("heading", level=1).text_content() == "Giao kế hoạch"
    assert "Phòng thuộc Sở" in page.locator("table").text_content()
    check_accessibility(page)
    screenshot(page, "webui_plan_dispatch_preview")
    page.get_by_role("button", name="Giao kế hoạch").click()
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    assert "Đã giao kế hoạch:" in page.get_by_role("status").first.text_content()
    check_accessibility(page)
    screenshot(page, "webui_plan_dispatched")
    screenshot(page, "webui_plan_dispatched_top", full_page=False)

    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # tables scroll in their box
    screenshot(page, "webui_plan_dispatched_phone")
    screenshot(page, "webui_plan_dispatched_phone_top", full_page=False)
    page.locator("table.tasks").scroll_into_view_if_needed()
    screenshot(page, "webui_plan_dispatched_phone_tasks", full_page=False)
    page.get_by_role("navigation").get_by_role("link", name="Kế hoạch", exact=True).click()
    page.wait_for_url(f"{live_server.url}/plans")  # not measured mid-navigation, with no document yet
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_accessibility(page)
    screenshot(page, "webui_plans_phone")
    assert page.problems == []
