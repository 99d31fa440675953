"""Setting policies per province, process and plan: validated, audited, merged per setting."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from engine import AuditEvent, BadData
from tests.workflows.escalation.world import at, notices, province, run
from workflows.escalation.models import EscalationPolicy, EscalationRun
from workflows.escalation.policy import DEFAULT, Policy, policy_for, set_policy
from workflows.escalation.run import RunResult

MN_CV = "hp_x001_mn01_cv"


def _set(pe, scope_kind, scope_key, settings, actor="hp_vp_qt"):
    with pe.unit_of_work(actor) as uow:
        return set_policy(uow, scope_kind, scope_key, settings)


def _policy(pe, plan_id, process_key):
    with pe.read() as s:
        return policy_for(s, root_code="HP", plan_id=plan_id, process_key=process_key)


def test_plan_over_process_over_province_per_setting(pe, clock):
    cast = province(pe)
    plan_id, mn = cast["plan_id"], cast["schools"]["HP.X001.MN01"]
    assert _policy(pe, plan_id, mn.process_key) == DEFAULT
    _set(pe, "province", "HP", {"escalate_after": 3, "remind_before": [2]})
    _set(pe, "process", mn.process_key, {"on_the_day": False})
    _set(pe, "plan", plan_id, {"remind_before": [5]})
    assert _policy(pe, plan_id, mn.process_key) == Policy(remind_before=(5,), on_the_day=False, escalate_after=3)
    assert _policy(pe, None, "phoi_hop") == Policy(remind_before=(2,), escalate_after=3)
    assert _policy(pe, plan_id + 1, "phoi_hop") == Policy(remind_before=(2,), escalate_after=3)

    run(pe, clock, at(3, 24))  # 5 working days before Tuesday 31/03
    run(pe, clock, at(3, 26))
    run(pe, clock, at(3, 31))
    assert notices(pe, instance_id=mn.id) == {("nhac_truoc_5", MN_CV)}


def test_setting_again_replaces_and_is_audited_with_old_and_new(pe, clock):
    cast = province(pe)
    _set(pe, "plan", cast["plan_id"], {"remind_before": [5, 1]})
    row = _set(pe, "plan", str(cast["plan_id"]), {"overdue_notice": False})
    assert (row.scope_key, row.settings, row.updated_by) == (str(cast["plan_id"]), {"overdue_notice": False}, "hp_vp_qt")
    with pe.read() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.event == "escalation_policy_set").order_by(AuditEvent.id)).all()
        assert s.scalar(select(func.count()).select_from(EscalationPolicy)) == 1
    assert [(e.subject, e.data) for e in events] == [
        (f"plan:{cast['plan_id']}", {"old": None, "new": {"remind_before": [5, 1]}}),
        (f"plan:{cast['plan_id']}", {"old": {"remind_before": [5, 1]}, "new": {"overdue_notice": False}}),
    ]


@pytest.mark.parametrize(
    ("scope_kind", "scope_key", "settings", "problems"),
    [
        ("plan", "999", {"remind_before": [0]}, ["không có kế hoạch 999 / no plan 999", "remind_before: danh sách"]),
        ("city", "HP", {}, ["phạm vi phải là province, process, plan"]),
        ("province", "HP.X001", {}, ["không có Sở nào mã \"HP.X001\""]),
        ("process", "khong_co", {}, ["chưa triển khai quy trình \"khong_co\""]),
        ("province", "HP", {"office_unit": "XX.VP"}, ["office_unit: không có đơn vị \"XX.VP\" trong tỉnh HP"]),
        ("province", "HP", {"digest_hour": 24, "weekly_list_weekday": "Monday"}, ["digest_hour: giờ từ 0 đến 23", "weekly_list_weekday: 0 (thứ Hai)"]),
        ("process", "phoi_hop", {"office_unit": "HP.VP"}, ["office_unit: chỉ đặt cho cả tỉnh"]),
        ("province", "HP", ["remind_before"], ["thiết lập phải là một đối tượng JSON"]),
    ],
)
def test_refused_settings_say_every_problem_and_change_nothing(pe, clock, scope_kind, scope_key, settings, problems):
    province(pe)
    with pytest.raises(BadData) as caught:
        _set(pe, scope_kind, scope_key, settings)
    for problem in problems:
        assert problem in str(caught.value)
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(EscalationPolicy)) == 0
        assert s.scalar(select(func.count()).where(AuditEvent.event == "escalation_policy_set")) == 0


def test_the_province_chooses_its_hour_and_its_office(pe, clock):
    province(pe)
    _set(pe, "province", "HP", {"digest_hour": 0, "office_unit": "HP.TTRA", "escalate_after": None})
    # 00:30 on Monday 6 April in Hà Nội is still Sunday in UTC: the run is the 6th's.
    result = run(pe, clock, at(4, 6, 0, 30))
    assert result.skipped_provinces == ()
    with pe.read() as s:
        assert s.scalars(select(EscalationRun.day)).all() == [date(2026, 4, 6)]
    weekly = {user for kind, user in notices(pe, date(2026, 4, 6)) if kind == "danh_sach_tuan"}
    assert weekly == {"hp_ttra_ld", "hp_ttra_cv"}
    assert run(pe, clock, at(4, 6, 23, 59)) == RunResult(skipped_provinces=("HP",))
