"""Find a table's header row(s) by the Vietnamese column names clerks use, and say what it is.

A header is one row of labels, optionally followed by sub-header rows (a merged "Đơn vị thực
hiện" over "Chủ trì" | "Phối hợp"; "Mức đạt" over "Năm 2025" | "Năm 2030") and a row of column
numbers "(1) (2) (3)". Matching is on ``fold``-ed words, so case and diacritics do not matter.
Whether a sheet holds tasks or indicators is decided here, from the header alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from workflows.plans.extract_grid import Grid
from workflows.plans.extract_text import clean_cell, fold, has_phrase, is_column_number, is_stt

Kind = Literal["tasks", "indicators"]

TASK_FIELDS = ("stt", "content", "deliverable", "lead", "coordinators", "timeframe", "authority")
INDICATOR_FIELDS = ("stt", "name", "unit", "target", "monitoring_unit", "reporting_units")

_MAX_LABEL_WORDS = 25
_MAX_SUB_LABEL_WORDS = 8
_MAX_SUB_HEADER_ROWS = 2
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# Words around a year that still make the column "the target for that year".
_TARGET_WORDS = frozenset({
    "muc", "dat", "nam", "chi", "tieu", "den", "ke", "hoach", "giai", "doan", "lo", "trinh",
    "theo", "moc", "du", "kien", "phan", "dau", "gia", "tri", "cuoi", "tu", "va",
})  # fmt: skip


def _is_stt_label(folded: str) -> bool:
    return folded in {"stt", "tt", "so tt", "so thu tu", "thu tu"} or folded.startswith(
        ("stt ", "tt ", "so tt ", "so thu tu ")
    )


def task_field(folded: str) -> str | None:
    """The task column a folded header label names, or None."""
    if _is_stt_label(folded):
        return "stt"
    if has_phrase(folded, "chu tri"):
        return "lead"
    if has_phrase(folded, "phoi hop"):
        return "coordinators"
    if has_phrase(folded, "tham quyen", "phe duyet", "cap duyet", "nguoi duyet"):
        return "authority"
    if has_phrase(folded, "san pham", "ket qua", "dau ra"):
        return "deliverable"
    if has_phrase(folded, "thoi gian", "thoi han", "tien do", "thoi diem", "hoan thanh", "lo trinh", "han"):
        return "timeframe"
    if has_phrase(folded, "nhiem vu", "noi dung", "cong viec", "hoat dong", "giai phap", "de an", "du an"):
        return "content"
    if has_phrase(folded, "don vi tinh", "dvt", "ghi chu"):
        return None
    if has_phrase(folded, "don vi", "co quan", "trach nhiem", "phan cong"):
        return "lead"
    return None


def indicator_field(folded: str) -> str | None:
    """The indicator column a folded header label names, or None."""
    if _is_stt_label(folded):
        return "stt"
    if has_phrase(folded, "theo doi", "giam sat", "chu tri"):
        return "monitoring_unit"
    if has_phrase(folded, "don vi", "co quan") and has_phrase(
        folded, "bao cao", "phoi hop", "thuc hien", "trien khai"
    ):
        return "reporting_units"
    if has_phrase(folded, "don vi tinh", "dvt", "don vi do"):
        return "unit"
    if _YEAR.search(folded):
        return "target"
    if has_phrase(folded, "chi tieu", "tieu chi", "chi so", "noi dung", "ten"):
        return "name"
    if has_phrase(folded, "muc dat", "muc tieu", "gia tri", "ke hoach"):
        return "target"
    return None


def target_key(label: str) -> str:
    """The key of a target column: "Mức đạt 2026" -> "2026", "Giai đoạn 2026-2030" -> "2026-2030".

    A label that says more than "the target for year N" ("Kết quả thực hiện 2025") keeps its text.
    """
    years = _YEAR.findall(label)
    rest = set(_YEAR.sub(" ", fold(label)).split())
    if years and len(years) <= 2 and rest <= _TARGET_WORDS:
        return "-".join(years)
    return label


@dataclass(frozen=True)
class Header:
    """A recognised table header: its kind, rows, and the field each column holds."""

    kind: Kind
    first_row: int
    data_row: int
    labels: tuple[str, ...]
    fields: dict[int, str] = field(default_factory=dict)
    target_keys: dict[int, str] = field(default_factory=dict)

    def columns(self, name: str) -> list[int]:
        return [c for c, f in sorted(self.fields.items()) if f == name]

    def has(self, name: str) -> bool:
        return name in self.fields.values()

    def same_table(self, other: Header) -> bool:
        """Whether ``other`` repeats this header (a page header copied in from a PDF)."""
        return self.kind == other.kind and self.fields == other.fields


@dataclass(frozen=True)
class _Match:
    kind: Kind
    fields: dict[int, str]
    score: int


# Each kind: how a label is read, the column it cannot do without, and one of which it needs too.
_KINDS: tuple[tuple[Kind, Callable[[str], str | None], str, frozenset[str]], ...] = (
    ("indicators", indicator_field, "name", frozenset({"unit", "target"})),
    ("tasks", task_field, "content", frozenset({"deliverable", "lead", "coordinators", "timeframe", "authority"})),
)


def _match(labels: list[str]) -> _Match | None:
    if any(label.count(" ") >= _MAX_LABEL_WORDS for label in labels):
        return None  # a sentence: data, not a header (and cheap to rule out before folding)
    folded = [fold(label) for label in labels]
    filled = [c for c, f in enumerate(folded) if f]
    if len({folded[c] for c in filled}) < 2:
        return None
    if any(len(folded[c].split()) > _MAX_LABEL_WORDS for c in filled):
        return None
    best: _Match | None = None
    for kind, classify, key, others in _KINDS:
        fields = {c: f for c in filled if (f := classify(folded[c])) is not None}
        found = set(fields.values())
        if key not in found or not found & others or 2 * len(fields) < len(filled):
            continue
        score = len(found - {"stt"})
        if best is None or score > best.score:
            best = _Match(kind, fields, score)
    return best


def _row_labels(grid: Grid, r: int) -> list[str]:
    return [grid.header_text(r, c) for c in range(grid.width)]


def _continued(grid: Grid, match: _Match, labels: list[str], r: int) -> tuple[list[str], _Match] | None:
    """The header extended by row ``r`` when ``r`` continues it, else None.

    Row ``r`` continues the header when it is a sub-header (each of its cells a column name on
    its own, one under a merged or empty group label: "Chủ trì" under "Đơn vị thực hiện") and
    the header reads no worse; or when it holds the wrapped tails of the labels above ("quả"
    under "Sản phẩm/Kết", "gian" under "Thời", as a PDF converter splits them) and the header
    then names more columns, or gives a target column its year ("2026" under "Mức đạt").
    """
    classify = task_field if match.kind == "tasks" else indicator_field
    own = {c: grid.own(r, c) for c in range(grid.width) if grid.own(r, c)}
    if not own or any(match.fields.get(c) == "stt" for c in own):
        return None
    folded = {c: fold(text) for c, text in own.items()}
    if any(len(f.split()) > _MAX_SUB_LABEL_WORDS for f in folded.values()):
        return None
    combined = list(labels)
    for c in range(grid.width):
        if grid.anchor_of(r, c) != grid.anchor_of(r - 1, c):
            combined[c] = clean_cell(f"{labels[c]} {grid.header_text(r, c)}")
    better = _match(combined)
    if better is None or better.kind != match.kind:
        return None
    named = all(classify(f) is not None for f in folded.values())
    under_group = any(not labels[c] or grid.span_width(*grid.anchor_of(r - 1, c)) > 1 for c in own)
    years_under_targets = better.fields == match.fields and all(
        match.fields.get(c) == "target" and _YEAR.search(f) for c, f in folded.items()
    )  # "Mức đạt" / "2026"
    if (named and under_group and better.score >= match.score) or better.score > match.score or years_under_targets:
        return combined, better
    return None


def _is_column_number_row(grid: Grid, r: int) -> bool:
    cells = [text for text in grid.rows[r] if text]
    return len(cells) >= 2 and all(is_column_number(text) for text in cells)


def detect_header(grid: Grid, r: int) -> Header | None:
    """The header starting at row ``r``, or None if row ``r`` is not a header row."""
    labels = _row_labels(grid, r)
    first = next((text for text in labels if text), "")
    if not first or is_stt(first):
        return None
    match = _match(labels)
    if match is None:
        return None
    end = r + 1
    while end < len(grid.rows) and end - r <= _MAX_SUB_HEADER_ROWS:
        continued = _continued(grid, match, labels, end)
        if continued is None:
            break
        (labels, match), end = continued, end + 1
    if end < len(grid.rows) and _is_column_number_row(grid, end):
        end += 1
    fields = dict(match.fields)
    key = min(c for c, f in fields.items() if f in ("content", "name"))
    if "stt" not in fields.values() and key > 0 and not labels[key - 1] and key - 1 not in fields:
        fields[key - 1] = "stt"  # an unlabelled column just before the content: the numbers
    keys = {c: target_key(labels[c]) for c, f in fields.items() if f == "target"}
    return Header(match.kind, r, end, tuple(labels), fields, keys)
