"""The whole cascade in Debian's Chromium, every person in their own browser, on both databases
(the permission tests' world: plan P1 of the phòng T.P → the commune T.X1 → its schools TH1, TH2).

The library's processes set the order: a school's report is reviewed by its commune (the
assigning unit: thẩm định, then the commune's leader signs it off); the commune's consolidated
report goes to the phòng, which approves or returns it (the commune's process has no sign-off).
So: TH1's officer accepts the task and sends a report with a file; TH1's leader approves it; the
commune's officer returns it with a comment; the school corrects and sends it again (the file
kept); the commune approves and its leader signs off; TH2 is done by the harness; the commune's
officer consolidates the schools' reports and its leader approves; the phòng's officer returns
it with a comment; the commune sends it again; the phòng approves. At every step TH2's officer
gets 404 for the task page, its diagram and a forged form of the open action, nothing changes,
and the refusal is recorded. Screenshots of every step in ``build/screenshots/webui_cascade_*``.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from engine import AuditEvent, HumanTask, Instance
from tests.fixtures.browser import screenshot
from tests.fixtures.webapp import check_accessibility
from tests.webui.test_browser import PHONE, log_in
from tests.webui.test_task_page import add_indicator
from tests.workflows.actions.test_tasks import act as act_as_person
from tests.workflows.authz.world import open_task
from workflows.actions import tasks
from workflows.reports.models import Report

STRANGER = "s2_cv"  # TH2's officer: same commune, another school


def test_the_cascade_across_roles_with_a_stranger_refused_at_every_step(browser, world_server, pe, world, tmp_path):
    people = People(browser, world_server)
    try:
        run_cascade(people, world_server, pe, world, tmp_path)
    finally:
        people.close()


def run_cascade(people, server, pe, world, tmp_path):
    add_indicator(pe, world.plans["P1"], "Tỷ lệ lớp tổ chức học tập trải nghiệm")
    stranger = people.page(STRANGER)
    refused = Refusals(pe, stranger, server)

    # 1. TH1's officer accepts the task from the inbox.
    officer = people.page("s1_cv")
    accept = open_task(pe, world.th1, "tiep_nhan")
    refused.check(accept, "accept")
    officer.goto(f"{server.url}/inbox")
    officer.get_by_role("link", name="Tiếp nhận nhiệm vụ").click()
    officer.wait_for_url(f"{server.url}/tasks/{accept}")
    diagram_ready(officer, "tiep_nhan")
    shot(officer, "01_school_accepts")
    officer.get_by_role("button", name="Tiếp nhận").click()
    assert_saved(officer, "Tiếp nhận")

    # 2. … writes the report with the plan's indicator figure and sends it with a file.
    work = open_task(pe, world.th1, "thuc_hien")
    refused.check(work, "submit")
    officer.goto(f"{server.url}/tasks/{work}")
    officer.get_by_label("Kết quả thực hiện").fill("Đã tổ chức 10/12 lớp học tập trải nghiệm.")
    officer.get_by_label("Khó khăn, vướng mắc").fill("Thiếu máy chiếu ở 2 phòng.")
    officer.get_by_label("Tử số: 1. Tỷ lệ lớp tổ chức học tập trải nghiệm").fill("10")
    officer.get_by_label("Mẫu số: 1. Tỷ lệ lớp tổ chức học tập trải nghiệm").fill("12")
    attachment = tmp_path / "bien_ban.txt"
    attachment.write_text("Biên bản họp tổ chuyên môn\n", encoding="utf-8")
    officer.get_by_label("Tệp đính kèm").set_input_files(str(attachment))
    shot(officer, "02_school_writes_report")
    on_a_phone(officer, "02_school_writes_report_phone")
    officer.get_by_role("button", name="Gửi báo cáo").click()
    assert_saved(officer, "Gửi")

    # 3. TH1's leader approves: the report goes to the commune.
    leader = people.page("s1_ld")
    review = open_task(pe, world.th1, "duyet_bao_cao")
    refused.check(review, "approve")
    decide(leader, server, review, "Duyệt", "Đồng ý gửi Phường.", exact=True)
    assert reports(pe, world.th1) == [(1, "submitted")]

    # 4. The commune's officer reads it as sent and returns it with a comment.
    ward = people.page("x_cv")
    check = open_task(pe, world.th1, "tham_dinh_bao_cao")
    refused.check(check, "return")
    ward.goto(f"{server.url}/tasks/{check}")
    assert "Phiên bản 1 Đã gửi" in " ".join(ward.locator("#report-v1 h3").text_content().split())
    assert "bien_ban.txt" in ward.text_content("#report-v1")
    diagram_ready(ward, "tham_dinh_bao_cao")
    shot(ward, "03_ward_reviews_school_report")
    ward.get_by_label("Ý kiến (bắt buộc)").first.fill("Đề nghị bổ sung: đủ 12/12 lớp chưa?")
    ward.get_by_role("button", name="Trả lại").click()
    assert_saved(ward, "Trả lại")
    assert reports(pe, world.th1) == [(1, "returned")]

    # 5. The school corrects the report (the file kept) and sends it again; the leader approves.
    redo = open_task(pe, world.th1, "thuc_hien")
    refused.check(redo, "submit")
    officer.goto(f"{server.url}/tasks/{redo}")
    assert "Đề nghị bổ sung: đủ 12/12 lớp chưa?" in officer.text_content("#main")  # why it came back
    text = officer.get_by_label("Kết quả thực hiện")
    assert text.input_value() == "Đã tổ chức 10/12 lớp học tập trải nghiệm."  # to correct, not retype
    text.fill("Đã tổ chức 12/12 lớp học tập trải nghiệm.")
    officer.get_by_label("Tử số: 1. Tỷ lệ lớp tổ chức học tập trải nghiệm").fill("12")
    assert officer.get_by_label("bien_ban.txt").is_checked()
    shot(officer, "04_school_corrects_report")
    officer.get_by_role("button", name="Gửi báo cáo").click()
    assert_saved(officer, "Gửi")
    review = open_task(pe, world.th1, "duyet_bao_cao")
    decide(leader, server, review, "Duyệt", None, exact=True)

    # 6. The commune's officer sees what changed, and approves; the commune's leader signs off.
    check = open_task(pe, world.th1, "tham_dinh_bao_cao")
    refused.check(check, "approve")
    ward.goto(f"{server.url}/tasks/{check}")
    ward.locator("#report-v2 summary").click()
    diff = ward.locator("#report-v2 .report-diff")
    assert diff.locator("del").first.text_content() == "10/12" and diff.locator("ins").first.text_content() == "12/12"
    assert "Chỉ tiêu 1: 10/12 → 12/12" in " ".join(diff.text_content().split())
    shot(ward, "05_ward_reads_the_changes")
    decide(ward, server, check, "Duyệt", "Đạt.", exact=True, go=False)
    ward_leader = people.page("x_ld")
    sign = open_task(pe, world.th1, "ky_duyet")
    refused.check(sign, "sign")
    decide(ward_leader, server, sign, "Ký duyệt", "Ký.", shot_name="06_ward_leader_signs_school_report")
    assert reports(pe, world.th1) == [(1, "returned"), (2, "approved")]
    with pe.read() as s:
        assert s.get(Instance, world.th1).status == "completed"

    # 7. TH2 finishes through the action layer (the harness): the commune's follow-up closes.
    finish_th2(pe, world)
    consolidate = open_task(pe, world.commune, "tong_hop_bao_cao")

    # 8. The commune's officer consolidates the schools' reports; the commune's leader approves.
    refused.check(consolidate, "submit")
    ward.goto(f"{server.url}/tasks/{consolidate}")
    assert "tổng hợp tự động" in ward.text_content("#main")
    diagram_ready(ward, "tong_hop_bao_cao")
    shot(ward, "07_ward_consolidates")
    ward.get_by_role("button", name="Gửi báo cáo").click()
    assert_saved(ward, "Gửi")
    ward_review = open_task(pe, world.commune, "duyet_bao_cao")
    refused.check(ward_review, "approve")
    decide(ward_leader, server, ward_review, "Duyệt", "Gửi Phòng.", exact=True)
    [consolidated] = reports(pe, world.commune)
    assert consolidated == (1, "submitted")

    # 9. The phòng's officer returns the commune's report with a comment.
    phong = people.page("p_cv")
    phong_check = open_task(pe, world.commune, "tham_dinh_bao_cao")
    refused.check(phong_check, "return")
    phong.goto(f"{server.url}/tasks/{phong_check}")
    assert "Đã tổ chức 12/12 lớp học tập trải nghiệm." in phong.text_content("#report-v1")  # TH1's, gathered
    diagram_ready(phong, "tham_dinh_bao_cao")
    shot(phong, "08_phong_reviews_consolidated")
    phong.get_by_label("Ý kiến (bắt buộc)").first.fill("Bổ sung kiến nghị của Phường về thiết bị.")
    phong.get_by_role("button", name="Trả lại").click()
    assert_saved(phong, "Trả lại")

    # 10. The commune writes its report again (its own words this time) and its leader approves.
    again = open_task(pe, world.commune, "tong_hop_bao_cao")
    refused.check(again, "submit")
    ward.goto(f"{server.url}/tasks/{again}")
    assert "Bổ sung kiến nghị của Phường về thiết bị." in ward.text_content("#main")
    ward.get_by_label("Kết quả thực hiện").fill("Hai trường đã tổ chức đủ các lớp học tập trải nghiệm.")
    ward.get_by_label("Kiến nghị, đề xuất").fill("Đề nghị cấp 2 máy chiếu cho Trường Tiểu học Một.")
    ward.get_by_role("button", name="Gửi báo cáo").click()
    assert_saved(ward, "Gửi")
    decide(ward_leader, server, open_task(pe, world.commune, "duyet_bao_cao"), "Duyệt", None, exact=True)

    # 11. The phòng approves: the commune's work is done.
    phong_check = open_task(pe, world.commune, "tham_dinh_bao_cao")
    refused.check(phong_check, "approve")
    phong.goto(f"{server.url}/tasks/{phong_check}")
    phong.locator("#report-v2 summary").click()
    assert "Đề nghị cấp 2 máy chiếu" in phong.locator("#report-v2 .report-diff").text_content()
    shot(phong, "09_phong_reads_the_changes")
    decide(phong, server, phong_check, "Duyệt", "Đạt yêu cầu.", exact=True, go=False,
           shot_name="10_phong_approved")  # fmt: skip
    with pe.read() as s:
        assert s.get(Instance, world.commune).status == "completed"
    assert reports(pe, world.commune) == [(1, "returned"), (2, "approved")]
    # A completed task still shows its diagram, with nothing open.
    phong.goto(f"{server.url}/tasks/{phong_check}")
    diagram_ready(phong, None)
    assert "Không còn bước nào đang mở." in phong.text_content("#main")

    refused.assert_all_recorded()
    for page in people.pages.values():
        assert page.problems == [], page.problems


# --- the people -----------------------------------------------------------------------------------


class People:
    """One browser context per person, logged in once (as each would be at their own desk)."""

    def __init__(self, browser, server):
        self.browser, self.server, self.pages, self.contexts = browser, server, {}, []

    def page(self, username):
        if username not in self.pages:
            context = self.browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                               viewport={"width": 1280, "height": 900})  # fmt: skip
            self.contexts.append(context)
            page = context.new_page()
            page.problems = []
            page.on("console", lambda m, p=page: p.problems.append(m.text) if "Content Security Policy" in m.text else None)
            page.on("pageerror", lambda e, p=page: p.problems.append(str(e)))
            log_in(page, self.server, username)
            page.wait_for_url(f"{self.server.url}/")
            self.pages[username] = page
        return self.pages[username]

    def close(self):
        for context in self.contexts:
            context.close()


class Refusals:
    """TH2's officer at every step: the page, the diagram and a forged form of the open action
    answer 404 (the task's existence is not confirmed), nothing changes, and it is recorded."""

    def __init__(self, pe, page, server):
        self.pe, self.page, self.server, self.expected = pe, page, server, []

    def check(self, task_id, action):
        before = task_state(self.pe, task_id)
        response = self.page.goto(f"{self.server.url}/tasks/{task_id}")
        assert response.status == 404
        assert self.page.get_by_role("heading", level=1).text_content() == "Không tìm thấy trang"
        assert self.page.request.get(f"{self.server.url}/tasks/{task_id}/diagram.bpmn").status == 404
        token = self.page.locator('meta[name="csrf-token"]').get_attribute("content")
        prefix = "report" if action == "submit" else action
        forged = self.page.request.post(f"{self.server.url}/tasks/{task_id}/{action}", form={
            f"{prefix}-csrf_token": token, f"{prefix}-comment": "giả mạo", f"{prefix}-ket_qua": "giả mạo"})  # fmt: skip
        assert forged.status == 404
        assert task_state(self.pe, task_id) == before  # nothing changed
        self.expected += [(STRANGER, "view", task_id), (STRANGER, "view", task_id), (STRANGER, action, task_id)]
        if len(self.expected) == 3:  # once: what the stranger saw
            screenshot(self.page, "webui_cascade_00_stranger_404")

    def assert_all_recorded(self):
        with self.pe.read() as s:
            recorded = [(e.actor, e.data["action"], e.task_id) for e in s.scalars(
                select(AuditEvent).where(AuditEvent.event == "action_refused").order_by(AuditEvent.id))]  # fmt: skip
        assert recorded == self.expected


# --- steps ----------------------------------------------------------------------------------------


def decide(page, server, task_id, button, comment, *, exact=False, go=True, shot_name=None):
    """Open the task (unless already there), write the comment, press the decision's button."""
    if go:
        page.goto(f"{server.url}/tasks/{task_id}")
    if comment:
        form = page.locator(f'form[action="/tasks/{task_id}/{ACTION_OF[button]}"]')
        form.get_by_label(re.compile("^Ý kiến")).fill(comment)
    if shot_name:
        shot(page, shot_name)
    page.get_by_role("button", name=button, exact=exact).click()
    assert_saved(page, button)


ACTION_OF = {"Duyệt": "approve", "Ký duyệt": "sign", "Trả lại": "return"}


def assert_saved(page, label):
    page.wait_for_load_state()
    assert f"Đã ghi: {label}." in page.get_by_role("status").text_content()


def diagram_ready(page, current):
    """The viewer has drawn the process and outlined the open step (or nothing)."""
    page.wait_for_selector(".task-diagram .djs-container svg")
    highlighted = page.locator(".task-diagram .gv-current")
    if current is None:
        assert highlighted.count() == 0
    else:
        page.wait_for_selector(f'.task-diagram [data-element-id="{current}"].gv-current')
        assert highlighted.count() == 1
    assert page.locator(".task-diagram .gv-widget-error").count() == 0


def on_a_phone(page, name):
    """The page on a phone: nothing scrolls sideways, still accessible."""
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, name)
    page.set_viewport_size({"width": 1280, "height": 900})


def shot(page, name):
    check_accessibility(page)
    screenshot(page, f"webui_cascade_{name}")


def finish_th2(pe, world):
    """TH2's round through the action layer, as its people would do it in their browsers."""
    act_as_person(pe, "s2_cv", tasks.accept, open_task(pe, world.th2, "tiep_nhan"))
    act_as_person(pe, "s2_cv", tasks.submit, open_task(pe, world.th2, "thuc_hien"), tasks.Draft("Đã tổ chức 8/8 lớp."))
    act_as_person(pe, "s2_ld", tasks.approve, open_task(pe, world.th2, "duyet_bao_cao"))
    act_as_person(pe, "x_cv", tasks.approve, open_task(pe, world.th2, "tham_dinh_bao_cao"))
    act_as_person(pe, "x_ld", tasks.sign_off, open_task(pe, world.th2, "ky_duyet"))


def reports(pe, instance_id):
    with pe.read() as s:
        return [(r.version, r.status) for r in s.scalars(select(Report).where(Report.instance_id == instance_id).order_by(Report.version))]


def task_state(pe, task_id: uuid.UUID):
    with pe.read() as s:
        task = s.get(HumanTask, task_id)
        return (task.status, task.completed_by, s.get(Instance, task.instance_id).version)
