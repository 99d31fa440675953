"""The roles people hold in a unit, and the lane names that stand for them in BPMN.

A lane named "Lãnh đạo đơn vị" or "Chuyên viên" in a process diagram tells the engine which role
does the work in it. Role codes are English identifiers (see docs/glossary.md).
"""

from __future__ import annotations

from engine import RoleCatalog

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "leader": ("Lãnh đạo", "Leader (approver)"),
    "officer": ("Chuyên viên", "Officer"),
    "clerk": ("Văn thư", "Clerk"),
    "admin": ("Quản trị", "Administrator"),
    "inspector": ("Thanh tra", "Inspector (read-only)"),
}

LANE_ALIASES: dict[str, tuple[str, ...]] = {
    "leader": ("Lãnh đạo", "Lãnh đạo đơn vị", "Lãnh đạo phòng", "Lãnh đạo Sở", "Lãnh đạo trường",
               "Ban giám hiệu", "Hiệu trưởng", "Giám đốc", "Trưởng phòng", "Người phê duyệt", "Approver"),
    "officer": ("Chuyên viên", "Cán bộ", "Cán bộ phụ trách", "Cán bộ chuyên môn", "Officer"),
    "clerk": ("Văn thư", "Clerk"),
    "admin": ("Quản trị", "Quản trị hệ thống", "Administrator"),
    "inspector": ("Thanh tra", "Inspector"),
}  # fmt: skip


# A lane "<role> <suffix>" is that role in another party's unit, named by a process variable.
PARTY_SUFFIXES: dict[str, str] = {
    "đơn vị giao": "don_vi_giao",  # the assigning unit (reviews, signs off)
    "đơn vị cấp trên": "don_vi_cap_tren",  # the parent that consolidates periodic reports
    "đơn vị chủ trì": "don_vi_chu_tri",  # the lead unit a coordinating unit contributes to
}


# The designer's ``gv:lane party="…"`` (webui/assets/src/modeler/properties): the same parties.
PARTY_CODES: dict[str, str | None] = {
    "own": None,  # the instance's own unit
    "assigning": "don_vi_giao",
    "parent": "don_vi_cap_tren",
    "lead": "don_vi_chu_tri",
}


def role_catalog() -> RoleCatalog:
    return RoleCatalog({code: (ROLE_NAMES[code][0], *aliases) for code, aliases in LANE_ALIASES.items()}, PARTY_SUFFIXES,
                       PARTY_CODES)  # fmt: skip
