"""End to end: the Hải Phòng 2026 appendix (seed 001, Phụ lục 2) dispatched to the demo province,
task 1 (quarterly report, Q1 due 1 April) followed from the Sở to the schools and back, with a
controlled clock, on SQLite and PostgreSQL. At every step the statuses, counters and on-time
rates are compared with a hand count.

Cast (task 1, Q1): Văn phòng leads (giao_nhiem_vu from the Sở); 8 other phòng and 3 institutions
coordinate (phoi_hop); communes X001 and X002 coordinate through xa_phuong_trien_khai, X001 hands
it to its 3 schools (MN01, TH01, THCS01).
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from engine import AuditEvent, Forbidden, fire_due_timers
from tests.workflows.cascade.province import (
    act,
    dispatch,
    instances,
    open_task,
    setup_province,
    submit,
)
from workflows.cascade.signoff import sign_off
from workflows.hooks import install
from workflows.indicators.figures import roll_up
from workflows.indicators.models import Indicator
from workflows.org.commands import delegate
from workflows.org.queries import find_unit
from workflows.reports.consolidate import plan_summary
from workflows.reports.export import plan_summary_xlsx
from workflows.reports.versions import history, latest
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking
from workflows.tracking.status import by_child_unit, summarise

VN = LOCAL_TZ
Q1_DUE = datetime(2026, 4, 1, tzinfo=VN)


def at(clock, month, day, hour=9):
    clock.set(datetime(2026, month, day, hour, tzinfo=VN))


def statuses(pe, clock, **filters):
    with pe.read() as s:
        if "unit" in filters:
            filters["unit"] = find_unit(s, filters["unit"])
        summary = summarise(s, clock.now(), task_key="1", **filters)
    return {k: v for k, v in summary.statuses.items() if v}, summary


def counters(pe, instance):
    with pe.read() as s:
        row = s.get(Tracking, instance.id)
        return (row.n_children, row.n_accepted, row.n_submitted, row.n_approved, row.n_late)


def report(ket_qua, indicator, numerator, denominator):
    return {"bao_cao": {"ket_qua": ket_qua, "kho_khan": "", "kien_nghi": "",
                        "chi_so": [{"ma": indicator.stt, "tu_so": str(numerator), "mau_so": str(denominator)}]}}  # fmt: skip


def school_round(pe, school, form, *, ward_officer="hp_x001_cv", ward_leader="hp_x001_ld"):
    """A school drafts and its leader approves; the commune reviews, approves, its leader signs off."""
    act(pe, school, "thuc_hien", form, actor=school.unit_code.lower().replace(".", "_") + "_cv")
    act(pe, school, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"}, actor=school.unit_code.lower().replace(".", "_") + "_ld")
    act(pe, school, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y", "y_kien": "Đạt"}, actor=ward_officer)
    sign_off(pe, open_task(pe, school).id, ward_leader)


@pytest.mark.slow
def test_task_1_from_the_so_to_the_schools_and_back(pe, clock):
    install(pe, guard=False)  # the harness acts as "tester" and as leaders at officers’ steps
    plan_id = setup_province(pe)
    # Coordinators here keep the lead's deadline (no working days between them), as the hand count
    # below was made; their earlier default deadline is tests/workflows/cascade/test_coordination.py's.
    result = dispatch(pe, plan_id, coordinator_days=0)
    with pe.read() as s:
        rate = s.scalars(select(Indicator).where(Indicator.plan_id == plan_id, Indicator.unit_of_measure == "%").order_by(Indicator.position)).first()
        assert rate is not None

    # Dispatch: every unit gets exactly its instances of task 1, Q1 (hand count in the docstring).
    q1 = instances(pe, task_key="1")
    assert Counter(i.process_key for i in q1) == {"giao_nhiem_vu": 1, "phoi_hop": 11, "xa_phuong_trien_khai": 2}
    assert {i.unit_code for i in q1 if i.process_key == "giao_nhiem_vu"} == {"HP.VP"}
    assert {i.unit_code for i in q1 if i.process_key == "xa_phuong_trien_khai"} == {"HP.X001", "HP.X002"}
    assert {i.period for i in q1} == {"2026-Q1"} and {i.due_at for i in q1} == {Q1_DUE}
    assert statuses(pe, clock)[0] == {"chua_tiep_nhan": 14}
    with pe.read() as s:
        assert len(s.scalars(select(Tracking)).all()) == result.created

    [vp] = [i for i in q1 if i.unit_code == "HP.VP"]
    [ward] = [i for i in q1 if i.unit_code == "HP.X001"]

    # The commune accepts and hands the task to its three schools, which accept.
    act(pe, ward, "tiep_nhan", actor="hp_x001_cv")
    act(pe, ward, "giao_cho_truong", {"noi_dung_giao": "Báo cáo quý I"}, actor="hp_x001_ld")
    schools = {i.unit_code.rsplit(".", 1)[1]: i for i in instances(pe, parent_id=ward.id)}
    assert sorted(schools) == ["MN01", "TH01", "THCS01"] and counters(pe, ward) == (3, 0, 0, 0, 0)
    for school in schools.values():
        act(pe, school, "tiep_nhan")
    assert counters(pe, ward) == (3, 3, 0, 0, 0)
    assert statuses(pe, clock)[0] == {"chua_tiep_nhan": 13, "dang_thuc_hien_trong_han": 1 + 3}

    # 10 March: TH01 reports 12/40, the commune approves, its leader signs off. 12 March: MN01, 7/35.
    at(clock, 3, 10)
    school_round(pe, schools["TH01"], report("Đã tổ chức chuyên đề", rate, 12, 40))
    at(clock, 3, 12)
    school_round(pe, schools["MN01"], report("Hoàn thành kế hoạch", rate, 7, 35))
    assert counters(pe, ward) == (3, 3, 2, 2, 0)
    assert statuses(pe, clock, unit="HP.X001")[0] == {"dang_thuc_hien_trong_han": 2, "hoan_thanh_dung_han": 2}

    # Văn phòng accepts, asks for more time; the Sở grants 10 April (the first deadline is kept).
    act(pe, vp, "tiep_nhan", actor="hp_vp_cv")
    act(pe, vp, "thuc_hien", {"de_nghi_gia_han": True, "han_de_nghi": "2026-04-10", "ly_do_gia_han": "Chờ số liệu các xã"}, actor="hp_vp_cv")
    act(pe, vp, "xem_xet_gia_han", {"quyet_dinh": "gia_han", "han_moi": "2026-04-10", "y_kien": "Đồng ý"}, actor="hp_cv")
    with pe.read() as s:
        row = s.get(Tracking, vp.id)
        assert (row.original_due_at, row.due_at) == (Q1_DUE, datetime(2026, 4, 10, 23, 59, 59, tzinfo=VN))

    # 1 April: the deadline passes. THCS01 has not reported: late. The commune is late too.
    clock.set(Q1_DUE)
    fire_due_timers(pe, clock.now(), limit=1_000)
    assert counters(pe, ward) == (3, 3, 2, 2, 1)
    assert statuses(pe, clock)[0] == {
        "chua_tiep_nhan": 12, "dang_thuc_hien_trong_han": 1, "dang_thuc_hien_qua_han": 2, "hoan_thanh_dung_han": 2,
    }  # fmt: skip

    # 2 April: the commune consolidates what it has (THCS01 missing); Văn phòng returns it once.
    at(clock, 4, 2)
    act(pe, ward, "theo_doi_cac_truong", {}, actor="hp_x001_cv")
    act(pe, ward, "tong_hop_bao_cao", {}, actor="hp_x001_cv")
    with pe.read() as s:
        draft = latest(s, ward.id)
        assert [(f["numerator"], f["denominator"]) for f in draft.figures] == [("19", "75")]
        assert draft.ket_qua.count("\n") == 1 and "Đã tổ chức chuyên đề" in draft.ket_qua
    act(pe, ward, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"}, actor="hp_x001_ld")
    assert statuses(pe, clock, unit="HP.X001")[0]["cho_duyet"] == 1
    act(pe, ward, "tham_dinh_bao_cao", {"quyet_dinh": "tra_lai", "y_kien": "Thiếu số liệu trường THCS"}, actor="hp_vp_cv")
    assert statuses(pe, clock, unit="HP.X001")[0]["bi_tra_lai"] == 1

    # 3 April: THCS01 reports, late (0/25); the commune consolidates again; Văn phòng approves.
    at(clock, 4, 3)
    school_round(pe, schools["THCS01"], report("Chưa triển khai được", rate, 0, 25))
    assert counters(pe, ward) == (3, 3, 3, 3, 1)
    act(pe, ward, "tong_hop_bao_cao", {}, actor="hp_x001_cv")
    act(pe, ward, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"}, actor="hp_x001_ld")
    act(pe, ward, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y", "y_kien": "Đạt"}, actor="hp_vp_cv")
    with pe.read() as s:
        versions = history(s, ward.id)
        assert [(r.version, r.status) for r in versions] == [(1, "returned"), (2, "approved")]
        assert versions[0].review_note == "Thiếu số liệu trường THCS"
        assert [(f["numerator"], f["denominator"]) for f in versions[1].figures] == [("19", "100")]
        # The schools' approved figures roll up exactly: 19/100, never an average of percentages.
        rolled = roll_up(s, rate.id, find_unit(s, "HP.X001"), "2026-Q1")
        assert (rolled.numerator, rolled.denominator, rolled.units) == (Decimal(19), Decimal(100), 3)

    # 5 April: Văn phòng reports within its extension; the Sở approves; a delegate signs off.
    at(clock, 4, 5)
    with pe.unit_of_work("hp_ld") as uow:
        delegate(uow, "hp_ld", "hp_vp_ld", date(2026, 4, 4), date(2026, 4, 8), "Giám đốc đi công tác")
    submit(pe, vp, "Đã tổng hợp báo cáo quý I của toàn ngành")
    act(pe, vp, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y", "y_kien": "Đạt"}, actor="hp_cv")
    sign_task = open_task(pe, vp)
    with pytest.raises(Forbidden):
        sign_off(pe, sign_task.id, "hp_gdtrh_ld")  # a leader of another unit, without delegation
    done = sign_off(pe, sign_task.id, "hp_vp_ld")
    assert done.status == "completed"
    with pe.read() as s:
        [signed] = s.scalars(select(AuditEvent).where(AuditEvent.event == "report_signed", AuditEvent.instance_id == vp.id)).all()
        approved = latest(s, vp.id)
        assert (signed.actor, signed.on_behalf_of) == ("hp_vp_ld", "hp_ld")
        assert (signed.data["hash"], signed.data["version"]) == (approved.content_hash, approved.version)
        assert s.get(Tracking, vp.id).signed_at == clock.now()

    # The final hand count for task 1, Q1 (17 instances).
    final, summary = statuses(pe, clock)
    assert final == {"chua_tiep_nhan": 12, "hoan_thanh_dung_han": 3, "hoan_thanh_qua_han": 2}
    assert (summary.total, summary.on_time, summary.counted, summary.on_time_rate) == (17, 3, 17, Decimal("0.1764"))  # 3/17 = 0.17647…, cut as the government does
    with pe.read() as s:
        per_unit = by_child_unit(s, clock.now(), find_unit(s, "HP"), plan_id=plan_id, period="2026-Q1")
        x001 = summarise(s, clock.now(), unit=find_unit(s, "HP.X001"), task_key="1")
        assert (x001.on_time, x001.counted, x001.on_time_rate) == (2, 4, Decimal("0.5000"))
        assert per_unit["HP.VP"].statuses["hoan_thanh_dung_han"] >= 1

        # The Sở's consolidated report of the plan for Q1, exported to XLSX.
        book = openpyxl.load_workbook(io.BytesIO(plan_summary_xlsx(plan_summary(s, plan_id, "2026-Q1"))))
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows(min_row=2)]
    assert any(r and "Đã tổng hợp báo cáo quý I của toàn ngành" in [str(v) for v in r] for r in rows)
