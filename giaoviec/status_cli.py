"""``giaoviec status --plan PLAN_ID [--unit CODE] [--period P] [--view ROLE] [--now ISO] --json``.

The figures are one view (``--view``, default the lead units: official figures count a task once,
by its lead); the JSON also gives every view apart under ``views``, never added together. Keys
(``workflows.tracking.status.StatusSummary.as_json``): ``total``, ``statuses`` (the eight shown
before), ``on_time``, ``counted``, ``on_time_rate`` (tỷ lệ đúng hạn), and ``completed``,
``completion_rate`` (tỷ lệ hoàn thành), ``buckets``, ``stages``, ``cancelled``, ``reviewer``;
plus ``view``, ``views``, ``by_period``, ``by_unit``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import click

from engine import NotFound
from giaoviec.shell import ID, INSTANT, Context, emit_json, handled
from workflows.org.queries import find_unit
from workflows.plans.models import Plan
from workflows.tracking.models import ROLES, Tracking
from workflows.tracking.status import (
    BUCKETS,
    STAGES,
    VIEWS,
    StatusSummary,
    by_child_unit,
    by_group,
    by_role,
    summarise,
)


@click.command("status")
@click.option("--plan", "plan_id", type=ID, required=True, help="Mã kế hoạch (số in ra khi nhập).")
@click.option("--unit", "unit_code", help="Mã đơn vị: tính cả các đơn vị trực thuộc.")
@click.option("--period", help="Chỉ một kỳ, ví dụ 2026-Q2.")
@click.option("--view", type=click.Choice(ROLES), default="lead", show_default=True,
              help="Phần việc được đếm: lead (chủ trì, số liệu chính thức), coordinator (phối hợp), "
                   "ward (xã, phường giao cho trường), school (trường học).")  # fmt: skip
@click.option("--now", type=INSTANT, help="Thời điểm tính trạng thái (ISO 8601 có múi giờ); mặc định: bây giờ.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def status(ctx: Context, plan_id: int, unit_code: str | None, period: str | None, view: str, now: Any, as_json: bool) -> None:
    """Số nhiệm vụ theo 4 nhóm chính thức, giai đoạn, tỷ lệ hoàn thành và tỷ lệ đúng hạn của một kế hoạch."""
    now = now or ctx.engine.clock.now()
    with ctx.engine.read() as session:
        plan = session.get(Plan, plan_id)
        if plan is None:
            raise NotFound("plan_not_found", id=plan_id)
        unit = find_unit(session, unit_code) if unit_code else None
        whole = summarise(session, now, plan_id=plan_id, unit=unit, period=period, role=view)
        views = by_role(session, now, plan_id=plan_id, unit=unit, period=period)
        periods = by_group(session, now, Tracking.period, plan_id=plan_id, unit=unit, period=period, role=view)
        children = by_child_unit(session, now, unit, plan_id=plan_id, period=period, role=view) if unit is not None else {}
    out: dict[str, Any] = {
        "plan_id": plan_id, "plan": plan.number, "unit": unit_code, "period": period, "now": now.isoformat(),
        "view": view,
        **whole.as_json(),
        "views": {role: summary.as_json() for role, summary in views.items()},
        "by_period": {key: value.as_json() for key, value in sorted(periods.items(), key=lambda kv: str(kv[0]))},
        "by_unit": {key: value.as_json() for key, value in sorted(children.items())},
    }  # fmt: skip
    if as_json:
        emit_json(out)
        return
    _print(plan, unit_code, view, whole, views, english=ctx.lang == "en")


def _percent(value: Decimal | None, numerator: int, denominator: int, english: bool) -> str:
    if value is None:
        return "nothing due yet" if english else "chưa có nhiệm vụ đến hạn"
    return f"{value * 100:.2f}% ({numerator}/{denominator})"


def _print(plan: Plan, unit_code: str | None, view: str, summary: StatusSummary, views: dict[str, StatusSummary], *,
           english: bool) -> None:  # fmt: skip
    i = int(english)  # the catalogs hold (Vietnamese, English)
    head = f"Plan {plan.number or plan.id}" if english else f"Kế hoạch {plan.number or plan.id}"
    if unit_code:
        head += f" — unit {unit_code} (with its subtree)" if english else f" — đơn vị {unit_code} (cả trực thuộc)"
    click.echo(head)
    click.echo(("Counted: " if english else "Phần việc: ") + VIEWS[view][i])
    for bucket, labels in BUCKETS.items():
        click.echo(f"  {labels[i]}: {summary.buckets[bucket]}")
        for stage, count in summary.stages[bucket].items():
            if count and stage != "hoan_thanh":
                click.echo(f"    {STAGES[stage][i]}: {count}")
    if summary.cancelled:
        click.echo(f"  {'Cancelled' if english else 'Đã hủy'}: {summary.cancelled}")
    click.echo(f"  {'Total' if english else 'Tổng'}: {summary.total}")
    completion = _percent(summary.completion_rate, summary.completed, summary.counted, english)
    on_time = _percent(summary.on_time_rate, summary.on_time, summary.counted, english)
    click.echo(f"  {'Completion rate' if english else 'Tỷ lệ hoàn thành'}: {completion}")
    click.echo(f"  {'On-time rate' if english else 'Tỷ lệ hoàn thành đúng hạn'}: {on_time}")
    if summary.reviewer_waiting_past_due:
        label = "Submitted on time, still in review after the deadline" if english else "Nộp đúng hạn, đang chờ bên giao duyệt sau hạn"
        click.echo(f"  {label}: {summary.reviewer_waiting_past_due}")
    others = [f"{VIEWS[role][i]}: {s.total}" for role, s in views.items() if role != view and s.total]
    if others:
        lead = "Other work (see --view; not in the figures above): " if english else "Phần việc khác (xem bằng --view, không cộng vào số trên): "
        click.echo(lead + "; ".join(others))
