"""``giaoviec inbox`` and ``giaoviec task …``: a person's inbox, a task's detail, and every task
action, as that person (``--as USERNAME``). A thin shell over ``workflows.actions``: parse, call,
print. A refusal is one line on stderr, exit 1, and nothing changed (it is recorded as a security
event by ``refusals_recorded``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

import engine
from giaoviec.shell import (
    ID,
    JSON_OBJECT,
    Context,
    day,
    emit_json,
    handled,
    parse_uuid,
    read_file,
    whole,
)
from workflows.actions import tasks
from workflows.actions.detail import task_detail
from workflows.actions.inbox import MAX_PAGE, SCOPES, Filters, inbox
from workflows.actions.people import user_named
from workflows.authz.refusals import refusals_recorded
from workflows.reports.blobs import MAX_BLOB_BYTES

AS = click.option("--as", "username", required=True, help="Tên đăng nhập của người thực hiện.")
DAY = day("%Y-%m-%d", "%d/%m/%Y")


@click.command("inbox")
@AS
@click.option("--scope", type=click.Choice(SCOPES), default="all", show_default=True)
@click.option("--overdue", is_flag=True, help="Chỉ việc đã quá hạn.")
@click.option("--due-within", type=whole(0, 366), help="Chỉ việc đến hạn trong N ngày làm việc.")
@click.option("--plan", "plan_id", type=ID, help="Chỉ việc của kế hoạch này.")
@click.option("--period", help="Chỉ việc của kỳ này (2026-Q1, 2026-03…).")
@click.option("--unit", help="Chỉ việc của đơn vị này (thuộc đơn vị mình).")
@click.option("--limit", type=whole(1, MAX_PAGE), default=100, show_default=True)
@click.option("--after", help="Con trỏ trang sau (next_after của trang trước).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def inbox_command(ctx: Context, username: str, scope: str, overdue: bool, due_within: int | None, plan_id: int | None,
                  period: str | None, unit: str | None, limit: int, after: str | None, as_json: bool) -> None:  # fmt: skip
    """Hộp công việc của một người: của tôi, của đơn vị, được ủy quyền; sắp theo hạn."""
    filters = Filters(overdue=overdue, due_within=due_within, plan_id=plan_id, period=period, unit=unit)
    with ctx.engine.read() as session:
        page = inbox(session, user_named(session, username), ctx.engine.clock.now(), scope=scope, filters=filters,
                     limit=limit, after=after)  # fmt: skip
    if as_json:
        emit_json({"items": page.items, "counts": page.counts, "next_after": page.next_after})
        return
    for t in page.items:
        click.echo(f"{t['task_id']}  {t['step']}  \"{t['name']}\"  unit={t['unit'] or '-'}  role={t['role']}  due={t['due'] or '-'}")
    click.echo(" ".join(f"{k}={v}" for k, v in page.counts.items()))


@click.group("task")
def task() -> None:
    """Một công việc: xem, và các thao tác (tiếp nhận, gửi, duyệt, trả lại, gia hạn, ký duyệt…)."""


@task.command("show")
@click.argument("task_id")
@AS
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def show(ctx: Context, task_id: str, username: str, as_json: bool) -> None:
    """Chi tiết một công việc và các thao tác người này được làm."""
    with ctx.engine.read() as session:
        detail = task_detail(session, user_named(session, username), parse_uuid(task_id, "task_not_found"), ctx.engine.clock.now())
    if as_json:
        emit_json(detail)
        return
    click.echo(f"{detail['task_id']} {detail['step']} \"{detail['name']}\" {detail['status']} due={detail['due'] or '-'}")
    click.echo("Thao tác / actions: " + (", ".join(detail["allowed_actions"]) or "-"))


ACTIONS = ("accept", "submit", "approve", "return", "request-extension", "grant-extension", "refuse-extension",
           "reassign", "sign", "comment")  # fmt: skip


def _action_command(name: str) -> click.Command:
    @click.argument("task_id")
    @AS
    @click.option("--text", help="Nội dung chính của báo cáo (kết quả).")
    @click.option("--data", type=JSON_OBJECT, help="Các trường khác của biểu mẫu, dạng JSON (chi_so, bao_cao…).")
    @click.option("--file", "files", multiple=True, type=click.Path(dir_okay=False, path_type=Path), help="Tệp đính kèm.")
    @click.option("--comment", help="Ý kiến, lý do.")
    @click.option("--to", "to", help="Người nhận (giao lại).")
    @click.option("--until", type=DAY, help="Hạn mới (gia hạn), YYYY-MM-DD.")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    @handled
    def command(ctx: Context, task_id: str, username: str, text: str | None, data: dict[str, Any] | None,
                files: tuple[Path, ...], comment: str | None, to: str | None, until: date | None, as_json: bool) -> None:  # fmt: skip
        uploads = [(path.name, read_file(path, MAX_BLOB_BYTES)) for path in files]
        task_uuid = parse_uuid(task_id, "task_not_found")
        with refusals_recorded(ctx.engine, username.strip()) as uow:
            user = user_named(uow.session, username)
            done = _perform(name, uow, user, task_uuid, text=text, data=dict(data or {}), files=uploads, comment=comment,
                            to=to, until=until)  # fmt: skip
        _print_next(ctx, done, as_json)

    command.__doc__ = f"Thao tác “{name}” trên một công việc, với tư cách --as."
    return click.command(name)(command)


def _perform(name: str, uow: engine.UnitOfWork, user: Any, task_id: Any, *, text: str | None, data: dict[str, Any],
             files: list[tuple[str, bytes]], comment: str | None, to: str | None, until: date | None) -> tasks.Done:  # fmt: skip
    if name == "submit":
        figures = data.pop("chi_so", None) or ()
        draft = tasks.Draft(text or "", chi_so=figures, files=files) if text is not None or files or figures else None
        return tasks.submit(uow, user, task_id, draft, data)
    if name == "request-extension":
        return tasks.request_extension(uow, user, task_id, _needed(until, "--until"), comment)
    if name == "grant-extension":
        return tasks.grant_extension(uow, user, task_id, _needed(until, "--until"), comment)
    if name == "reassign":
        return tasks.reassign(uow, user, task_id, _needed(to, "--to"))
    if name == "comment":
        return tasks.comment(uow, user, task_id, _needed(comment or text, "--comment"))
    if name == "return":
        return tasks.return_(uow, user, task_id, comment or "")
    action = {"accept": tasks.accept, "approve": tasks.approve, "refuse-extension": tasks.refuse_extension,
              "sign": tasks.sign_off}[name]  # fmt: skip
    return action(uow, user, task_id) if name == "accept" else action(uow, user, task_id, comment)


def _needed(value: Any, option: str) -> Any:
    if value is None:
        raise engine.BadData(detail=f"cần {option} / {option} is required")
    return value


def _print_next(ctx: Context, done: tasks.Done, as_json: bool) -> None:
    """The next step: the instance's open tasks after the action."""
    with ctx.engine.read() as session:
        instance = session.get(engine.Instance, done.instance.id)
        assert instance is not None
        open_tasks = session.execute(
            select(engine.HumanTask.id, engine.HumanTask.element_id, engine.HumanTask.name, engine.HumanTask.candidate_unit,
                   engine.HumanTask.candidate_role, engine.HumanTask.assignee)
            .where(engine.HumanTask.instance_id == instance.id, engine.HumanTask.status == "open")
        ).all()  # fmt: skip
        status = instance.status
    steps = [{"task_id": str(t.id), "step": t.element_id, "name": t.name, "unit": t.candidate_unit, "role": t.candidate_role,
              "assignee": t.assignee} for t in open_tasks]  # fmt: skip
    if as_json:
        emit_json({"action": done.action, "task_id": str(done.task_id), "instance_id": str(instance.id), "status": status,
                   "on_behalf_of": done.on_behalf_of, "next": steps})  # fmt: skip
        return
    if not steps:
        click.echo(f"{done.action}: OK; {instance.id} {status}")
    for s in steps:
        click.echo(f"{done.action}: OK; tiếp theo / next: {s['task_id']} {s['step']} \"{s['name']}\" unit={s['unit'] or '-'} role={s['role']}")


for _name in ACTIONS:
    task.add_command(_action_command(_name))
