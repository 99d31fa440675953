"""A step's own deadline rule (``gv:deadline``, the designer's) decides its task row's due date when
the step opens, on the province's business calendar, never past the instance's deadline; on both
databases, with the frozen clock (T0 = Monday 02/03/2026 08:00 in Hà Nội)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from engine import (
    ChildSpec,
    DeployError,
    HumanTask,
    Instance,
    ProcessDefinition,
    ProcessEngine,
    StartInstance,
    deploy,
    start_instance,
    start_instances,
    validate_bpmn,
)
from tests.engine.bpmn_samples import LIBRARY
from workflows.calendar.days import declare_day
from workflows.hooks import install
from workflows.org.commands import AddUnit, add_unit
from workflows.org.models import OrgUnit
from workflows.timeframes import LOCAL_TZ


def _local(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=LOCAL_TZ)


def _with_rule(rule: str) -> bytes:
    """The library's giao_nhiem_vu with ``rule`` (a gv:deadline) on its first step, tiep_nhan."""
    text = (LIBRARY / "giao_nhiem_vu.bpmn").read_text()
    old = '<gv:field name="han_phoi_hop" type="datetime" label="Hạn cho các đơn vị phối hợp (không bắt buộc)"/>\n        </gv:form>'
    assert text.count(old) == 1
    return text.replace(old, f"{old}\n        {rule}").encode()


def _first_step(pe: ProcessEngine, rule: str, *, due_at: datetime | None = None, unit: str = "HP") -> HumanTask:
    with pe.unit_of_work("admin") as uow:
        deploy(uow, _with_rule(rule))
        instance = start_instance(uow, StartInstance("giao_nhiem_vu", {"don_vi_giao": "HP"}, unit_code=unit, due_at=due_at))
    with pe.read() as session:
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).one()


@pytest.fixture
def province(pe: ProcessEngine) -> ProcessEngine:
    install(pe, guard=False)
    with pe.unit_of_work("admin") as uow:
        add_unit(uow, AddUnit("HP", "Sở Giáo dục và Đào tạo Hải Phòng", "so"))
    return pe


def test_n_working_days_count_from_the_day_the_step_opens(province: ProcessEngine) -> None:
    # Mon 02/03 opens; 5 working days: 03, 04, 05, 06, 09/03; late from 00:00 on 10/03.
    row = _first_step(province, '<gv:deadline workingDays="5"/>')
    assert row.due_at == _local(2026, 3, 10)


def test_the_provinces_declared_days_off_count(province: ProcessEngine) -> None:
    with province.unit_of_work("admin") as uow:
        hp = uow.session.scalars(select(OrgUnit).where(OrgUnit.code == "HP")).one()
        declare_day(uow, hp.id, date(2026, 3, 4), "day_off", "Nghỉ theo quyết định của tỉnh")
    row = _first_step(province, '<gv:deadline workingDays="5"/>')
    assert row.due_at == _local(2026, 3, 11)  # one working day fewer in the week: one day later


def test_a_unit_outside_the_tree_counts_on_the_national_calendar(province: ProcessEngine) -> None:
    # 30/04 and 01/05 are holidays: opened Tue 28/04 with 3 working days → 29/04, 04/05, 05/05.
    province.clock.set(datetime(2026, 4, 28, 8, 0, tzinfo=LOCAL_TZ))  # type: ignore[attr-defined]
    row = _first_step(province, '<gv:deadline workingDays="3"/>', unit="KHONG_CO")
    assert row.due_at == _local(2026, 5, 6)


def test_a_timeframe_resolves_as_dispatch_resolves_it(province: ProcessEngine) -> None:
    row = _first_step(province, '<gv:deadline timeframe="Quý I"/>')
    assert row.due_at == _local(2026, 4, 1)


def test_the_step_is_never_due_after_the_instance(province: ProcessEngine) -> None:
    row = _first_step(province, '<gv:deadline workingDays="20"/>', due_at=_local(2026, 3, 7))
    assert row.due_at == _local(2026, 3, 7)
    # and a rule earlier than the instance's deadline wins over it
    row = _first_step(province, '<gv:deadline workingDays="2"/>', due_at=_local(2026, 3, 31))
    assert row.due_at == _local(2026, 3, 5)


def test_without_a_rule_the_step_keeps_the_instances_deadline(province: ProcessEngine) -> None:
    with province.unit_of_work("admin") as uow:
        deploy(uow, (LIBRARY / "giao_nhiem_vu.bpmn").read_bytes())
        instance = start_instance(uow, StartInstance("giao_nhiem_vu", {"don_vi_giao": "HP"}, unit_code="HP", due_at=_local(2026, 3, 31)))
    with province.read() as session:
        assert session.scalars(select(HumanTask.due_at).where(HumanTask.instance_id == instance.id)).one() == _local(2026, 3, 31)


def test_a_bulk_start_applies_the_rule_to_every_child(province: ProcessEngine) -> None:
    with province.unit_of_work("admin") as uow:
        deploy(uow, _with_rule('<gv:deadline workingDays="5"/>'))
        started = start_instances(uow, "giao_nhiem_vu", [ChildSpec("HP", business_key="a"), ChildSpec("HP", business_key="b", due_at=_local(2026, 3, 6))],
                                  data={"don_vi_giao": "HP"})  # fmt: skip
    with province.read() as session:
        dues = dict(session.execute(select(Instance.business_key, HumanTask.due_at).join(Instance, Instance.id == HumanTask.instance_id)).all())
    assert len(started.instance_ids) == 2 and dues == {"a": _local(2026, 3, 10), "b": _local(2026, 3, 6)}


def test_a_steps_escalation_is_a_warning_on_its_element_never_a_refusal(province: ProcessEngine) -> None:
    """Urging follows the policy set in /admin (per province, process, plan), not a step's own
    gv:escalation: the designer's check says so on the element, and the model still deploys."""
    with province.unit_of_work("admin") as uow:
        checked = validate_bpmn(uow, _with_rule('<gv:escalation remindBefore="3,1" escalateAfter="2"/>'))
        plain = validate_bpmn(uow, _with_rule('<gv:deadline workingDays="5"/>'))
    assert checked.ok and checked.keys == ("giao_nhiem_vu",)
    assert [(w.code, w.element_id) for w in checked.warnings] == [("gv_escalation_not_applied", "tiep_nhan")]
    assert "chính sách đôn đốc đặt trong trang Quản trị" in checked.warnings[0].message()
    assert plain.ok and plain.warnings == ()


def test_a_timeframe_the_domain_cannot_read_is_refused_at_deploy_on_its_step(province: ProcessEngine) -> None:
    """Rather than a step silently left with no deadline of its own."""
    with pytest.raises(DeployError) as refused, province.unit_of_work("admin") as uow:
        deploy(uow, _with_rule('<gv:deadline timeframe="khi nào xong thì nộp"/>'))
    [problem] = refused.value.problems
    assert (problem.code, problem.element_id) == ("step_deadline_timeframe_refused", "tiep_nhan")
    assert problem.message().startswith("Hạn xử lý của bước không đọc được: ")
    with province.read() as session:
        assert session.scalars(select(ProcessDefinition)).all() == []
