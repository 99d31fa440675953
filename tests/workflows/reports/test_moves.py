"""The submit and review hooks move the newest version with Core statements (``move_newest``):
one SELECT of the newest version with its files' hashes, the conditional UPDATE; the review's
check before the step reads the newest (version, status) only. The rules of ``set_status`` hold:
a tampered version is refused, a version moved by another transaction after it was read is a
``ConflictError``, and a ``Report`` the session holds shows the move (bench/README.md, "Session
h20-reports"). Both databases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update

from engine import AuditEvent, ConflictError, InvalidState, complete_task
from tests.query_plans import full_scans, statements_of
from tests.workflows.cascade.province import act, open_task
from tests.workflows.reports.test_races import _race
from tests.workflows.reports.world import HIGH_SCHOOL, instance, simple_input
from tests.workflows.tracking.test_step_statements import statements, ward_with_schools
from workflows.indicators.models import IndicatorFigure
from workflows.reports import versions
from workflows.reports.inputs import FigureInput, ReportInput
from workflows.reports.models import Report, ReportAttachment
from workflows.reports.versions import latest, move_newest, new_version

PDF = b"%PDF-1.7\nbao cao"
REVIEWER = "hp_x001_cv"


def _accepted_school(pe):
    _ward, schools = ward_with_schools(pe)
    school = next(iter(schools.values()))
    act(pe, school, "tiep_nhan")
    return school


def _decisions(pe):
    with pe.read() as s:
        return s.execute(select(AuditEvent.event, AuditEvent.actor, AuditEvent.data)
                         .where(AuditEvent.event.in_(["report_submitted", "report_approved", "report_returned"]))
                         .order_by(AuditEvent.id)).all()  # fmt: skip


def test_submit_and_review_send_one_select_of_the_newest_and_the_update(pe):
    school = _accepted_school(pe)
    act(pe, school, "thuc_hien", {"bao_cao": {"ket_qua": "Xong"}})
    with statements(pe, "report", "report_attachment") as seen:
        submit = statements_of(pe.db, lambda: act(pe, school, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"}))
    assert seen == ["SELECT", "UPDATE"]  # the newest with its files (outer-joined); moved if still a draft
    with statements(pe, "report", "report_attachment") as seen:
        review = statements_of(pe.db, lambda: act(pe, school, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"}, actor=REVIEWER))
    # before the step: the newest's (version, status); after it: the newest with its files, moved;
    # no figure in the report: the plan's indicators are not read
    assert seen == ["SELECT", "SELECT", "UPDATE"]
    on_reports = [(statement, params) for statement, params in submit + review if "report" in statement]
    assert len(on_reports) == 5 and not full_scans(pe.db, on_reports)
    with pe.read() as s:
        stored = latest(s, school.id)
    assert (stored.version, stored.status, stored.submitted_by, stored.reviewed_by) == (1, "approved", "tester", REVIEWER)
    assert _decisions(pe) == [
        ("report_submitted", "tester", {"version": 1, "hash": stored.content_hash, "note": None, "figures_recorded": 0}),
        ("report_approved", REVIEWER, {"version": 1, "hash": stored.content_hash, "note": None, "figures_recorded": 0}),
    ]


def test_a_draft_is_parsed_once_per_completion(pe, monkeypatch):
    school = _accepted_school(pe)
    parse, parsed = ReportInput.from_form.__func__, []  # type: ignore[attr-defined]
    monkeypatch.setattr(ReportInput, "from_form", classmethod(lambda cls, *args: parsed.append(args) or parse(cls, *args)))
    act(pe, school, "thuc_hien", {"bao_cao": {"ket_qua": " Xong\r\n "}})
    assert len(parsed) == 1
    with pe.read() as s:
        assert latest(s, school.id).ket_qua == "Xong"


def test_a_report_the_session_holds_shows_the_move(pe):
    school = _accepted_school(pe)
    act(pe, school, "thuc_hien", {"bao_cao": {"ket_qua": "Xong"}})
    task = open_task(pe, school)
    with pe.unit_of_work("truong_ld") as uow:
        held = latest(uow.session, school.id)
        assert held.status == "draft"
        complete_task(uow, task.id, {"lanh_dao_duyet": "dong_y"})
        assert (held.status, held.submitted_by, held.submitted_at) == ("submitted", "truong_ld", uow.now)
        assert held not in uow.session.dirty
    task = open_task(pe, school)
    with pe.unit_of_work(REVIEWER) as uow:
        held = latest(uow.session, school.id)
        complete_task(uow, task.id, {"quyet_dinh": "tra_lai", "y_kien": "Thiếu số liệu"})
        assert (held.status, held.reviewed_by, held.reviewed_at, held.review_note) == ("returned", REVIEWER, uow.now, "Thiếu số liệu")
        assert held not in uow.session.dirty
        mine = {c.key: getattr(held, c.key) for c in Report.__table__.columns}
    with pe.read() as s:
        stored = s.get(Report, held.id)
        assert {c.key: getattr(stored, c.key) for c in Report.__table__.columns} == mine


def test_the_newest_with_files_moves_and_its_figures_are_recorded(pe, world):
    target = world.instances[HIGH_SCHOOL]
    with pe.unit_of_work("thpt001_cv") as uow:
        report = new_version(uow, instance(uow, target), simple_input(
            "Kết quả", FigureInput(None, "18", Decimal(3), Decimal(4)), attachments=(("a.pdf", PDF), ("b.pdf", PDF + b"2"))),
            status="submitted")  # fmt: skip
    assert len(report.attachments) == 2
    with pe.unit_of_work("so_cv") as uow:
        assert move_newest(uow, target, "returned", when="draft", note="x") is False  # not a draft: nothing moves
        assert move_newest(uow, target, "approved", when="submitted", note=" Đạt ")
    with pe.read() as s:
        stored = s.get(Report, report.id)
        figures = s.scalars(select(IndicatorFigure)).all()
    assert (stored.status, stored.reviewed_by, stored.review_note) == ("approved", "so_cv", "Đạt")
    assert [(f.numerator, f.denominator) for f in figures] == [(Decimal(3), Decimal(4))]
    assert _decisions(pe) == [("report_approved", "so_cv", {"version": 1, "hash": stored.content_hash, "note": "Đạt", "figures_recorded": 1})]


def test_a_tampered_version_is_refused(pe, world):
    target = world.instances[HIGH_SCHOOL]
    with pe.unit_of_work("thpt001_cv") as uow:
        report = new_version(uow, instance(uow, target), simple_input("x", attachments=(("a.pdf", PDF), ("b.pdf", PDF + b"2"))),
                             status="submitted")  # fmt: skip
    with pe.unit_of_work("intruder") as uow:  # a file taken off the version, outside the application
        uow.session.execute(delete(ReportAttachment).where(ReportAttachment.sha256 == report.attachments[1].sha256))
    for status in ("approved", "returned"):
        with pytest.raises(InvalidState) as refused, pe.unit_of_work("so_cv") as uow:
            move_newest(uow, target, status, when="submitted", note="Sửa")
        assert refused.value.code == "report_hash_mismatch"
    with pe.read() as s:
        assert s.get(Report, report.id).status == "submitted"
    assert _decisions(pe) == []


def test_a_version_moved_after_it_was_read_is_a_conflict(pe, world, monkeypatch):
    """Another reviewer's decision lands between the read and the conditional UPDATE."""
    target = world.instances[HIGH_SCHOOL]
    with pe.unit_of_work("thpt001_cv") as uow:
        report = new_version(uow, instance(uow, target), simple_input("x"), status="submitted")
    checked = versions._check_transition
    with pytest.raises(ConflictError), pe.unit_of_work("A") as uow:

        def meanwhile(*args):
            checked(*args)
            uow.session.connection().execute(update(Report).where(Report.id == report.id).values(status="approved", reviewed_by="B"))

        monkeypatch.setattr(versions, "_check_transition", meanwhile)
        move_newest(uow, target, "returned", when="submitted", note="Sửa")
    with pe.read() as s:
        assert (s.get(Report, report.id).status, s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event == "report_returned"))) == ("submitted", 0)


def test_two_reviewers_at_once_one_decision(pe, world):
    target = world.instances[HIGH_SCHOOL]
    with pe.unit_of_work("thpt001_cv") as uow:
        report = new_version(uow, instance(uow, target), simple_input("x"), status="submitted")
    moved: dict[str, bool] = {}

    def review(uow, name):
        moved[name] = move_newest(uow, target, "approved" if name == "A" else "returned", when="submitted", note=f"ý kiến {name}")

    outcome = _race(pe, review)
    assert outcome["A"] == "won" and moved["A"]
    if pe.db.dialect.name == "postgresql":  # B blocked behind A's row; the re-checked condition fails
        assert isinstance(outcome["B"], ConflictError), outcome["B"]
    else:  # B waited for the write lock at BEGIN, then read A's decision: nothing to review
        assert outcome["B"] == "won" and moved["B"] is False
    with pe.read() as s:
        stored = s.get(Report, report.id)
    assert (stored.status, stored.reviewed_by, stored.review_note) == ("approved", "A", "ý kiến A")
    assert [(event, actor) for event, actor, _ in _decisions(pe)] == [("report_approved", "A")]
