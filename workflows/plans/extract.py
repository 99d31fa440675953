"""Plan file bytes -> the appendix tables as written: sections, tasks, indicators, notes.

``extract_plan`` is pure: no database, no unit or date resolution (that is ``importing``'s
job). It returns everything or raises ``PlanFileRefused``; nothing is ever half-read. The file
kind is decided by content, not by name: an XLSX is a ZIP workbook, anything that decodes as
text is tried as CSV, and everything else is refused with a message saying what to do.
"""

from __future__ import annotations

from pathlib import PureWindowsPath

from workflows.plans.extract_csv import read_csv
from workflows.plans.extract_errors import Limits, PlanFileRefused, refuse
from workflows.plans.extract_grid import Grid
from workflows.plans.extract_model import ExtractedPlan, RawIndicator, RawTask, Section
from workflows.plans.extract_rows import read_sheet
from workflows.plans.extract_sniff import sniff
from workflows.plans.extract_xlsx import read_xlsx
from workflows.plans.extract_zip import scan_xlsx

__all__ = [
    "EXPECTED_TASK_COLUMNS", "ExtractedPlan", "Limits", "PlanFileRefused", "RawIndicator", "RawTask",
    "Section", "extract_plan",
]  # fmt: skip

# The task columns whose absence is reported (not fatal): "content" is what makes a task table.
EXPECTED_TASK_COLUMNS = ("deliverable", "lead", "coordinators", "timeframe")


def extract_plan(data: bytes, filename: str, limits: Limits | None = None) -> ExtractedPlan:
    """Read every task and indicator table in an XLSX or CSV plan file."""
    limits = limits or Limits()
    if sniff(data, limits) == "xlsx":
        grids, hidden = read_xlsx(data, scan_xlsx(data, limits), limits)
        encoding = "xlsx"
    else:
        # PureWindowsPath splits on "/" and on a backslash (browsers send C:\fakepath\x.csv).
        grid, encoding = read_csv(data, PureWindowsPath(filename or "plan.csv").name, limits)
        grids, hidden = [grid], []
    return _assemble(grids, hidden, encoding)


def skipped_notes(hidden_sheets: list[str], grids: list[Grid]) -> list[str]:
    """What a person is told about the sheets and rows hidden in Excel that were not read."""
    notes = [f"Bỏ qua trang tính ẩn “{name}”." for name in hidden_sheets]
    for grid in grids:
        if grid.hidden_rows:
            notes.append(f"Bỏ qua các dòng ẩn {_ranges(sorted(grid.hidden_rows))} của trang tính “{grid.name}”.")
    return notes


def _ranges(rows: list[int]) -> str:
    spans: list[list[int]] = []
    for r in rows:
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    return ", ".join(f"{a + 1}" if a == b else f"{a + 1}–{b + 1}" for a, b in spans)


def _assemble(grids: list[Grid], hidden: list[str], encoding: str) -> ExtractedPlan:
    sections: list[Section] = []
    indicator_sections: list[Section] = []
    tasks: list[RawTask] = []
    indicators: list[RawIndicator] = []
    notes: list[str] = []
    preamble: list[str] = []
    sheets_used: list[str] = []
    missing: list[str] = []
    for grid in grids:
        found = read_sheet(grid)
        if not found.headers:
            continue
        sheets_used.append(grid.name)
        sections += found.sections
        indicator_sections += found.indicator_sections
        tasks += found.tasks
        indicators += found.indicators
        notes += found.notes
        preamble += found.preamble
        for header in found.headers:
            if header.kind == "tasks":
                missing += [c for c in EXPECTED_TASK_COLUMNS if not header.has(c) and c not in missing]
    if not sheets_used:
        refuse("no_table")
    notes += skipped_notes(hidden, grids)
    return ExtractedPlan(
        sections=sections, tasks=tasks, indicators=indicators,
        missing_columns=[c for c in EXPECTED_TASK_COLUMNS if c in missing], notes=notes,
        sheets_used=sheets_used, indicator_sections=indicator_sections, preamble=preamble,
        encoding=encoding,
    )  # fmt: skip
