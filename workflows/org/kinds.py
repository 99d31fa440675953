"""Kinds of organisation unit, where each sits in the tree, and the group expressions that
plans use to name many units at once ("các phòng", "UBND các xã, phường", "các trường THPT"…).
"""

from __future__ import annotations

from enum import StrEnum


class UnitKind(StrEnum):
    DEPARTMENT = "so"  # Sở GDĐT: the root of a province
    DIVISION = "phong"  # a phòng of the Sở (Văn phòng Sở, Thanh tra Sở included)
    COMMUNE = "xa"  # UBND xã / phường / đặc khu (its education officers)
    PRESCHOOL = "mn"
    PRIMARY = "th"
    LOWER_SECONDARY = "thcs"
    PRIMARY_LOWER = "th_thcs"
    UPPER_SECONDARY = "thpt"
    MULTI_LEVEL = "pt_nhieu_cap"
    CENTRE = "tt_gdnn_gdtx"
    EXTERNAL = "ngoai"  # a body outside the sector a plan names (Sở KH&CN, a steering committee)


LABELS: dict[UnitKind, str] = {
    UnitKind.DEPARTMENT: "Sở Giáo dục và Đào tạo",
    UnitKind.DIVISION: "Phòng thuộc Sở",
    UnitKind.COMMUNE: "UBND xã, phường, đặc khu",
    UnitKind.PRESCHOOL: "Trường mầm non",
    UnitKind.PRIMARY: "Trường tiểu học",
    UnitKind.LOWER_SECONDARY: "Trường THCS",
    UnitKind.PRIMARY_LOWER: "Trường TH&THCS",
    UnitKind.UPPER_SECONDARY: "Trường THPT",
    UnitKind.MULTI_LEVEL: "Trường phổ thông nhiều cấp học",
    UnitKind.CENTRE: "Trung tâm GDNN-GDTX",
    UnitKind.EXTERNAL: "Cơ quan ngoài ngành",
}

# Which kind of parent each kind hangs under: schools of the lower levels belong to their
# commune; upper-secondary schools and centres report to the Sở directly.
PARENT_KINDS: dict[UnitKind, frozenset[UnitKind]] = {
    UnitKind.DEPARTMENT: frozenset(),
    UnitKind.DIVISION: frozenset({UnitKind.DEPARTMENT}),
    UnitKind.COMMUNE: frozenset({UnitKind.DEPARTMENT}),
    UnitKind.PRESCHOOL: frozenset({UnitKind.COMMUNE}),
    UnitKind.PRIMARY: frozenset({UnitKind.COMMUNE}),
    UnitKind.LOWER_SECONDARY: frozenset({UnitKind.COMMUNE}),
    UnitKind.PRIMARY_LOWER: frozenset({UnitKind.COMMUNE}),
    UnitKind.UPPER_SECONDARY: frozenset({UnitKind.DEPARTMENT}),
    UnitKind.MULTI_LEVEL: frozenset({UnitKind.DEPARTMENT}),
    UnitKind.CENTRE: frozenset({UnitKind.DEPARTMENT}),
    UnitKind.EXTERNAL: frozenset({UnitKind.DEPARTMENT}),
}

SCHOOLS_UNDER_COMMUNES = frozenset({UnitKind.PRESCHOOL, UnitKind.PRIMARY, UnitKind.LOWER_SECONDARY, UnitKind.PRIMARY_LOWER})
DIRECTLY_UNDER_DEPARTMENT = frozenset({UnitKind.UPPER_SECONDARY, UnitKind.MULTI_LEVEL, UnitKind.CENTRE})
EDUCATION_INSTITUTIONS = SCHOOLS_UNDER_COMMUNES | DIRECTLY_UNDER_DEPARTMENT


def parse_kind(text: str) -> UnitKind:
    """A kind from its code ("thpt") or its Vietnamese label ("Trường THPT")."""
    wanted = text.strip().casefold()
    for kind in UnitKind:
        if wanted in (kind.value, LABELS[kind].casefold()):
            return kind
    raise ValueError(text)
