"""``giaoviec``: the command line. A thin shell: parse arguments, open one unit of work, call
the engine, print. Errors are one clear line on stderr and a non-zero exit; never a traceback.

Exit codes: 0 success, 1 refused (bad input, not found, conflict, failed step), 2 usage,
3 unexpected failure (the message still fits on one line; details go to the log).
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

import engine
from engine.queries import inbox
from giaoviec.shell import Context, emit_json, handled, parse_data, parse_instant, parse_uuid
from giaoviec.shell import fail as _fail


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--lang", type=click.Choice(["vi", "en"]), default=lambda: os.environ.get("GIAOVIEC_LANG", "vi"),
              help="Ngôn ngữ thông báo / message language.")  # fmt: skip
@click.option("--actor", default=lambda: f"cli:{os.environ.get('USER', 'root')}", help="Ai thực hiện (ghi vào nhật ký).")
@click.pass_context
def main(click_ctx: click.Context, lang: str, actor: str) -> None:
    """Giao việc: giao, thực hiện, báo cáo và phê duyệt nhiệm vụ ngành giáo dục."""
    logging.basicConfig(level=os.environ.get("GIAOVIEC_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    click_ctx.obj = Context(lang, actor)


# --- database -------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Cơ sở dữ liệu / database."""


@db.command("upgrade")
@click.pass_obj
@handled
def db_upgrade(ctx: Context) -> None:
    """Tạo hoặc nâng cấp lược đồ cơ sở dữ liệu."""
    engine.upgrade(ctx.engine.db)
    click.echo("OK")


