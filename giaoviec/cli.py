"""``giaoviec``: the command line. A thin shell: parse arguments, open one unit of work, call
the engine, print. Errors are one clear line on stderr and a non-zero exit; never a traceback.

Exit codes: 0 success, 1 refused (bad input, not found, conflict, failed step), 2 usage,
3 unexpected failure (the message still fits on one line; details go to the log).
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

import engine
from engine import inbox
from giaoviec.shell import (
    ID,
    INSTANT,
    JSON_OBJECT,
    Context,
    emit_json,
    handled,
    parse_uuid,
    read_file,
    whole,
)
from workflows.names import clean_name, column_length
from workflows.org.commands import unit_by_code

MAX_VERSION = 2**31 - 1  # process_definition.version is an INTEGER
MAX_LISTED = 10_000  # rows one command lists or fires at a time


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--lang", type=click.Choice(["vi", "en"]), default=lambda: os.environ.get("GIAOVIEC_LANG", "vi"),
              help="Ngôn ngữ thông báo / message language.")  # fmt: skip
@click.option("--actor", default=lambda: f"cli:{os.environ.get('USER', 'root')}", help="Ai thực hiện (ghi vào nhật ký).")
@click.pass_context
def main(click_ctx: click.Context, lang: str, actor: str) -> None:
    """Giao việc: giao, thực hiện, báo cáo và phê duyệt nhiệm vụ ngành giáo dục."""
    logging.basicConfig(level=os.environ.get("GIAOVIEC_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    click_ctx.obj = Context(lang, actor)
    click_ctx.call_on_close(click_ctx.obj.close)


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
                deployed = engine.deploy(uow, read_file(path, ctx.engine.max_bpmn_bytes), source_name=path.name)
            except engine.DeployError as exc:
                errors += [{"file": str(path), **p.as_dict(ctx.lang)} for p in exc.problems]
                continue
            except engine.BadData as exc:  # too large: refused by its size, unread
                errors.append({"file": str(path), "code": exc.code, "element_id": None, "message": exc.message(ctx.lang)})
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
@click.option("--data", type=JSON_OBJECT, help="Biến khởi tạo, dạng JSON.")
@click.option("--unit", help="Mã đơn vị thực hiện.")
@click.option("--version", "version", type=whole(1, MAX_VERSION), help="Phiên bản quy trình (mặc định: mới nhất).")
@click.option("--due", type=INSTANT, help="Hạn hoàn thành, ISO 8601 có múi giờ.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def start(ctx: Context, key: str, data: dict[str, Any] | None, unit: str | None, version: int | None, due: Any, as_json: bool) -> None:
    """Khởi tạo một phiên bản quy trình; in mã và trạng thái của nó."""
    key = clean_name(key, "process_key", column_length(engine.ProcessDefinition.key))
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        # The engine knows no units: the domain checks the code (known, no hidden characters).
        unit_code = unit_by_code(uow, unit).code if unit is not None else None
        cmd = engine.StartInstance(key, data or {}, version=version, unit_code=unit_code, due_at=due)
        instance = engine.start_instance(uow, cmd)
    print_instance(ctx, instance.id, as_json)


@main.command()
@click.option("--unit", help="Chỉ công việc của đơn vị này.")
@click.option("--role", help="Chỉ công việc của vai trò này.")
@click.option("--all", "include_closed", is_flag=True, help="Cả công việc đã đóng.")
@click.option("--limit", type=whole(1, MAX_LISTED), default=200, show_default=True)
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
@click.option("--as", "username", help="Quản trị viên sửa chữa (mặc định: --actor).")
@click.option("--reason", default="", help="Lý do sửa chữa (ghi vào nhật ký).")
@click.option("--data", type=JSON_OBJECT, help="Dữ liệu biểu mẫu, dạng JSON.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def complete(ctx: Context, task_id: str, username: str | None, reason: str, data: dict[str, Any] | None, as_json: bool) -> None:
    """Công cụ sửa chữa của quản trị viên: hoàn thành một công việc bỏ qua quy tắc của bước (ghi
    nhật ký "task_repaired"). Người làm việc dùng 'giaoviec task ACTION … --as'."""
    from workflows.actions.guard import repair
    from workflows.authz.refusals import refusals_recorded

    task_uuid = parse_uuid(task_id, "task_not_found")
    admin = (username or ctx.actor).strip()
    with refusals_recorded(ctx.engine, admin) as uow:
        if uow.session.get(engine.HumanTask, task_uuid) is None:
            raise engine.NotFound("task_not_found", id=str(task_uuid))
        repair(uow, admin, reason)
        instance = engine.complete_task(uow, task_uuid, data or {})
    print_instance(ctx, instance.id, as_json)


# --- incidents and timers -------------------------------------------------------------------


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handled
def incidents(click_ctx: click.Context, as_json: bool) -> None:
    """Sự cố đang mở; 'incidents retry ID' để chạy lại, 'incidents resolve ID' để đóng."""
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
@click.argument("incident_id", type=ID)
@click.option("--data", type=JSON_OBJECT, help="Dữ liệu sửa lại, dạng JSON (gộp vào dữ liệu cũ).")
@click.option("--as", "username", help="Quản trị viên sửa chữa: cần khi bước lỗi là việc hoàn thành một công việc.")
@click.pass_obj
@handled
def incidents_retry(ctx: Context, incident_id: int, data: dict[str, Any] | None, username: str | None) -> None:
    """Chạy lại bước bị lỗi."""
    from workflows.actions.guard import repair

    with ctx.engine.unit_of_work(username.strip() if username else ctx.actor) as uow:
        if username:  # re-running a person's completion passes the guard only as a repair
            repair(uow, username, f"incident {incident_id}")
        instance = engine.retry_incident(uow, incident_id, data=data or None)
    print_instance(ctx, instance.id, False)


@incidents.command("resolve")
@click.argument("incident_id", type=int)
@click.option("--reason", required=True, help="Lý do đóng sự cố (ghi vào nhật ký).")
@click.pass_obj
@handled
def incidents_resolve(ctx: Context, incident_id: int, reason: str) -> None:
    """Đóng sự cố không cần chạy lại, khi phiên bản quy trình đã kết thúc hoặc bị hủy."""
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        incident = engine.resolve_incident(uow, incident_id, reason=reason)
    click.echo(f"Đã đóng sự cố #{incident.id} (không còn tác dụng) / incident #{incident.id} resolved as moot")


@main.group()
def timers() -> None:
    """Hẹn giờ / timers."""


@timers.command("fire")
@click.option("--now", type=INSTANT, help="Thời điểm coi là 'bây giờ' (ISO 8601 có múi giờ).")
@click.option("--limit", type=whole(1, MAX_LISTED), default=500, show_default=True)
@click.pass_obj
@handled
def timers_fire(ctx: Context, now: Any, limit: int) -> None:
    """Kích hoạt các hẹn giờ đã đến hạn (một lượt)."""
    now = now or ctx.engine.clock.now()
    result = engine.fire_due_timers(ctx.engine, now, limit)
    click.echo(f"instances={result.instances} fired={result.fired} failed={result.failed}")


# --- audit ----------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """Nhật ký kiểm toán / audit trail."""


@audit.command("verify")
@click.option("--anchor", "anchor_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp mốc neo để đối chiếu (dùng nhiều lần được) / anchor file to check against (repeatable).")  # fmt: skip
@click.pass_obj
@handled
def audit_verify(ctx: Context, anchor_files: tuple[Path, ...]) -> None:
    """Niêm phong, kiểm tra trigger bảo vệ, toàn bộ chuỗi băm và các mốc neo; in OK hoặc các lỗi."""
    with ctx.engine.write_session() as session, session.begin():
        while engine.seal_pending(session, ctx.engine.clock.now(), full_scan=True, thorough=True):
            pass  # every committed event, even one the sealer's lookback missed
    anchors = itertools.chain.from_iterable(engine.read_anchors(path) for path in anchor_files)
    with ctx.engine.read() as session:
        result = engine.verify(session, anchors=anchors)
    if result.ok:
        extra = [f"{result.anchors} anchors"] * bool(anchor_files) + [f"{result.unsealed} unsealed"] * bool(result.unsealed)
        click.echo(", ".join([f"OK {result.checked} events, head #{result.head_seq} {result.head_hash}", *extra]))
        return
    for finding in result.findings:
        click.echo(finding.message(ctx.lang), err=True)
    if result.more:
        click.echo(f"… và {result.more} lỗi khác / {result.more} more", err=True)
    sys.exit(1)


def _register_command_groups() -> None:
    from giaoviec.bench_cli import bench
    from giaoviec.demo_cli import demo
    from giaoviec.dispatch_cli import dispatch, open_periods
    from giaoviec.mail_sink_cli import mail_sink
    from giaoviec.org_cli import org
    from giaoviec.plan_cli import plan
    from giaoviec.process_cli import process
    from giaoviec.serve_cli import serve
    from giaoviec.status_cli import status
    from giaoviec.task_cli import inbox_command, task
    from giaoviec.timeframe_cli import timeframe
    from giaoviec.users_cli import users
    from giaoviec.worker_cli import mail_failures, worker

    for group in (demo, org, plan, timeframe, status, worker, mail_failures, mail_sink, serve, users, inbox_command, task, bench,
                  process):
        main.add_command(group)
    plan.add_command(dispatch)
    plan.add_command(open_periods)


_register_command_groups()

if __name__ == "__main__":
    main()
