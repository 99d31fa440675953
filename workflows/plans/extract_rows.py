"""Walk a sheet's rows under its header(s): sections, tasks or indicators, continuations, notes.

Row kinds, in the order they are tried:
- a header (possibly a repeated page header, skipped) — see ``extract_header``;
- a section row: a roman numeral or capital letter in the STT column, or one cell "II. …";
- an item row: a number (or "a)", "-"…) in the STT column;
- a footer: "Ghi chú", "Nơi nhận", "KT. GIÁM ĐỐC", a date line…; everything after it is notes;
- a continuation: no STT, right below an item (no blank row between) — its text is appended;
- anything else is free text, kept as a note (or as the preamble of the next table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from workflows.plans.extract_grid import Grid
from workflows.plans.extract_header import Header, detect_header
from workflows.plans.extract_model import RawIndicator, RawTask, Section
from workflows.plans.extract_text import fold, is_stt, join_text, section_code, section_line

_FOOTER_STARTS = (
    "ghi chu", "luu y", "chu thich", "chu y", "noi nhan", "nguoi lap", "nguoi ky", "nguoi duyet",
    "xac nhan", "da ky", "ky ten", "ky ghi ro", "ky va ghi ro",
)  # fmt: skip
# Signature titles, written in capitals: "KT. GIÁM ĐỐC", "TM. UBND", "PHÓ GIÁM ĐỐC".
_SIGNATURE_TITLES = ("kt ", "tm ", "tl ", "q ", "giam doc", "pho giam doc", "thu truong", "chu tich", "truong phong")
# "Hải Phòng, ngày 12 tháng 3 năm 2026" above a signature (not "(Kèm theo Kế hoạch … ngày …)").
_DATE_LINE = re.compile(r"[^\W\d_][^,()]{1,40},\s*ngày\s.*tháng\s.*năm\b", re.IGNORECASE)
_NUMBERED = re.compile(r"\d+(?:\.\d+)*\.?")


def is_footer(text: str) -> bool:
    """Whether a free-text row starts the notes/signature block under a table."""
    folded = fold(text)
    if text.lstrip().startswith(("*", "(*)")) or folded.startswith(_FOOTER_STARTS):
        return True
    if text == text.upper() and folded.startswith(_SIGNATURE_TITLES):
        return True
    return len(folded.split()) <= 15 and bool(_DATE_LINE.match(text.strip()))


@dataclass
class _Item:
    stt: str
    section: str | None
    source_row: int
    cells: dict[int, str]


@dataclass
class _State:
    section: Section | None = None
    last: _Item | Section | None = None
    gap: bool = False
    footer: bool = False
    bare_rows: list[int] = field(default_factory=list)


@dataclass
class SheetTables:
    """What one sheet holds, in row order."""

    sections: list[Section] = field(default_factory=list)
    indicator_sections: list[Section] = field(default_factory=list)
    tasks: list[RawTask] = field(default_factory=list)
    indicators: list[RawIndicator] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    headers: list[Header] = field(default_factory=list)


class _SheetReader:
    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.out = SheetTables()
        self.header: Header | None = None
        self.state = _State()
        self.items: list[_Item] = []
        self.pending: list[str] = []

    # -- the walk ---------------------------------------------------------------------------
    def read(self) -> SheetTables:
        r = 0
        while r < len(self.grid.rows):
            if r in self.grid.hidden_rows:  # as if absent: no gap, no row
                r += 1
                continue
            if self.grid.is_empty(r):
                self.state.gap = True
                r += 1
                continue
            found = detect_header(self.grid, r)
            if found is not None:
                if self.header is not None and self.header.same_table(found):
                    r = found.data_row  # a page header repeated mid-table
                    continue
                self._close_table()
                self.out.preamble += self.pending
                self.pending = []
                self.header, self.state = found, _State()
                self.out.headers.append(found)
                r = found.data_row
                continue
            if self.header is None:
                self.pending.append(self._row_text(r))
            else:
                self._read_row(r, self.header)
            r += 1
        self._close_table()
        self.out.notes += self.pending
        return self.out

    def _read_row(self, r: int, header: Header) -> None:
        grid = self.grid
        cells = {c: grid.data_text(r, c) for c in range(grid.width)}
        own = {c: text for c, (text, copied) in cells.items() if text and not copied}
        if not own:
            return
        stt_columns = header.columns("stt")
        stt = next((own[c] for c in stt_columns if c in own), "")
        first = next(iter(own.values()))
        single = len(own) == 1

        code = section_code(stt) if stt else None
        if code is not None and not self.state.footer:
            self._start_section(r, code, {c: t for c, t in own.items() if c not in stt_columns})
            return
        if stt and is_stt(stt) and (not self.state.footer or (_NUMBERED.fullmatch(stt) and not single)):
            rest = {c: text for c, (text, _) in cells.items() if text and c not in stt_columns}
            if not rest:
                self.state.bare_rows.append(r + 1)
                return
            self._start_item(r, stt, rest)
            return
        line = section_line(first) if single else None
        if line is not None and not self.state.footer:
            self._start_section(r, line[0], {-1: line[1]})
            return
        if self.state.footer or is_footer(first):
            self.state.footer = True
            self._flush_pending()
            self.out.notes.append(self._row_text(r))  # never the preamble of a next table
            return
        if stt:  # free text written in the STT column
            self.pending.append(self._row_text(r))
            return
        self._read_unnumbered(r, header, own, {c: t for c, (t, _) in cells.items() if t}, bool(stt_columns))

    def _read_unnumbered(
        self, r: int, header: Header, own: dict[int, str], values: dict[int, str], has_stt: bool
    ) -> None:
        """A row with no number: a continuation, an unnumbered item, a section title's tail, or a note."""
        state, last = self.state, self.state.last
        key_columns = set(header.columns("content" if header.kind == "tasks" else "name"))
        keyed, full = bool(set(own) & key_columns), bool(set(own) & key_columns) and bool(set(own) - key_columns)
        adjacent = last is not None and not state.gap
        numbered_above = isinstance(last, _Item) and bool(last.stt) and adjacent
        if len(own) == 1 and self.grid.covered_by_wider_merge(r, next(iter(own))):
            self.pending.append(self._row_text(r))  # a title or note spanning the table
        elif isinstance(last, Section) and adjacent and set(own) <= key_columns:
            state.last = self._retitle(last, join_text(last.title, " ".join(own.values())))
        elif keyed and (not has_stt or (full and not numbered_above)):
            self._start_item(r, "", values)  # a table without numbers, or an unnumbered row
        elif isinstance(last, _Item) and adjacent:
            for c, text in own.items():
                last.cells[c] = join_text(last.cells.get(c, ""), text)
        else:
            self.pending.append(self._row_text(r))

    # -- building ---------------------------------------------------------------------------
    def _start_section(self, r: int, code: str, texts: dict[int, str]) -> None:
        assert self.header is not None
        key_columns = self.header.columns("content" if self.header.kind == "tasks" else "name")
        title_column = next((c for c in key_columns if c in texts), next(iter(texts), None))
        title = texts.get(title_column, "") if title_column is not None else ""
        extra = [text for c, text in texts.items() if c != title_column]
        if extra:
            self.pending.append(f"Dòng {r + 1} (mục {code}): " + " | ".join(extra))
        self._flush_pending()
        section = Section(code, title)
        target = self.out.sections if self.header.kind == "tasks" else self.out.indicator_sections
        target.append(section)
        self.state.section = self.state.last = section
        self.state.gap = self.state.footer = False

    def _retitle(self, section: Section, title: str) -> Section:
        assert self.header is not None
        target = self.out.sections if self.header.kind == "tasks" else self.out.indicator_sections
        renamed = Section(section.code, title)
        index = max(i for i, s in enumerate(target) if s is section)
        target[index] = renamed
        self.state.section = renamed
        return renamed

    def _start_item(self, r: int, stt: str, cells: dict[int, str]) -> None:
        self._flush_pending()
        section = self.state.section.code if self.state.section else None
        item = _Item(stt, section, r + 1, dict(cells))
        self.items.append(item)
        self.state.last = item
        self.state.gap = self.state.footer = False

    def _flush_pending(self) -> None:
        self.out.notes += self.pending
        self.pending = []

    def _close_table(self) -> None:
        header = self.header
        if header is None:
            return
        for item in self.items:
            if header.kind == "tasks":
                self.out.tasks.append(self._task(header, item))
            else:
                self.out.indicators.append(self._indicator(header, item))
        if self.state.bare_rows:
            rows = self.state.bare_rows
            self.out.notes.append(
                f"Bỏ qua {len(rows)} dòng chỉ có số thứ tự, không có nội dung (dòng {rows[0]}–{rows[-1]})."
            )
        self.items = []

    def _text(self, header: Header, item: _Item, name: str) -> str | None:
        texts = [item.cells[c] for c in header.columns(name) if item.cells.get(c)]
        return "; ".join(texts) or None

    def _extras(self, header: Header, item: _Item) -> dict[str, str]:
        extras: dict[str, str] = {}
        for c, text in sorted(item.cells.items()):
            if c not in header.fields and text:
                label = header.labels[c] if c < len(header.labels) and header.labels[c] else ""
                extras[label or f"Cột {get_column_letter(c + 1)}"] = text
        return extras

    def _task(self, header: Header, item: _Item) -> RawTask:
        def text(name: str) -> str | None:
            return self._text(header, item, name)

        return RawTask(
            stt=item.stt, section=item.section, content=text("content") or "",
            deliverable=text("deliverable"), lead=text("lead"), coordinators=text("coordinators"),
            timeframe=text("timeframe"), authority=text("authority"), source_row=item.source_row,
            sheet=self.grid.name, extras=self._extras(header, item),
        )  # fmt: skip

    def _indicator(self, header: Header, item: _Item) -> RawIndicator:
        targets: dict[str, str] = {}
        for c in header.columns("target"):
            if item.cells.get(c):
                key = header.target_keys[c]
                targets[header.labels[c] if key in targets else key] = item.cells[c]
        return RawIndicator(
            stt=item.stt, section=item.section, name=self._text(header, item, "name") or "",
            unit=self._text(header, item, "unit"), targets=targets,
            monitoring_unit=self._text(header, item, "monitoring_unit"),
            reporting_units=self._text(header, item, "reporting_units"),
            source_row=item.source_row, sheet=self.grid.name, extras=self._extras(header, item),
        )  # fmt: skip

    def _row_text(self, r: int) -> str:
        return " | ".join(text for text in self.grid.rows[r] if text)


def read_sheet(grid: Grid) -> SheetTables:
    """Every table on ``grid``, read top to bottom."""
    return _SheetReader(grid).read()
