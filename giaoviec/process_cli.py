"""``giaoviec process migrate KEY --from V1 --to V2 [--dry-run] --actor USER``: move running
instances to another version of their process, as the designer's "Chuyển phiên bản" does (the
same action, ``workflows.actions.processes.migrate``: authorized, audited)."""

from __future__ import annotations

from typing import Any

import click

from giaoviec.shell import Context, emit_json, handled
from workflows.actions import processes as actions
from workflows.actions.people import person_acting
from workflows.authz.refusals import refusals_recorded


@click.group()
def process() -> None:
    """Quy trình: phiên bản, chuyển hồ sơ sang phiên bản mới / processes."""


@process.command("migrate")
@click.argument("key")
@click.option("--from", "from_version", type=int, required=True, help="Phiên bản hồ sơ đang chạy.")
@click.option("--to", "to_version", type=int, required=True, help="Phiên bản đích.")
@click.option("--dry-run", is_flag=True, help="Chỉ liệt kê hồ sơ chuyển được và không chuyển được (lý do).")
@click.option("--actor", help="Người thực hiện (tên đăng nhập): quyền của người đó được áp dụng.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def migrate(ctx: Context, key: str, from_version: int, to_version: int, dry_run: bool, actor: str | None, as_json: bool) -> None:
    """Chuyển các hồ sơ đang chạy của KEY từ phiên bản --from sang --to (--dry-run: xem trước)."""
    actor = actor or ctx.actor
    with refusals_recorded(ctx.engine, actor) as uow:
        result = actions.migrate(uow, person_acting(uow.session, actor), key, from_version, to_version, dry_run=dry_run)
    plan = result.plan
    if as_json:
        emit_json({"key": key, "from": from_version, "to": to_version, "dry_run": dry_run,
                   "moved": [str(i) for i in result.moved], "movable": [_row(v, ctx) for v in plan.movable],
                   "blocked": [_row(v, ctx) for v in plan.blocked]})  # fmt: skip
        return
    verb = "chuyển được" if dry_run else "đã chuyển"
    click.echo(f"{key} v{from_version} → v{to_version}: {verb} {len(plan.movable)}, không chuyển được {len(plan.blocked)}")
    for verdict in plan.movable:
        click.echo(f"  ✓ {verdict.instance_id} {verdict.unit_code or ''} [{', '.join(verdict.waiting)}]")
    for verdict in plan.blocked:
        reasons = "; ".join(ctx.message(o.code, **o.params) for o in verdict.obstacles)
        click.echo(f"  ✗ {verdict.instance_id} {verdict.unit_code or ''}: {reasons}")


def _row(verdict: Any, ctx: Context) -> dict[str, Any]:
    return {"instance": str(verdict.instance_id), "unit": verdict.unit_code, "waiting": list(verdict.waiting),
            "reasons": [{"code": o.code, "element_id": o.element_id, "message": ctx.message(o.code, **o.params)}
                        for o in verdict.obstacles]}  # fmt: skip
