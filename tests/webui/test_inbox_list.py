"""The inbox list through Flask's test client, on both databases: filters with their counts and
plan numbers in the rows; saved filters (another person's is a 404 whatever the verb); bulk accept
with a refused row reported and recorded; bulk remind, whose email a real SMTP server (aiosmtpd)
receives once the outbox is delivered; the XLSX export read back with openpyxl and compared with
the page's rows."""

from __future__ import annotations

import html as htmllib
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from engine import AuditEvent, HumanTask
from engine.outbox import deliver_due
from tests.fixtures.smtp import Server
from tests.fixtures.webapp import csrf_token
from tests.webui.test_inbox import as_user
from tests.workflows.actions.test_tasks import act
from tests.workflows.authz.world import open_task
from workflows.actions.tasks import accept, request_extension
from workflows.inbox_views.models import SavedFilter
from workflows.notify import SmtpTransport
from workflows.org.models import User


def two_extension_requests(pe, world):
    """The commune's inbox: both schools' extension requests and its own follow-up step."""
    for instance, officer in ((world.th1, "s1_cv"), (world.th2, "s2_cv")):
        act(pe, officer, accept, open_task(pe, instance, "tiep_nhan"))
        act(pe, officer, request_extension, open_task(pe, instance, "thuc_hien"), "2026-03-20")
    now = pe.clock.now()
    with pe.db.begin() as conn:
        conn.execute(update(HumanTask).where(HumanTask.instance_id == world.th1, HumanTask.status == "open").values(due_at=now - timedelta(days=2)))
        conn.execute(update(HumanTask).where(HumanTask.instance_id == world.th2, HumanTask.status == "open").values(due_at=now + timedelta(days=1)))


def task_links(html):
    return re.findall(r'<td data-label="Việc"><a href="/tasks/([^"]+)"', html)


def option(html, select_id, text):
    """The option of a select whose text starts with ``text``; its whole text."""
    block = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    found = [htmllib.unescape(t).strip() for t in re.findall(r"<option[^>]*>([^<]*)</option>", block)]
    return next(t for t in found if t.startswith(text))


def test_filters_by_status_period_unit_and_plan_with_their_counts(web, pe, world):
    two_extension_requests(pe, world)
    commune = as_user(web, "x_cv")
    html = commune.get("/inbox").get_data(as_text=True)
    assert len(task_links(html)) == 3
    assert "<strong>P1/KH</strong>" in html and "Kế hoạch P1" in html and "#1" not in html  # the plan by its number
    assert option(html, "f-plan", "P1/KH") == "P1/KH — Kế hoạch P1 (3)"
    assert option(html, "f-period", "2026") == "2026 (3)"
    assert option(html, "f-unit", "Trường Tiểu học Một") == "Trường Tiểu học Một (1)"
    assert option(html, "f-status", "Đang chờ xử lý") == "Đang chờ xử lý (3)"
    assert "Chỉ việc quá hạn (1)" in html and "Sắp đến hạn (3 ngày làm việc): 2" in html
    school = commune.get("/inbox?unit=T.X1.TH2").get_data(as_text=True)
    [only] = task_links(school)
    assert only == str(open_task(pe, world.th2, "xem_xet_gia_han")) and "Trường Tiểu học Hai" in school
    assert option(school, "f-unit", "Trường Tiểu học Một") == "Trường Tiểu học Một (1)"  # the others stay listed
    assert 'Tất cả <span class="count">(1)</span>' in school  # the tabs count under the filters
    assert task_links(commune.get("/inbox?period=2025").get_data(as_text=True)) == []
    assert len(task_links(commune.get("/inbox?period=2026&plan=1&status=open").get_data(as_text=True))) == 3
    done = commune.get("/inbox?status=completed").get_data(as_text=True)  # the commune's own first two steps
    assert len(task_links(done)) == 2 and 'name="task"' not in done  # nothing to act on: no checkboxes
    assert commune.get("/inbox?status=whatever").status_code == 400
    assert commune.get("/inbox?unit=" + "x" * 101).status_code == 400
    assert task_links(commune.get("/inbox?unit=T.THPT1").get_data(as_text=True)) == []  # not below the commune


def saved_ids(pe, username):
    with pe.read() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return [f.id for f in s.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id))]


