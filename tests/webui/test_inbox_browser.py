"""The inbox and the task page in Debian's Chromium: a school officer opens the inbox, the task,
accepts it, writes and submits a report with an attachment; the leader then finds it in their
inbox and approves it. Accessibility (axe) on each page, no CSP violation, screenshots on a desktop and a phone."""

from __future__ import annotations

from datetime import UTC, datetime

from engine import HumanTask
from tests.fixtures.browser import screenshot
from tests.fixtures.webapp import check_accessibility
from tests.webui.test_browser import PHONE, log_in
from tests.workflows.authz.world import open_task


def shots(page, name):
    """Desktop and phone screenshots of the page; nothing scrolls sideways on the phone."""
    screenshot(page, f"webui_{name}")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_accessibility(page)
    screenshot(page, f"webui_{name}_phone")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_inbox_task_accept_and_submit_a_report(page, world_server, pe, world, tmp_path):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    accept = open_task(pe, world.th1, "tiep_nhan")
    with pe.unit_of_work("test") as uow:  # a deadline already passed, so the row shows it
        uow.session.get(HumanTask, accept).due_at = datetime(2026, 2, 27, 10, 0, tzinfo=UTC)
    log_in(page, world_server, "s1_cv")
    page.get_by_role("link", name="Hộp việc").click()
    page.wait_for_url(f"{world_server.url}/inbox")
    assert page.get_by_role("heading", level=1).text_content() == "Hộp việc"
    row = page.locator("tr.overdue")
    assert "27/02/2026 17:00" in row.text_content() and "Quá hạn" in row.text_content()
    check_accessibility(page)
    shots(page, "inbox")

    row.get_by_role("link").click()
    page.wait_for_url(f"{world_server.url}/tasks/{accept}")
    check_accessibility(page)
    shots(page, "task_accept")
    page.get_by_role("button", name="Tiếp nhận").click()
    page.wait_for_url(f"{world_server.url}/tasks/{accept}")
    assert "Đã ghi: Tiếp nhận." in page.get_by_role("status").text_content()

    page.goto(f"{world_server.url}/inbox")
    page.get_by_role("link", name="Thực hiện và dự thảo báo cáo").click()
    work = open_task(pe, world.th1, "thuc_hien")
    page.wait_for_url(f"{world_server.url}/tasks/{work}")
    page.get_by_label("Kết quả thực hiện").fill("Đã tổ chức 12/12 lớp; 480 học sinh tham gia.")
    page.get_by_label("Khó khăn, vướng mắc").fill("Thiếu máy chiếu ở 2 phòng.")
    page.get_by_label("Kiến nghị, đề xuất").fill("Đề nghị cấp thêm 2 máy chiếu.")
    attachment = tmp_path / "bien_ban.txt"
    attachment.write_text("Biên bản họp tổ chuyên môn\n", encoding="utf-8")
    page.get_by_label("Tệp đính kèm").set_input_files(str(attachment))
    check_accessibility(page)
    shots(page, "task_report")
    page.get_by_role("button", name="Gửi báo cáo").click()
    page.wait_for_url(f"{world_server.url}/tasks/{work}")
    assert "Đã ghi: Gửi." in page.get_by_role("status").text_content()
    assert "Đã tổ chức 12/12 lớp" in page.text_content("#main") and "bien_ban.txt" in page.text_content("#main")
    check_accessibility(page)
    screenshot(page, "webui_task_submitted")
    review = open_task(pe, world.th1, "duyet_bao_cao")

    page.get_by_role("button", name="Đăng xuất").click()
    log_in(page, world_server, "s1_ld")  # the school's leader finds the report in their inbox
    page.goto(f"{world_server.url}/inbox")
    page.get_by_role("link", name="Duyệt báo cáo").click()
    page.wait_for_url(f"{world_server.url}/tasks/{review}")
    assert "Đã tổ chức 12/12 lớp" in page.text_content("#main")
    page.get_by_label("Ý kiến (không bắt buộc)").fill("Đồng ý gửi Phường.")
    check_accessibility(page)
    shots(page, "task_review")
    page.get_by_role("button", name="Duyệt", exact=True).click()
    page.wait_for_url(f"{world_server.url}/tasks/{review}")
    assert "Đã ghi: Duyệt." in page.get_by_role("status").text_content()
    assert open_task(pe, world.th1, "tham_dinh_bao_cao")
    assert problems == []
