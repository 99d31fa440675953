"""The web app in a real browser (Debian's Chromium through Playwright) against a live server:
login, a failed login in Vietnamese, throttling the person can see, CSRF rejection, logout,
no Content-Security-Policy violation, keyboard focus, accessibility, screenshots of each page."""

from __future__ import annotations

from datetime import timedelta

from tests.fixtures.browser import screenshot
from tests.fixtures.webapp import check_accessibility
from tests.workflows.accounts.people import OFFICER, PASSWORD

PHONE = {"width": 390, "height": 844}


def log_in(page, server, username=OFFICER, password=PASSWORD):
    page.goto(f"{server.url}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_login_home_help_and_logout(watched, live_server):
    page = watched
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/login?next=/"
    check_accessibility(page)
    screenshot(page, "webui_login")
    log_in(page, live_server)
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", level=1).text_content() == "Xin chào, Chuyên viên Trường THCS Hồng Bàng"
    assert "Trường THCS Hồng Bàng" in page.text_content("dl.facts")
    assert "02/03/2026 08:00" in page.text_content("dl.facts")
    check_accessibility(page)
    screenshot(page, "webui_home")
    page.get_by_role("link", name="Hướng dẫn", exact=True).click()
    assert page.get_by_role("heading", level=1).text_content() == "Hướng dẫn sử dụng Giao việc"
    check_accessibility(page)
    screenshot(page, "webui_help")
    page.get_by_role("link", name="Chuyên viên").first.click()
    assert page.get_by_role("heading", level=1).text_content() == "Chuyên viên"
    check_accessibility(page)
    screenshot(page, "webui_help_officer")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(f"{live_server.url}/login")
    assert page.get_by_role("status").text_content().strip() == "Bạn đã đăng xuất."
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login")
    assert page.problems == []  # no CSP violation, no script error


def test_a_failed_login_says_so_in_vietnamese_and_throttling_shows_the_wait(watched, live_server):
    page = watched
    for _ in range(3):
        log_in(page, live_server, password="sai-mat-khau")
        assert page.get_by_role("alert").text_content().strip() == "Tên đăng nhập hoặc mật khẩu không đúng."
    assert page.get_by_label("Tên đăng nhập").get_attribute("aria-invalid") == "true"
    check_accessibility(page)
    screenshot(page, "webui_login_failed")
    log_in(page, live_server, password="sai-mat-khau")
    assert "vui lòng chờ 5 giây rồi thử lại" in page.get_by_role("alert").text_content()
    log_in(page, live_server)  # the right password, too soon
    assert page.get_by_role("alert").text_content().strip() == "Bạn đã đăng nhập sai nhiều lần. Vui lòng chờ 5 giây rồi thử lại."
    screenshot(page, "webui_login_throttled")
    live_server.clock.advance(timedelta(seconds=5))
    log_in(page, live_server)
    page.wait_for_url(f"{live_server.url}/")
    assert page.problems == []


def test_a_form_with_a_forged_token_is_refused(watched, live_server):
    page = watched
    page.goto(f"{live_server.url}/login")
    page.eval_on_selector("input[name=csrf_token]", "e => e.value = 'gia-mao'")
    page.get_by_label("Tên đăng nhập").fill(OFFICER)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.get_by_role("heading", level=1).text_content() == "Biểu mẫu đã hết hạn"
    check_accessibility(page)
    screenshot(page, "webui_error_csrf")
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login")  # nothing logged in


def test_a_missing_page_on_a_phone(watched, live_server):
    page = watched
    page.set_viewport_size(PHONE)
    log_in(page, live_server)
    page.wait_for_url(f"{live_server.url}/")
    screenshot(page, "webui_home_phone")
    page.goto(f"{live_server.url}/khong-co-trang-nay")
    assert page.get_by_role("heading", level=1).text_content() == "Không tìm thấy trang"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing scrolls sideways on a phone
    check_accessibility(page)
    screenshot(page, "webui_error_404_phone")


def test_the_keyboard_alone_logs_in_with_a_visible_focus(watched, live_server):
    page = watched
    page.goto(f"{live_server.url}/login")
    assert page.evaluate("document.activeElement.name") == "username"  # the field is focused at once
    page.keyboard.type(OFFICER)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    page.keyboard.press("Tab")  # the skip link comes first and shows itself when focused
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0
    screenshot(page, "webui_skip_link", full_page=False)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_english_pages(watched, live_server):
    page = watched
    page.goto(f"{live_server.url}/login")
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).text_content() == "Log in"
    page.get_by_label("Username").fill(OFFICER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", level=1).text_content() == "Hello, Chuyên viên Trường THCS Hồng Bàng"
    screenshot(page, "webui_home_english")
