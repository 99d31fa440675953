from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import Forbidden
from tests.workflows.plans.sample_files import formal_xlsx, no_deliverable_xlsx, two_sheets_xlsx
from workflows.indicators.models import Indicator, IndicatorTarget
from workflows.org.commands import add_aliases, unit_by_code, user_by_name
from workflows.org.demo import DemoShape, build_demo_province
from workflows.plans.extract import extract_plan
from workflows.plans.importing import (
    PlanHeader,
    dispatchable,
    preview,
    recheck_plan,
    record_exception,
    store_plan,
)
from workflows.plans.models import Plan, PlanTask

SHAPE = DemoShape(communes=2, preschools=1, primary=1, lower_secondary=1, primary_lower=0, upper_secondary=2, multi_level=0, centres=1)


@pytest.fixture
def so(pe):
    with pe.unit_of_work("admin") as uow:
        return build_demo_province(uow, SHAPE)


def _preview(pe, so, data, name="phu_luc.xlsx"):
    with pe.read() as s:
        return preview(s, so, extract_plan(data, name), 2026, default_authority="Lãnh đạo Sở")


def test_the_hai_phong_appendix_resolves_with_its_two_unknown_bodies(pe, so):
    result = _preview(pe, so, formal_xlsx())
    assert len(result.tasks) == 30 and [s["code"] for s in result.sections] == ["I", "II", "III", "IV", "V", "VI", "VII"]
    assert result.unknown_units == ["Đơn vị CNTT", "Sở KH&CN"]
    unclear = {t.stt: [p.rule for p in t.problems] for t in result.tasks if t.problems}
    assert unclear == {"6": ["rõ trách nhiệm"], "9": ["rõ trách nhiệm"], "26": ["rõ trách nhiệm"], "29": ["rõ trách nhiệm"]}
    task7 = next(t for t in result.tasks if t.stt == "7")
    assert task7.display_lead == "Văn phòng Sở"
    assert task7.display_coordinators == ["Phòng Giáo dục Mầm non - Giáo dục Tiểu học", "Phòng Giáo dục Trung học",
                                          "Phòng Quản lý chất lượng", "Các cơ sở giáo dục"]  # fmt: skip
    assert task7.schedule["kind"] == "continuous"
    q2 = next(t for t in result.tasks if t.stt == "11")
    assert q2.schedule["periods"][0]["due"] == "2026-07-01T00:00:00+07:00"
    json_shape = result.as_json()["tasks"][0]
    assert set(json_shape) >= {"stt", "section", "content", "deliverable", "lead", "coordinators", "timeframe", "problems"}


def test_a_file_without_deliverables_imports_with_every_task_flagged(pe, so):
    result = _preview(pe, so, no_deliverable_xlsx())
    assert result.missing_columns == ["deliverable"]
    assert all("rõ sản phẩm" in [p.rule for p in t.problems] for t in result.tasks) and len(result.tasks) == 30


def test_store_map_recheck_and_exception(pe, so):
    result = _preview(pe, so, two_sheets_xlsx())
    with pe.unit_of_work("admin") as uow:
        plan = store_plan(uow, so, PlanHeader("Kế hoạch chuyển đổi số năm 2026", 2026, number="637/KH-SGDĐT",
                                              default_authority="Lãnh đạo Sở"), result)  # fmt: skip
    with pe.read() as s:
        assert s.scalar(select(func.count()).where(PlanTask.plan_id == plan.id)) == 30
        assert s.scalar(select(func.count()).where(Indicator.plan_id == plan.id)) == 22
        targets = {t.text: (t.comparator, t.measure) for t in s.scalars(select(IndicatorTarget))}
    assert targets["≥95%"] == (">=", "percent") and targets["≥300"] == (">=", "count")

    with pe.unit_of_work("admin") as uow:  # the clerk maps one unknown name and rechecks
        add_aliases(uow, unit_by_code(uow, "HP.VP"), ["Đơn vị CNTT"])
        still_unclear = recheck_plan(uow, uow.session.get(Plan, plan.id))
    assert still_unclear == 1  # task 9 still names Sở KH&CN

    with pe.read() as s:
        task9 = s.scalars(select(PlanTask).where(PlanTask.plan_id == plan.id, PlanTask.stt == "9")).one()
    assert not dispatchable(task9)
    with pytest.raises(Forbidden), pe.unit_of_work("admin") as uow:
        record_exception(uow, uow.session.get(PlanTask, task9.id), "Sở KH&CN phối hợp theo quy chế riêng", user_by_name(uow, "hp_cv"))
    with pe.unit_of_work("admin") as uow:
        record_exception(uow, uow.session.get(PlanTask, task9.id), "Sở KH&CN phối hợp theo quy chế riêng", user_by_name(uow, "hp_ld"))
    with pe.read() as s:
        task9 = s.get(PlanTask, task9.id)
    assert dispatchable(task9) and task9.exception_by == "hp_ld"
