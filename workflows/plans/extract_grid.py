"""A sheet as cleaned text cells plus its merged ranges: what the table reader works on.

Rows and columns are 0-based here; ``source_row`` is the 1-based row a person sees in Excel
(for CSV, the record number).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# (first_row, first_col, last_row, last_col), 0-based and inclusive.
Span = tuple[int, int, int, int]


@dataclass
class Grid:
    """One sheet: ``rows[r][c]`` is the cleaned text ('' when empty) of the cell a person typed."""

    name: str
    rows: list[list[str]]
    merges: list[Span] = field(default_factory=list)
    # Rows hidden in Excel (0-based): not read, as hidden sheets are not, and reported.
    hidden_rows: frozenset[int] = frozenset()
    _anchor: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict, repr=False)
    _span: dict[tuple[int, int], Span] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        width = max((len(row) for row in self.rows), default=0)
        for row in self.rows:
            row.extend([""] * (width - len(row)))
        for span in self.merges:
            r0, c0, r1, c1 = span
            self._span[r0, c0] = span
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0):
                        self._anchor[r, c] = (r0, c0)

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    def anchor_of(self, r: int, c: int) -> tuple[int, int]:
        """The top-left cell of the merge covering ``(r, c)``, or ``(r, c)`` itself."""
        return self._anchor.get((r, c), (r, c))

    def own(self, r: int, c: int) -> str:
        """The text stored in this very cell ('' for the hidden part of a merge)."""
        return self.rows[r][c] if c < len(self.rows[r]) else ""

    def header_text(self, r: int, c: int) -> str:
        """The text a person sees here, a merge's text filling every cell it covers."""
        r0, c0 = self._anchor.get((r, c), (r, c))
        return self.own(r0, c0)

    def data_text(self, r: int, c: int) -> tuple[str, bool]:
        """``(text, copied)``: a vertical merge's text fills the cells below it (``copied``)."""
        anchor = self._anchor.get((r, c))
        if anchor is not None and anchor[1] == c and anchor[0] < r:
            return self.own(*anchor), True
        return self.own(r, c), False

    def span_width(self, r: int, c: int) -> int:
        """How many columns the merge anchored at ``(r, c)`` covers (1 if none)."""
        span = self._span.get((r, c))
        return 1 if span is None else span[3] - span[1] + 1

    def covered_by_wider_merge(self, r: int, c: int) -> bool:
        """Whether ``(r, c)`` is inside a merge wider than one column, anchored elsewhere or here."""
        r0, c0 = self._anchor.get((r, c), (r, c))
        return self.span_width(r0, c0) > 1

    def is_empty(self, r: int) -> bool:
        return not any(self.rows[r])
