"""Report versions on both databases: numbering, statuses, hashes, attachments, approval."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from engine import AuditEvent, BadData, InvalidState
from tests.workflows.reports.world import HIGH_SCHOOL, SCHOOLS, instance, simple_input
from workflows.indicators.models import IndicatorFigure
from workflows.org.models import OrgUnit
from workflows.reports.inputs import FigureInput, ReportInput
from workflows.reports.models import Blob, Report, ReportAttachment
from workflows.reports.versions import history, latest, new_version, report_hash, set_status, verify

PDF = b"%PDF-1.7\nbao cao quy I"


def _new(pe, instance_id, report_input=None, *, status="draft", actor="thpt001_cv") -> Report:
    with pe.unit_of_work(actor) as uow:
        return new_version(
            uow, instance(uow, instance_id), report_input or simple_input(), status=status
        )


def _set(pe, report, status, note=None, *, actor="so_cv") -> Report:
    with pe.unit_of_work(actor) as uow:
        return set_status(uow, report, status, note=note)


def _events(pe, event):
    with pe.read() as s:
        return s.scalars(
            select(AuditEvent).where(AuditEvent.event == event).order_by(AuditEvent.id)
        ).all()


def test_versions_increment_and_history_survives_return_and_resubmit(pe, world, clock):
    target = world.instances[HIGH_SCHOOL]
    first = _new(pe, target, simple_input("Bản đầu"))
    _set(pe, first, "submitted", actor="thpt001_ld")
    clock.advance(timedelta(days=2))
    _set(pe, first, "returned", "Thiếu số liệu chỉ tiêu 18")
    second = _new(pe, target, simple_input("Bản sửa"), status="submitted")
    clock.advance(timedelta(days=1))
    approved = _set(pe, second, "approved", "Đạt")
    assert (first.version, second.version) == (1, 2) and approved.status == "approved"

    with pe.read() as s:
        versions = history(s, target)
        assert latest(s, target).id == second.id
        assert latest(s, target, statuses=["returned"]).id == first.id
        assert (
            latest(s, world.instances[SCHOOLS[0]]) is None
            and history(s, world.instances[SCHOOLS[0]]) == []
        )
    assert [(r.version, r.status, r.ket_qua) for r in versions] == [
        (1, "returned", "Bản đầu"),
        (2, "approved", "Bản sửa"),
    ]
    v1, v2 = versions
    assert (v1.submitted_by, v1.reviewed_by, v1.review_note) == (
        "thpt001_ld",
        "so_cv",
        "Thiếu số liệu chỉ tiêu 18",
    )
    assert v1.reviewed_at - v1.submitted_at == timedelta(days=2)
    assert (v2.submitted_by, v2.reviewed_by, v2.review_note, v2.reviewed_at - v2.submitted_at) == (
        "thpt001_cv",
        "so_cv",
        "Đạt",
        timedelta(days=1),
    )
    assert (v2.unit_code, v2.plan_id, v2.task_key, v2.period, v2.consolidated_from) == (
        HIGH_SCHOOL,
        world.plan_id,
        "1",
        "2026-Q1",
        None,
    )
    assert v1.content_hash != v2.content_hash

    created = _events(pe, "report_version_created")
    assert [(e.instance_id, e.data["version"], e.data["hash"]) for e in created] == [
        (target, 1, v1.content_hash),
        (target, 2, v2.content_hash),
    ]
    assert [e.data["version"] for e in _events(pe, "report_submitted")] == [
        1
    ]  # v2 was created submitted
    assert [e.data["note"] for e in _events(pe, "report_returned")] == ["Thiếu số liệu chỉ tiêu 18"]
    assert [(e.actor, e.data["version"]) for e in _events(pe, "report_approved")] == [("so_cv", 2)]


def _refused(pe, report, status, note=None) -> InvalidState:
    with pytest.raises(InvalidState) as refused:
        _set(pe, report, status, note)
    return refused.value


def test_illegal_transitions_are_refused_and_change_nothing(pe, world):
    target = world.instances[HIGH_SCHOOL]
    draft = _new(pe, target)
    for status in ("approved", "returned", "draft", "deleted"):
        error = _refused(pe, draft, status, "x")
        assert error.code == "report_bad_transition" and f"không thể chuyển sang {status}" in str(
            error
        )
        assert "được phép: submitted" in str(error) and "allowed: submitted" in error.message("en")
    submitted = _set(pe, draft, "submitted")
    assert _refused(pe, submitted, "submitted").code == "report_bad_transition"
    with pytest.raises(BadData, match="cần nêu lý do trả lại"):
        _set(pe, submitted, "returned", "   ")
    error = _refused(pe, submitted, "draft")
    assert "(được phép: returned, approved)" in str(error)
    # A report under review cannot be replaced by a new version; a returned one can.
    with pytest.raises(InvalidState) as locked:
        _new(pe, target)
    assert (
        locked.value.code == "report_locked"
        and "phiên bản 1 đang ở trạng thái submitted" in str(locked.value)
    )
    returned = _set(pe, submitted, "returned", "Bổ sung")
    assert "(được phép: —)" in str(_refused(pe, returned, "submitted"))
    approved = _set(pe, _new(pe, target, status="submitted"), "approved")
    for status in ("returned", "submitted", "approved"):
        assert _refused(pe, approved, status).code == "report_bad_transition"
    with pytest.raises(InvalidState, match="report_locked|đang ở trạng thái approved"):
        _new(pe, target)
    with pe.read() as s:
        assert [(r.version, r.status) for r in history(s, target)] == [
            (1, "returned"),
            (2, "approved"),
        ]
    assert len(_events(pe, "report_approved")) == 1 and len(_events(pe, "report_returned")) == 1


def test_only_the_newest_version_moves(pe, world):
    target = world.instances[HIGH_SCHOOL]
    old = _new(pe, target, simple_input("Bản nháp 1"))
    _new(pe, target, simple_input("Bản nháp 2"))
    error = _refused(pe, old, "submitted")
    assert error.code == "report_not_latest" and "phiên bản 2" in str(error)
    with pe.read() as s:
        assert latest(s, target).status == "draft" and s.get(Report, old.id).status == "draft"


def test_the_hash_covers_the_content_and_tampering_is_detected(pe, world):
    target = world.instances[HIGH_SCHOOL]
    report_input = simple_input(
        "Kết quả",
        FigureInput(None, "18", Decimal("12.5"), Decimal(40)),
        attachments=(("bc.pdf", PDF),),
    )
    report = _new(pe, target, report_input)
    with pe.read() as s:
        stored = s.get(Report, report.id)
        assert report_hash(stored) == stored.content_hash == report.content_hash and verify(
            stored, s
        )
        assert stored.figures == [
            {"indicator_id": None, "code": "18", "numerator": "12.5", "denominator": "40"}
        ]
    # The same content as another unit's report: the same hash (it covers content, not identity).
    assert _new(pe, world.task2_high_school, report_input).content_hash == report.content_hash

    with pe.unit_of_work("intruder") as uow:
        uow.session.execute(
            update(Report)
            .where(Report.id == report.id)
            .values(figures=[{**report.figures[0], "numerator": "40"}])
        )
    with pe.read() as s:
        assert not verify(s.get(Report, report.id))
    error = _refused(pe, report, "submitted")
    assert error.code == "report_hash_mismatch" and "không khớp mã băm" in str(error)

    other = _new(
        pe, world.instances[SCHOOLS[0]], simple_input("x", attachments=(("bc.pdf", PDF + b"!"),))
    )
    with pe.unit_of_work("intruder") as uow:
        uow.session.execute(
            update(Blob)
            .where(Blob.sha256 == other.attachments[0].sha256)
            .values(data=b"%PDF-1.7 forged")
        )
    with pe.read() as s:
        stored = s.get(Report, other.id)
        assert verify(stored) and not verify(stored, s)  # the text still matches; the file does not


def test_attachments_are_stored_once_and_kept_by_hash(pe, world):
    target = world.instances[HIGH_SCHOOL]
    first = _new(
        pe,
        target,
        simple_input(
            "v1",
            attachments=(
                ("C:\\tmp\\Báo cáo.pdf", PDF),
                ("ban sao.pdf", PDF),
                ("so_lieu.csv", b"ma,so\n18,12\n"),
            ),
        ),
    )
    assert [(a.filename, a.media_type, a.size) for a in first.attachments] == [
        ("Báo cáo.pdf", "application/pdf", len(PDF)), ("so_lieu.csv", "text/csv; charset=utf-8", 12)
    ]  # fmt: skip
    pdf_hash = first.attachments[0].sha256
    _set(pe, _set(pe, first, "submitted"), "returned", "Sửa số liệu")
    # Version 2 keeps the PDF by its hash (with its name) and replaces the CSV.
    second = _new(
        pe, target, simple_input("v2", attachments=(pdf_hash, ("so_lieu.csv", b"ma,so\n18,13\n")))
    )
    assert [a.filename for a in second.attachments] == ["Báo cáo.pdf", "so_lieu.csv"]
    assert (
        second.attachments[0].sha256 == pdf_hash
        and second.attachments[1].sha256 != first.attachments[1].sha256
    )
    # Another school's report reuses the same PDF bytes: still one blob.
    _new(pe, world.instances[SCHOOLS[0]], simple_input("x", attachments=(("cua_truong.pdf", PDF),)))
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 3
        assert s.scalar(select(func.count()).select_from(ReportAttachment)) == 5
    # A hash alone never reaches a file this instance's reports did not have.
    with pytest.raises(BadData, match="không thuộc phiên bản trước nào"):
        _new(pe, world.instances[SCHOOLS[1]], simple_input("x", attachments=(pdf_hash,)))
    with pytest.raises(BadData, match="Tệp chương trình"):
        _new(pe, target, simple_input("v3", attachments=(("bao_cao.pdf", b"MZ\x90\x00\x03"),)))
    with pe.read() as s:
        assert [r.version for r in history(s, target)] == [1, 2]  # the refused version left nothing


def test_approval_records_the_figures_of_plan_indicators_only(pe, world):
    target = world.instances[HIGH_SCHOOL]
    figures = (
        FigureInput(None, "18", Decimal(30), Decimal(32)),
        FigureInput(world.devices, None, Decimal("4.5")),
        FigureInput(None, "99", Decimal(1), Decimal(2)),  # no such indicator in the plan
        FigureInput(world.lms + 1000, None, Decimal(1)),  # an id outside the plan
    )
    submitted = _new(pe, target, simple_input("Kết quả", *figures), status="submitted")
    with pe.read() as s:
        assert (
            s.scalar(select(func.count()).select_from(IndicatorFigure)) == 0
        )  # not before approval
    _set(pe, submitted, "approved")
    with pe.read() as s:
        unit_id = s.scalars(select(OrgUnit.id).where(OrgUnit.code == HIGH_SCHOOL)).one()
        recorded = s.execute(select(IndicatorFigure.indicator_id, IndicatorFigure.unit_id, IndicatorFigure.period,
                                    IndicatorFigure.numerator, IndicatorFigure.denominator)
                             .order_by(IndicatorFigure.indicator_id)).all()  # fmt: skip
    assert [tuple(r) for r in recorded] == [(world.lms, unit_id, "2026-Q1", Decimal(30), Decimal(32)),
                                             (world.devices, unit_id, "2026-Q1", Decimal("4.5"), None)]  # fmt: skip
    assert [e.data["figures_recorded"] for e in _events(pe, "report_approved")] == [2]
    assert len(_events(pe, "indicator_figure_reported")) == 2


def test_a_new_version_is_draft_or_submitted(pe, world):
    with pytest.raises(BadData, match="draft hoặc submitted"):
        _new(pe, world.instances[HIGH_SCHOOL], status="approved")
    with pe.read() as s:
        assert history(s, world.instances[HIGH_SCHOOL]) == []


def test_a_report_input_from_a_form_round_trips(pe, world):
    form = {
        "bao_cao": {
            "ket_qua": "Đã xong",
            "kien_nghi": "=1+1",
            "chi_so": [{"ma": "18", "tu_so": "3", "mau_so": "4"}],
        }
    }
    report = _new(
        pe,
        world.instances[HIGH_SCHOOL],
        ReportInput.from_form(form, [("anh.png", b"\x89PNG\r\n\x1a\nxx")]),
    )
    with pe.read() as s:
        stored = s.get(Report, report.id)
    assert (stored.ket_qua, stored.kien_nghi, stored.figures[0]["numerator"], stored.attachments[0].media_type) == (
        "Đã xong", "=1+1", "3", "image/png"
    )  # fmt: skip
    assert verify(stored)
