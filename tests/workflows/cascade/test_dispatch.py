"""Dispatching the demo plan over a small demo province, on both databases."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import event, select

from engine import AuditEvent, HumanTask, InvalidState, NotFound, complete_task, sandbox
from engine.queries import inbox
from tests.workflows.cascade.province import (
    COMMUNES,
    DIRECT_INSTITUTIONS,
    DIVISIONS,
    SCHOOLS,
    count,
    dispatch,
    instances,
    setup_province,
)
from workflows.cascade.dispatch import install, open_due_periods
from workflows.cascade.models import DispatchOpening
from workflows.plans.models import Plan, PlanTask
from workflows.timeframes import LOCAL_TZ

_setup, _dispatch, _instances, _count = setup_province, dispatch, instances, count


def test_every_unit_gets_exactly_its_instances(pe):
    plan_id = _setup(pe)
    result = _dispatch(pe, plan_id)
    assert result.created == result.total == _count(pe) and result.skipped == 0

    # Task 7 "Thường xuyên": lead VP; GDMN-GDTH, GDTrH, QLCL and the institutions coordinate.
    task7 = {(i.unit_code, i.process_key): i for i in _instances(pe, task_key="7")}
    expected = {("HP.VP", "giao_nhiem_vu")}
    expected |= {(u, "phoi_hop") for u in ("HP.GDMN-GDTH", "HP.GDTRH", "HP.QLCL", *DIRECT_INSTITUTIONS)}
    expected |= {(c, "xa_phuong_trien_khai") for c in COMMUNES}
    assert set(task7) == expected and len(_instances(pe, task_key="7")) == 9
    # "Thường xuyên" has no due; the coordinators (and the communes passing it to coordinating schools) answer the lead.
    lead7 = task7[("HP.VP", "giao_nhiem_vu")]
    assert {(i.period, i.due_at, i.plan_key) for i in task7.values()} == {("2026", None, f"plan:{plan_id}")}
    assert {(u, i.parent_id) for (u, _), i in task7.items() if u != "HP.VP"} == {(u, lead7.id) for (u, _) in task7 if u != "HP.VP"}
    assert lead7.parent_id is None

    # Task 1 "Hàng quý", dispatched on 2 March: Q1 only; VP leads, the other 8 phòng and the institutions coordinate.
    task1 = _instances(pe, task_key="1")
    assert {i.period for i in task1} == {"2026-Q1"} and len(task1) == 1 + 8 + 3 + 2
    # Lead due 01/04 00:00 (last day Tue 31/03); coordinators 5 working days earlier: Mon 30, Fri 27,
    # Thu 26, Wed 25, Tue 24/03 → late from 25/03 00:00.
    assert {(i.process_key, i.due_at) for i in task1} == {
        ("giao_nhiem_vu", datetime(2026, 4, 1, tzinfo=LOCAL_TZ)),
        ("phoi_hop", datetime(2026, 3, 25, tzinfo=LOCAL_TZ)),
        ("xa_phuong_trien_khai", datetime(2026, 3, 25, tzinfo=LOCAL_TZ)),
    }
    assert Counter(i.process_key for i in task1) == {"giao_nhiem_vu": 1, "phoi_hop": 11, "xa_phuong_trien_khai": 2}

    # Task 6: "Đơn vị CNTT" is VP itself, the lead: no coordination with itself. Task 9: Sở KH&CN is external.
    assert [i.process_key for i in _instances(pe, task_key="6", unit_code="HP.VP")] == ["giao_nhiem_vu"]
    assert result.external == ["HP.KHCN"] and not _instances(pe, unit_code="HP.KHCN")
    assert not any(_instances(pe, unit_code=code) for code in SCHOOLS)  # schools get theirs through their ward

    # Business keys and the per-kind counts.
    with pe.read() as s:
        task7_id = s.scalars(select(PlanTask.id).where(PlanTask.plan_id == plan_id, PlanTask.stt == "7")).one()
        plan = s.get(Plan, plan_id)
        assert plan.status == "dispatched"
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.event == "plan_dispatched")).all()
    assert lead7.business_key == f"{plan_id}/{task7_id}/2026/HP.VP/giao_nhiem_vu"
    assert event.data["created"] == result.created and event.data["by_kind"] == result.by_kind
    units = {i.unit_code for i in _instances(pe)}
    assert units <= set(DIVISIONS + COMMUNES + DIRECT_INSTITUTIONS)
    assert sum(result.by_kind.values()) == _count(pe) and set(result.by_kind) == {"phong", "xa", "thpt", "tt_gdnn_gdtx"}


def test_dispatching_twice_and_dry_run_create_nothing_new(pe):
    plan_id = _setup(pe)
    dry = _dispatch(pe, plan_id, dry_run=True)
    assert _count(pe) == 0 and _count(pe, DispatchOpening) == 0 and dry.created > 0 and dry.skipped == 0
    with pe.read() as s:
        assert s.get(Plan, plan_id).status == "draft"
    first = _dispatch(pe, plan_id)
    assert (first.created, first.total, first.scheduled, first.by_kind) == (dry.created, dry.total, dry.scheduled, dry.by_kind)
    instances, openings = _count(pe), _count(pe, DispatchOpening)
    again = _dispatch(pe, plan_id)
    assert (again.created, again.skipped) == (0, first.created)
    assert (_count(pe), _count(pe, DispatchOpening)) == (instances, openings)
    assert _dispatch(pe, plan_id, dry_run=True).created == 0


def test_a_plan_that_is_not_dispatchable_is_refused(pe):
    plan_id = _setup(pe, mapped=False)
    with pytest.raises(InvalidState) as refused:
        _dispatch(pe, plan_id)
    assert refused.value.code == "plan_not_dispatchable" and "STT" in str(refused.value)
    with pe.read() as s:
        unclear = [t.stt for t in s.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id).order_by(PlanTask.position)) if t.problems]
        assert s.get(Plan, plan_id).status == "draft"
    assert unclear and ", ".join(unclear) in str(refused.value)
    assert _count(pe) == 0 and _count(pe, DispatchOpening) == 0
    with pytest.raises(NotFound):
        _dispatch(pe, 999)


def test_all_or_nothing(pe):
    plan_id = _setup(pe, processes=("giao_nhiem_vu", "xa_phuong_trien_khai"))  # phoi_hop missing
    with pytest.raises(NotFound):
        _dispatch(pe, plan_id)
    assert _count(pe) == 0 and _count(pe, DispatchOpening) == 0 and _count(pe, HumanTask) == 0
    with pe.read() as s:
        assert s.get(Plan, plan_id).status == "draft"


def test_quarterly_periods_open_on_time(pe, clock):
    plan_id = _setup(pe)
    result = _dispatch(pe, plan_id)
    quarterly = ["1", "3", "5", "24"]  # "Hàng quý"
    assert result.scheduled == 3 * len(quarterly) == _count(pe, DispatchOpening)
    before = _count(pe)

    clock.set(datetime(2026, 3, 31, 23, 59, tzinfo=LOCAL_TZ))
    with pe.unit_of_work("worker") as uow:
        assert open_due_periods(uow).opened == 0
    assert _count(pe) == before and not _instances(pe, period="2026-Q2", task_key="1")

    clock.set(datetime(2026, 4, 1, 0, 0, tzinfo=LOCAL_TZ))
    with pe.unit_of_work("worker") as uow:
        opened = open_due_periods(uow)
    assert opened.opened == 4 and opened.created == _count(pe) - before
    q2 = _instances(pe, period="2026-Q2", task_key="1")
    assert len(q2) == 14 and {i.due_at for i in q2 if i.parent_id is None} == {datetime(2026, 7, 1, tzinfo=LOCAL_TZ)}
    [lead_q2] = [i for i in q2 if i.parent_id is None]
    assert {(i.due_at, i.parent_id) for i in q2 if i is not lead_q2} == {(datetime(2026, 6, 24, tzinfo=LOCAL_TZ), lead_q2.id)}
    assert not any(_instances(pe, period="2026-Q3", task_key=stt) for stt in quarterly)
    assert _instances(pe, period="2026-Q3", task_key="10")  # a one-off "Quý III" task is given up front
    with pe.unit_of_work("worker") as uow:
        assert open_due_periods(uow).opened == 0
    assert _dispatch(pe, plan_id).created == 0  # re-dispatching after an opening: still nothing new


def test_human_tasks_land_in_the_right_inboxes(pe):
    plan_id = _setup(pe)
    _dispatch(pe, plan_id)
    with pe.read() as s:
        ward = inbox(s, unit="HP.X001", limit=1000)
        thpt = inbox(s, unit="HP.THPT001", limit=1000)
        vp = inbox(s, unit="HP.VP", limit=1000)
        school = inbox(s, unit="HP.X001.MN01", limit=1000)
    assert {(t.process_key, t.element_id) for t in ward} == {("xa_phuong_trien_khai", "tiep_nhan")}
    assert {(t.process_key, t.element_id) for t in thpt} == {("phoi_hop", "tiep_nhan")}
    assert ("giao_nhiem_vu", "tiep_nhan") in {(t.process_key, t.element_id) for t in vp}
    assert school == []
    assert len(ward) == len(_instances(pe, unit_code="HP.X001"))
    [task7_ward] = [t for t in ward if t.task_key == "7"]
    assert task7_ward.period == "2026" and task7_ward.candidate_role == "officer"


def test_the_ward_hands_the_task_to_its_schools(pe):
    install(pe)
    install(pe)  # once per engine
    plan_id = _setup(pe)
    _dispatch(pe, plan_id)
    [ward_instance] = _instances(pe, unit_code="HP.X001", task_key="1")
    for step, data in (("tiep_nhan", {}), ("giao_cho_truong", {"cap_hoc": ["MN", "TH"], "noi_dung_giao": "Báo cáo quý"})):
        with pe.read() as s:
            [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == ward_instance.id, HumanTask.status == "open")).all()
        assert task.element_id == step
        with pe.unit_of_work("hp_x001_cv") as uow:
            complete_task(uow, task.id, data)
    children = _instances(pe, parent_id=ward_instance.id)
    assert sorted(c.unit_code for c in children) == ["HP.X001.MN01", "HP.X001.TH01"]
    assert {(c.process_key, c.period, c.task_key, c.due_at) for c in children} == {
        ("giao_nhiem_vu", "2026-Q1", "1", datetime(2026, 3, 25, tzinfo=LOCAL_TZ))  # the commune's own (a coordinator's) deadline
    }
    with pe.read() as s:
        assert [t.element_id for t in inbox(s, unit="HP.X001.MN01")] == ["tiep_nhan"]
        assert inbox(s, unit="HP.X001.THCS01") == []
        assert [t.element_id for t in inbox(s, unit="HP.X001") if t.task_key == "1"] == ["theo_doi_cac_truong"]
    assert _dispatch(pe, plan_id).created == 0


def test_a_hand_on_is_counted_statements_and_starts_no_child_for_literal_scripts(pe, monkeypatch):
    """A commune's hand-on runs at each of ~4,000 communes' tasks: its statements are a budget
    (bench/README.md, session h18-bulk), and the schools' first script (``khoi_tao``: literals and
    empty lists) is answered without the sandbox's child."""
    install(pe)
    plan_id = _setup(pe)
    _dispatch(pe, plan_id)
    [ward_instance] = _instances(pe, unit_code="HP.X001", task_key="1")
    sent: list[str] = []
    monkeypatch.setattr(sandbox, "_encode_request", lambda op, code, variables, real=sandbox._encode_request: (sent.append(code), real(op, code, variables))[1])
    statements: list[str] = []

    def listen(_conn, _cursor, statement, *_rest) -> None:
        statements.append(" ".join(statement.split()))

    for step in ("tiep_nhan", "giao_cho_truong"):
        with pe.read() as s:
            [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == ward_instance.id, HumanTask.status == "open")).all()
        assert task.element_id == step
        statements.clear()
        event.listen(pe.db, "before_cursor_execute", listen)
        try:
            with pe.unit_of_work("hp_x001_cv") as uow:
                complete_task(uow, task.id, {})
        finally:
            event.remove(pe.db, "before_cursor_execute", listen)
    assert len(_instances(pe, parent_id=ward_instance.id)) > 1
    # The completion (SELECT, task and instance writes: one statement on PostgreSQL, three on
    # SQLite); the commune and its schools, the plan task, the definition, the business keys (and
    # PostgreSQL's advisory lock); INSERT the ward's timer, the schools' instances and tasks, the
    # audit events. The tracking hook (not installed here) adds its own.
    sent_now = [s[:60] for s in statements if not s.startswith("BEGIN")]
    assert len(sent_now) <= (11 if pe.db.dialect.name == "postgresql" else 12), sent_now
    assert sum("FROM process_definition" in s for s in statements) == 1
    assert not any(code.startswith("de_nghi_gia_han = False") for code in sent), sent
