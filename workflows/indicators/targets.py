"""Indicator targets as written in plans, and whether reported figures meet them.

"100%", "≥95%", ">95%", "≥300", "80%" are numeric (a bare figure means "at least");
"Duy trì", "Tăng", "Thí điểm", "Duy trì, nâng cao", "-" are not: they are kept as written and
evaluate to ``no_numeric_target``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum


class Evaluation(StrEnum):
    MET = "met"  # đạt
    NOT_MET = "not_met"  # chưa đạt
    NO_NUMERIC_TARGET = "no_numeric_target"  # chỉ tiêu định tính
    NO_DATA = "no_data"  # chưa có số liệu


@dataclass(frozen=True)
class Target:
    text: str
    comparator: str | None  # ">=", ">", "<=", "<", "=" or None
    value: Decimal | None
    measure: str  # "percent", "count", "qualitative", "none"


_WORDS = (
    ("tối thiểu", ">="), ("ít nhất", ">="), ("không dưới", ">="), ("từ", ">="), ("trên", ">"),
    ("tối đa", "<="), ("không quá", "<="), ("dưới", "<"),
)  # fmt: skip
_SYMBOLS = (("≥", ">="), (">=", ">="), ("=>", ">="), ("≤", "<="), ("<=", "<="), (">", ">"), ("<", "<"), ("=", "="))
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(%)?(.*)$")


def parse_target(text: str | None) -> Target:
    written = unicodedata.normalize("NFC", (text or "").strip())
    rest = " ".join(written.split())
    comparator = None
    lowered = rest.casefold()
    for word, op in _WORDS:
        if lowered.startswith(word + " "):
            comparator, rest = op, rest[len(word) :].strip()
            break
    for symbol, op in _SYMBOLS:
        if comparator is None and rest.startswith(symbol):
            comparator, rest = op, rest[len(symbol) :].strip()
            break
    match = _NUMBER.match(rest)
    if not match:
        return Target(written, None, None, "qualitative" if written.strip("-– ") else "none")
    try:
        value = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        return Target(written, None, None, "qualitative")
    measure = "percent" if match.group(2) else "count"
    return Target(written, comparator or ">=", value, measure)


def rate(numerator: Decimal, denominator: Decimal | None, measure: str) -> Decimal | None:
    """The figure to compare: a percentage for percent targets, the count otherwise."""
    if measure != "percent":
        return numerator
    if not denominator:
        return None
    return numerator * 100 / denominator


def evaluate(target: Target, numerator: Decimal | None, denominator: Decimal | None) -> Evaluation:
    if target.value is None or target.comparator is None:
        return Evaluation.NO_NUMERIC_TARGET
    if numerator is None:
        return Evaluation.NO_DATA
    actual = rate(numerator, denominator, target.measure)
    if actual is None:
        return Evaluation.NO_DATA
    ok = {
        ">=": actual >= target.value, ">": actual > target.value, "<=": actual <= target.value,
        "<": actual < target.value, "=": actual == target.value,
    }[target.comparator]  # fmt: skip
    return Evaluation.MET if ok else Evaluation.NOT_MET
