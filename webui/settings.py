"""The web app's settings from the environment, for ``giaoviec serve`` (and a WSGI server later).

- ``GIAOVIEC_SECRET_KEY``, else a key generated once into the instance folder
  (``GIAOVIEC_INSTANCE_DIR``, default ``./instance``) as ``secret_key`` (mode 0600), so that
  sessions survive a restart and every process of one installation shares it;
- ``GIAOVIEC_BASE_URL``: where people reach the app (links in emails); default from host and port;
- ``GIAOVIEC_COOKIE_SECURE`` (1/0): Secure cookies; by default on exactly when the base URL is
  https (a browser drops Secure cookies sent over plain http, so http needs it off);
- ``GIAOVIEC_TRUSTED_PROXIES``: reverse proxies in front that set X-Forwarded-For (default 0).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

INSTANCE_DIR_ENV = "GIAOVIEC_INSTANCE_DIR"


def from_environment(host: str, port: int) -> dict[str, Any]:
    base_url = os.environ.get("GIAOVIEC_BASE_URL") or f"http://{host}:{port}"
    secure = os.environ.get("GIAOVIEC_COOKIE_SECURE")
    return {
        "SECRET_KEY": os.environ.get("GIAOVIEC_SECRET_KEY") or instance_secret_key(instance_dir()),
        "GIAOVIEC_BASE_URL": base_url.rstrip("/"),
        "SESSION_COOKIE_SECURE": secure.strip().lower() in ("1", "true", "yes", "on") if secure else base_url.startswith("https://"),
        "GIAOVIEC_TRUSTED_PROXIES": int(os.environ.get("GIAOVIEC_TRUSTED_PROXIES", "0")),
    }


def instance_dir() -> Path:
    return Path(os.environ.get(INSTANCE_DIR_ENV, "instance")).resolve()


def instance_secret_key(folder: Path) -> str:
    """The installation's key, created on first use; two processes starting at once agree on it."""
    path = folder / "secret_key"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise ValueError(f"{path}: the secret key is missing or too short; delete the file to make a new one") from None
        return key
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key
