"""``giaoviec users …``: what an administrator does to people's accounts from the server."""

from __future__ import annotations

import click

import engine
from giaoviec.shell import Context, emit_json, handled
from workflows.accounts import end_user_sessions, set_password
from workflows.actions.people import list_users


@click.group("users", invoke_without_command=True)
@click.option("--unit", help="Chỉ người dùng của đơn vị này (mã).")
@click.option("--role", help="Chỉ người có vai trò này (leader, officer, clerk, admin, inspector).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handled
def users(click_ctx: click.Context, unit: str | None, role: str | None, as_json: bool) -> None:
    """Người dùng: danh sách; mật khẩu, phiên đăng nhập / users: the list; passwords, sessions."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Context = click_ctx.obj
    with ctx.engine.read() as session:
        rows = list_users(session, unit=unit, role=role)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['username']}  {r['name']}  {r['unit']}  {','.join(r['roles'])}")


@users.command("end-sessions")
@click.argument("username")
@click.pass_obj
@handled
def end_sessions(ctx: Context, username: str) -> None:
    """Kết thúc mọi phiên đăng nhập của USERNAME (mọi trình duyệt phải đăng nhập lại)."""
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        ended = end_user_sessions(uow, username)
    click.echo(f"{username}: đã kết thúc {ended} phiên / {ended} session(s) ended")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ dòng đầu của đầu vào chuẩn (cho script).")
@click.pass_obj
@handled
def set_password_command(ctx: Context, username: str, password_stdin: bool) -> None:
    """Đặt mật khẩu mới cho USERNAME (ít nhất 8 ký tự) và kết thúc các phiên đang mở."""
    if password_stdin:
        password = click.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = click.prompt("Mật khẩu mới / new password", hide_input=True)
        if click.prompt("Nhập lại / again", hide_input=True) != password:
            raise engine.BadData("password_mismatch")
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        ended = set_password(uow, username, password)
    click.echo(f"{username}: đã đặt mật khẩu mới; {ended} phiên đã kết thúc / password set; {ended} session(s) ended")
