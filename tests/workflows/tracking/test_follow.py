"""Tracking rows, parents' counters and the eight statuses along a ward's work, on both databases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine import fire_due_timers
from tests.query_plans import full_scans, statements_of
from tests.workflows.cascade.province import act, dispatch, instances, setup_province, submit
from workflows.hooks import install
from workflows.org.queries import find_unit
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.follow import mark_overdue
from workflows.tracking.models import Tracking
from workflows.tracking.status import by_child_unit, summarise

Q1_DUE = datetime(2026, 4, 1, tzinfo=LOCAL_TZ)
# HP.X001 passes task 1 to coordinating schools: a coordinator's deadline, 5 working days before the lead's.
WARD_DUE = datetime(2026, 3, 25, tzinfo=LOCAL_TZ)


def _row(pe, instance) -> Tracking:
    with pe.read() as s:
        return s.get(Tracking, instance.id)


def _counters(pe, instance) -> tuple[int, ...]:
    row = _row(pe, instance)
    return (row.n_children, row.n_accepted, row.n_submitted, row.n_approved, row.n_late)


def _statuses(pe, now, **filters) -> dict[str, int]:
    with pe.read() as s:
        if "unit" in filters:
            filters["unit"] = find_unit(s, filters["unit"])
        return {k: v for k, v in summarise(s, now, **filters).statuses.items() if v}


def _ward_with_schools(pe, clock):
    install(pe, guard=False)
    plan_id = setup_province(pe)
    dispatch(pe, plan_id)
    [ward] = instances(pe, unit_code="HP.X001", task_key="1")
    act(pe, ward, "tiep_nhan")
    act(pe, ward, "giao_cho_truong", {})
    schools = {i.unit_code.rsplit(".", 1)[1]: i for i in instances(pe, parent_id=ward.id)}
    return plan_id, ward, schools


def test_dispatch_creates_one_tracking_row_per_instance(pe, clock):
    install(pe, guard=False)
    plan_id = setup_province(pe)
    result = dispatch(pe, plan_id)
    with pe.read() as s:
        rows = s.scalars(select(Tracking)).all()
    assert len(rows) == result.created
    assert {(r.plan_id, r.phase, r.late) for r in rows} == {(plan_id, "new", False)}
    # A lead's children are its coordinators (workflows.cascade.coordination); nobody else has any yet.
    assert all(r.n_children == sum(1 for c in rows if c.parent_id == r.instance_id) for r in rows)
    assert all(r.unit_id is not None for r in rows)
    assert _statuses(pe, clock.now(), plan_id=plan_id) == {"chua_tiep_nhan": result.created}


def test_counters_and_statuses_follow_each_school(pe, clock):
    plan_id, ward, schools = _ward_with_schools(pe, clock)
    mn, th, thcs = schools["MN01"], schools["TH01"], schools["THCS01"]
    assert _counters(pe, ward) == (3, 0, 0, 0, 0)
    assert _row(pe, ward).phase == "working" and _row(pe, ward).accepted_at == clock.now()

    for school in (mn, th, thcs):
        act(pe, school, "tiep_nhan")
    assert _counters(pe, ward) == (3, 3, 0, 0, 0)

    # MN submits on 10 March, the ward returns it, MN resubmits on 20 March: approved, on time.
    clock.set(datetime(2026, 3, 10, 9, tzinfo=LOCAL_TZ))
    submit(pe, mn, "Lần 1")
    assert (_row(pe, mn).phase, _counters(pe, ward)) == ("submitted", (3, 3, 1, 0, 0))
    assert _statuses(pe, clock.now(), unit="HP.X001.MN01") == {"cho_duyet": 1}
    act(pe, mn, "tham_dinh_bao_cao", {"quyet_dinh": "tra_lai", "y_kien": "Thiếu số liệu"})
    assert (_row(pe, mn).phase, _row(pe, mn).returns, _counters(pe, ward)) == ("returned", 1, (3, 3, 0, 0, 0))
    assert _statuses(pe, clock.now(), unit="HP.X001.MN01") == {"bi_tra_lai": 1}
    clock.set(datetime(2026, 3, 20, 9, tzinfo=LOCAL_TZ))
    act(pe, mn, "thuc_hien", {"bao_cao": {"ket_qua": "Lần 2"}})
    assert _row(pe, mn).phase == "returned"  # still returned until it goes back to the ward
    act(pe, mn, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})
    resubmitted = clock.now()
    clock.set(datetime(2026, 3, 21, 9, tzinfo=LOCAL_TZ))
    act(pe, mn, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    row = _row(pe, mn)
    assert (row.phase, row.completed_at, row.late) == ("approved", resubmitted, False)
    assert _counters(pe, ward) == (3, 3, 1, 1, 0)

    # TH asks for more time; the ward grants 10 April. The first deadline is kept.
    act(pe, th, "thuc_hien", {"de_nghi_gia_han": True, "han_de_nghi": "2026-04-10", "ly_do_gia_han": "Chờ số liệu"})
    act(pe, th, "xem_xet_gia_han", {"quyet_dinh": "gia_han", "han_moi": "2026-04-10"})
    row = _row(pe, th)
    assert (row.original_due_at, row.due_at, row.extensions) == (WARD_DUE, datetime(2026, 4, 10, 23, 59, 59, tzinfo=LOCAL_TZ), 1)

    # 25 March: THCS's deadline timer fires; it becomes late (and so does the ward's own count).
    clock.set(WARD_DUE)
    fire_due_timers(pe, clock.now(), limit=100)
    assert (_row(pe, thcs).late, _row(pe, th).late) == (True, False)
    assert _counters(pe, ward) == (3, 3, 1, 1, 1)
    assert _statuses(pe, clock.now(), unit="HP.X001", task_key="1") == {
        "dang_thuc_hien_trong_han": 1, "dang_thuc_hien_qua_han": 2, "hoan_thanh_dung_han": 1,
    }  # fmt: skip

    # THCS finally submits on 3 April: completed late. TH submits on 5 April, within its extension.
    clock.set(datetime(2026, 4, 3, 9, tzinfo=LOCAL_TZ))
    submit(pe, thcs)
    act(pe, thcs, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    clock.set(datetime(2026, 4, 5, 9, tzinfo=LOCAL_TZ))
    submit(pe, th)
    act(pe, th, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    assert _counters(pe, ward) == (3, 3, 3, 3, 1)
    with pe.read() as s:
        school_level = summarise(s, clock.now(), plan_id=plan_id, unit=find_unit(s, "HP.X001"), task_key="1")
    # The ward itself is still working past its deadline; its schools: 2 on time, 1 late.
    assert {k: v for k, v in school_level.statuses.items() if v} == {
        "dang_thuc_hien_qua_han": 1, "hoan_thanh_dung_han": 2, "hoan_thanh_qua_han": 1,
    }  # fmt: skip
    assert (school_level.on_time, school_level.counted, float(school_level.on_time_rate)) == (2, 4, 0.5)


def test_never_accepted_work_is_marked_late_by_the_sweep(pe, clock):
    plan_id, ward, schools = _ward_with_schools(pe, clock)
    clock.set(datetime(2026, 4, 2, tzinfo=LOCAL_TZ))
    with pe.unit_of_work("worker") as uow:
        marked = mark_overdue(uow)
    # Task 1's Q1 instances are past due and not accepted (every phòng, institution, ward X002, 3 schools) — and X001.
    with pe.read() as s:
        late = s.scalars(select(Tracking).where(Tracking.late.is_(True))).all()
        open_q1 = s.scalars(select(Tracking).where(Tracking.period == "2026-Q1", Tracking.due_at <= clock.now())).all()
    assert marked == len(late) == len(open_q1) > 3
    assert _counters(pe, ward) == (3, 0, 0, 0, 3)
    with pe.unit_of_work("worker") as uow:
        assert mark_overdue(uow) == 0  # idempotent
    for school in schools.values():
        act(pe, school, "tiep_nhan")  # accepting late keeps it late
    assert _counters(pe, ward) == (3, 3, 0, 0, 3)


def test_the_overdue_sweep_finds_its_rows_by_an_index(pe, clock):
    """The worker runs it at every sweep: it must not read the whole table each time."""
    _ward_with_schools(pe, clock)
    clock.set(datetime(2026, 4, 2, tzinfo=LOCAL_TZ))

    def sweep() -> None:
        with pe.unit_of_work("worker") as uow:
            assert mark_overdue(uow) > 3

    sent = statements_of(pe.db, sweep)
    assert any("FROM tracking" in statement for statement, _ in sent)
    assert not full_scans(pe.db, sent)


def test_rolled_up_per_unit_under_the_so(pe, clock):
    plan_id, ward, schools = _ward_with_schools(pe, clock)
    for school in schools.values():
        act(pe, school, "tiep_nhan")
    with pe.read() as s:
        so = find_unit(s, "HP")
        per_unit = by_child_unit(s, clock.now(), so, plan_id=plan_id, period="2026-Q1")
        whole = summarise(s, clock.now(), plan_id=plan_id, period="2026-Q1")
    x1, x2 = per_unit["HP.X001"], per_unit["HP.X002"]
    assert x1.total == x2.total + 3 and x1.statuses["dang_thuc_hien_trong_han"] == 4  # its instance of task 1 and 3 schools
    assert x2.statuses["chua_tiep_nhan"] == x2.total == x1.statuses["chua_tiep_nhan"] + 1
    assert sum(v.total for v in per_unit.values()) == whole.total
