"""``/audit`` through Flask's test client, on both databases: the trail of actions done through
the web app (an accepted task, a refused look at another school's task) is found by person, unit,
task, plan, action and day; refused actions included; pages follow the keyset; exports (CSV,
XLSX) carry the same rows and are parsed back; who may read what (inspector and admin the
province, a leader their unit and below, an officer refused and recorded); and the chain's
verification against its anchor file."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from engine import AuditEvent, publish_head
from tests.fixtures.webapp import csrf_token
from tests.webui.test_inbox import as_user, post, refusals
from tests.workflows.accounts.people import PASSWORD
from tests.workflows.authz.world import open_task
from workflows.accounts import set_demo_passwords


def _web_trail(web, pe, world):
    """Through the web app: s1_cv accepts TH1's task; s2_cv tries to open it (refused, 404)."""
    task = open_task(pe, world.th1, "tiep_nhan")
    officer = as_user(web, "s1_cv")
    assert post(officer, f"/tasks/{task}/accept", "accept").status_code == 303
    assert as_user(web, "s2_cv").get(f"/tasks/{task}").status_code == 404
    return task


def results(response):
    """The results table of a search page (the form's suggestions name every event)."""
    html = response.get_data(as_text=True)
    return html.split('id="audit-results"')[1].split('id="chain-title"')[0] if 'id="audit-results"' in html else ""


def test_an_inspector_finds_the_web_apps_actions_and_refusals(web, pe, world):
    task = _web_trail(web, pe, world)
    inspector = as_user(web, "so_tt")
    page = inspector.get("/audit?person=s1_cv")
    html = results(page)
    assert page.status_code == 200 and "Nhật ký kiểm toán" in page.get_data(as_text=True)
    assert "task_completed" in html and "user_logged_in" in html
    assert "s2_cv" not in html
    refused = results(inspector.get("/audit?refused=1"))
    assert "Bị từ chối" in refused and "s2_cv" in refused and "s1_cv" not in refused and "task_completed" not in refused
    by_task = results(inspector.get(f"/audit?task={task}"))
    assert "task_completed" in by_task and "Bị từ chối" in by_task and "user_logged_in" not in by_task
    by_action = results(inspector.get("/audit?action=view"))  # the refused action's own name
    assert "Bị từ chối" in by_action and "task_completed" not in by_action
    by_unit = results(inspector.get("/audit?unit=T.X1.TH2"))
    assert "s2_cv" in by_unit and "task_completed" not in by_unit
    by_plan = results(inspector.get(f"/audit?plan={world_plan(pe, world)}"))
    assert "task_completed" in by_plan
    today = results(inspector.get("/audit?person=s1_cv&since=02/03/2026&until=02/03/2026"))
    assert "task_completed" in today
    before = inspector.get("/audit?person=s1_cv&until=01/03/2026")
    assert results(before) == "" and "Không có sự kiện nào" in before.get_data(as_text=True)


def world_plan(pe, world):
    from workflows.tracking.models import Tracking

    with pe.read() as s:
        return s.scalar(select(Tracking.plan_id).where(Tracking.instance_id == world.th1))


def test_bad_filters_are_said_on_the_form(web, pe, world):
    inspector = as_user(web, "so_tt")
    page = inspector.get("/audit?since=31/02/2026&task=abc&plan=x&unit=NOPE")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "không có trên lịch" in html and 'aria-invalid="true"' in html and "Mã kế hoạch phải là một số" in html


def test_pages_follow_the_keyset(web, pe, world):
    _web_trail(web, pe, world)
    with pe.unit_of_work("worker") as uow:  # the system's own events: a province reader sees them too
        for n in range(60):
            uow.audit("urging_run_completed", subject=f"run {n}")
    admin = as_user(web, "so_qt")
    with pe.read() as s:
        # Everything but the console's creation of the other province (its Sở and its people).
        total = len(s.scalars(select(AuditEvent.id).where(AuditEvent.subject.not_in(["Q", "q_ld", "q_tt"]))).all())
    seen, url = [], "/audit"
    for _ in range(100):
        html = admin.get(url).get_data(as_text=True)
        seen += re.findall(r'<tr(?: class="refused")?>\s*<td data-label="Thời điểm">', html)
        found = re.search(r'href="(/audit\?before=\d+)" rel="next"', html)
        if not found:
            break
        url = found.group(1).replace("&amp;", "&")
    assert total > 100 and len(seen) == total  # three pages; a province reader sees it all, each row once


