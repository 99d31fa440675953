"""The demo's passwords and the logins ``giaoviec demo load`` prints, one per role."""

from __future__ import annotations

import click

from giaoviec.shell import Context
from workflows.accounts import demo_passwords_missing, profiles, set_demo_passwords
from workflows.accounts.passwords import random_password
from workflows.org.demo import DemoShape, demo_logins
from workflows.roles import ROLE_NAMES


def set_demo_password(ctx: Context, chosen: str | None) -> str:
    """Set the demo people's password: ``chosen``, else a random one when some have none yet.
    Return the line that tells the person what their password is."""
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        if chosen is None and not demo_passwords_missing(uow, DemoShape.code):
            return ("Mật khẩu: như lần chạy trước (không in lại); đặt GIAOVIEC_DEMO_PASSWORD=… rồi chạy lại để đổi. / "
                    "password: as set before (not shown again)")  # fmt: skip
        password = chosen or random_password()
        count = set_demo_passwords(uow, DemoShape.code, password)
    if chosen is not None:
        return f"Mật khẩu chung của {count} người dùng mẫu: lấy từ GIAOVIEC_DEMO_PASSWORD / password: GIAOVIEC_DEMO_PASSWORD"
    return f"Mật khẩu chung của {count} người dùng mẫu (chỉ in lần này) / demo password (shown once): {password}"


def print_demo_logins(ctx: Context, password_line: str, base_url: str) -> None:
    logins = demo_logins()
    with ctx.engine.read() as session:
        people = {p.username: p for p in profiles(session, logins.values())}
    click.echo("")
    click.echo(f"Đăng nhập / log in: {base_url.rstrip('/')}/login")
    click.echo(password_line)
    rows = [(ROLE_NAMES[role][0], name, people[name].full_name, people[name].unit_name) for role, name in logins.items() if name in people]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        click.echo("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
