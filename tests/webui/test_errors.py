"""Friendly error pages in Vietnamese; no traceback ever reaches a page; failed work is rolled back."""

from __future__ import annotations

import html

import pytest
from flask import abort
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine import AuditEvent, ConflictError, DatabaseBusy, Forbidden, NotFound
from tests.fixtures.webapp import csrf_token, login
from tests.workflows.accounts.people import OFFICER
from webui.edge import work


@pytest.fixture
def failing(app):
    """Views that fail in every way a view can (registered before the first request)."""

    def boom():
        work().audit("should_not_survive", subject="boom")
        raise RuntimeError("bí mật nội bộ: mật khẩu=123 /srv/giaoviec/secret.py line 42")

    def forbidden():
        abort(403)

    def engine_error(kind):
        raise {"not_found": NotFound("user_not_found", username="x"), "forbidden": Forbidden("bad_data", detail="không được"),
               "conflict": ConflictError(id="abc"), "busy": DatabaseBusy()}[kind]  # fmt: skip

    def lost_race():
        def conflict(uow):
            raise StaleDataError("another request changed the row first")

        work().before_commit.append(conflict)
        return "đã lưu"

    app.add_url_rule("/test/boom", view_func=boom)
    app.add_url_rule("/test/lost-race", view_func=lost_race)
    app.add_url_rule("/test/forbidden", view_func=forbidden)
    app.add_url_rule("/test/engine/<kind>", view_func=engine_error)
    return app


def test_a_view_that_raises_shows_a_friendly_page_and_no_traceback(failing, client, caplog):
    login(client, OFFICER)
    response = client.get("/test/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Hệ thống gặp sự cố ngoài dự kiến. Vui lòng thử lại sau." in page
    for leak in ("Traceback", "RuntimeError", "bí mật", "secret.py", "line 42"):
        assert leak not in page
    reference = page.split("Mã tham chiếu khi báo lỗi cho quản trị: ")[1][:8]
    assert any(reference in r.getMessage() for r in caplog.records)  # the log has what the page hides
    with failing.extensions["giaoviec.engine"].read() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.event == "should_not_survive")).all() == []


def test_not_found_and_forbidden_pages_are_in_vietnamese(failing, client):
    login(client, OFFICER)
    missing = client.get("/khong-co-trang-nay")
    assert missing.status_code == 404 and "Không tìm thấy trang" in missing.get_data(as_text=True)
    denied = client.get("/test/forbidden")
    assert denied.status_code == 403 and "Không có quyền truy cập" in denied.get_data(as_text=True)
    assert client.get("/help/khong-co-vai-tro").status_code == 404


def test_a_not_found_page_is_friendly_for_anonymous_visitors_too(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404 and "Về trang chủ" in response.get_data(as_text=True)


def test_a_wrong_method_gets_405_with_allow(client):
    response = client.post("/help", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET"}
    assert "Thao tác không được hỗ trợ" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("kind", "status", "text"),
    [
        ("not_found", 404, 'Không tìm thấy người dùng "x".'),
        ("forbidden", 403, "không được"),
        ("conflict", 409, "abc"),
        ("busy", 503, "Hệ thống đang bận"),
    ],
)
def test_engine_errors_keep_their_own_words(failing, client, kind, status, text):
    login(client, OFFICER)
    response = client.get(f"/test/engine/{kind}")
    assert response.status_code == status
    assert text in html.unescape(response.get_data(as_text=True))


def test_error_pages_are_english_when_chosen(failing, client):
    client.get("/lang/en")
    page = client.get("/khong-co").get_data(as_text=True)
    assert "Page not found" in page and '<html lang="en">' in page


def test_a_commit_that_loses_a_race_shows_the_conflict_page_not_the_view(failing, client):
    login(client, OFFICER)
    response = client.get("/test/lost-race")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Dữ liệu vừa thay đổi" in page and "đã lưu" not in page
    assert response.headers["Content-Security-Policy"]  # the replacement page is a page like any other