def test_saved_filters_are_mine_alone(web, pe, world):
    two_extension_requests(pe, world)
    commune = as_user(web, "x_cv")
    token = csrf_token(commune, "/inbox")
    saved = commune.post("/inbox/filters", data={"save-csrf_token": token, "save-name": "Trường Một quá hạn",
                                                  "scope": "unit", "overdue": "1", "unit": "T.X1.TH1"})  # fmt: skip
    assert saved.status_code == 303 and saved.location == "/inbox?scope=unit&overdue=1&unit=T.X1.TH1"
    [filter_id] = saved_ids(pe, "x_cv")
    html = commune.get("/inbox").get_data(as_text=True)
    assert f'<a href="/inbox/filters/{filter_id}">Trường Một quá hạn</a>' in html and "Đã lưu bộ lọc" in html
    applied = commune.get(f"/inbox/filters/{filter_id}")
    assert applied.status_code == 303 and applied.location == "/inbox?scope=unit&overdue=1&unit=T.X1.TH1"
    assert task_links(commune.get(applied.location).get_data(as_text=True)) == [str(open_task(pe, world.th1, "xem_xet_gia_han"))]
    nameless = commune.post("/inbox/filters", data={"save-csrf_token": token, "save-name": "  ", "scope": "all"})
    assert nameless.status_code == 303 and len(saved_ids(pe, "x_cv")) == 1
    assert commune.post("/inbox/filters", data={"save-name": "không có mã"}).status_code == 400  # CSRF

    other = as_user(web, "s1_cv")
    assert "Trường Một quá hạn" not in other.get("/inbox").get_data(as_text=True)
    assert other.get(f"/inbox/filters/{filter_id}").status_code == 404
    forged = other.post(f"/inbox/filters/{filter_id}/delete", data={"delete-csrf_token": csrf_token(other, "/inbox")})
    assert forged.status_code == 404 and saved_ids(pe, "x_cv") == [filter_id]
    assert commune.get("/inbox/filters/999999").status_code == 404

    gone = commune.post(f"/inbox/filters/{filter_id}/delete", data={"delete-csrf_token": token})
    assert gone.status_code == 303 and saved_ids(pe, "x_cv") == []
    with pe.read() as s:
        audited = s.scalars(select(AuditEvent.event).where(AuditEvent.event.like("saved_filter_%")).order_by(AuditEvent.id)).all()
    assert audited == ["saved_filter_saved", "saved_filter_deleted"]


def test_bulk_accept_reports_the_refused_row_and_records_it(web, pe, world):
    mine, theirs = open_task(pe, world.th1, "tiep_nhan"), open_task(pe, world.th2, "tiep_nhan")
    officer = as_user(web, "s1_cv")
    html = officer.get("/inbox").get_data(as_text=True)
    assert f'name="task" value="{mine}"' in html and 'for="pick-1"' in html and str(theirs) not in html
    token = csrf_token(officer, "/inbox")
    response = officer.post("/inbox/bulk", data={"bulk-csrf_token": token, "action": "accept", "scope": "all",
                                                 "task": [str(mine), str(theirs)]})  # fmt: skip  (theirs: forged)
    page = htmllib.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Đã thực hiện 1 trên 2 việc đã chọn." in page and "1 việc không thực hiện được" in page
    assert f"Việc {str(theirs)[:8]}: Bạn không có quyền" in page and "Tiếp nhận nhiệm vụ" not in page.split("Không thực hiện được")[1]
    assert open_task(pe, world.th1, "thuc_hien") and open_task(pe, world.th2, "tiep_nhan") == theirs
    with pe.read() as s:
        refused = s.scalars(select(AuditEvent).where(AuditEvent.event == "action_refused")).all()
    assert [(e.actor, e.data["action"], e.task_id) for e in refused] == [("s1_cv", "accept", theirs)]
    assert officer.post("/inbox/bulk", data={"action": "accept", "task": [str(mine)]}).status_code == 400  # no CSRF token
    nothing = officer.post("/inbox/bulk", data={"bulk-csrf_token": token, "action": "accept", "scope": "all"})
    assert nothing.status_code == 303
    assert officer.post("/inbox/bulk", data={"bulk-csrf_token": token, "action": "delete", "task": [str(mine)]}).status_code == 400


