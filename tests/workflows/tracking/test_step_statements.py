"""What the tracking and report hooks send per step, and counters that always equal a recount.

The hooks write with Core statements (``workflows.tracking.follow.on_step_saved``): one SELECT of
the row, then one UPDATE of the row and of its parent's counters together. Statement counts are
pinned here (bench/README.md, "Session h18-hooks", has the time); after every kind of step a
parent's counters must still equal what its children's rows say.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import delete, event, select

from engine import cancel_instance, complete_task, fire_due_timers
from tests.query_plans import full_scans, statements_of
from tests.workflows.cascade.province import (
    act,
    dispatch,
    instances,
    open_task,
    setup_province,
    submit,
)
from workflows.hooks import install
from workflows.plans.models import Plan
from workflows.reports.models import Report
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.follow import COUNTERS, contribution
from workflows.tracking.models import Tracking


@contextmanager
def statements(pe, *tables: str) -> Iterator[list[str]]:
    """The statements sent inside the block that name one of ``tables`` (their verbs)."""
    seen: list[str] = []
    named = re.compile(rf'(?<![\w.])"?({"|".join(tables)})"?(?!\w)')

    def log(_conn, _cursor, statement, *_args) -> None:
        if named.search(statement):
            seen.append(statement.split(None, 1)[0])

    event.listen(pe.db, "before_cursor_execute", log)
    try:
        yield seen
    finally:
        event.remove(pe.db, "before_cursor_execute", log)


def ward_with_schools(pe):
    install(pe, guard=False)
    dispatch(pe, setup_province(pe))
    [ward] = instances(pe, unit_code="HP.X001", task_key="1")
    act(pe, ward, "tiep_nhan")
    act(pe, ward, "giao_cho_truong", {})
    return ward, {i.unit_code.rsplit(".", 1)[1]: i for i in instances(pe, parent_id=ward.id)}


def _recount_matches(pe) -> None:
    """Every parent's counters equal the sum of its children's contributions."""
    with pe.read() as s:
        rows = s.scalars(select(Tracking)).all()
    for parent in rows:
        children = [r for r in rows if r.parent_id == parent.instance_id]
        sums = [sum(column) for column in zip(*(contribution(c.phase, c.late) for c in children), strict=True)] or [0] * 4
        stored = [getattr(parent, name) for name in COUNTERS]
        assert (parent.n_children, stored) == (len(children), sums), parent.unit_code


def test_a_step_reads_its_row_once_and_writes_it_with_its_parent_in_one_update(pe):
    ward, schools = ward_with_schools(pe)
    sent = statements_of(pe.db, lambda: act(pe, schools["MN01"], "tiep_nhan"))  # new → working: the ward's n_accepted moves too
    on_tracking = [statement for statement, _ in sent if re.search(r"(FROM|UPDATE) tracking\b", statement)]
    assert [statement.split()[0] for statement in on_tracking] == ["SELECT", "UPDATE"]
    assert not full_scans(pe.db, sent)  # the row and its parent by their keys
    with statements(pe, "tracking") as seen:
        act(pe, schools["MN01"], "thuc_hien", {"bao_cao": {"ket_qua": "Xong"}})  # still working: nothing to write
    assert seen == ["SELECT"]
    with pe.read() as s:
        ward_row, school_row = s.get(Tracking, ward.id), s.get(Tracking, schools["MN01"].id)
    assert (school_row.phase, ward_row.n_accepted) == ("working", 1)
    _recount_matches(pe)


def test_a_report_step_reads_the_newest_version_in_one_statement(pe):
    _ward, schools = ward_with_schools(pe)
    school = schools["TH01"]
    act(pe, school, "tiep_nhan")
    with statements(pe, "report", "report_attachment", "plan") as seen:
        act(pe, school, "thuc_hien", {"bao_cao": {"ket_qua": "Xong"}})
    assert seen == ["SELECT", "INSERT"]  # the newest version and the plan's row, together
    with statements(pe, "report", "report_attachment") as seen:
        act(pe, school, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})
    assert seen == ["SELECT", "UPDATE"]  # the newest with its files (outer-joined), moved (tests/workflows/reports/test_moves.py)


def test_counters_equal_a_recount_after_returns_extensions_timers_and_cancellations(pe, clock):
    ward, schools = ward_with_schools(pe)
    mn, th, thcs = schools["MN01"], schools["TH01"], schools["THCS01"]
    for school in (mn, th, thcs):
        act(pe, school, "tiep_nhan")
        _recount_matches(pe)
    clock.set(datetime(2026, 3, 10, 9, tzinfo=LOCAL_TZ))
    submit(pe, mn, "Lần 1")
    act(pe, mn, "tham_dinh_bao_cao", {"quyet_dinh": "tra_lai", "y_kien": "Thiếu số liệu"})
    _recount_matches(pe)
    submit(pe, mn, "Lần 2")
    act(pe, mn, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    _recount_matches(pe)
    act(pe, th, "thuc_hien", {"de_nghi_gia_han": True, "han_de_nghi": "2026-04-10", "ly_do_gia_han": "Chờ số liệu"})
    act(pe, th, "xem_xet_gia_han", {"quyet_dinh": "gia_han", "han_moi": "2026-04-10"})
    _recount_matches(pe)
    clock.set(datetime(2026, 3, 25, tzinfo=LOCAL_TZ))
    fire_due_timers(pe, clock.now(), limit=100)
    _recount_matches(pe)
    with pe.unit_of_work("tester") as uow:
        cancel_instance(uow, thcs.id, reason="Không còn phù hợp")
    _recount_matches(pe)
    with pe.read() as s:
        row = s.get(Tracking, ward.id)
    assert (row.n_children, row.n_accepted, row.n_approved) == (3, 2, 1)


def test_a_row_the_session_holds_is_moved_on_the_object(pe):
    """A unit of work that loaded the rows before the step reads them as the step left them."""
    ward, schools = ward_with_schools(pe)
    task = open_task(pe, schools["MN01"])
    with pe.unit_of_work("tester") as uow:
        held, parent = uow.session.get(Tracking, schools["MN01"].id), uow.session.get(Tracking, ward.id)
        accepted = parent.n_accepted
        complete_task(uow, task.id, {})
        assert (held.phase, parent.n_accepted) == ("working", accepted + 1)
        stored = uow.session.execute(select(Tracking.phase).where(Tracking.instance_id == held.instance_id)).scalar_one()
        assert stored == "working"  # flushed before the parent's count: later queries see it
    with pe.read() as s:
        assert (s.get(Tracking, schools["MN01"].id).phase, s.get(Tracking, ward.id).n_accepted) == ("working", accepted + 1)
    _recount_matches(pe)


def test_a_report_of_a_plan_that_is_gone_has_no_plan(pe):
    _ward, schools = ward_with_schools(pe)
    school = schools["MN01"]
    act(pe, school, "tiep_nhan")
    with pe.unit_of_work("tester") as uow:
        uow.session.execute(delete(Plan))
    act(pe, school, "thuc_hien", {"bao_cao": {"ket_qua": "Xong"}})
    with pe.read() as s:
        assert [r.plan_id for r in s.scalars(select(Report).where(Report.instance_id == school.id))] == [None]