def test_exports_carry_the_same_rows(web, pe, world):
    _web_trail(web, pe, world)
    inspector = as_user(web, "so_tt")
    response = inspector.get("/audit/export.csv?person=s1_cv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows and {r["nguoi_thuc_hien"] for r in rows} == {"s1_cv"}
    assert "task_completed" in {r["su_kien"] for r in rows}
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", r["thoi_diem"]) for r in rows)
    xlsx = inspector.get("/audit/export.xlsx?refused=1")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).active
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert header[2] == "su_kien" and lines
    assert {line[2] for line in lines} == {"action_refused"} and {line[7] for line in lines} == {"view"}
    assert int(xlsx.headers["X-Rows"]) == len(lines)
    with pe.read() as s:  # the copy that left the system is itself on the trail
        exported = s.scalars(select(AuditEvent).where(AuditEvent.event == "audit_exported")).all()
    assert [e.actor for e in exported] == ["so_tt", "so_tt"] and exported[1].data["filters"] == {"refused": "1"}


def test_a_leader_reads_their_unit_and_below_only(web, pe, world):
    _web_trail(web, pe, world)
    commune = as_user(web, "x_ld")
    page = commune.get("/audit")
    html = results(page)
    assert "s1_cv" in html and "s2_cv" in html  # both schools are under the commune
    assert "so_tt" not in html and "t_cv" not in html
    assert "Kiểm tra toàn bộ chuỗi" not in page.get_data(as_text=True)  # the chain is the province readers'
    school = as_user(web, "s1_ld")
    mine = results(school.get("/audit"))
    assert "s1_cv" in mine and "urging_run_completed" not in mine
    # Another school's officer appears only where they tried this school's work.
    other = results(school.get("/audit?person=s2_cv"))
    assert "Bị từ chối" in other and "user_logged_in" not in other
    assert school.get("/audit?unit=T.X1.TH2").status_code == 400  # another school: not even confirmed


def test_people_without_the_right_are_refused_and_recorded(web, pe, world):
    officer = as_user(web, "s1_cv")
    for path in ("/audit", "/audit/export.csv", "/audit/export.xlsx"):
        response = officer.get(path)
        assert response.status_code == 403 and "chỉ thanh tra hoặc quản trị viên" in response.get_data(as_text=True)
    token = csrf_token(officer, "/inbox")
    assert officer.post("/audit/verify", data={"csrf_token": token}).status_code == 403
    assert [(actor, action) for actor, action, _ in refusals(pe)] == [("s1_cv", "read_audit")] * 4
    with pe.unit_of_work("test") as uow:
        set_demo_passwords(uow, "Q", PASSWORD)
    other_province = as_user(web, "q_tt")
    assert other_province.get("/audit?unit=T.X1").status_code == 400  # another province's unit: not confirmed
    assert "s1_cv" not in results(other_province.get("/audit"))


def test_the_chain_is_verified_on_demand_against_its_anchor(web, pe, world, anchor_file):
    _web_trail(web, pe, world)
    publish_head(pe, anchor_file)
    inspector = as_user(web, "so_tt")
    html = inspector.get("/audit").get_data(as_text=True)
    with pe.read() as s:
        from engine import AuditSeal

        head = s.scalars(select(AuditSeal).order_by(AuditSeal.seq.desc())).first()
    assert f"niêm phong số {head.seq} lúc 02/03/2026" in html and head.hash in html
    token = csrf_token(inspector, "/audit")
    result = inspector.post("/audit/verify", data={"csrf_token": token}).get_data(as_text=True)
    assert "Chuỗi nguyên vẹn" in result and f"{head.seq} dấu niêm phong, so với 1 điểm neo" in result
    anchor_file.write_text(anchor_file.read_text().replace(head.hash, "0" * 64))  # a forged anchor
    forged = inspector.post("/audit/verify", data={"csrf_token": token}).get_data(as_text=True)
    assert "Chuỗi có vấn đề" in forged
    with pe.read() as s:
        checks = s.scalars(select(AuditEvent).where(AuditEvent.event == "audit_verified")).all()
    assert [c.data["ok"] for c in checks] == [True, False]
