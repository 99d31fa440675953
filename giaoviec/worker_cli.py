"""``giaoviec worker [--once] [--now ISO-INSTANT] [--poll SECONDS] [--json]``."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import click

from engine import BadData, Transport
from giaoviec.shell import Context, emit_json, freeze_startup_objects, handled, parse_instant
from giaoviec.worker import Worker


@click.command("worker")
@click.option("--once", is_flag=True, help="Chạy một lượt rồi dừng (cho cron, chạy thử, kiểm thử).")
@click.option("--now", "now_raw", help="Chạy lượt đó như thể lúc này (ISO 8601 có múi giờ); chỉ dùng với --once.")
@click.option("--poll", type=float, default=2.0, show_default=True, help="Giây giữa hai lượt.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def worker(ctx: Context, once: bool, now_raw: str | None, poll: float, as_json: bool) -> None:
    """Bộ chạy nền: hẹn giờ, mở kỳ, đánh dấu quá hạn, đôn đốc, gửi thư. Dừng êm khi nhận SIGTERM."""
    now = parse_instant(now_raw)
    if now is not None and not once:
        raise click.UsageError("--now chỉ dùng cùng --once / --now needs --once")
    runner = Worker(ctx.engine, transport=_transport(), base_url=os.environ.get("GIAOVIEC_BASE_URL", "http://localhost:5000"))
    if once:
        report = runner.run_once(now)
        if as_json:
            emit_json(report.as_json())
        else:
            click.echo(" ".join(f"{k}={v}" for k, v in report.as_json().items()))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"giaoviec worker {runner.worker_id}: mỗi {poll:g} giây một lượt; Ctrl+C hoặc SIGTERM để dừng.")
    freeze_startup_objects()
    runner.run_forever(poll)


def _transport() -> Callable[[], Transport] | None:
    """SMTP from GIAOVIEC_SMTP_URL and GIAOVIEC_MAIL_FROM; without them mail waits in the outbox."""
    if not os.environ.get("GIAOVIEC_SMTP_URL"):
        return None
    from workflows.notify.smtp import SmtpConfig, SmtpTransport

    try:
        config = SmtpConfig.from_env()
    except ValueError as exc:
        raise BadData(detail=f"cấu hình thư điện tử / mail settings: {exc}") from None
    return lambda: SmtpTransport(config)


@click.command("mail-failures")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@handled
def mail_failures(ctx: Context, as_json: bool) -> None:
    """Thư không gửi được (đã bỏ cuộc), mới nhất trước: người nhận, lỗi, số lần thử."""
    from engine import failed_messages

    with ctx.engine.read() as session:
        rows = [{"id": str(m.id), "kind": m.kind, "recipient": m.recipient, "attempts": m.attempts,
                 "created_at": m.created_at.isoformat(), "error": m.last_error,
                 "subject": (m.payload or {}).get("subject")} for m in failed_messages(session)]  # fmt: skip
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['created_at']}  {row['recipient']}  ({row['attempts']} lần): {row['error']}")
    click.echo(f"Tổng: {len(rows)} thư không gửi được")
