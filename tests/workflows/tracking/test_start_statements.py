"""What a commune's hand-on and a report draft send, and that what they write is what the ORM wrote.

``follow.on_instances_started`` adds its rows with one executemany INSERT (a hand-on's per-parent
values shared) and the parent's counters with one UPDATE (on PostgreSQL both in one statement); ``versions.new_version`` reads the newest
version with a Core SELECT (no files joined) and adds one with a Core INSERT, leaving in the session
the object the ORM would have left (bench/README.md, "Session h18-hooks2").
"""

from __future__ import annotations

from sqlalchemy import select

from engine import Instance, complete_task
from tests.query_plans import full_scans, statements_of
from tests.workflows.cascade.province import act, dispatch, instances, open_task, setup_province
from tests.workflows.tracking.test_step_statements import _recount_matches, statements
from workflows.hooks import install
from workflows.org.models import OrgUnit
from workflows.plans.keys import plan_id_of
from workflows.reports.inputs import ReportInput
from workflows.reports.models import Report
from workflows.reports.versions import latest, new_version
from workflows.tracking.follow import count_as_lead
from workflows.tracking.models import Tracking


def _accepted_ward(pe):
    install(pe, guard=False)
    dispatch(pe, setup_province(pe))
    [ward] = instances(pe, unit_code="HP.X001", task_key="1")
    act(pe, ward, "tiep_nhan")
    return ward


def _rows_match_their_instances(pe) -> None:
    """Every tracking row carries its instance's facts, and its unit's id."""
    with pe.read() as s:
        found = s.execute(select(Tracking, Instance).join(Instance, Instance.id == Tracking.instance_id)).all()
        units = dict(s.execute(select(OrgUnit.code, OrgUnit.id)).all())
    assert found
    for row, instance in found:
        expected = (instance.parent_id, plan_id_of(instance.plan_key), instance.task_key, instance.period, instance.unit_code, units[instance.unit_code])
        assert (row.parent_id, row.plan_id, row.task_key, row.period, row.unit_code, row.unit_id) == expected, row.unit_code


def test_a_hand_on_inserts_its_schools_rows_once_and_counts_them_with_one_update(pe):
    ward = _accepted_ward(pe)
    with statements(pe, "tracking") as seen:
        act(pe, ward, "giao_cho_truong", {})
    # the ward's own row (SELECT); its schools' rows (one executemany INSERT) and the ward's
    # counters (UPDATE), on PostgreSQL one statement (WITH counted AS (UPDATE …) INSERT …)
    assert sorted(seen) == (["SELECT", "WITH"] if pe.db.dialect.name == "postgresql" else ["INSERT", "SELECT", "UPDATE"])
    schools = instances(pe, parent_id=ward.id)
    with pe.read() as s:
        rows = s.scalars(select(Tracking).where(Tracking.parent_id == ward.id)).all()
        parent = s.get(Tracking, ward.id)
    assert {r.instance_id for r in rows} == {i.id for i in schools} and len(schools) > 1
    assert {(r.role, r.phase, r.process_key, r.due_at, r.late, r.n_children) for r in rows} == {("school", "new", schools[0].process_key, parent.due_at, False, 0)}
    assert parent.n_children == len(schools)
    _rows_match_their_instances(pe)  # the shared values (one parent) and the dispatch's own (many)
    _recount_matches(pe)


def test_the_hand_ons_counter_update_scans_no_table(pe):
    ward = _accepted_ward(pe)
    sent = statements_of(pe.db, lambda: act(pe, ward, "giao_cho_truong", {}))
    on_tracking = [(statement, params) for statement, params in sent if "UPDATE tracking" in statement]
    assert len(on_tracking) == 1
    assert not full_scans(pe.db, on_tracking)


def test_a_school_counted_as_lead_is_lead_on_the_object_the_session_holds(pe):
    ward = _accepted_ward(pe)
    act(pe, ward, "giao_cho_truong", {})
    school = instances(pe, parent_id=ward.id)[0]
    with pe.unit_of_work("tester") as uow:
        held = uow.session.get(Tracking, school.id)
        assert held.role == "school"
        count_as_lead(uow, [school.id])
        assert held.role == "lead" and not uow.session.dirty  # as stored: nothing left to flush
    with pe.read() as s:
        assert s.get(Tracking, school.id).role == "lead"


def test_a_draft_reads_the_newest_version_without_its_files_and_scans_no_table(pe):
    ward = _accepted_ward(pe)
    act(pe, ward, "giao_cho_truong", {})
    school = instances(pe, parent_id=ward.id)[0]
    act(pe, school, "tiep_nhan")
    act(pe, school, "thuc_hien", {"bao_cao": {"ket_qua": "Lần 1"}})
    act(pe, school, "duyet_bao_cao", {"lanh_dao_duyet": "tra_lai", "y_kien_lanh_dao": "Sửa"})
    with statements(pe, "report", "report_attachment", "plan") as seen:
        sent = statements_of(pe.db, lambda: act(pe, school, "thuc_hien", {"bao_cao": {"ket_qua": "Lần 2"}}))
    assert seen == ["SELECT", "INSERT"]  # a second version: the first one read with the plan's row
    on_reports = [(statement, params) for statement, params in sent if "report" in statement]
    assert on_reports and not any("report_attachment" in statement for statement, _ in on_reports)
    assert not full_scans(pe.db, on_reports)
    with pe.read() as s:
        assert [(r.version, r.status, r.ket_qua) for r in s.scalars(select(Report).where(Report.instance_id == school.id).order_by(Report.version))] == [
            (1, "draft", "Lần 1"), (2, "draft", "Lần 2")]  # fmt: skip


def test_a_new_version_is_in_the_session_as_it_is_stored(pe):
    ward = _accepted_ward(pe)
    act(pe, ward, "giao_cho_truong", {})
    school = instances(pe, parent_id=ward.id)[0]
    with pe.unit_of_work("truong_cv") as uow:
        instance = uow.session.get(Instance, school.id)
        report = new_version(uow, instance, ReportInput(ket_qua="Xong"), status="submitted")
        assert report in uow.session and not uow.session.dirty and not uow.session.new
        with statements(pe, "report", "report_attachment") as seen:
            assert uow.session.get(Report, report.id) is report  # held: no statement
        assert seen == []
        assert latest(uow.session, school.id) is report and report.attachments == []
        mine = {c.key: getattr(report, c.key) for c in Report.__table__.columns}
    with pe.read() as s:
        stored = s.get(Report, report.id)
        assert {c.key: getattr(stored, c.key) for c in Report.__table__.columns} == mine
    assert (mine["version"], mine["status"], mine["submitted_by"], mine["plan_id"]) == (1, "submitted", "truong_cv", plan_id_of(school.plan_key))


def test_a_hand_on_counts_its_schools_on_the_parent_the_session_holds(pe):
    ward = _accepted_ward(pe)
    task = open_task(pe, ward)
    with pe.unit_of_work("tester") as uow:
        held = uow.session.get(Tracking, ward.id)
        assert held.n_children == 0
        complete_task(uow, task.id, {})
        schools = uow.session.scalars(select(Tracking.instance_id).where(Tracking.parent_id == ward.id)).all()
        assert held.n_children == len(schools) > 1 and not uow.session.dirty
    with pe.read() as s:
        assert s.get(Tracking, ward.id).n_children == len(schools)
    _recount_matches(pe)
