"""``giaoviec plan …``: import a plan's appendices, check "6 rõ", record exceptions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

import engine
from engine import register
from giaoviec.shell import ID, YEAR, Context, day, emit_json, fail, handled, read_file
from workflows.actions import plans as actions
from workflows.actions.people import person_acting
from workflows.authz.refusals import refusals_recorded
from workflows.org.province import province_if_any
from workflows.plans.extract import PlanFileRefused
from workflows.plans.importing import PlanPreview, dispatchable
from workflows.plans.models import Plan, PlanTask

register({"plan_exists_hint": ("Thêm --replace để thay kế hoạch đó bằng tệp này.", "Add --replace to replace it with this file.")})


@click.group()
def plan() -> None:
    """Kế hoạch: nhập phụ lục, kiểm tra "6 rõ" / plans."""


@plan.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Chỉ xem trước, không lưu.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--province", "province_code", help="Mã Sở (mặc định: Sở duy nhất trong CSDL).")
@click.option("--year", type=YEAR, help="Năm của kế hoạch (mặc định: năm nay).")
@click.option("--number", help='Số ký hiệu, ví dụ "637/KH-SGDĐT".')
@click.option("--title", help="Trích yếu kế hoạch.")
@click.option("--authority", help="Cấp phê duyệt mặc định (mặc định: Lãnh đạo đơn vị ban hành).")
@click.option("--issued-on", type=day("%Y-%m-%d", "%d/%m/%Y"), help="Ngày ban hành.")
@click.option("--legal-basis", "legal_bases", multiple=True, help="Căn cứ (có thể lặp lại).")
@click.option("--replace", is_flag=True, help="Thay kế hoạch cùng số ký hiệu và năm (nếu chưa giao).")
@click.option("--reporting-regime", help='Chế độ báo cáo của kế hoạch, ví dụ "Định kỳ hằng quý", "trước ngày 15 hằng tháng".')
@click.pass_obj
@handled
def import_plan(ctx: Context, path: Path, dry_run: bool, as_json: bool, province_code: str | None, year: int | None,
                number: str | None, title: str | None, authority: str | None, issued_on: Any, legal_bases: tuple[str, ...],
                replace: bool, reporting_regime: str | None) -> None:  # fmt: skip
    """Nhập phụ lục nhiệm vụ và chỉ tiêu từ XLSX/CSV; --dry-run để xem trước."""
    try:
        extracted = actions.read_plan_file(read_file(path, actions.MAX_FILE_BYTES), path.name)
    except PlanFileRefused as refused:
        fail(ctx, refused.message_en if ctx.lang == "en" else refused.message_vi)
        return
    options = actions.ImportOptions(year=year or ctx.engine.clock.now().year, number=number, title=title, authority=authority,
                                    issued_on=issued_on, legal_bases=legal_bases, replace=replace,
                                    reporting_regime=reporting_regime)  # fmt: skip
    if dry_run:
        with ctx.engine.read() as session:
            result = actions.dry_run(session, province_if_any(session, province_code), extracted, path.name, options).preview
    else:
        with refusals_recorded(ctx.engine, ctx.actor) as uow:
            try:
                stored, dry = actions.import_plan(uow, _operator(uow, ctx), extracted, path.name, options, province=province_code)
            except engine.InvalidState as exc:
                if exc.code == "plan_exists":
                    fail(ctx, f"{exc.message(ctx.lang)} {ctx.message('plan_exists_hint')}")
                raise
            result = dry.preview
    if as_json:
        emit_json(result.as_json() if dry_run else {"plan_id": stored.id, **result.as_json()})
    elif dry_run:
        print_preview(result)
    else:
        click.echo(stored.id)


def print_preview(result: PlanPreview) -> None:
    for task in result.tasks:
        mark = "✓" if not task.problems else "✗"
        click.echo(f"{mark} {task.section or ''}.{task.stt} {task.content[:70]}")
        click.echo(f"    chủ trì: {task.display_lead or '-'} | phối hợp: {'; '.join(task.display_coordinators) or '-'} | thời gian: {task.timeframe or '-'}")
        for problem in task.problems:
            click.echo(f"    - {problem.rule}: {problem.message}")
    click.echo(f"{len(result.tasks)} nhiệm vụ, {sum(1 for t in result.tasks if t.problems)} chưa đạt \"6 rõ\", {len(result.indicators)} chỉ tiêu")
    if result.unknown_units:
        click.echo("Tên chưa nhận ra (ánh xạ bằng 'giaoviec org alias' hoặc 'giaoviec org external'): " + "; ".join(result.unknown_units))
    for note in result.notes:  # what was not read as a task: notes, footers, hidden sheets and rows
        click.echo(f"Ghi chú: {note}")


def _operator(uow: engine.UnitOfWork, ctx: Context) -> Any:
    """The person ``--actor`` names, whose permissions then apply; else the console operator."""
    return person_acting(uow.session, ctx.actor)


def _plan(session: Any, plan_id: int) -> Plan:
    found = session.get(Plan, plan_id)
    if found is None:
        raise engine.NotFound("plan_not_found", id=plan_id)
    return found


@plan.command("show")
@click.argument("plan_id", type=ID)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def show(ctx: Context, plan_id: int, as_json: bool) -> None:
    """Các nhiệm vụ của kế hoạch và kết quả kiểm tra "6 rõ"."""
    with ctx.engine.read() as session:
        found = _plan(session, plan_id)
        tasks = session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id).order_by(PlanTask.position)).all()
    items = [{"stt": t.stt, "section": t.section_code, "content": t.content, "lead": t.lead_text, "timeframe": t.timeframe_text,
              "problems": t.problems, "exception": t.exception_reason, "dispatchable": dispatchable(t)}
             for t in tasks]  # fmt: skip
    if as_json:
        emit_json({"id": found.id, "number": found.number, "title": found.title, "year": found.year,
                   "reporting_regime": found.reporting_regime, "tasks": items})  # fmt: skip
        return
    click.echo(f"{found.id} {found.number or ''} {found.title} ({found.year})")
    for item in items:
        state = "✓" if item["dispatchable"] else "✗"
        click.echo(f"{state} {item['section'] or ''}.{item['stt']} {item['content'][:70]}")
        for problem in item["problems"]:
            click.echo(f"    - {problem['rule']}: {problem['message']}")
        if item["exception"]:
            click.echo(f"    ngoại lệ: {item['exception']}")


@plan.command("recheck")
@click.argument("plan_id", type=ID)
@click.pass_obj
@handled
def recheck(ctx: Context, plan_id: int) -> None:
    """Kiểm tra lại "6 rõ" sau khi đã ánh xạ tên đơn vị."""
    with refusals_recorded(ctx.engine, ctx.actor) as uow:
        unclear = actions.recheck(uow, _operator(uow, ctx), plan_id)
    click.echo(f"OK, {unclear} nhiệm vụ chưa đạt \"6 rõ\"")


@plan.command("exception")
@click.argument("plan_id", type=ID)
@click.argument("stt")
@click.option("--leader", required=True, help="Tên đăng nhập của lãnh đạo chấp nhận ngoại lệ.")
@click.option("--reason", required=True)
@click.pass_obj
@handled
def exception(ctx: Context, plan_id: int, stt: str, leader: str, reason: str) -> None:
    """Lãnh đạo chấp nhận giao một nhiệm vụ chưa đạt "6 rõ", có ghi lý do."""
    with refusals_recorded(ctx.engine, ctx.actor) as uow:
        actions.accept_exception(uow, _operator(uow, ctx), plan_id, stt, reason, leader=leader)
    click.echo("OK")
