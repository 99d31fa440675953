"""The task page through Flask's test client, on both databases: what a reviewer reads of the
report versions (their status, the differences between them, the figures), the process diagram
of the instance with its current step, and who may fetch it."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from tests.fixtures.webapp import csrf_token
from tests.webui.test_inbox import as_user, post
from tests.workflows.authz.world import open_task
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
