"""``giaoviec serve [--host H] [--port P]``: the web app on Werkzeug's development server.

For one machine and a handful of people (a demo, a trial in one office); a production server
comes with the performance work. Settings come from the environment (webui/settings.py).
"""

from __future__ import annotations

import click

from giaoviec.shell import Context, freeze_startup_objects, handled


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Địa chỉ lắng nghe (0.0.0.0: mọi giao diện mạng).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Cổng.")
@click.pass_obj
@handled
def serve(ctx: Context, host: str, port: int) -> None:
    """Chạy ứng dụng web (máy chủ phát triển)."""
    from webui import create_app
    from webui.settings import from_environment

    settings = from_environment(host, port)
    app = create_app({**settings, "GIAOVIEC_ENGINE": ctx.engine})
    click.echo(f"Giao việc: {settings['GIAOVIEC_BASE_URL']}/  (máy chủ phát triển; Ctrl+C để dừng)")
    if not settings["SESSION_COOKIE_SECURE"] and host not in ("127.0.0.1", "localhost", "::1"):
        click.echo("Cảnh báo: cookie không có cờ Secure vì địa chỉ là http://; hãy dùng https khi mở ra mạng.", err=True)
    freeze_startup_objects()
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
