"""``giaoviec plan …``: import a plan's appendices, check "6 rõ", record exceptions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

import engine
from giaoviec.org_cli import province
from giaoviec.shell import Context, emit_json, fail, handled
from workflows.plans.extract import PlanFileRefused, extract_plan
from workflows.plans.importing import (
    PlanHeader,
    PlanPreview,
    dispatchable,
    preview,
    recheck_plan,
    record_exception,
    store_plan,
)
from workflows.plans.models import Plan, PlanTask

MAX_PLAN_BYTES = 10 * 1024 * 1024


@click.group()
def plan() -> None:
    """Kế hoạch: nhập phụ lục, kiểm tra "6 rõ" / plans."""


def _read(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_PLAN_BYTES + 1)  # the extractor refuses oversize files by this length


@plan.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Chỉ xem trước, không lưu.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--province", "province_code", help="Mã Sở (mặc định: Sở duy nhất trong CSDL).")
@click.option("--year", type=int, help="Năm của kế hoạch (mặc định: năm nay).")
@click.option("--number", help='Số ký hiệu, ví dụ "637/KH-SGDĐT".')
@click.option("--title", help="Trích yếu kế hoạch.")
@click.option("--authority", help="Cấp phê duyệt mặc định (mặc định: Lãnh đạo đơn vị ban hành).")
@click.option("--issued-on", type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]), help="Ngày ban hành.")
@click.option("--legal-basis", "legal_bases", multiple=True, help="Căn cứ (có thể lặp lại).")
@click.pass_obj
@handled
def import_plan(ctx: Context, path: Path, dry_run: bool, as_json: bool, province_code: str | None, year: int | None,
                number: str | None, title: str | None, authority: str | None, issued_on: Any, legal_bases: tuple[str, ...]) -> None:  # fmt: skip
    """Nhập phụ lục nhiệm vụ và chỉ tiêu từ XLSX/CSV; --dry-run để xem trước."""
    try:
        extracted = extract_plan(_read(path), path.name)
    except PlanFileRefused as refused:
        fail(ctx, refused.message_en if ctx.lang == "en" else refused.message_vi)
        return
    year = year or ctx.engine.clock.now().year
    if dry_run:
        with ctx.engine.read() as session:
            root = _province_if_any(session, province_code)
            default_authority = authority or (f"Lãnh đạo {root.name}" if root else "Lãnh đạo đơn vị ban hành")
            result = preview(session, root, extracted, year, default_authority=default_authority)
    else:
        with ctx.engine.unit_of_work(ctx.actor) as uow:
            root = province(uow.session, province_code)
            default_authority = authority or f"Lãnh đạo {root.name}"
            result = preview(uow.session, root, extracted, year, default_authority=default_authority)
            header = PlanHeader(title=title or (extracted.preamble[0] if extracted.preamble else path.stem), year=year,
                                number=number, issued_on=issued_on.date() if issued_on else None, legal_bases=legal_bases,
                                default_authority=default_authority, source_name=path.name)  # fmt: skip
            stored = store_plan(uow, root, header, result)
    if as_json:
        emit_json(result.as_json() if dry_run else {"plan_id": stored.id, **result.as_json()})
    elif dry_run:
        print_preview(result)
    else:
        click.echo(stored.id)


def _province_if_any(session: Any, code: str | None) -> Any:
    """The province to resolve names against; none yet (or no schema yet) still allows a dry run."""
    try:
        return province(session, code)
    except engine.BadData:
        if code:
            raise
        return None
    except (OperationalError, ProgrammingError):
        session.rollback()
        return None


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


def _plan(session: Any, plan_id: int) -> Plan:
    found = session.get(Plan, plan_id)
    if found is None:
        raise engine.NotFound("plan_not_found", id=plan_id)
    return found


@plan.command("show")
@click.argument("plan_id", type=int)
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
        emit_json({"id": found.id, "number": found.number, "title": found.title, "year": found.year, "tasks": items})
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
@click.argument("plan_id", type=int)
@click.pass_obj
@handled
def recheck(ctx: Context, plan_id: int) -> None:
    """Kiểm tra lại "6 rõ" sau khi đã ánh xạ tên đơn vị."""
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        unclear = recheck_plan(uow, _plan(uow.session, plan_id))
    click.echo(f"OK, {unclear} nhiệm vụ chưa đạt \"6 rõ\"")


@plan.command("exception")
@click.argument("plan_id", type=int)
@click.argument("stt")
@click.option("--leader", required=True, help="Tên đăng nhập của lãnh đạo chấp nhận ngoại lệ.")
@click.option("--reason", required=True)
@click.pass_obj
@handled
def exception(ctx: Context, plan_id: int, stt: str, leader: str, reason: str) -> None:
    """Lãnh đạo chấp nhận giao một nhiệm vụ chưa đạt "6 rõ", có ghi lý do."""
    from workflows.org.commands import user_by_name

    with ctx.engine.unit_of_work(ctx.actor) as uow:
        _plan(uow.session, plan_id)
        task = uow.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id, PlanTask.stt == stt)).first()
        if task is None:
            raise engine.NotFound("plan_task_not_found", plan=plan_id, stt=stt)
        record_exception(uow, task, reason, user_by_name(uow, leader))
    click.echo("OK")