@pytest.fixture
def smtp():
    server = Server()
    server.start()
    yield server
    server.stop()


def test_bulk_remind_emails_the_other_officer_through_the_outbox(web, pe, world, smtp):
    with pe.db.begin() as conn:
        for name in ("s1_cv", "s1_pgd"):
            conn.execute(update(User).where(User.username == name).values(email=f"{name}@th1.edu.vn"))
    task_id = open_task(pe, world.th1, "tiep_nhan")
    with pe.unit_of_work("test") as uow:
        uow.session.get(HumanTask, task_id).due_at = datetime(2026, 2, 27, 10, 0, tzinfo=UTC)
    officer = as_user(web, "s1_cv")
    token = csrf_token(officer, "/inbox")
    response = officer.post("/inbox/bulk", data={"bulk-csrf_token": token, "action": "remind", "scope": "all", "task": [str(task_id)]})
    assert "Đã thực hiện 1 trên 1 việc đã chọn." in response.get_data(as_text=True)
    assert smtp.mailbox.received == []  # nothing leaves before the outbox is delivered
    assert deliver_due(pe, SmtpTransport(smtp.config())).sent == 1
    [mail] = smtp.mailbox.received
    assert mail["To"].addresses[0].addr_spec == "s1_pgd@th1.edu.vn"
    assert mail["Subject"].startswith("[Giao việc] Đôn đốc: Trường Tiểu học Một: Tiếp nhận nhiệm vụ")
    body = mail.get_body(("plain",)).get_content()
    assert "s1_cv (Trường Tiểu học Một) đôn đốc việc sau:" in body and "hạn 27/02/2026" in body and f"/tasks/{task_id}" in body
    again = officer.post("/inbox/bulk", data={"bulk-csrf_token": token, "action": "remind", "scope": "all", "task": [str(task_id)]})
    assert "Hôm nay đã đôn đốc" in htmllib.unescape(again.get_data(as_text=True))
    assert deliver_due(pe, SmtpTransport(smtp.config())).sent == 0 and len(smtp.mailbox.received) == 1


def test_the_export_is_the_pages_list_as_xlsx(web, pe, world):
    two_extension_requests(pe, world)
    commune = as_user(web, "x_cv")
    html = commune.get("/inbox?scope=unit&plan=1").get_data(as_text=True)
    assert 'href="/inbox/export.xlsx?scope=unit&amp;plan=1"' in html
    response = commune.get("/inbox/export.xlsx?scope=unit&plan=1")
    assert response.status_code == 200 and response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="hop-viec-2026')
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("STT", "Hạn", "Quá hạn", "Việc", "Nhiệm vụ", "Đơn vị thực hiện")
    data = [r for r in rows[1:] if r and isinstance(r[0], int)]
    page_rows = re.findall(r'<td data-label="Hạn">(.*?)</td>\s*<td data-label="Việc"><a href="/tasks/[^"]+">([^<]+)</a>', html)
    assert len(data) == len(page_rows) == 3
    for number, ((n, due, late, name, *_rest), (page_due, page_name)) in enumerate(zip(data, page_rows, strict=True), start=1):
        assert n == number  # in the page's order
        shown = f"{due:%d/%m/%Y %H:%M}" if isinstance(due, datetime) else due
        assert shown in htmllib.unescape(page_due) and name == htmllib.unescape(page_name)
        assert (late == "Quá hạn") == ("Quá hạn" in page_due)
    assert {r[7] for r in data} == {"P1/KH"} and {r[8] for r in data} == {"Kế hoạch P1"}
    assert {r[5] for r in data} == {"Trường Tiểu học Một", "Trường Tiểu học Hai", "UBND Phường Một"}
    assert any("Xuất lúc" in str(r[0]) for r in rows if r and r[0])
    assert commune.get("/inbox/export.xlsx?scope=nobody").status_code == 404
    stranger = load_workbook(io.BytesIO(as_user(web, "s2_cv").get("/inbox/export.xlsx?scope=all").get_data()), read_only=True).active
    assert [r for r in stranger.iter_rows(values_only=True) if r and isinstance(r[0], int)] == []  # s2 has nothing open now
