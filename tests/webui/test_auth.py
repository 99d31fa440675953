"""Login, logout, throttling, CSRF, sessions and their timeouts through Flask's test client, on
both databases, with the frozen clock (never a sleep)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from engine import AuditEvent
from tests.fixtures.webapp import csrf_token, login
from tests.workflows.accounts.people import LOGINS, OFFICER, PASSWORD
from workflows.accounts import end_user_sessions
from workflows.accounts.models import UserSession


def audit_events(pe, *names):
    with pe.read() as s:
        return [(e.event, e.actor, e.subject) for e in s.scalars(select(AuditEvent).where(AuditEvent.event.in_(names)).order_by(AuditEvent.id))]


def sessions(pe):
    with pe.read() as s:
        return s.scalars(select(UserSession).order_by(UserSession.created_at, UserSession.id_hash)).all()


def test_every_page_but_login_sends_an_anonymous_visitor_to_login(client):
    for path in ("/", "/help", "/help/officer"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    assert client.get("/help/leader").headers["Location"] == "/login?next=/help/leader"
    login_page = client.get("/login")
    assert login_page.status_code == 200
    html = login_page.get_data(as_text=True)
    for field in ('name="username"', 'name="password"', 'name="csrf_token"'):
        assert field in html


def test_the_right_password_logs_in_and_the_home_page_says_who_where_and_what(client, app):
    response = login(client, OFFICER)
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    html = client.get("/").get_data(as_text=True)
    assert "Chuyên viên Trường THCS Hồng Bàng" in html
    assert "Trường THCS Hồng Bàng" in html and "HP.X001.THCS01" in html
    assert '<span class="tag">Chuyên viên</span>' in html
    assert "02/03/2026 08:00" in html  # logged in at T0, shown in Hà Nội time, dd/mm/yyyy
    assert "02/03/2026 20:00" in html  # the session's absolute end, 12 hours later
    pe = app.extensions["giaoviec.engine"]
    assert audit_events(pe, "user_logged_in") == [("user_logged_in", OFFICER, OFFICER)]


def test_after_login_the_person_goes_where_they_were_going_but_never_off_site(client):
    assert client.get("/help/officer").headers["Location"] == "/login?next=/help/officer"
    token = csrf_token(client)
    response = client.post("/login?next=/help/officer", data={"username": OFFICER, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/help/officer"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        token = csrf_token(client)
        response = client.post("/login", query_string={"next": evil}, data={"username": OFFICER, "password": PASSWORD, "csrf_token": token})
        assert response.headers["Location"] == "/", evil
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_a_wrong_password_says_so_in_vietnamese_and_is_audited(client, app):
    response = login(client, OFFICER, "sai-mat-khau")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    pe = app.extensions["giaoviec.engine"]
    assert audit_events(pe, "user_login_failed") == [("user_login_failed", "anonymous", OFFICER)]


def test_empty_fields_are_refused_without_a_login_attempt(client, app):
    response = client.post("/login", data={"username": "", "password": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert "Vui lòng nhập tên đăng nhập và mật khẩu." in response.get_data(as_text=True)
    assert audit_events(app.extensions["giaoviec.engine"], "user_login_failed") == []


def test_throttling_is_told_to_the_person_with_the_wait(client, app, clock):
    for _ in range(3):
        assert login(client, OFFICER, "sai").status_code == 401
    fourth = login(client, OFFICER, "sai")
    assert "vui lòng chờ 5 giây rồi thử lại" in fourth.get_data(as_text=True)
    blocked = login(client, OFFICER)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "5"
    assert "Bạn đã đăng nhập sai nhiều lần. Vui lòng chờ 5 giây rồi thử lại." in blocked.get_data(as_text=True)
    clock.advance(timedelta(seconds=5))
    assert login(client, OFFICER).status_code == 302
    pe = app.extensions["giaoviec.engine"]
    assert audit_events(pe, "user_login_throttled") == [("user_login_throttled", "anonymous", OFFICER)]


def test_the_throttle_counts_the_address_the_request_came_from(client, clock):
    for _ in range(4):
        login(client, OFFICER, "sai", **{"X-Forwarded-For": "198.51.100.1"})
    # X-Forwarded-For is ignored unless proxies are configured: the same address is still blocked.
    assert login(client, OFFICER, **{"X-Forwarded-For": "198.51.100.2"}).status_code == 429


def test_behind_a_configured_proxy_the_forwarded_address_counts(pe, clock):
    from tests.fixtures.webapp import web_config
    from tests.workflows.accounts.people import load_people
    from webui import create_app

    load_people(pe)
    client = create_app(web_config(pe, GIAOVIEC_TRUSTED_PROXIES=1)).test_client()
    for _ in range(4):
        login(client, OFFICER, "sai", **{"X-Forwarded-For": "198.51.100.1"})
    assert login(client, OFFICER, **{"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    assert login(client, OFFICER, **{"X-Forwarded-For": "198.51.100.2"}).status_code == 302
    with pe.read() as s:
        assert {row.ip for row in s.scalars(select(UserSession))} == {"198.51.100.2"}


def test_a_form_without_its_csrf_token_is_refused(client, app):
    response = client.post("/login", data={"username": OFFICER, "password": PASSWORD})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Biểu mẫu đã hết hạn" in html and "Traceback" not in html
    assert client.post("/login", data={"username": OFFICER, "password": PASSWORD, "csrf_token": "gia-mao"}).status_code == 400
    assert sessions(app.extensions["giaoviec.engine"]) == []
    login(client, OFFICER)
    assert client.post("/logout").status_code == 400  # logging out needs the token too
    assert client.get("/").status_code == 200


def test_htmx_requests_send_the_token_in_a_header(client, app):
    login(client, OFFICER)
    home = client.get("/").get_data(as_text=True)
    # The token is signed with a timestamp, so read the one this page carries rather than
    # fetching another page a second later and comparing strings.
    header = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", home)
    assert header, "every page gives HTMX its CSRF header"
    token = header.group(1)
    assert client.post("/logout", headers={"HX-Request": "true"}).status_code == 400
    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_a_login_gives_a_new_session_and_ends_the_one_before(client, app):
    pe = app.extensions["giaoviec.engine"]
    client.get("/login")
    before = client.get_cookie("giaoviec_session").value  # what a planted (fixated) cookie would be
    login(client, OFFICER)
    after_first = client.get_cookie("giaoviec_session").value
    assert after_first != before
    login(client, LOGINS["leader"])  # the same browser logs in again, as someone else
    assert client.get_cookie("giaoviec_session").value not in (before, after_first)
    rows = sessions(pe)
    assert sorted((r.revoked_reason or "open") for r in rows) == ["open", "replaced"]
    assert "Lãnh đạo Trường THCS Hồng Bàng" in client.get("/").get_data(as_text=True)


def test_an_old_cookie_is_worthless_after_logout(client, app):
    login(client, OFFICER)
    stolen = client.get_cookie("giaoviec_session").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    thief = app.test_client()
    thief.set_cookie("giaoviec_session", stolen)
    assert thief.get("/").status_code == 302
    assert audit_events(app.extensions["giaoviec.engine"], "user_logged_out") == [("user_logged_out", OFFICER, OFFICER)]


def test_an_idle_session_ends_after_thirty_minutes(client, app, clock):
    login(client, OFFICER)
    clock.advance(timedelta(minutes=29))
    assert client.get("/").status_code == 200
    clock.advance(timedelta(minutes=29))
    assert client.get("/").status_code == 200  # the visit at 29 min kept it alive
    clock.advance(timedelta(minutes=30))
    response = client.get("/")
    assert response.headers["Location"] == "/login?next=/"
    assert "không hoạt động quá lâu" in client.get("/login").get_data(as_text=True)
    assert [r.revoked_reason for r in sessions(app.extensions["giaoviec.engine"])] == ["idle"]


def test_a_session_ends_after_twelve_hours_however_busy(client, app, clock):
    login(client, OFFICER)
    for _ in range(24):
        clock.advance(timedelta(minutes=29, seconds=59))
        assert client.get("/").status_code == 200
    clock.advance(timedelta(minutes=29, seconds=59))
    assert client.get("/").status_code == 302
    assert "hết thời hạn" in client.get("/login").get_data(as_text=True)
    assert [r.revoked_reason for r in sessions(app.extensions["giaoviec.engine"])] == ["expired"]


def test_an_admin_ends_a_persons_sessions_in_every_browser(app):
    pe = app.extensions["giaoviec.engine"]
    phone, office, other = app.test_client(), app.test_client(), app.test_client()
    login(phone, OFFICER)
    login(office, OFFICER)
    login(other, LOGINS["leader"])
    with pe.unit_of_work(LOGINS["admin"]) as uow:
        assert end_user_sessions(uow, OFFICER) == 2
    assert phone.get("/").status_code == 302 and office.get("/").status_code == 302
    assert other.get("/").status_code == 200
    assert "Phiên làm việc đã kết thúc" in phone.get("/login").get_data(as_text=True)


def test_logout_by_a_plain_link_works_but_another_site_can_only_ask(client, app):
    login(client, OFFICER)
    asked = client.get("/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert asked.status_code == 200 and "Đăng xuất?" in asked.get_data(as_text=True)
    assert client.get("/").status_code == 200  # still logged in
    done = client.get("/logout", headers={"Sec-Fetch-Site": "same-origin"})
    assert done.headers["Location"] == "/login"
    assert "Bạn đã đăng xuất." in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_an_htmx_request_without_a_session_is_told_where_to_log_in(client):
    response = client.get("/help", headers={"HX-Request": "true"})
    assert (response.status_code, response.headers["HX-Redirect"]) == (401, "/login?next=/help")


def test_the_login_is_audited_with_the_request_address(client, app):
    client.environ_base["REMOTE_ADDR"] = "203.0.113.50"
    login(client, OFFICER, "sai")
    login(client, OFFICER)
    with app.extensions["giaoviec.engine"].read() as s:
        found = s.scalars(select(AuditEvent).where(AuditEvent.event.in_(["user_login_failed", "user_logged_in"])).order_by(AuditEvent.id)).all()
    assert [(e.event, e.data["address"]) for e in found] == [("user_login_failed", "203.0.113.50"), ("user_logged_in", "203.0.113.50")]


def test_a_page_view_costs_four_queries_and_writes_at_most_once_a_minute(client, app, clock):
    from sqlalchemy import event

    login(client, OFFICER)
    db = app.extensions["giaoviec.engine"].db
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    event.listen(db, "before_cursor_execute", record)
    try:
        client.get("/")
        assert [s for s in statements if s != "BEGIN"] == ["SELECT"] * 4  # session, person, unit, roles
        statements.clear()
        clock.advance(timedelta(minutes=1))
        client.get("/")
        assert statements.count("UPDATE") == 1 and "INSERT" not in statements[: statements.index("UPDATE")]
    finally:
        event.remove(db, "before_cursor_execute", record)