# --- definitions ----------------------------------------------------------------------------


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Kết quả dạng JSON.")
@click.pass_obj
@handled
def deploy(ctx: Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Kiểm tra và triển khai các tệp BPMN (tất cả hoặc không tệp nào)."""
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        for path in files:
            try:
                data = _read_limited(path, ctx.engine.max_bpmn_bytes)
                deployed = engine.deploy(uow, data, source_name=path.name)
            except engine.DeployError as exc:
                errors += [{"file": str(path), **p.as_dict(ctx.lang)} for p in exc.problems]
                continue
            except OSError as exc:
                errors.append({"file": str(path), "code": "file_unreadable", "element_id": None, "message": exc.strerror or str(exc)})
                continue
            results += [{"file": str(path), "key": d.key, "version": d.version, "created": d.created} for d in deployed]
        if errors:
            uow.session.rollback()
    if as_json:
        emit_json({"deployed": [] if errors else results, "errors": errors})
    elif errors:
        for e in errors:
            click.echo(f"{e['file']}: {e['element_id'] or '-'}: {e['message']}", err=True)
    else:
        for r in results:
            click.echo(f"{r['key']} v{r['version']}")
    if errors:
        sys.exit(1)


def _read_limited(path: Path, limit: int) -> bytes:
    """Read the file, refusing one over the limit by its size, without reading it."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise engine.DeployError([engine.Problem("xml_too_large", None, {"size": size, "limit": limit})])
        return handle.read(limit + 1)


# --- instances and tasks --------------------------------------------------------------------


def instance_summary(session: Any, instance: engine.Instance) -> dict[str, Any]:
    tasks = session.scalars(
        select(engine.HumanTask).where(engine.HumanTask.instance_id == instance.id, engine.HumanTask.status == "open")
    ).all()
    incidents = session.scalars(
        select(engine.Incident).where(engine.Incident.instance_id == instance.id, engine.Incident.status == "open")
    ).all()
    return {
        "id": str(instance.id), "process": instance.process_key, "status": instance.status,
        "unit": instance.unit_code,
        "tasks": [task_dict(t) for t in tasks],
        "incidents": [{"id": i.id, "element_id": i.element_id, "message": i.message} for i in incidents],
    }  # fmt: skip


def task_dict(t: engine.HumanTask) -> dict[str, Any]:
    return {
        "id": str(t.id), "instance_id": str(t.instance_id), "process": t.process_key,
        "element_id": t.element_id, "name": t.name, "unit": t.candidate_unit, "role": t.candidate_role,
        "assignee": t.assignee, "due_at": t.due_at.isoformat() if t.due_at else None, "status": t.status,
    }  # fmt: skip


def print_instance(ctx: Context, instance_id: uuid.UUID, as_json: bool) -> None:
    with ctx.engine.read() as session:
        instance = session.get(engine.Instance, instance_id)
        assert instance is not None
        summary = instance_summary(session, instance)
    if as_json:
        emit_json(summary)
        return
    click.echo(f"{summary['id']} {summary['status']}")
    for t in summary["tasks"]:
        click.echo(f"  {t['id']} {t['element_id']} \"{t['name']}\" role={t['role']} unit={t['unit'] or '-'}")
    for i in summary["incidents"]:
        click.echo(f"  incident #{i['id']} {i['element_id'] or '-'}: {i['message']}")


@main.command()
@click.argument("key")
@click.option("--data", help="Biến khởi tạo, dạng JSON.")
@click.option("--unit", help="Mã đơn vị thực hiện.")
@click.option("--version", "version", type=int, help="Phiên bản quy trình (mặc định: mới nhất).")
@click.option("--due", help="Hạn hoàn thành, ISO 8601 có múi giờ.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def start(ctx: Context, key: str, data: str | None, unit: str | None, version: int | None, due: str | None, as_json: bool) -> None:
    """Khởi tạo một phiên bản quy trình; in mã và trạng thái của nó."""
    cmd = engine.StartInstance(key, parse_data(ctx, data), version=version, unit_code=unit, due_at=parse_instant(due))
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        instance = engine.start_instance(uow, cmd)
    print_instance(ctx, instance.id, as_json)


@main.command()
@click.option("--unit", help="Chỉ công việc của đơn vị này.")
@click.option("--role", help="Chỉ công việc của vai trò này.")
@click.option("--all", "include_closed", is_flag=True, help="Cả công việc đã đóng.")
@click.option("--limit", default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def tasks(ctx: Context, unit: str | None, role: str | None, include_closed: bool, limit: int, as_json: bool) -> None:
    """Liệt kê công việc đang chờ (hộp công việc)."""
    with ctx.engine.read() as session:
        rows = [task_dict(t) for t in inbox(session, unit=unit, role=role, open_only=not include_closed, limit=limit)]
    if as_json:
        emit_json(rows)
        return
    for t in rows:
        due = t["due_at"] or "-"
        click.echo(f"{t['id']}  {t['element_id']}  \"{t['name']}\"  unit={t['unit'] or '-'}  role={t['role']}  due={due}  {t['status']}")


@main.command()
@click.argument("task_id")
@click.option("--data", help="Dữ liệu biểu mẫu, dạng JSON.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def complete(ctx: Context, task_id: str, data: str | None, as_json: bool) -> None:
    """Hoàn thành một công việc (một lần duy nhất)."""
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        instance = engine.complete_task(uow, parse_uuid(task_id, "task_not_found"), parse_data(ctx, data))
    print_instance(ctx, instance.id, as_json)


# --- incidents and timers -------------------------------------------------------------------


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handled
def incidents(click_ctx: click.Context, as_json: bool) -> None:
    """Sự cố đang mở; 'incidents retry ID' để chạy lại."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Context = click_ctx.obj
    with ctx.engine.read() as session:
        rows = session.scalars(select(engine.Incident).where(engine.Incident.status == "open").order_by(engine.Incident.id)).all()
        items = [{"id": i.id, "instance_id": str(i.instance_id), "element_id": i.element_id, "code": i.error_code,
                  "message": i.message, "attempts": i.attempts, "created_at": i.created_at.isoformat()} for i in rows]  # fmt: skip
    if as_json:
        emit_json(items)
        return
    for i in items:
        click.echo(f"#{i['id']} {i['instance_id']} {i['element_id'] or '-'} ({i['code']}, {i['attempts']}x): {i['message']}")


@incidents.command("retry")
@click.argument("incident_id", type=int)
@click.option("--data", help="Dữ liệu sửa lại, dạng JSON (gộp vào dữ liệu cũ).")
@click.pass_obj
@handled
def incidents_retry(ctx: Context, incident_id: int, data: str | None) -> None:
    """Chạy lại bước bị lỗi."""
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        instance = engine.retry_incident(uow, incident_id, data=parse_data(ctx, data) or None)
    print_instance(ctx, instance.id, False)


@main.group()
def timers() -> None:
    """Hẹn giờ / timers."""


@timers.command("fire")
@click.option("--now", "now_raw", help="Thời điểm coi là 'bây giờ' (ISO 8601 có múi giờ).")
@click.option("--limit", default=500, show_default=True)
@click.pass_obj
@handled
def timers_fire(ctx: Context, now_raw: str | None, limit: int) -> None:
    """Kích hoạt các hẹn giờ đã đến hạn (một lượt)."""
    now = parse_instant(now_raw) or ctx.engine.clock.now()
    result = engine.fire_due_timers(ctx.engine, now, limit)
    click.echo(f"instances={result.instances} fired={result.fired} failed={result.failed}")


# --- demo -----------------------------------------------------------------------------------

LIBRARY = Path(__file__).resolve().parent.parent / "bpmn"


@main.command()
@click.option("--library", type=click.Path(file_okay=False, path_type=Path), default=LIBRARY, show_default=True)
@click.pass_obj
@handled
def demo(ctx: Context, library: Path) -> None:
    """Khởi tạo CSDL, tỉnh mẫu, thư viện quy trình, kế hoạch mẫu và một nhiệm vụ mẫu (chạy lại được)."""
    from workflows.org.demo import DemoShape, build_demo_province
    from workflows.org.models import OrgUnit
    from workflows.plans.demo import DEMO_PLAN_NUMBER, import_demo_plan

    engine.upgrade(ctx.engine.db)
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        if uow.session.scalars(select(OrgUnit).where(OrgUnit.code == DemoShape.code)).first() is None:
            build_demo_province(uow)
            click.echo("Tỉnh mẫu: đã tạo")
        for path in sorted(library.glob("*.bpmn")):
            for d in engine.deploy(uow, path.read_bytes(), source_name=path.name):
                click.echo(f"{d.key} v{d.version}")
        plan = import_demo_plan(uow, ctx.engine.clock.now().year)
        click.echo(f"Kế hoạch mẫu {DEMO_PLAN_NUMBER}: #{plan.id}")
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        instance = engine.start_instance(
            uow, engine.StartInstance("giao_nhiem_vu", {"tieu_de": "Báo cáo chuyển đổi số quý I"}, unit_code="HP.X001.THCS01")
        )
    click.echo(f"Cơ sở dữ liệu: {ctx.engine.db.url.render_as_string(hide_password=True)}")
    print_instance(ctx, instance.id, False)
    click.echo("Thử tiếp / next: giaoviec tasks --unit HP.X001.THCS01 ; giaoviec complete TASK_ID ; giaoviec plan show "
               f"{plan.id} ; giaoviec audit verify")


# --- audit ----------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """Nhật ký kiểm toán / audit trail."""


@audit.command("verify")
@click.pass_obj
@handled
def audit_verify(ctx: Context) -> None:
    """Kiểm tra toàn bộ chuỗi băm của nhật ký; in OK hoặc dòng hỏng đầu tiên."""
    ctx.engine.seal_audit()
    with ctx.engine.read() as session:
        result = engine.verify(session)
    if result.ok:
        click.echo(f"OK {result.checked} events, head {result.head_hash}" + (f", {result.unsealed} unsealed" if result.unsealed else ""))
        return
    _fail(ctx, ctx.message("audit_broken", event=result.broken_event, seal=result.broken_seal, detail=result.detail))


def _register_command_groups() -> None:
    from giaoviec.dispatch_cli import dispatch, open_periods
    from giaoviec.org_cli import org
    from giaoviec.plan_cli import plan
    from giaoviec.status_cli import status
    from giaoviec.timeframe_cli import timeframe
    from giaoviec.worker_cli import mail_failures, worker

    for group in (org, plan, timeframe, status, worker, mail_failures):
        main.add_command(group)
    plan.add_command(dispatch)
    plan.add_command(open_periods)


_register_command_groups()

if __name__ == "__main__":
    main()
