"""From the words clerks write ("Phòng GDTrH; UBND các xã, phường; Sở KH&CN") to units.

A cell names units by code, full name or alias, and groups by expressions resolved against the
tree. Cells are split on ";" first, then on "," and "và" — but commas also occur inside names
("Phòng GDTX, GDNN&ĐH", "UBND các xã, phường"), so the pieces are re-joined by a small dynamic
programme that maximises how many pieces match a known name. What matches nothing is returned
as unknown, never dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.org.kinds import DIRECTLY_UNDER_DEPARTMENT, EDUCATION_INSTITUTIONS, UnitKind
from workflows.org.models import OrgUnit, UnitAlias

_PUNCTUATION = re.compile(r"[-–—,.;:()/\\\"'’“”*+_]+")


def name_key(text: str) -> str:
    """How names are compared: case, diacritics, punctuation and spacing do not matter."""
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").casefold()
    return " ".join(_PUNCTUATION.sub(" ", text).split())


@dataclass(frozen=True)
class Group:
    """A group expression: every active unit of these kinds under the province's Sở."""

    code: str
    label: str
    kinds: frozenset[UnitKind]
    exclude_name_prefixes: tuple[str, ...] = ()


_DIVISIONS = frozenset({UnitKind.DIVISION})
_COMMUNES = frozenset({UnitKind.COMMUNE})
_LOWER = frozenset({UnitKind.PRESCHOOL, UnitKind.PRIMARY, UnitKind.LOWER_SECONDARY, UnitKind.PRIMARY_LOWER})
_GENERAL = frozenset({UnitKind.PRIMARY, UnitKind.LOWER_SECONDARY, UnitKind.PRIMARY_LOWER, UnitKind.UPPER_SECONDARY, UnitKind.MULTI_LEVEL})

GROUPS: dict[str, Group] = {
    g.code: g
    for g in (
        Group("divisions", "Các phòng thuộc Sở", _DIVISIONS),
        Group("specialist_divisions", "Các phòng chuyên môn, nghiệp vụ", _DIVISIONS, ("van phong", "thanh tra")),
        Group("communes", "UBND các xã, phường, đặc khu", _COMMUNES),
        Group("institutions", "Các cơ sở giáo dục", EDUCATION_INSTITUTIONS),
        Group("direct_units", "Các đơn vị trực thuộc Sở", DIRECTLY_UNDER_DEPARTMENT),
        Group("general_schools", "Các cơ sở giáo dục phổ thông", _GENERAL),
        Group("upper_secondary", "Các trường THPT", frozenset({UnitKind.UPPER_SECONDARY, UnitKind.MULTI_LEVEL})),
        Group("centres", "Các trung tâm GDNN-GDTX", frozenset({UnitKind.CENTRE})),
        Group("lower_schools", "Các trường MN, TH, THCS", _LOWER),
        Group("preschools", "Các trường mầm non", frozenset({UnitKind.PRESCHOOL})),
        Group("primary_schools", "Các trường tiểu học", frozenset({UnitKind.PRIMARY, UnitKind.PRIMARY_LOWER})),
        Group("lower_secondary_schools", "Các trường THCS", frozenset({UnitKind.LOWER_SECONDARY, UnitKind.PRIMARY_LOWER})),
    )
}

# The phrases clerks write for each group (compared by name_key).
GROUP_PHRASES: dict[str, tuple[str, ...]] = {
    "divisions": ("các phòng", "các phòng thuộc Sở", "các phòng, ban", "các phòng ban", "các phòng cơ quan Sở",
                  "các phòng thuộc Sở GDĐT", "các phòng chức năng"),
    "specialist_divisions": ("các phòng chuyên môn", "các phòng chuyên môn, nghiệp vụ", "các phòng nghiệp vụ"),
    "communes": ("UBND các xã, phường", "UBND các xã, phường, đặc khu", "UBND xã, phường, đặc khu", "UBND xã, phường",
                 "các xã, phường", "các xã, phường, đặc khu", "Ủy ban nhân dân các xã, phường", "UBND cấp xã",
                 "Ủy ban nhân dân các xã, phường, đặc khu", "UBND các xã, phường, thị trấn"),
    "institutions": ("các cơ sở giáo dục", "các CSGD", "các đơn vị, trường học", "các đơn vị trường học", "các trường học",
                     "các cơ sở giáo dục trực thuộc", "cơ sở giáo dục", "các đơn vị, cơ sở giáo dục", "các nhà trường"),
    "direct_units": ("các đơn vị trực thuộc Sở", "các đơn vị trực thuộc", "đơn vị trực thuộc Sở", "các đơn vị trực thuộc Sở GDĐT"),
    "general_schools": ("các cơ sở giáo dục phổ thông", "các trường phổ thông", "các cơ sở GDPT"),
    "upper_secondary": ("các trường THPT", "các trường trung học phổ thông", "trường THPT"),
    "centres": ("các trung tâm GDTX", "các trung tâm GDNN-GDTX", "các trung tâm", "các TT GDNN-GDTX", "các trung tâm GDNN GDTX"),
    "lower_schools": ("các trường MN, TH, THCS", "các trường mầm non, tiểu học, THCS", "các trường mầm non, tiểu học, trung học cơ sở",
                      "các trường MN, TH, THCS trên địa bàn"),
    "preschools": ("các trường mầm non", "các trường MN", "các cơ sở giáo dục mầm non"),
    "primary_schools": ("các trường tiểu học", "các trường TH"),
    "lower_secondary_schools": ("các trường THCS", "các trường trung học cơ sở"),
}  # fmt: skip

