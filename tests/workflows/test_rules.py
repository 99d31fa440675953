from __future__ import annotations

from decimal import Decimal

import pytest

from workflows.indicators.targets import Evaluation, evaluate, parse_target
from workflows.plans.rules import RULES, TaskFacts, check

CLEAR = TaskFacts("Tổ chức tập huấn kỹ năng số cho giáo viên", "Báo cáo kết quả", 1, 0, (), None, "Lãnh đạo Sở", 2)


def test_a_clear_task_passes_all_six():
    assert check(CLEAR).clear


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"lead_units": 0}, "rõ người"),
        ({"lead_units": 2}, "rõ người"),
        ({"lead_units": 0, "lead_groups": 1}, "rõ người"),
        ({"content": "  "}, "rõ việc"),
        ({"timeframe_error": "không hiểu 'sớm'"}, "rõ thời gian"),
        ({"unknown_names": ("Sở KH&CN",)}, "rõ trách nhiệm"),
        ({"deliverable": None}, "rõ sản phẩm"),
        ({"deliverable": " "}, "rõ sản phẩm"),
        ({"authority": None}, "rõ thẩm quyền"),
    ],
)
def test_each_rule_fails_alone_with_a_vietnamese_message(change, rule):
    from dataclasses import replace

    result = check(replace(CLEAR, **change))
    assert [f.rule for f in result.findings] == [rule]
    assert rule in RULES and result.findings[0].message


@pytest.mark.parametrize(
    ("text", "comparator", "value", "measure"),
    [
        ("100%", ">=", "100", "percent"),
        ("≥95%", ">=", "95", "percent"),
        (">95%", ">", "95", "percent"),
        ("≥ 95,5 %", ">=", "95.5", "percent"),
        ("≥300", ">=", "300", "count"),
        ("≥300 cơ sở", ">=", "300", "count"),
        ("Tối thiểu 80%", ">=", "80", "percent"),
        ("dưới 5%", "<", "5", "percent"),
        ("Duy trì", None, None, "qualitative"),
        ("Tăng", None, None, "qualitative"),
        ("Thí điểm", None, None, "qualitative"),
        ("Duy trì, nâng cao", None, None, "qualitative"),
        ("-", None, None, "none"),
        ("", None, None, "none"),
    ],
)
def test_targets_as_written(text, comparator, value, measure):
    target = parse_target(text)
    assert (target.comparator, target.value, target.measure) == (comparator, Decimal(value) if value else None, measure)
    assert target.text == text.strip()


def test_evaluation_is_exact_on_fractions_not_averages():
    ninety_five = parse_target("≥95%")
    assert evaluate(ninety_five, Decimal(19), Decimal(20)) is Evaluation.MET
    assert evaluate(ninety_five, Decimal(189), Decimal(200)) is Evaluation.NOT_MET  # 94.5%
    assert evaluate(parse_target(">95%"), Decimal(19), Decimal(20)) is Evaluation.NOT_MET
    assert evaluate(parse_target("≥300"), Decimal(300), None) is Evaluation.MET
    assert evaluate(parse_target("Duy trì"), Decimal(1), Decimal(1)) is Evaluation.NO_NUMERIC_TARGET
    assert evaluate(ninety_five, None, None) is Evaluation.NO_DATA
    assert evaluate(ninety_five, Decimal(0), Decimal(0)) is Evaluation.NO_DATA
