from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from engine import BadData
from workflows.indicators.figures import evaluate_unit, report_figure, roll_up
from workflows.indicators.models import Indicator, IndicatorTarget
from workflows.indicators.targets import Evaluation
from workflows.org.demo import DemoShape, build_demo_province
from workflows.org.models import OrgUnit
from workflows.plans.models import Plan


@pytest.fixture
def lms_indicator(pe):
    """Indicator 18 of the Hải Phòng plan: "Cơ sở giáo dục triển khai hệ thống LMS", ≥95% in 2026."""
    with pe.unit_of_work("admin") as uow:
        so = build_demo_province(uow, DemoShape(communes=2, preschools=1, primary=1, lower_secondary=1, primary_lower=0,
                                                upper_secondary=1, multi_level=0, centres=0))  # fmt: skip
        plan = Plan(root_id=so.id, issuer_unit_id=so.id, title="Kế hoạch chuyển đổi số 2026", year=2026,
                    created_at=uow.now, created_by="admin")  # fmt: skip
        uow.session.add(plan)
        uow.session.flush()
        indicator = Indicator(plan_id=plan.id, position=18, stt="18", name="Cơ sở giáo dục triển khai hệ thống LMS", unit_of_measure="%")
        uow.session.add(indicator)
        uow.session.flush()
        uow.session.add(IndicatorTarget(indicator_id=indicator.id, period="2026", text="≥95%", comparator=">=", value=Decimal(95), measure="percent"))
    return indicator.id


def _unit(pe, code):
    with pe.read() as s:
        return s.scalars(select(OrgUnit).where(OrgUnit.code == code)).one()


def test_roll_up_sums_fractions_exactly_up_the_tree(pe, lms_indicator):
    # Ward 1's three schools report classes using LMS: 10/10, 9/10 and 1/2 (50%).
    figures = {"HP.X001.MN01": (10, 10), "HP.X001.TH01": (9, 10), "HP.X001.THCS01": (1, 2), "HP.THPT001": (40, 40)}
    with pe.unit_of_work("officer") as uow:
        for code, (num, den) in figures.items():
            report_figure(uow, lms_indicator, _unit(pe, code).id, "2026", Decimal(num), Decimal(den))
    with pe.read() as s:
        ward = roll_up(s, lms_indicator, _unit(pe, "HP.X001"), "2026")
        province, verdict = evaluate_unit(s, lms_indicator, _unit(pe, "HP"), "2026")
        _, ward_verdict = evaluate_unit(s, lms_indicator, _unit(pe, "HP.X001"), "2026")
        _, empty = evaluate_unit(s, lms_indicator, _unit(pe, "HP.X002"), "2026")
    assert (ward.numerator, ward.denominator, ward.units) == (20, 22, 3)
    # 20/22 = 90.9% (the average of the percentages would say 83.3%): not met.
    assert ward_verdict is Evaluation.NOT_MET
    assert (province.numerator, province.denominator) == (60, 62) and verdict is Evaluation.MET  # 96.8%
    assert empty is Evaluation.NO_DATA


def test_a_correction_replaces_the_figure_and_bad_figures_are_refused(pe, lms_indicator):
    school = _unit(pe, "HP.X001.MN01")
    with pe.unit_of_work("officer") as uow:
        report_figure(uow, lms_indicator, school.id, "2026", Decimal(3), Decimal(10))
    with pe.unit_of_work("officer") as uow:
        report_figure(uow, lms_indicator, school.id, "2026", Decimal(10), Decimal(10))
    with pe.read() as s:
        assert roll_up(s, lms_indicator, school, "2026").numerator == 10
    for num, den in ((11, 10), (-1, 10), (1, 0)):
        with pytest.raises(BadData), pe.unit_of_work("officer") as uow:
            report_figure(uow, lms_indicator, school.id, "2026", Decimal(num), Decimal(den))
