"""The task page through Flask's test client, on both databases: what a reviewer reads of the
report versions (their status, the differences between them, the figures), the process diagram
of the instance with its current step, and who may fetch it."""

from __future__ import annotations

import io
import re
import uuid

from sqlalchemy import select

from engine import Instance, ProcessDefinition
from tests.fixtures.webapp import csrf_token
from tests.webui.test_inbox import as_user, post, refusals
from tests.workflows.authz.world import open_task
from workflows.indicators.models import Indicator, IndicatorTarget
from workflows.reports.models import Report


def submit_report(web, pe, world, ket_qua="Đã hoàn thành 12/12 lớp.", files=(("bien_ban.txt", b"bien ban hop\n"),), **fields):
    """The school officer accepts TH1's task and sends a report (with files) through the form."""
    officer = as_user(web, "s1_cv")
    if (accept := _open(pe, world.th1, "tiep_nhan")) is not None:
        assert post(officer, f"/tasks/{accept}/accept", "accept").status_code == 303
    work = open_task(pe, world.th1, "thuc_hien")
    data = {"report-csrf_token": csrf_token(officer, "/inbox"), "report-ket_qua": ket_qua,
            "report-kho_khan": "Thiếu phòng học", "report-kien_nghi": "",
            "report-tep": [(io.BytesIO(content), name) for name, content in files],
            **{f"report-{k}": v for k, v in fields.items()}}  # fmt: skip
    response = officer.post(f"/tasks/{work}/submit", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    return work


def _open(pe, instance, step):
    try:
        return open_task(pe, instance, step)
    except AssertionError:
        return None


def leader_approves(web, pe, world):
    leader = as_user(web, "s1_ld")
    task = open_task(pe, world.th1, "duyet_bao_cao")
    assert post(leader, f"/tasks/{task}/approve", "approve", comment="Đồng ý gửi").status_code == 303


def version_tags(html):
    return re.findall(r"Phiên bản (\d+) <span class=\"tag[^\"]*\">([^<]+)</span>", html)


def test_a_reviewer_reads_the_submitted_version_as_submitted_not_draft(web, pe, world):
    submit_report(web, pe, world)
    leader_approves(web, pe, world)
    review = open_task(pe, world.th1, "tham_dinh_bao_cao")
    html = as_user(web, "x_cv").get(f"/tasks/{review}").get_data(as_text=True)
    # Sending a report with a file used to save it as a draft first and send a copy: the reviewer
    # then read the very report sent as "Phiên bản 1 — Dự thảo" beside "Phiên bản 2 — Đã gửi".
    assert version_tags(html) == [("1", "Đã gửi")]
    with pe.read() as s:
        [(version, status, files)] = [(r.version, r.status, [a.filename for a in r.attachments])
                                      for r in s.scalars(select(Report).where(Report.instance_id == world.th1))]  # fmt: skip
    assert (version, status, files) == (1, "submitted", ["bien_ban.txt"])


def test_the_diagram_is_the_instances_process_with_the_open_step_for_those_who_see_the_task(web, pe, world):
    submit_report(web, pe, world)
    leader_approves(web, pe, world)
    review = open_task(pe, world.th1, "tham_dinh_bao_cao")
    reviewer = as_user(web, "x_cv")
    html = reviewer.get(f"/tasks/{review}").get_data(as_text=True)
    assert f'data-src="/tasks/{review}/diagram.bpmn"' in html and 'data-highlight="tham_dinh_bao_cao"' in html
    assert "/static/vendor/bpmn-viewer.js" in html and "(giao_nhiem_vu), phiên bản 1" in html and "Bước đang mở (viền xanh): Thẩm định báo cáo." in html
    response = reviewer.get(f"/tasks/{review}/diagram.bpmn")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with pe.read() as s:
        assert response.data == s.get(ProcessDefinition, s.get(Instance, world.th1).definition_id).xml
    stranger = as_user(web, "s2_cv")  # another school: neither the page nor the diagram
    assert stranger.get(f"/tasks/{review}/diagram.bpmn").status_code == 404
    assert refusals(pe)[-1] == ("s2_cv", "view", review)
    assert stranger.get(f"/tasks/{uuid.uuid4()}/diagram.bpmn").status_code == 404


def test_indicator_figures_are_typed_checked_kept_and_shown_in_the_version(web, pe, world):
    indicator = add_indicator(pe, world.plans["P1"])
    officer = as_user(web, "s1_cv")
    assert post(officer, f"/tasks/{open_task(pe, world.th1, 'tiep_nhan')}/accept", "accept").status_code == 303
    work = open_task(pe, world.th1, "thuc_hien")
    html = officer.get(f"/tasks/{work}").get_data(as_text=True)
    numerator, denominator = f"report-chi_so-{indicator}-tu_so", f"report-chi_so-{indicator}-mau_so"
    assert f'name="{numerator}"' in html and f'name="{denominator}"' in html and "≥95%" in html
    base = {"report-csrf_token": csrf_token(officer, "/inbox"), "report-ket_qua": "Đã rà soát."}
    refused = officer.post(f"/tasks/{work}/save_draft", data={**base, numerator: "50", denominator: "40"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "tử số 50 lớn hơn mẫu số 40" in page
    assert f'name="{numerator}" id="{numerator}" value="50"' in page and "Đã rà soát." in page  # as typed
    with pe.read() as s:
        assert s.scalars(select(Report).where(Report.instance_id == world.th1)).all() == []
    saved = officer.post(f"/tasks/{work}/save_draft", data={**base, numerator: "38", denominator: "40"})
    assert saved.status_code == 303
    page = officer.get(f"/tasks/{work}").get_data(as_text=True)
    assert f'name="{numerator}" id="{numerator}" value="38"' in page  # the draft's figure, to go on from
    assert "38/40" in page and "Tỷ lệ trẻ đến trường" in page
    with pe.read() as s:
        [report] = s.scalars(select(Report).where(Report.instance_id == world.th1)).all()
        assert report.figures == [{"indicator_id": indicator, "code": "1", "numerator": "38", "denominator": "40"}]


def test_versions_show_what_changed_word_by_word_with_files_added_and_removed_escaped(web, pe, world):
    submit_report(web, pe, world, ket_qua="Đã tổ chức 10/12 lớp <b>đúng hạn</b>.")
    leader = as_user(web, "s1_ld")
    back = post(leader, f"/tasks/{open_task(pe, world.th1, 'duyet_bao_cao')}/return", "return", comment="Sửa số lớp")
    assert back.status_code == 303
    officer = as_user(web, "s1_cv")
    work = open_task(pe, world.th1, "thuc_hien")
    html = officer.get(f"/tasks/{work}").get_data(as_text=True)
    assert "Đã tổ chức 10/12 lớp &lt;b&gt;đúng hạn&lt;/b&gt;." in html  # the returned text to correct, escaped
    assert 'name="report-giu_tep"' in html and "bien_ban.txt" in html
    submit_report(web, pe, world, ket_qua="Đã tổ chức 12/12 lớp <b>đúng hạn</b>.", files=(("danh_sach.txt", b"ds\n"),))
    page = officer.get(f"/tasks/{work}").get_data(as_text=True)
    assert version_tags(page) == [("2", "Dự thảo"), ("1", "Dự thảo")]
    diff = page[page.index('class="report-diff"'):page.index('id="report-v1"')]
    assert "Thay đổi so với phiên bản 1" in diff
    assert "<del>10/12</del><ins>12/12</ins>" in diff and "&lt;b&gt;đúng" in diff and "<b>" not in diff
    assert "Thêm tệp: <ins>danh_sach.txt</ins>" in diff and "Bỏ tệp: <del>bien_ban.txt</del>" in diff
    assert "Sửa số lớp" in page  # the leader's reason, as a comment


def test_a_file_kept_from_the_returned_version_goes_with_the_new_one(web, pe, world):
    submit_report(web, pe, world)
    leader = as_user(web, "s1_ld")
    assert post(leader, f"/tasks/{open_task(pe, world.th1, 'duyet_bao_cao')}/return", "return", comment="Bổ sung").status_code == 303
    with pe.read() as s:
        [kept] = [a.sha256 for a in s.scalars(select(Report).where(Report.instance_id == world.th1)).one().attachments]
    submit_report(web, pe, world, ket_qua="Đã bổ sung.", files=(), **{"giu_tep": kept})
    with pe.read() as s:
        newest = s.scalars(select(Report).where(Report.instance_id == world.th1).order_by(Report.version.desc())).first()
        assert (newest.version, [a.filename for a in newest.attachments]) == (2, ["bien_ban.txt"])


def add_indicator(pe, plan_id, name="Tỷ lệ trẻ đến trường đúng độ tuổi"):
    """An indicator of the plan (STT 1, a percentage) with its 2026 target "≥95%"."""
    with pe.unit_of_work("test") as uow:
        indicator = Indicator(plan_id=plan_id, position=0, stt="1", name=name, unit_of_measure="%")
        uow.session.add(indicator)
        uow.session.flush()
        uow.session.add(IndicatorTarget(indicator_id=indicator.id, period="2026", text="≥95%", comparator=">=", value=95, measure="percent"))
        return indicator.id
