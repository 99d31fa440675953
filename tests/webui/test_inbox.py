"""The inbox and the task page through Flask's test client, on both databases: the login gate,
a school officer's inbox holding only their unit's work, accept → submit a report → the leader
approves, another school's officer refused (404, recorded), a refusal's words with 403, and a
stale form answered 409 with nothing overwritten."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from sqlalchemy import select

from engine import AuditEvent, HumanTask
from tests.fixtures.webapp import csrf_token, login
from tests.workflows.authz.world import open_task
from workflows.reports.models import Report


def as_user(web, username):
    client = web.test_client()
    assert login(client, username).status_code == 302
    return client


def post(client, path, prefix, **fields):
    token = csrf_token(client, "/inbox")
    return client.post(
        path,
        data={f"{prefix}-csrf_token": token, **{f"{prefix}-{k}": v for k, v in fields.items()}},
    )


def refusals(pe):
    with pe.read() as s:
        return [
            (e.actor, e.data["action"], e.task_id)
            for e in s.scalars(select(AuditEvent).where(AuditEvent.event == "action_refused"))
        ]


def test_logged_out_visitors_are_sent_to_login(web, pe, world):
    client = web.test_client()
    task_id = open_task(pe, world.th1, "tiep_nhan")
    for path in ("/inbox", f"/tasks/{task_id}"):
        response = client.get(path)
        assert response.status_code == 302 and response.location == f"/login?next={path}"
    assert client.post(f"/tasks/{task_id}/accept").status_code in (
        302,
        400,
    )  # no session: never reaches the action


def test_a_school_officer_sees_only_their_units_tasks(web, pe, world):
    mine, theirs = open_task(pe, world.th1, "tiep_nhan"), open_task(pe, world.th2, "tiep_nhan")
    html = as_user(web, "s1_cv").get("/inbox?scope=all").get_data(as_text=True)
    assert f'href="/tasks/{mine}"' in html and str(theirs) not in html
    assert "Hộp việc" in html and 'Của đơn vị <span class="count">(1)</span>' in html
    assert "Không có hạn" in html and "Quá hạn" not in html
    other = as_user(web, "s2_cv").get("/inbox?scope=unit").get_data(as_text=True)
    assert str(theirs) in other and str(mine) not in other
    assert as_user(web, "s1_cv").get("/inbox?scope=nobody").status_code == 404


def test_deadlines_read_dd_mm_yyyy_in_ha_noi_and_overdue_rows_say_so(web, pe, world):
    late, soon = open_task(pe, world.th1, "tiep_nhan"), open_task(pe, world.thpt, "tiep_nhan")
    with pe.unit_of_work("test") as uow:  # the setup: deadlines on both rows (none in the world)
        uow.session.get(HumanTask, late).due_at = datetime(
            2026, 2, 27, 10, 0, tzinfo=UTC
        )  # 17:00 in Hà Nội
        uow.session.get(HumanTask, soon).due_at = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
    html = as_user(web, "s1_cv").get("/inbox").get_data(as_text=True)
    row = re.search(r'<tr class="overdue">(.*?)</tr>', html, re.S)
    assert (
        row
        and "27/02/2026 17:00" in row.group(1)
        and "Quá hạn" in row.group(1)
        and str(late) in row.group(1)
    )
    assert "(1)" in as_user(web, "s1_cv").get("/inbox?overdue=1").get_data(as_text=True)
    html = as_user(web, "t_cv").get("/inbox").get_data(as_text=True)
    assert "20/03/2026 17:00" in html and 'class="overdue"' not in html
    assert "Không có việc nào" in as_user(web, "t_cv").get("/inbox?overdue=1").get_data(
        as_text=True
    )
    assert as_user(web, "t_cv").get("/inbox?due_within=abc").status_code == 400


def test_accept_submit_a_report_and_the_leader_approves(web, pe, world):
    officer = as_user(web, "s1_cv")
    accept = open_task(pe, world.th1, "tiep_nhan")
    page = officer.get(f"/tasks/{accept}").get_data(as_text=True)
    assert f'action="/tasks/{accept}/accept"' in page and "/approve" not in page
    response = post(officer, f"/tasks/{accept}/accept", "accept")
    assert response.status_code == 303
    work = open_task(pe, world.th1, "thuc_hien")
    page = officer.get(f"/tasks/{work}").get_data(as_text=True)
    assert (
        'name="report-ket_qua"' in page
        and 'name="report-kho_khan"' in page
        and 'name="report-kien_nghi"' in page
    )
    token = csrf_token(officer, "/inbox")
    response = officer.post(f"/tasks/{work}/submit", data={
        "report-csrf_token": token, "report-ket_qua": "Đã hoàn thành 12/12 lớp.", "report-kho_khan": "Thiếu phòng học",
        "report-kien_nghi": "", "report-tep": (io.BytesIO(b"bien ban hop\n"), "bien_ban.txt"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 303, response.get_data(as_text=True)
    review = open_task(pe, world.th1, "duyet_bao_cao")
    with pe.read() as s:
        sent = s.scalars(
            select(Report).where(Report.instance_id == world.th1).order_by(Report.version.desc())
        ).first()
        assert sent.ket_qua == "Đã hoàn thành 12/12 lớp." and [
            a.filename for a in sent.attachments
        ] == ["bien_ban.txt"]
    leader = as_user(web, "s1_ld")
    assert f'href="/tasks/{review}"' in leader.get("/inbox").get_data(as_text=True)
    page = leader.get(f"/tasks/{review}").get_data(as_text=True)
    assert "Đã hoàn thành 12/12 lớp." in page and "bien_ban.txt" in page
    assert (
        post(leader, f"/tasks/{review}/approve", "approve", comment="Đồng ý gửi").status_code == 303
    )
    assert open_task(pe, world.th1, "tham_dinh_bao_cao")
    assert "Đã ghi: Duyệt." in leader.get(f"/tasks/{review}").get_data(as_text=True)


def test_another_schools_officer_gets_404_cannot_act_and_is_recorded(web, pe, world):
    task_id = open_task(pe, world.th1, "tiep_nhan")
    stranger = as_user(web, "s2_cv")
    assert stranger.get(f"/tasks/{task_id}").status_code == 404
    assert post(stranger, f"/tasks/{task_id}/accept", "accept").status_code == 404
    assert open_task(pe, world.th1, "tiep_nhan") == task_id  # nothing changed
    assert refusals(pe) == [("s2_cv", "view", task_id), ("s2_cv", "accept", task_id)]


def test_a_refused_action_on_a_visible_task_shows_the_rules_words_with_403(web, pe, world):
    task_id = open_task(pe, world.th1, "tiep_nhan")
    commune = as_user(web, "x_cv")  # the assigning commune may read and comment, not accept
    page = commune.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "/accept" not in page and f'action="/tasks/{task_id}/comment"' in page
    response = post(commune, f"/tasks/{task_id}/accept", "accept")
    assert response.status_code == 403
    assert "Bạn không có quyền tiếp nhận nhiệm vụ" in response.get_data(as_text=True)
    assert refusals(pe) == [("x_cv", "accept", task_id)]
    assert open_task(pe, world.th1, "tiep_nhan") == task_id


def test_a_stale_form_is_answered_409_and_overwrites_nothing(web, pe, world):
    task_id = open_task(pe, world.th1, "tiep_nhan")
    first, second = as_user(web, "s1_cv"), as_user(web, "s1_pgd")  # two officers of the school
    assert post(first, f"/tasks/{task_id}/accept", "accept").status_code == 303
    response = post(second, f"/tasks/{task_id}/accept", "accept")
    assert response.status_code == 409
    assert "Thao tác của bạn chưa được ghi" in response.get_data(as_text=True)
    with pe.read() as s:
        taken = s.scalars(select(AuditEvent).where(AuditEvent.event == "task_action_taken")).all()
        assert [(e.actor, e.data["action"]) for e in taken] == [("s1_cv", "accept")]


def test_a_report_form_with_an_error_keeps_what_was_typed(web, pe, world):
    officer = as_user(web, "s1_cv")
    post(officer, f"/tasks/{open_task(pe, world.th1, 'tiep_nhan')}/accept", "accept")
    work = open_task(pe, world.th1, "thuc_hien")
    response = post(
        officer, f"/tasks/{work}/submit", "report", ket_qua="Kết quả dài " + "x" * 20_000
    )
    assert response.status_code == 400
    assert "Kết quả dài" in response.get_data(
        as_text=True
    ) and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert open_task(pe, world.th1, "thuc_hien") == work


def test_the_inbox_and_the_task_page_in_english(web, pe, world):
    client = as_user(web, "s1_cv")
    client.get("/lang/en")
    html = client.get("/inbox").get_data(as_text=True)
    assert "<h1 id=\"inbox-title\">Inbox</h1>" in html and "My unit's" in html and "Của đơn vị" not in html
    page = client.get(f"/tasks/{open_task(pe, world.th1, 'tiep_nhan')}").get_data(as_text=True)
    assert ">Accept</button>" in page and ">History<" in page and "Tiếp nhận</button>" not in page


def test_a_forged_form_without_its_token_is_refused(web, pe, world):
    task_id = open_task(pe, world.th1, "tiep_nhan")
    response = as_user(web, "s1_cv").post(f"/tasks/{task_id}/accept", data={})
    assert response.status_code == 400 and "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    assert open_task(pe, world.th1, "tiep_nhan") == task_id


def test_extension_requests_by_two_schools_page_through_the_communes_inbox(web, pe, world, monkeypatch):
    for school, instance in (("s1_cv", world.th1), ("s2_cv", world.th2)):
        client = as_user(web, school)
        assert post(client, f"/tasks/{open_task(pe, instance, 'tiep_nhan')}/accept", "accept").status_code == 303
        work = open_task(pe, instance, "thuc_hien")
        wrong = post(client, f"/tasks/{work}/request_extension", "request_extension", until="2026-03-20")
        assert wrong.status_code == 400 and 'aria-invalid="true"' in wrong.get_data(as_text=True)  # dd/mm/yyyy only
        done = post(client, f"/tasks/{work}/request_extension", "request_extension", until="20/03/2026", comment="Chờ số liệu")
        assert done.status_code == 303
    monkeypatch.setattr("webui.inbox.routes.PAGE_SIZE", 1)
    commune = as_user(web, "x_cv")
    pages, path = [], "/inbox?scope=unit"
    while path and len(pages) < 10:
        html = commune.get(path).get_data(as_text=True)
        pages.append(re.findall(r'href="/tasks/([^"]+)"', html))
        link = re.search(r'href="(/inbox\?[^"]*after=[^"]+)"[^>]*rel="next"', html)
        path = link.group(1).replace("&amp;", "&") if link else None
    assert all(len(p) == 1 for p in pages) and len(pages) >= 2
    found = [task for p in pages for task in p]
    assert len(set(found)) == len(found)  # no row twice across pages
    assert {str(open_task(pe, world.th1, "xem_xet_gia_han")), str(open_task(pe, world.th2, "xem_xet_gia_han"))} <= set(found)
    assert commune.get("/inbox?after=nonsense").status_code == 400


def test_the_leader_returns_a_report_only_with_a_reason(web, pe, world):
    officer = as_user(web, "s1_cv")
    post(officer, f"/tasks/{open_task(pe, world.th1, 'tiep_nhan')}/accept", "accept")
    post(officer, f"/tasks/{open_task(pe, world.th1, 'thuc_hien')}/submit", "report", ket_qua="Đã làm một nửa")
    review = open_task(pe, world.th1, "duyet_bao_cao")
    leader = as_user(web, "s1_ld")
    blank = post(leader, f"/tasks/{review}/return", "return", comment="   ")
    assert blank.status_code == 400 and 'id="return-comment-error"' in blank.get_data(as_text=True)
    assert open_task(pe, world.th1, "duyet_bao_cao") == review
    assert post(leader, f"/tasks/{review}/return", "return", comment="Bổ sung số liệu lớp 5").status_code == 303
    again = open_task(pe, world.th1, "thuc_hien")
    page = officer.get(f"/tasks/{again}").get_data(as_text=True)
    assert 'name="report-ket_qua"' in page  # the school writes again
    assert "Bổ sung số liệu lớp 5" in page  # and reads why it was returned


def test_an_upload_over_the_cap_gets_the_413_page(web, pe, world, monkeypatch):
    monkeypatch.setattr("webui.inbox.routes.MAX_UPLOAD_BYTES", 1024)
    officer = as_user(web, "s1_cv")
    post(officer, f"/tasks/{open_task(pe, world.th1, 'tiep_nhan')}/accept", "accept")
    work = open_task(pe, world.th1, "thuc_hien")
    response = officer.post(f"/tasks/{work}/save_draft", data={
        "report-csrf_token": csrf_token(officer, "/inbox"), "report-ket_qua": "x",
        "report-tep": (io.BytesIO(b"0" * 4096), "lon.txt"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 413 and "quá lớn" in response.get_data(as_text=True)
    with pe.read() as s:
        assert s.scalars(select(Report).where(Report.instance_id == world.th1)).all() == []


def test_an_emails_link_to_an_instance_opens_the_persons_step_and_never_another_units(web, pe, world):
    mine, theirs = open_task(pe, world.th1, "tiep_nhan"), open_task(pe, world.th2, "tiep_nhan")
    with pe.read() as s:
        mine_instance, theirs_instance = (s.get(HumanTask, t).instance_id for t in (mine, theirs))
    client = as_user(web, "s1_cv")
    response = client.get(f"/tasks?instance={mine_instance}")
    assert response.status_code == 303 and response.location == f"/tasks/{mine}"
    for link in (f"/tasks?instance={theirs_instance}", "/tasks?instance=not-a-uuid", "/tasks"):
        response = client.get(link)
        assert response.status_code == 303 and response.location == "/inbox", link
    page = client.get("/inbox").get_data(as_text=True)
    assert str(theirs) not in page
