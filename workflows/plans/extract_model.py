"""What extraction returns: the plan's tables as written, before any unit or date is resolved."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """A section row of a table: "I" + "Quản trị, điều hành và hoàn thiện thể chế…"."""

    code: str
    title: str


@dataclass(frozen=True)
class RawTask:
    """One row of a task table (with any continuation rows merged in), text as written."""

    stt: str
    section: str | None
    content: str
    deliverable: str | None
    lead: str | None
    coordinators: str | None
    timeframe: str | None
    authority: str | None
    source_row: int
    sheet: str
    # Columns the header names but no task field reads ("Ghi chú", "Kinh phí"), label -> text.
    extras: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RawIndicator:
    """One row of an indicator table; ``targets`` maps a year or milestone label to the text."""

    stt: str
    section: str | None
    name: str
    unit: str | None
    targets: dict[str, str]
    monitoring_unit: str | None
    reporting_units: str | None
    source_row: int
    sheet: str
    extras: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExtractedPlan:
    """Everything read from one file; either all of it is here or ``PlanFileRefused`` was raised.

    ``sections`` are the task tables' sections (what ``RawTask.section`` refers to);
    ``indicator_sections`` those of the indicator tables, whose codes may repeat "I", "II"….
    ``missing_columns`` names the expected task columns ("deliverable", "lead", "coordinators",
    "timeframe") that some task table lacks. ``notes`` keeps notes, footers and signature rows
    as text; ``preamble`` the title rows above each table ("PHỤ LỤC 2", "DANH MỤC…").
    """

    sections: list[Section]
    tasks: list[RawTask]
    indicators: list[RawIndicator]
    missing_columns: list[str]
    notes: list[str]
    sheets_used: list[str]
    indicator_sections: list[Section] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    # "xlsx", or the text encoding a CSV was read in: "utf-8-sig", "utf-8", "cp1258".
    encoding: str = "xlsx"