_PHRASE_TO_GROUP = {name_key(phrase): code for code, phrases in GROUP_PHRASES.items() for phrase in phrases}


@dataclass(frozen=True)
class Target:
    """One resolved name: a single unit, or a group expanded against the tree at dispatch."""

    text: str
    unit_id: int | None = None
    group: str | None = None


@dataclass
class Resolution:
    targets: list[Target] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def unit_ids(self) -> list[int]:
        return [t.unit_id for t in self.targets if t.unit_id is not None]


class UnitDirectory:
    """Every name of every unit of one province, for resolving plan cells without queries."""

    def __init__(self, root_id: int, names: dict[str, int]) -> None:
        self.root_id = root_id
        self._names = names

    @classmethod
    def load(cls, session: Session, root_id: int) -> UnitDirectory:
        names: dict[str, int] = {}
        for unit in session.scalars(select(OrgUnit).where(OrgUnit.root_id == root_id, OrgUnit.active)):
            for text in (unit.code, unit.name, unit.short_name):
                if text:
                    names.setdefault(name_key(text), unit.id)
        for alias in session.scalars(select(UnitAlias).where(UnitAlias.root_id == root_id)):
            names.setdefault(alias.key, alias.unit_id)
        return cls(root_id, names)

    def lookup(self, text: str) -> Target | None:
        key = name_key(text)
        if not key:
            return None
        if key in _PHRASE_TO_GROUP:
            return Target(text.strip(), group=_PHRASE_TO_GROUP[key])
        unit_id = self._names.get(key)
        return Target(text.strip(), unit_id=unit_id) if unit_id is not None else None

    def resolve(self, cell: str | None) -> Resolution:
        result = Resolution()
        seen: set[tuple[int | None, str | None]] = set()
        for chunk in re.split(r"[;\n]+", cell or ""):
            targets, unknown = self._segment(_pieces(chunk))
            for target in targets:
                if (target.unit_id, target.group) not in seen:
                    seen.add((target.unit_id, target.group))
                    result.targets.append(target)
            result.unknown += [u for u in unknown if u not in result.unknown]
        return result

    def _segment(self, pieces: Sequence[str]) -> tuple[list[Target], list[str]]:
        """Join adjacent pieces so that as many pieces as possible match a known name."""
        n = len(pieces)
        # best[i] = (matched pieces, -segments, plan) for pieces[:i]
        best: list[tuple[int, int, list[Target | str]]] = [(0, 0, [])] + [(-1, 0, [])] * n
        for start in range(n):
            matched, neg_segments, plan = best[start]
            if matched < 0:
                continue
            options: list[tuple[int, Target | str]] = [(start + 1, pieces[start])]
            for end in range(start + 1, n + 1):
                target = self.lookup(", ".join(pieces[start:end]))
                if target is not None:
                    options.append((end, target))
            for end, item in options:
                gain = end - start if isinstance(item, Target) else 0
                candidate = (matched + gain, neg_segments - 1, [*plan, item])
                if candidate[:2] > best[end][:2]:
                    best[end] = candidate
        plan = best[n][2]
        return [p for p in plan if isinstance(p, Target)], [p for p in plan if isinstance(p, str)]


def _pieces(chunk: str) -> list[str]:
    parts = re.split(r",|\bvà\b|\bva\b", chunk)
    return [p.strip(" .:\t") for p in parts if p.strip(" .:\t")]


def expand_group(session: Session, root_id: int, group: str) -> list[OrgUnit]:
    """The active units a group expression stands for, in code order."""
    rule = GROUPS[group]
    units = session.scalars(
        select(OrgUnit)
        .where(OrgUnit.root_id == root_id, OrgUnit.active, OrgUnit.kind.in_([k.value for k in rule.kinds]))
        .order_by(OrgUnit.code)
    ).all()
    return [u for u in units if not name_key(u.name).startswith(rule.exclude_name_prefixes)]


def aliases_for(names: Iterable[str]) -> list[tuple[str, str]]:
    """(alias, key) pairs, dropping repeats by key."""
    seen: dict[str, str] = {}
    for name in names:
        if name and name.strip():
            seen.setdefault(name_key(name), name.strip())
    return [(alias, key) for key, alias in seen.items()]
