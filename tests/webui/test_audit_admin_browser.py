"""The audit search and the admin pages in Debian's Chromium: a school officer accepts a task in
the browser; the inspector finds it (and a neighbour's refused try) in the audit search, checks
the chain against its anchor, and reads every admin page without a single form; the
administrator declares a day off, locks and reopens an account and sets the urging policy.
Accessibility (axe) on each page, no CSP violation, screenshots on a desktop and a phone."""

from __future__ import annotations

from engine import publish_head
from tests.fixtures.webapp import check_accessibility
from tests.webui.test_browser import log_in
from tests.webui.test_inbox_browser import shots
from tests.workflows.authz.world import open_task


def log_out(page, server):
    """A new person at the same browser (an error page has no logout button: forget the session)."""
    page.context.clear_cookies()


def test_an_inspector_reads_the_trail_and_changes_nothing(page, world_server, pe, world, anchor_file):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    task = open_task(pe, world.th1, "tiep_nhan")
    log_in(page, world_server, "s1_cv")
    page.goto(f"{world_server.url}/tasks/{task}")
    page.get_by_role("button", name="Tiếp nhận").click()
    page.wait_for_url(f"{world_server.url}/tasks/{task}")
    log_out(page, world_server)
    log_in(page, world_server, "s2_cv")
    assert page.goto(f"{world_server.url}/tasks/{task}").status == 404
    log_out(page, world_server)
    publish_head(pe, anchor_file)

    log_in(page, world_server, "so_tt")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Nhật ký").click()
    page.wait_for_url(f"{world_server.url}/audit")
    page.get_by_label("Người thực hiện (tên đăng nhập)").fill("s1_cv")
    page.get_by_label("Từ ngày (dd/mm/yyyy)").fill("02/03/2026")
    page.get_by_role("button", name="Tìm").click()
    page.wait_for_url(f"{world_server.url}/audit?*person=s1_cv*")
    table = page.locator("table.audit-table")
    assert "task_completed" in table.text_content() and "s2_cv" not in table.text_content()
    check_accessibility(page)
    shots(page, "audit_search")

    page.goto(f"{world_server.url}/audit")
    page.get_by_label("Chỉ thao tác bị từ chối").check()
    page.get_by_role("button", name="Tìm").click()
    page.wait_for_url(f"{world_server.url}/audit?*refused=1*")
    assert "s2_cv" in page.locator("table.audit-table").text_content()
    page.get_by_role("button", name="Kiểm tra toàn bộ chuỗi").click()
    assert "Chuỗi nguyên vẹn" in page.locator(".chain-result").text_content()
    check_accessibility(page)
    shots(page, "audit_refused_and_chain")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Quản trị").click()
    page.wait_for_url(f"{world_server.url}/admin")
    for area, name in (("Đơn vị", "units"), ("Người dùng", "users"), ("Ủy quyền", "delegations"), ("Ngày nghỉ, ngày làm bù", "calendar"),
                       ("Đôn đốc", "escalation"), ("Thư điện tử", "mail"), ("Tiến trình nền", "workers")):  # fmt: skip
        page.locator(".admin-tabs").get_by_role("link", name=area, exact=True).click()
        page.wait_for_url(f"{world_server.url}/admin/{name}*")
        assert page.locator("main form[method=post]").count() == 0, name
        assert "Bạn chỉ được xem các trang quản trị" in page.locator("main").text_content()
        check_accessibility(page)
        if name in ("units", "workers"):
            shots(page, f"admin_{name}_inspector")
    assert problems == []


def test_an_administrator_keeps_the_calendar_people_and_urging(page, world_server, pe, world):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    log_in(page, world_server, "so_qt")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Quản trị").click()
    page.wait_for_url(f"{world_server.url}/admin")
    check_accessibility(page)
    shots(page, "admin_index")

    page.goto(f"{world_server.url}/admin/units?code=T.X1")
    check_accessibility(page)
    shots(page, "admin_units")

    page.goto(f"{world_server.url}/admin/calendar")
    page.get_by_label("Ngày (dd/mm/yyyy)").fill("06/03/2026")
    page.get_by_label("Loại ngày").select_option("day_off")
    page.get_by_label("Căn cứ, ghi chú").fill("Nghỉ theo công văn của UBND")
    page.get_by_role("button", name="Ghi ngày").click()
    page.wait_for_url(f"{world_server.url}/admin/calendar?year=2026")
    assert "Đã ghi ngày 06/03/2026" in page.get_by_role("status").text_content()
    check_accessibility(page)
    shots(page, "admin_calendar")

    page.goto(f"{world_server.url}/admin/users?q=s1_cv")
    page.get_by_role("link", name="s1_cv").click()
    page.wait_for_url(f"{world_server.url}/admin/users/s1_cv")
    page.get_by_role("button", name="Khóa tài khoản").click()
    page.wait_for_url(f"{world_server.url}/admin/users/s1_cv")
    assert "Đã khóa tài khoản" in page.get_by_role("status").text_content()
    check_accessibility(page)
    shots(page, "admin_user")
    page.get_by_role("button", name="Mở lại tài khoản").click()
    page.wait_for_url(f"{world_server.url}/admin/users/s1_cv")

    page.goto(f"{world_server.url}/admin/escalation")
    page.get_by_label("Nhắc trước hạn (số ngày làm việc, cách nhau bởi dấu phẩy)").fill("5, 2")
    page.get_by_label("Giờ gửi thư tổng hợp (0–23, chỉ cho cả tỉnh)").fill("9")
    page.get_by_role("button", name="Lưu thiết lập").click()
    page.wait_for_url(f"{world_server.url}/admin/escalation")
    assert "5, 2 ngày làm việc" in page.locator("main").text_content()
    check_accessibility(page)
    shots(page, "admin_escalation")

    for name in ("delegations", "mail", "workers", "users/new"):
        page.goto(f"{world_server.url}/admin/{name}")
        check_accessibility(page)
        shots(page, f"admin_{name.replace('/', '_')}")
    assert problems == []
