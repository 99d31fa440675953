"""Import units and users from tables (rows of cells keyed by their header), all or nothing.

Headers are matched by their Vietnamese or English names. A unit's parent may come later in
the file: rows are added parents first. Every bad row is reported with the row (XLSX) or line
(CSV) a person finds it at; one bad row means nothing is imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engine import BadData, EngineError, UnitOfWork
from workflows.org.commands import AddUnit, AddUser, add_unit, add_user
from workflows.org.resolve import name_key
from workflows.roles import LANE_ALIASES, ROLE_NAMES
from workflows.tables import Table

UNIT_COLUMNS = {
    "code": ("mã đơn vị", "mã", "code"),
    "name": ("tên đơn vị", "tên", "name"),
    "kind": ("loại", "loại đơn vị", "kind"),
    "parent_code": ("đơn vị cấp trên", "mã đơn vị cấp trên", "cấp trên", "parent", "parent code"),
    "short_name": ("tên viết tắt", "tên ngắn", "short name"),
    "aliases": ("tên gọi khác", "tên khác", "aliases"),
    "email": ("email", "thư điện tử"),
}
USER_COLUMNS = {
    "username": ("tên đăng nhập", "tài khoản", "username"),
    "full_name": ("họ và tên", "họ tên", "full name", "name"),
    "email": ("email", "thư điện tử"),
    "unit_code": ("mã đơn vị", "đơn vị", "unit", "unit code"),
    "roles": ("vai trò", "roles", "role"),
}


@dataclass(frozen=True)
class RowError:
    row: int
    message: str


class ImportFailed(EngineError):
    """One or more rows are wrong; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("import_row", row=errors[0].row, detail=errors[0].message + (f" (+{len(errors) - 1})" if len(errors) > 1 else ""))


def _columns(header: Iterable[str], wanted: Mapping[str, tuple[str, ...]], required: tuple[str, ...]) -> dict[str, str]:
    by_key = {name_key(h): h for h in header if h}
    found = {}
    for field, names in wanted.items():
        for name in names:
            if name_key(name) in by_key:
                found[field] = by_key[name_key(name)]
                break
    missing = [f for f in required if f not in found]
    if missing:
        labels = ", ".join(wanted[f][0] for f in missing)
        raise BadData(detail=f"thiếu cột / missing columns: {labels}")
    return found


def _cell(row: Mapping[str, str], columns: Mapping[str, str], field: str) -> str | None:
    value = (row.get(columns[field]) or "").strip() if field in columns else ""
    return value or None


def import_units(uow: UnitOfWork, table: Table) -> int:
    if not table.rows:
        return 0
    columns = _columns(table.header, UNIT_COLUMNS, ("code", "name", "kind"))
    numbered = {(_cell(row, columns, "code") or f"#{n}"): (n, row) for n, row in zip(table.lines, table.rows, strict=True)}
    ordered: list[tuple[int, dict[str, str]]] = []
    state: dict[str, str] = {}  # code -> "visiting" | "done": parents before children
    errors: list[RowError] = []

    def visit(code: str) -> None:
        if state.get(code) == "done":
            return
        n, row = numbered[code]
        if state.get(code) == "visiting":
            errors.append(RowError(n, f"vòng lặp đơn vị cấp trên / parent cycle at {code}"))
            return
        state[code] = "visiting"
        parent = _cell(row, columns, "parent_code")
        if parent in numbered:
            visit(parent)
        state[code] = "done"
        ordered.append((n, row))

    for code in numbered:
        visit(code)
    for n, row in ordered:
        try:
            add_unit(uow, AddUnit(
                code=_cell(row, columns, "code") or "", name=_cell(row, columns, "name") or "",
                kind=_cell(row, columns, "kind") or "", parent_code=_cell(row, columns, "parent_code"),
                short_name=_cell(row, columns, "short_name"), email=_cell(row, columns, "email"),
                aliases=tuple(a.strip() for a in (_cell(row, columns, "aliases") or "").split(";") if a.strip()),
            ))  # fmt: skip
        except EngineError as exc:
            errors.append(RowError(n, exc.message()))
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.row))
    return len(ordered)


_ROLE_BY_NAME = {name_key(alias): code for code, aliases in LANE_ALIASES.items() for alias in (code, ROLE_NAMES[code][0], *aliases)}


def parse_roles(text: str | None) -> tuple[str, ...]:
    roles = []
    for part in (text or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        role = _ROLE_BY_NAME.get(name_key(part))
        if role is None:
            raise BadData("role_unknown", role=part.strip(), roles=", ".join(f"{c} ({ROLE_NAMES[c][0]})" for c in ROLE_NAMES))
        roles.append(role)
    return tuple(dict.fromkeys(roles))


def import_users(uow: UnitOfWork, table: Table) -> int:
    if not table.rows:
        return 0
    columns = _columns(table.header, USER_COLUMNS, ("username", "full_name", "unit_code", "roles"))
    errors: list[RowError] = []
    for n, row in zip(table.lines, table.rows, strict=True):
        try:
            add_user(uow, AddUser(
                username=_cell(row, columns, "username") or "", full_name=_cell(row, columns, "full_name") or "",
                unit_code=_cell(row, columns, "unit_code") or "", roles=parse_roles(_cell(row, columns, "roles")),
                email=_cell(row, columns, "email"),
            ))  # fmt: skip
        except EngineError as exc:
            errors.append(RowError(n, exc.message()))
    if errors:
        raise ImportFailed(errors)
    return len(table.rows)
