"""``giaoviec status --plan PLAN_ID [--unit CODE] [--period P] [--now ISO] --json``."""

from __future__ import annotations

from typing import Any

import click

from engine import NotFound
from giaoviec.shell import Context, emit_json, handled, parse_instant
from workflows.org.queries import find_unit
from workflows.plans.models import Plan
from workflows.tracking.models import Tracking
from workflows.tracking.status import STATUSES, StatusSummary, by_child_unit, by_group, summarise


@click.command("status")
@click.option("--plan", "plan_id", type=int, required=True, help="Mã kế hoạch (số in ra khi nhập).")
@click.option("--unit", "unit_code", help="Mã đơn vị: tính cả các đơn vị trực thuộc.")
@click.option("--period", help="Chỉ một kỳ, ví dụ 2026-Q2.")
@click.option("--now", "now_raw", help="Thời điểm tính trạng thái (ISO 8601 có múi giờ); mặc định: bây giờ.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def status(ctx: Context, plan_id: int, unit_code: str | None, period: str | None, now_raw: str | None, as_json: bool) -> None:
    """Số nhiệm vụ theo 8 trạng thái và tỷ lệ hoàn thành đúng hạn của một kế hoạch."""
    now = parse_instant(now_raw) or ctx.engine.clock.now()
    with ctx.engine.read() as session:
        plan = session.get(Plan, plan_id)
        if plan is None:
            raise NotFound("plan_not_found", id=plan_id)
        unit = find_unit(session, unit_code) if unit_code else None
        whole = summarise(session, now, plan_id=plan_id, unit=unit, period=period)
        periods = by_group(session, now, Tracking.period, plan_id=plan_id, unit=unit, period=period)
        children = by_child_unit(session, now, unit, plan_id=plan_id, period=period) if unit is not None else {}
    out: dict[str, Any] = {
        "plan_id": plan_id, "plan": plan.number, "unit": unit_code, "period": period, "now": now.isoformat(),
        **whole.as_json(),
        "by_period": {key: value.as_json() for key, value in sorted(periods.items(), key=lambda kv: str(kv[0]))},
        "by_unit": {key: value.as_json() for key, value in sorted(children.items())},
    }  # fmt: skip
    if as_json:
        emit_json(out)
        return
    _print(plan, unit_code, whole)


def _print(plan: Plan, unit_code: str | None, summary: StatusSummary) -> None:
    click.echo(f"Kế hoạch {plan.number or plan.id}" + (f" — đơn vị {unit_code} (cả trực thuộc)" if unit_code else ""))
    for code, (label, _) in STATUSES.items():
        click.echo(f"  {label}: {summary.statuses[code]}")
    click.echo(f"  Tổng: {summary.total}")
    rate = summary.on_time_rate
    shown = f"{rate * 100:.2f}% ({summary.on_time}/{summary.counted})" if rate is not None else "chưa có nhiệm vụ đến hạn"
    click.echo(f"  Tỷ lệ hoàn thành đúng hạn: {shown}")
