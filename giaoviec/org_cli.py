"""``giaoviec org …``: the organisation tree, people and delegations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import click
from sqlalchemy import func, select

import engine
from giaoviec.shell import Context, day, fail, handled, read_file, whole
from workflows.actions import org as org_actions
from workflows.actions.people import person_acting
from workflows.authz.refusals import refusals_recorded
from workflows.names import clean_name, column_length
from workflows.org import commands, imports
from workflows.org.demo import DemoShape, build_demo_province
from workflows.org.kinds import LABELS, UnitKind
from workflows.org.models import OrgUnit, UnitAlias, User
from workflows.org.province import province
from workflows.plans.extract_errors import Limits
from workflows.tables import Table, read_rows


@click.group()
def org() -> None:
    """Đơn vị, người dùng, ủy quyền / units, users, delegation."""


@org.command("demo")
@click.option("--code", default="HP", show_default=True)
@click.option("--communes", type=whole(0, 999), default=114, show_default=True, help="Số xã/phường/đặc khu.")
@click.pass_obj
@handled
def org_demo(ctx: Context, code: str, communes: int) -> None:
    """Tạo tỉnh/thành mẫu (như Hải Phòng: ~2.000 đơn vị, mỗi đơn vị hai người)."""
    code = clean_name(code, "unit_code", column_length(OrgUnit.code))
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        so = build_demo_province(uow, DemoShape(code=code, communes=communes))
    print_tree_summary(ctx, so.code)


def print_tree_summary(ctx: Context, root_code: str) -> None:
    with ctx.engine.read() as session:
        root = session.scalars(select(OrgUnit).where(OrgUnit.code == root_code)).one()
        counts = dict(session.execute(select(OrgUnit.kind, func.count()).where(OrgUnit.root_id == root.id).group_by(OrgUnit.kind)).all())
        people = session.scalar(select(func.count()).select_from(User).join(OrgUnit, OrgUnit.id == User.unit_id).where(OrgUnit.root_id == root.id))
    click.echo(f"{root.code} {root.name}: {sum(counts.values())} đơn vị, {people} người")
    for kind in UnitKind:
        if counts.get(kind.value):
            click.echo(f"  {LABELS[kind]}: {counts[kind.value]}")


def _import(ctx: Context, path: Path, importer: Callable[[engine.UnitOfWork, Table], int]) -> None:
    table = read_rows(read_file(path, Limits().max_file_bytes))
    for note in table.notes:
        click.echo(f"{path}: {note}", err=True)
    try:
        with ctx.engine.unit_of_work(ctx.actor) as uow:
            count = importer(uow, table)
    except imports.ImportFailed as failed:
        for error in failed.errors:
            click.echo(f"{path}: dòng {error.row}: {error.message}", err=True)
        raise SystemExit(1) from None
    click.echo(f"OK {count}")


@org.command("import-units")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@handled
def import_units(ctx: Context, path: Path) -> None:
    """Nhập đơn vị từ XLSX/CSV (cột: Mã đơn vị, Tên đơn vị, Loại, Đơn vị cấp trên, Tên gọi khác…)."""
    _import(ctx, path, imports.import_units)


@org.command("import-users")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@handled
def import_users(ctx: Context, path: Path) -> None:
    """Nhập người dùng từ XLSX/CSV (cột: Tên đăng nhập, Họ và tên, Email, Mã đơn vị, Vai trò)."""
    _import(ctx, path, imports.import_users)


@org.command("alias")
@click.argument("unit_code")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
@handled
def alias(ctx: Context, unit_code: str, names: tuple[str, ...]) -> None:
    """Thêm tên gọi khác cho một đơn vị (để nhận ra tên trong kế hoạch)."""
    names = tuple(clean_name(name, "alias", column_length(UnitAlias.alias)) for name in names)
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        commands.add_aliases(uow, commands.unit_by_code(uow, unit_code), names)
    click.echo("OK")


@org.command("external")
@click.argument("name")
@click.option("--province", "province_code", help="Mã Sở (mặc định: Sở duy nhất trong CSDL).")
@click.pass_obj
@handled
def external(ctx: Context, name: str, province_code: str | None) -> None:
    """Đánh dấu một tên là cơ quan ngoài ngành (ví dụ "Sở KH&CN")."""
    name = clean_name(name, "unit_name", column_length(OrgUnit.name))
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        root = province(uow.session, province_code)
        count = uow.session.scalar(select(func.count()).where(OrgUnit.root_id == root.id, OrgUnit.kind == UnitKind.EXTERNAL.value)) or 0
        unit = commands.add_unit(uow, commands.AddUnit(f"{root.code}.NGOAI{count + 1:03d}", name, UnitKind.EXTERNAL), parent=root)
    click.echo(unit.code)


@org.command("delegate")
@click.argument("from_username")
@click.argument("to_username")
@click.option("--from", "starts_on", required=True, type=day("%Y-%m-%d"))
@click.option("--to", "ends_on", required=True, type=day("%Y-%m-%d"))
@click.option("--reason")
@click.pass_obj
@handled
def delegate(ctx: Context, from_username: str, to_username: str, starts_on: date, ends_on: date, reason: str | None) -> None:
    """Ủy quyền phê duyệt của lãnh đạo cho người khác trong một khoảng thời gian (người thao tác là chính lãnh đạo đó, hoặc quản trị trên máy chủ)."""
    with refusals_recorded(ctx.engine, ctx.actor) as uow:
        d = org_actions.delegate(uow, person_acting(uow.session, ctx.actor), from_username, to_username, starts_on, ends_on, reason)
    click.echo(f"OK {d.id}")


__all__ = ["fail", "org", "province"]
