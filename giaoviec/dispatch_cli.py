"""``giaoviec plan dispatch PLAN_ID [--dry-run]``: fan a plan out into process instances."""

from __future__ import annotations

from typing import Any

import click

from giaoviec.shell import ID, INSTANT, Context, emit_json, handled
from workflows.actions import plans as actions
from workflows.actions.people import person_acting
from workflows.authz.refusals import refusals_recorded
from workflows.cascade.dispatch import DispatchResult, open_due_periods
from workflows.org.kinds import LABELS, UnitKind


@click.command("dispatch")
@click.argument("plan_id", type=ID)
@click.option("--dry-run", is_flag=True, help="Chỉ đếm, không tạo gì.")
@click.option("--include-past", is_flag=True,
              help="Giao cả các kỳ đã đến hạn trước ngày ban hành kế hoạch (mặc định: không giao, để không sinh việc quá hạn ngay khi giao).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def dispatch(ctx: Context, plan_id: int, dry_run: bool, include_past: bool, as_json: bool) -> None:
    """Giao kế hoạch: mỗi (nhiệm vụ, đơn vị, kỳ) một phiên bản quy trình; --dry-run để đếm trước."""
    with refusals_recorded(ctx.engine, ctx.actor) as uow:
        result = actions.dispatch(uow, person_acting(uow.session, ctx.actor), plan_id, dry_run=dry_run, include_past=include_past)
        if dry_run:
            uow.session.rollback()
    if as_json:
        emit_json(result.as_json())
        return
    print_result(result)


@click.command("open-periods")
@click.option("--now", type=INSTANT, help="Thời điểm coi là 'bây giờ' (ISO 8601 có múi giờ).")
@click.pass_obj
@handled
def open_periods(ctx: Context, now: Any) -> None:
    """Mở các kỳ đã đến hạn của những kế hoạch đã giao (một lượt; bộ chạy nền sẽ gọi định kỳ)."""
    now = now or ctx.engine.clock.now()
    with ctx.engine.unit_of_work(ctx.actor, now=now) as uow:
        result = open_due_periods(uow, now)
    click.echo(f"opened={result.opened} created={result.created} skipped={result.skipped}")


def print_result(result: DispatchResult) -> None:
    for kind in UnitKind:
        if result.by_kind.get(kind.value):
            click.echo(f"{LABELS[kind]}: {result.by_kind[kind.value]}")
    click.echo(f"Tổng: {result.total} (mới: {result.created}, đã có: {result.skipped})")
    if result.past:
        click.echo(f"Kỳ đã đến hạn trước ngày ban hành, không giao (dùng --include-past để giao): {result.past}")
    if result.scheduled:
        click.echo(f"Kỳ sau chờ mở đúng hạn: {result.scheduled}")
    if result.external:
        click.echo("Cơ quan ngoài ngành, không giao: " + "; ".join(result.external))
    if result.inactive:
        click.echo("Đơn vị ngừng hoạt động, không giao: " + "; ".join(result.inactive))
    if result.dry_run:
        click.echo("(chạy thử, chưa tạo gì)")
