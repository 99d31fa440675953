"""``/admin`` through Flask's test client, on both databases: who reads the pages (administrator
and inspector) and who is refused (recorded); an inspector's forged POST to every admin form is
refused (403) and recorded, nothing changed; each administrator's change goes through and is
audited (units, names, outside bodies, people, roles, locking, sessions, passwords, delegations,
the province's calendar, the urging policy, a test email to a real SMTP server, resending a
failed email); a refused input leaves nothing behind."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from engine import (
    AuditEvent,
    OutboxMessage,
    PermanentDeliveryError,
    WorkerHeartbeat,
    add_outbox_message,
    deliver_due,
)
from tests.fixtures.smtp import SENDER, Server
from tests.fixtures.webapp import csrf_token, login, web_config
from tests.webui.test_inbox import as_user, refusals
from webui import create_app
from workflows.accounts.models import UserSession
from workflows.calendar.days import province_calendar
from workflows.calendar.models import CalendarDay
from workflows.escalation.models import EscalationPolicy
from workflows.org.models import Delegation, OrgUnit, UnitAlias, User, UserRole

AREAS = ("/admin", "/admin/units", "/admin/units?code=T.X1", "/admin/users", "/admin/users?q=s1", "/admin/users/new",
         "/admin/users/s1_cv", "/admin/delegations", "/admin/calendar", "/admin/calendar?year=2027", "/admin/escalation",
         "/admin/mail", "/admin/workers")  # fmt: skip


def send(client, path, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin"), **fields})


def events(pe, name):
    with pe.read() as s:
        return s.scalars(select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.id)).all()


def test_administrators_and_inspectors_read_every_area(web, pe, world):
    for username in ("so_qt", "so_tt"):
        client = as_user(web, username)
        for path in AREAS:
            response = client.get(path)
            assert response.status_code == 200, (username, path)
        html = client.get("/admin/users/s1_cv").get_data(as_text=True)
        if username == "so_qt":
            assert "Lưu vai trò" in html and "Khóa tài khoản" in html
        else:
            assert "Bạn chỉ được xem các trang quản trị" in html and "<form method=\"post\" action=\"/admin" not in html
    nav = as_user(web, "so_qt").get("/inbox").get_data(as_text=True)
    assert 'href="/admin"' in nav and 'href="/audit"' in nav


def test_others_are_refused_and_recorded(web, pe, world):
    for username in ("s1_cv", "so_ld"):
        client = as_user(web, username)
        assert 'href="/admin"' not in client.get("/inbox").get_data(as_text=True)
        for path in ("/admin", "/admin/users", "/admin/mail"):
            response = client.get(path)
            assert response.status_code == 403 and "cần vai trò quản trị" in response.get_data(as_text=True)
    assert {(actor, action) for actor, action, _ in refusals(pe)} == {("s1_cv", "configure"), ("so_ld", "configure")}
    assert len(refusals(pe)) == 6


def _post_rules(web):
    """Every admin URL that takes a POST, with its arguments filled in from the world."""
    for rule in web.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and "POST" in (rule.methods or ()):
            values = {"code": "T.X1", "username": "s1_cv", "delegation_id": 1, "day_id": 1, "message_id": str(uuid.uuid4())}
            yield rule.endpoint, rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]


def test_an_inspector_changes_nothing_anywhere(web, pe, world):
    with pe.unit_of_work("test") as uow:  # something to revoke and remove, were it allowed
        uow.session.add(CalendarDay(root_id=_root(uow.session).id, day=date(2026, 4, 4), kind="makeup", created_at=uow.now, created_by="test"))
    inspector = as_user(web, "so_tt")
    with pe.read() as s:
        before = _snapshot(s)
    forged = {"code": "T.NEW", "name": "Đơn vị giả", "kind": "thpt", "names": "Tên giả", "username": "gia", "full_name": "Giả",
              "unit_code": "T", "roles": "admin", "password": "matkhau-rat-dai-1", "confirm": "matkhau-rat-dai-1", "active": "0",
              "giver": "so_ld", "receiver": "so_cv", "starts_on": "02/03/2026", "ends_on": "05/03/2026", "day": "01/05/2026",
              "scope_kind": "province", "scope_key": "T", "digest_hour": "9", "recipient": "a@b.vn"}  # fmt: skip
    posted = []
    for endpoint, url in _post_rules(web):
        response = send(inspector, url, **forged)
        assert response.status_code == 403, (endpoint, response.status_code)
        assert "thanh tra chỉ được xem" in response.get_data(as_text=True)
        posted.append(endpoint)
    assert len(posted) >= 15
    recorded = [(actor, action) for actor, action, _ in refusals(pe)]
    assert len(recorded) == len(posted) and {actor for actor, _ in recorded} == {"so_tt"}
    with pe.read() as s:
        assert _snapshot(s) == before


def _root(session):
    return session.scalars(select(OrgUnit).where(OrgUnit.code == "T")).one()


def _snapshot(session):
    return (
        session.scalars(select(OrgUnit.code).order_by(OrgUnit.code)).all(),
        session.scalars(select(UnitAlias.alias).order_by(UnitAlias.alias)).all(),
        session.execute(select(User.username, User.active, User.password_hash).order_by(User.username)).all(),
        session.execute(select(UserRole.user_id, UserRole.role).order_by(UserRole.user_id, UserRole.role)).all(),
        session.execute(select(Delegation.id, Delegation.revoked_at).order_by(Delegation.id)).all(),
        session.execute(select(CalendarDay.day, CalendarDay.kind)).all(),
        session.execute(select(EscalationPolicy.scope_key, EscalationPolicy.settings)).all(),
    )


def test_units_names_and_outside_bodies(web, pe, world):
    admin = as_user(web, "so_qt")
    response = send(admin, "/admin/units/T.X1/children", **{"unit-code": "T.X1.TH9", "unit-name": "Trường Tiểu học Chín", "unit-kind": "th"})
    assert response.status_code == 303 and response.location == "/admin/units?code=T.X1"
    page = admin.get("/admin/units?code=T.X1").get_data(as_text=True)
    assert "Trường Tiểu học Chín" in page and "Đã thêm đơn vị T.X1.TH9" in page
    assert send(admin, "/admin/units/T.X1.TH9/aliases", **{"alias-names": "TH Chín\nTrường số 9"}).status_code == 303
    names = admin.get("/admin/units?code=T.X1.TH9").get_data(as_text=True)
    assert "TH Chín" in names and "Trường số 9" in names
    assert send(admin, "/admin/units/external", **{"external-name": "Sở Y tế"}).status_code == 303
    assert "Sở Y tế" in admin.get("/admin/units").get_data(as_text=True)
    # A school cannot hang under the Sở: the domain's words, and nothing stored or audited.
    wrong = send(admin, "/admin/units/T/children", **{"unit-code": "T.TH0", "unit-name": "Trường sai chỗ", "unit-kind": "th"})
    assert wrong.status_code == 400 and "Trường sai chỗ" in wrong.get_data(as_text=True)
    with pe.read() as s:
        assert s.scalars(select(OrgUnit).where(OrgUnit.code == "T.TH0")).first() is None
    created = [(e.actor, e.subject) for e in events(pe, "unit_created") if e.actor == "so_qt"]
    assert created == [("so_qt", "T.X1.TH9"), ("so_qt", "T.NGOAI001")]
    assert [e.data["aliases"] for e in events(pe, "unit_aliases_added")] == [["TH Chín", "Trường số 9"]]


def test_people_roles_locking_sessions_and_passwords(web, pe, world):
    admin = as_user(web, "so_qt")
    response = send(admin, "/admin/users/new", username="s1_moi", full_name="Nguyễn Văn Mới", email="moi@th1.edu.vn",
                    unit_code="T.X1.TH1", roles="officer", password="mat-khau-moi-2026")  # fmt: skip
    assert response.status_code == 303 and response.location == "/admin/users/s1_moi"
    newcomer = web.test_client()
    assert login(newcomer, "s1_moi", "mat-khau-moi-2026").status_code == 302
    with pe.read() as s:
        stored = s.scalars(select(User.password_hash).where(User.username == "s1_moi")).one()
    assert stored.startswith("$argon2id$")
    assert send(admin, "/admin/users/s1_moi/roles", **{"roles-roles": ["officer", "clerk"]}).status_code == 303
    assert "Chuyên viên, Văn thư" in admin.get("/admin/users/s1_moi").get_data(as_text=True)
    assert send(admin, "/admin/users/s1_moi/sessions").status_code == 303
    assert newcomer.get("/inbox").status_code == 302  # their session was ended
    assert login(newcomer, "s1_moi", "mat-khau-moi-2026").status_code == 302
    assert send(admin, "/admin/users/s1_moi/active", active="0").status_code == 303
    assert newcomer.get("/inbox").status_code == 302
    assert login(newcomer, "s1_moi", "mat-khau-moi-2026").status_code == 401
    assert send(admin, "/admin/users/s1_moi/active", active="1").status_code == 303
    short = send(admin, "/admin/users/s1_moi/password", **{"password-password": "ngan", "password-confirm": "ngan"})
    assert short.status_code == 400 and "ít nhất 8 ký tự" in short.get_data(as_text=True)
    assert send(admin, "/admin/users/s1_moi/password", **{"password-password": "mat-khau-khac-9", "password-confirm": "mat-khau-khac-9"}).status_code == 303
    assert login(newcomer, "s1_moi", "mat-khau-khac-9").status_code == 302
    with pe.read() as s:
        open_sessions = s.scalars(select(UserSession).where(UserSession.revoked_at.is_(None))).all()
    assert len(open_sessions) == 2  # the administrator's and the newcomer's latest
    trail = [(e.event, e.actor, e.subject) for e in events(pe, "user_roles_set") + events(pe, "user_deactivated") + events(pe, "user_activated")]
    assert trail == [("user_roles_set", "so_qt", "s1_moi"), ("user_deactivated", "so_qt", "s1_moi"), ("user_activated", "so_qt", "s1_moi")]
    assert [e.subject for e in events(pe, "user_password_set")] == ["s1_moi", "s1_moi"]
    # Another province's person is not even confirmed to exist.
    assert admin.get("/admin/users/q_ld").status_code == 404


def test_a_user_whose_password_is_refused_is_not_created(web, pe, world):
    admin = as_user(web, "so_qt")
    response = send(admin, "/admin/users/new", username="s1_ngan", full_name="Ngắn", unit_code="T.X1.TH1", roles="officer", password="ngan")
    assert response.status_code == 400 and "ít nhất 8 ký tự" in response.get_data(as_text=True)
    with pe.read() as s:
        assert s.scalars(select(User).where(User.username == "s1_ngan")).first() is None
    assert [e.subject for e in events(pe, "user_created") if e.actor == "so_qt"] == []


def test_delegations_are_recorded_and_revoked(web, pe, world):
    admin = as_user(web, "so_qt")
    response = send(admin, "/admin/delegations", giver="t_ld", receiver="t_cv", starts_on="09/03/2026", ends_on="13/03/2026",
                    reason="Quyết định 12/QĐ-THPT1")  # fmt: skip
    assert response.status_code == 303
    page = admin.get("/admin/delegations").get_data(as_text=True)
    assert "09/03/2026 – 13/03/2026" in page and "Quyết định 12/QĐ-THPT1" in page and "Chưa đến ngày" in page
    [granted] = events(pe, "delegation_granted")[-1:]
    assert granted.actor == "so_qt" and granted.data["from"] == "t_ld"
    assert send(admin, f"/admin/delegations/{granted.data['delegation']}/revoke").status_code == 303
    assert "Đã thu hồi" in admin.get("/admin/delegations").get_data(as_text=True)
    assert events(pe, "delegation_revoked")[-1].actor == "so_qt"
    bad = send(admin, "/admin/delegations", giver="t_cv", receiver="t_ld", starts_on="09/03/2026", ends_on="13/03/2026")
    assert bad.status_code == 400  # an officer has no approvals to hand over
    late = send(admin, "/admin/delegations", giver="t_ld", receiver="t_cv", starts_on="31/02/2026", ends_on="13/03/2026")
    assert late.status_code == 400 and "không có trên lịch" in late.get_data(as_text=True)


def test_days_off_and_make_up_days_reach_the_workers_calendar(web, pe, world):
    admin = as_user(web, "so_qt")
    assert send(admin, "/admin/calendar", day="06/03/2026", kind="day_off", note="Nghỉ bão").status_code == 303
    assert send(admin, "/admin/calendar", day="07/03/2026", kind="makeup", note="Làm bù").status_code == 303
    again = send(admin, "/admin/calendar", day="06/03/2026", kind="makeup")
    assert again.status_code == 400 and "đã được khai báo" in again.get_data(as_text=True)
    page = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "06/03/2026" in page and "Nghỉ bão" in page and "30/04/2026" in page  # the government's days beside
    with pe.read() as s:
        root = _root(s)
        calendar = province_calendar(s, root.id, [2026])
        assert not calendar.is_working_day(date(2026, 3, 6)) and calendar.is_working_day(date(2026, 3, 7))
        assert calendar.add_working_days(date(2026, 3, 5), 1) == date(2026, 3, 7)
        [declared] = s.scalars(select(CalendarDay).where(CalendarDay.day == date(2026, 3, 6))).all()
    assert send(admin, f"/admin/calendar/{declared.id}/remove?year=2026").status_code == 303
    with pe.read() as s:
        assert province_calendar(s, root.id, [2026]).is_working_day(date(2026, 3, 6))
    assert [(e.event, e.subject) for e in events(pe, "calendar_day_declared") + events(pe, "calendar_day_removed")] == [
        ("calendar_day_declared", "2026-03-06"), ("calendar_day_declared", "2026-03-07"), ("calendar_day_removed", "2026-03-06")]


def test_the_urging_policy_of_the_province(web, pe, world):
    admin = as_user(web, "so_qt")
    response = send(admin, "/admin/escalation", scope_kind="province", scope_key="T", remind_before="5, 2", on_the_day="0",
                    overdue_notice="", escalate_after="3", weekly_list_weekday="none", digest_hour="9", office_unit="T.P")  # fmt: skip
    assert response.status_code == 303
    page = admin.get("/admin/escalation").get_data(as_text=True)
    assert "5, 2 ngày làm việc" in page and "sau 3 ngày làm việc quá hạn" in page and "9:00" in page and "T.P" in page
    with pe.read() as s:
        row = s.scalars(select(EscalationPolicy)).one()
    assert row.settings == {"remind_before": [5, 2], "on_the_day": False, "escalate_after": 3, "weekly_list_weekday": None,
                            "digest_hour": 9, "office_unit": "T.P"}  # fmt: skip
    assert events(pe, "escalation_policy_set")[-1].actor == "so_qt"
    other = send(admin, "/admin/escalation", scope_kind="province", scope_key="Q", digest_hour="9")
    assert other.status_code == 400  # another province's policy is not theirs
    plan_hour = send(admin, "/admin/escalation", scope_kind="plan", scope_key="999", digest_hour="9")
    assert plan_hour.status_code == 400
    process = send(admin, "/admin/escalation", scope_kind="process", scope_key="giao_nhiem_vu", remind_before="2", overdue_notice="1")
    plan = send(admin, "/admin/escalation", scope_kind="plan", scope_key=str(world.plans["P1"]), escalate_after="0")
    assert (process.status_code, plan.status_code) == (303, 303)
    with pe.read() as s:
        stored = {(r.scope_kind, r.scope_key): r.settings for r in s.scalars(select(EscalationPolicy))}
    assert stored[("process", "giao_nhiem_vu")] == {"remind_before": [2], "overdue_notice": True}
    assert stored[("plan", str(world.plans["P1"]))] == {"escalate_after": None}  # "0": never escalated
    hour_for_a_plan = send(admin, "/admin/escalation", scope_kind="plan", scope_key=str(world.plans["P1"]), digest_hour="9")
    assert hour_for_a_plan.status_code == 400 and "chỉ đặt cho cả tỉnh" in hour_for_a_plan.get_data(as_text=True)


@pytest.fixture
def smtp():
    server = Server()
    server.start()
    yield server
    server.stop()


def test_a_test_email_reaches_a_real_smtp_server(pe, world, smtp):
    web = create_app(web_config(pe, GIAOVIEC_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}?timeout=60", GIAOVIEC_MAIL_FROM=SENDER))
    admin = as_user(web, "so_qt")
    page = admin.get("/admin/mail").get_data(as_text=True)
    assert f"127.0.0.1:{smtp.port}" in page and "Không mã hóa" in page
    response = send(admin, "/admin/mail/test", recipient="quantri@so.edu.vn")
    assert response.status_code == 200 and "máy chủ thư đã nhận" in response.get_data(as_text=True)
    [message] = smtp.mailbox.received
    assert message["To"] == "quantri@so.edu.vn" and "Thư thử nghiệm" in message["Subject"]
    assert events(pe, "smtp_test_sent")[-1].data["recipient"] == "quantri@so.edu.vn"
    smtp.mailbox.refuse["khong-co@so.edu.vn"] = "550 no such user"
    refused = send(admin, "/admin/mail/test", recipient="khong-co@so.edu.vn")
    assert "Không gửi được thư thử" in refused.get_data(as_text=True) and "550" in refused.get_data(as_text=True)
    assert events(pe, "smtp_test_failed")[-1].actor == "so_qt"


def test_failed_emails_are_listed_and_resent(web, pe, world, clock):
    with pe.unit_of_work("test") as uow:
        message = add_outbox_message(uow, "email", {"subject": "Nhắc hạn báo cáo", "text": "Sắp đến hạn."}, recipient="sai@dia.chi")
        ident = message.id

    class Refusing:
        def send(self, claimed):
            raise PermanentDeliveryError("550 mailbox unavailable")

    deliver_due(pe, Refusing(), clock.now())
    admin = as_user(web, "so_qt")
    page = admin.get("/admin/mail").get_data(as_text=True)
    assert "Nhắc hạn báo cáo" in page and "550 mailbox unavailable" in page and "Thư gửi lỗi (1)" in page
    assert send(admin, f"/admin/mail/{ident}/resend").status_code == 303
    with pe.read() as s:
        row = s.get(OutboxMessage, ident)
    assert (row.status, row.attempts) == ("pending", 0)
    assert "Thư gửi lỗi (0)" in admin.get("/admin/mail").get_data(as_text=True)
    assert events(pe, "outbox_resend_requested")[-1].actor == "so_qt"
    again = send(admin, f"/admin/mail/{ident}/resend")  # no longer failed: said, nothing changed
    assert again.status_code == 303 and "không ở trạng thái gửi lỗi" in admin.get("/admin/mail").get_data(as_text=True)


def test_worker_heartbeats(web, pe, world, clock):
    from datetime import timedelta

    with pe.unit_of_work("test") as uow:
        uow.session.add(WorkerHeartbeat(worker_id="may1:42", host="may1", pid=42, started_at=clock.now() - timedelta(hours=1),
                                        last_seen=clock.now() - timedelta(minutes=10), sweeps=1800, status="running", last_error=None))
        uow.session.add(WorkerHeartbeat(worker_id="may2:7", host="may2", pid=7, started_at=clock.now(), last_seen=clock.now(), sweeps=3,
                                        status="running", last_error="outbox: TransportUnavailable: connection refused"))  # fmt: skip
    html = as_user(web, "so_tt").get("/admin/workers").get_data(as_text=True)
    assert "may1:42" in html and "Không phản hồi" in html and "connection refused" in html and "Đang chạy" in html
    assert re.search(r"Tiến trình nền.*2 tiến trình.*1 không phản hồi", as_user(web, "so_qt").get("/admin").get_data(as_text=True), re.S)
