"""What changed between two versions of a report: the texts word by word, the figures, the files.

A reviewer reading "Phiên bản 3" after returning version 2 wants to see what the unit changed,
not re-read both. The texts are compared on words (``difflib.SequenceMatcher`` over words and
the spaces between them, so that a changed figure inside a sentence shows as that figure, and
line breaks stay where they were); figures by indicator; files by content (sha256), so a file
sent again under another name is neither added nor removed.

The result is plain data (strings and tuples): the page escapes every piece of it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflows.reports.inputs import TEXT_FIELDS
from workflows.reports.models import Report

_TOKENS = re.compile(r"\s+|[^\s]+")
EQUAL, INSERT, DELETE = "equal", "insert", "delete"


@dataclass(frozen=True)
class TextChange:
    field: str  # ket_qua, kho_khan, kien_nghi
    segments: tuple[tuple[str, str], ...]  # (equal | insert | delete, text)


@dataclass(frozen=True)
class FigureChange:
    key: str  # the indicator's code, or "#id"
    before: str | None  # "12/40", "7" or None (not reported)
    after: str | None


@dataclass(frozen=True)
class VersionDiff:
    """Version ``older`` → ``newer``; empty lists when nothing of that kind changed."""

    older: int
    newer: int
    texts: list[TextChange] = field(default_factory=list)
    figures: list[FigureChange] = field(default_factory=list)
    added_files: list[str] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.texts or self.figures or self.added_files or self.removed_files)


def word_diff(before: str, after: str) -> tuple[tuple[str, str], ...]:
    """``after`` against ``before`` as segments; neighbouring segments of one kind are merged."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    segments: list[tuple[str, str]] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if segments and segments[-1][0] == op:
            segments[-1] = (op, segments[-1][1] + text)
        else:
            segments.append((op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            add(EQUAL, "".join(old[i1:i2]))
        else:  # replace = delete then insert: the reader sees what went and what came
            add(DELETE, "".join(old[i1:i2]))
            add(INSERT, "".join(new[j1:j2]))
    return tuple(segments)


def diff_versions(older: Report, newer: Report) -> VersionDiff:
    texts = [TextChange(name, word_diff(getattr(older, name), getattr(newer, name)))
             for name, _ in TEXT_FIELDS if getattr(older, name) != getattr(newer, name)]  # fmt: skip
    before, after = _figures(older.figures), _figures(newer.figures)
    figures = [FigureChange(key, before.get(key), after.get(key))
               for key in sorted(before.keys() | after.keys(), key=_natural) if before.get(key) != after.get(key)]  # fmt: skip
    old_files = {a.sha256: a.filename for a in older.attachments}
    new_files = {a.sha256: a.filename for a in newer.attachments}
    return VersionDiff(
        older.version, newer.version, texts, figures,
        added_files=[name for sha, name in new_files.items() if sha not in old_files],
        removed_files=[name for sha, name in old_files.items() if sha not in new_files],
    )  # fmt: skip


def figure_key(figure: Mapping[str, Any]) -> str:
    """How a reported figure names its indicator: its code (STT) or, without one, its id."""
    return str(figure.get("code") or f"#{figure.get('indicator_id')}")


def figure_text(figure: Mapping[str, Any]) -> str:
    """"12/40" for a ratio, "7" for a count."""
    denominator = figure.get("denominator")
    return f"{figure['numerator']}/{denominator}" if denominator is not None else str(figure["numerator"])


def _figures(figures: list[dict[str, Any]]) -> dict[str, str]:
    return {figure_key(f): figure_text(f) for f in figures}


def _natural(key: str) -> list[Any]:
    """"2" before "10", "II.3" after "II.2"."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", key) if part]
