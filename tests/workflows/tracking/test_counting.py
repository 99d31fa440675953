"""Official counting by hand: four buckets, stages, both rates and the views, on both databases.

The world: the demo plan dispatched on 02/03/2026. Its lead obligations for Quý I/2026 (due
01/04/2026 00:00) are six: tasks 1, 3, 4, 5 (Văn phòng) and 23, 24 (Kế hoạch - Tài chính). On
05/04/2026 09:00:

======  ===========================================================  ============================
task    what happened                                                bucket / stage
======  ===========================================================  ============================
1       submitted 20/03, approved 25/03                              hoàn thành đúng hạn
3       submitted 28/03, returned 30/03, not resubmitted             chưa hoàn thành quá hạn / bị trả lại
4       submitted 31/03, still waiting for review                    chưa hoàn thành trong hạn / chờ duyệt
5       extension asked 25/03, granted 28/03 to 10/04; working       chưa hoàn thành trong hạn / đang thực hiện
23      never accepted                                               chưa hoàn thành quá hạn / chưa tiếp nhận
24      extension asked 31/03, granted 02/04 (after the deadline)    hoàn thành quá hạn (the grant
        to 20/04; submitted and approved 04/04                       does not erase 01/04-02/04)
======  ===========================================================  ============================

Completed 2 (1 on time), open overdue 2: tỷ lệ hoàn thành 2/4 = 50.00 %, tỷ lệ đúng hạn 1/4 =
25.00 %. Task 4's wait after the deadline is the reviewer's: 1.

Coordinators of task 1 (eleven phòng and institutions): HP.GDTRH accepted, drafted and its
leader approved on 20/03; the other ten never accepted. Coordinator view of task 1 on 05/04:
1 on time, 10 overdue not accepted: both rates 1/11 = 9.09 %. None of it enters the lead figures.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from engine import Instance, fire_due_timers
from tests.test_cli import run
from tests.workflows.cascade.province import act, dispatch, setup_province, submit
from workflows.hooks import install
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.follow import mark_overdue
from workflows.tracking.models import Tracking
from workflows.tracking.status import StatusSummary, by_role, summarise

Q1_DUE = datetime(2026, 4, 1, tzinfo=LOCAL_TZ)
ON = datetime(2026, 4, 5, 9, tzinfo=LOCAL_TZ)


def at(clock, month: int, day: int, hour: int = 9) -> None:
    clock.set(datetime(2026, month, day, hour, tzinfo=LOCAL_TZ))


def _obligations(pe, role: str, task_key: str | None = None) -> dict[str, Instance]:
    """Instances of Quý I/2026 in ``role``, keyed by task (lead) or unit code (other roles)."""
    with pe.read() as s:
        query = select(Instance).join(Tracking, Tracking.instance_id == Instance.id).where(Tracking.role == role, Tracking.period == "2026-Q1")
        if task_key is not None:
            query = query.where(Tracking.task_key == task_key)
        found = s.scalars(query).all()
    return {(i.task_key if role == "lead" else i.unit_code): i for i in found}


def _nonzero(summary: StatusSummary) -> dict[str, dict[str, int]]:
    return {bucket: {stage: n for stage, n in stages.items() if n} for bucket, stages in summary.stages.items() if any(stages.values())}


def _quarter(pe, clock) -> int:
    install(pe, guard=False)  # the harness drives the steps as "tester"; the guard is tested in tests/workflows/actions
    plan_id = setup_province(pe)
    dispatch(pe, plan_id)
    lead = _obligations(pe, "lead")
    assert sorted(lead, key=int) == ["1", "3", "4", "5", "23", "24"]
    coordinators = _obligations(pe, "coordinator", "1")
    assert len(coordinators) == 11
    for key in ("1", "3", "4", "5", "24"):
        act(pe, lead[key], "tiep_nhan")
    act(pe, coordinators["HP.GDTRH"], "tiep_nhan")

    at(clock, 3, 20)
    submit(pe, lead["1"], "Xong quý I")
    act(pe, coordinators["HP.GDTRH"], "thuc_hien", {"noi_dung_phoi_hop": "Số liệu phối hợp"})
    act(pe, coordinators["HP.GDTRH"], "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})
    at(clock, 3, 25)
    act(pe, lead["1"], "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    act(pe, lead["5"], "thuc_hien", {"de_nghi_gia_han": True, "han_de_nghi": "2026-04-10", "ly_do_gia_han": "Chờ số liệu"})
    at(clock, 3, 28)
    act(pe, lead["5"], "xem_xet_gia_han", {"quyet_dinh": "gia_han", "han_moi": "2026-04-10"})
    submit(pe, lead["3"], "Lần 1")
    at(clock, 3, 30)
    act(pe, lead["3"], "tham_dinh_bao_cao", {"quyet_dinh": "tra_lai", "y_kien": "Thiếu số liệu"})
    at(clock, 3, 31)
    submit(pe, lead["4"], "Đúng hạn")
    act(pe, lead["24"], "thuc_hien", {"de_nghi_gia_han": True, "han_de_nghi": "2026-04-20", "ly_do_gia_han": "Chờ số liệu"})

    clock.set(Q1_DUE)
    fire_due_timers(pe, clock.now(), limit=1_000)
    at(clock, 4, 2)
    act(pe, lead["24"], "xem_xet_gia_han", {"quyet_dinh": "gia_han", "han_moi": "2026-04-20"})
    at(clock, 4, 4)
    submit(pe, lead["24"], "Sau gia hạn")
    act(pe, lead["24"], "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    return plan_id


def test_lead_figures_by_hand(pe, clock):
    plan_id = _quarter(pe, clock)
    with pe.read() as s:
        lead = summarise(s, ON, plan_id=plan_id, period="2026-Q1", role="lead")
    assert lead.buckets == {
        "hoan_thanh_dung_han": 1, "hoan_thanh_qua_han": 1, "chua_hoan_thanh_trong_han": 2, "chua_hoan_thanh_qua_han": 2,
    }  # fmt: skip
    assert _nonzero(lead) == {
        "hoan_thanh_dung_han": {"hoan_thanh": 1},
        "hoan_thanh_qua_han": {"hoan_thanh": 1},
        "chua_hoan_thanh_trong_han": {"cho_duyet": 1, "dang_thuc_hien": 1},
        "chua_hoan_thanh_qua_han": {"bi_tra_lai": 1, "chua_tiep_nhan": 1},
    }
    assert (lead.total, lead.completed, lead.on_time, lead.counted) == (6, 2, 1, 4)
    assert (lead.completion_rate, lead.on_time_rate) == (Decimal("0.5000"), Decimal("0.2500"))
    assert lead.reviewer_waiting_past_due == 1
    assert {k: v for k, v in lead.statuses.items() if v} == {
        "chua_tiep_nhan": 1, "dang_thuc_hien_trong_han": 1, "cho_duyet": 1, "bi_tra_lai": 1,
        "hoan_thanh_dung_han": 1, "hoan_thanh_qua_han": 1,
    }  # fmt: skip
    json = lead.as_json()
    assert (json["completion_rate"], json["on_time_rate"], json["reviewer"]) == (0.5, 0.25, {"waiting": 1, "waiting_past_due": 1})


def test_a_late_grant_keeps_the_lateness_and_the_first_deadline(pe, clock):
    _quarter(pe, clock)
    lead = _obligations(pe, "lead")
    late, early = lead["24"], lead["5"]
    with pe.unit_of_work("worker") as uow:
        mark_overdue(uow, ON)
    with pe.read() as s:
        # Late by the events and the sweep: the returned and the never-accepted work; not task 4,
        # submitted on time and waiting for review; not task 5, within its extension.
        assert {key for key, i in lead.items() if s.get(Tracking, i.id).late} == {"3", "23", "24"}
        row, row5 = s.get(Tracking, late.id), s.get(Tracking, early.id)
        assert (row.original_due_at, row.late_since, row.extensions, row.late) == (Q1_DUE, Q1_DUE, 1, True)
        assert row.due_at > ON and row.completed_at == datetime(2026, 4, 4, 9, tzinfo=LOCAL_TZ)
        # Granted before the deadline: on time against the new one, the first one kept.
        assert (row5.original_due_at, row5.late_since, row5.late) == (Q1_DUE, None, False)


def test_coordinators_are_their_own_view(pe, clock):
    plan_id = _quarter(pe, clock)
    with pe.read() as s:
        coordinators = summarise(s, ON, plan_id=plan_id, task_key="1", role="coordinator")
        lead = summarise(s, ON, plan_id=plan_id, task_key="1", role="lead")
        views = by_role(s, ON, plan_id=plan_id, period="2026-Q1")
        everything = summarise(s, ON, plan_id=plan_id, period="2026-Q1")
    assert coordinators.buckets == {
        "hoan_thanh_dung_han": 1, "hoan_thanh_qua_han": 0, "chua_hoan_thanh_trong_han": 0, "chua_hoan_thanh_qua_han": 10,
    }  # fmt: skip
    assert _nonzero(coordinators) == {"hoan_thanh_dung_han": {"hoan_thanh": 1}, "chua_hoan_thanh_qua_han": {"chua_tiep_nhan": 10}}
    assert (coordinators.completion_rate, coordinators.on_time_rate) == (Decimal("0.0909"), Decimal("0.0909"))
    # Task 1's headline is its lead's alone: one obligation, done on time.
    assert (lead.total, lead.buckets["hoan_thanh_dung_han"], lead.on_time_rate) == (1, 1, Decimal("1.0000"))
    assert views["lead"].total == 6 and list(views) == ["lead", "coordinator", "ward", "school"]
    assert sum(v.total for v in views.values()) == everything.total > 6


def test_the_government_rates_of_report_1270():
    """1270/BC-TCTTTg: 16,051 completed (14,068 on time + 1,983 late), 5,863 not completed
    (5,640 in time + 223 overdue): 16,051 / (16,051 + 223) = 0.986297… shown 98.62 % (cut, not
    rounded, as the report does); 14,068 / 16,274 = 86.44 %."""
    summary = StatusSummary()
    summary.add("hoan_thanh_dung_han", "approved", True, 14_068)
    summary.add("hoan_thanh_qua_han", "approved", True, 1_983)
    summary.add("chua_hoan_thanh_trong_han", "working", False, 5_640)
    summary.add("chua_hoan_thanh_qua_han", "working", True, 223)
    assert (summary.completed, summary.counted) == (16_051, 16_274)
    assert (summary.completion_rate, summary.on_time_rate) == (Decimal("0.9862"), Decimal("0.8644"))


def test_status_cli_gives_the_lead_headline_and_each_view_apart(pe, clock, db_url):
    plan_id = _quarter(pe, clock)
    args = ("status", "--plan", str(plan_id), "--period", "2026-Q1", "--now", ON.isoformat())
    out = json.loads(run(db_url, *args, "--json").stdout)
    assert (out["view"], out["total"], out["buckets"], out["completion_rate"], out["on_time_rate"]) == (
        "lead", 6, {"hoan_thanh_dung_han": 1, "hoan_thanh_qua_han": 1, "chua_hoan_thanh_trong_han": 2, "chua_hoan_thanh_qua_han": 2}, 0.5, 0.25,
    )  # fmt: skip
    assert {"plan_id", "plan", "unit", "period", "now", "statuses", "on_time", "counted", "by_period", "by_unit"} <= set(out)
    assert out["stages"]["chua_hoan_thanh_qua_han"] == {"chua_tiep_nhan": 1, "dang_thuc_hien": 0, "cho_duyet": 0, "bi_tra_lai": 1}
    assert out["views"]["lead"]["buckets"] == out["buckets"] and out["by_period"]["2026-Q1"]["total"] == 6
    coordinators = json.loads(run(db_url, *args, "--view", "coordinator", "--json").stdout)
    assert (coordinators["view"], coordinators["views"]["lead"]["total"]) == ("coordinator", 6)
    assert coordinators["total"] == out["views"]["coordinator"]["total"] > 11  # task 1's eleven and task 3's

    text = run(db_url, *args).stdout
    assert "Phần việc: Đơn vị chủ trì" in text and "Tỷ lệ hoàn thành: 50.00% (2/4)" in text
    assert "Tỷ lệ hoàn thành đúng hạn: 25.00% (1/4)" in text and "đang chờ bên giao duyệt sau hạn: 1" in text
    english = run(db_url, "--lang", "en", *args).stdout
    assert "Completion rate: 50.00% (2/4)" in english and "On-time rate: 25.00% (1/4)" in english
