"""``giaoviec mail-sink [--host H] [--port P] [--dir DIR]``: a local SMTP server that keeps mail.

For the demo and a trial in one office: the worker sends its urging and escalation emails here
(``GIAOVIEC_SMTP_URL=smtp://127.0.0.1:8025``) and each message lands as a ``.eml`` file that any
mail program opens, one line per message on the console. It delivers nothing anywhere else, so a
demo can never email a real school. aiosmtpd is the same server the tests use.
"""

from __future__ import annotations

import contextlib
import threading
from email import message_from_bytes, policy
from email.utils import parseaddr
from pathlib import Path

import click
from aiosmtpd.controller import Controller

from giaoviec.shell import Context, handled


class Keeper:
    """aiosmtpd handler: write each message to ``folder/NNNNNN.eml`` and say so on the console."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._next = 1 + max((int(p.stem) for p in folder.glob("*.eml") if p.stem.isdigit()), default=0)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001 — aiosmtpd's signature
        with self._lock:
            path = self.folder / f"{self._next:06d}.eml"
            self._next += 1
        path.write_bytes(envelope.content)
        message = message_from_bytes(envelope.content, policy=policy.default)
        recipients = ", ".join(parseaddr(a)[1] for a in envelope.rcpt_tos)
        click.echo(f"{path.name}  → {recipients}  {message.get('Subject', '')}")
        return "250 OK"


@click.command("mail-sink")
@click.option("--host", default="127.0.0.1", show_default=True, help="Địa chỉ lắng nghe.")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(1, 65535), help="Cổng SMTP.")
@click.option("--dir", "folder", default="instance/mail", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Thư mục lưu thư (.eml).")  # fmt: skip
@click.pass_obj
@handled
def mail_sink(ctx: Context, host: str, port: int, folder: Path) -> None:
    """Máy chủ thư thử nghiệm: nhận thư đôn đốc và lưu thành tệp .eml, không gửi đi đâu."""
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Keeper(folder), hostname=host, port=port)
    controller.start()
    click.echo(f"Hộp thư thử nghiệm: smtp://{host}:{port} → {folder}/  (Ctrl+C để dừng)")
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a person stops it
            threading.Event().wait()
    finally:
        controller.stop()
