"""What every command of the shell shares: the context, error handling, argument parsing."""

from __future__ import annotations

import functools
import json
import logging
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

import engine
import workflows  # noqa: F401  (registers the domain's messages)
from engine import EngineError, ProcessEngine, SystemClock
from workflows.roles import role_catalog

log = logging.getLogger("giaoviec")
F = TypeVar("F", bound=Callable[..., Any])


class Context:
    def __init__(self, lang: str, actor: str) -> None:
        self.lang = lang
        self.actor = actor
        self._engine: ProcessEngine | None = None

    @property
    def engine(self) -> ProcessEngine:
        if self._engine is None:
            from workflows.hooks import install

            self._engine = install(ProcessEngine(engine.make_engine(), clock=SystemClock(), roles=role_catalog()))
        return self._engine

    def message(self, code: str, **params: Any) -> str:
        return engine.render(code, self.lang, **params)


def fail(ctx: Context, text: str, code: int = 1) -> None:
    click.echo(text.replace("\n", " "), err=True)
    sys.exit(code)


def handled(func: F) -> F:
    """Turn every expected failure into one line on stderr; unexpected ones too, with exit 3."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx: Context = click.get_current_context().obj
        try:
            return func(*args, **kwargs)
        except EngineError as exc:
            fail(ctx, exc.message(ctx.lang))
        except (OperationalError, ProgrammingError) as exc:
            text = str(exc.orig).lower()
            if "no such table" in text or "does not exist" in text and "relation" in text:
                fail(ctx, ctx.message("database_not_ready"))
            fail(ctx, ctx.message("database_unreachable", detail=str(exc.orig).splitlines()[0][:300]))
        except SQLAlchemyError as exc:
            fail(ctx, ctx.message("database_unreachable", detail=type(exc).__name__), 3)
        except BrokenPipeError:
            # The reader went away (``giaoviec tasks | head``): stop quietly, as Unix tools do.
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:
            fail(ctx, f"{exc.filename or ''}: {exc.strerror or exc}".strip(": "))
        except Exception as exc:  # a shell's last line of defence: no traceback reaches a person
            # The traceback goes to the log only when asked for (GIAOVIEC_LOG=DEBUG), never by default.
            if log.isEnabledFor(logging.DEBUG):
                log.exception("unexpected failure")
            fail(ctx, f"Lỗi không mong đợi / unexpected error: {type(exc).__name__}: {str(exc)[:300]}", 3)

    return wrapper  # type: ignore[return-value]


def parse_data(ctx: Context, raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise engine.BadData(detail=f"--data không phải JSON / is not JSON: {exc.msg} (cột {exc.colno})") from None
    if not isinstance(value, dict):
        raise engine.BadData(detail="--data phải là một đối tượng JSON {…} / must be a JSON object")
    return value


def parse_uuid(raw: str, code: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        raise engine.NotFound(code, id=raw) from None


def parse_instant(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise engine.BadData(detail=f"thời điểm không hợp lệ / not an ISO instant: {raw}") from None
    if value.tzinfo is None:
        raise engine.BadData(detail=f"cần múi giờ, ví dụ +07:00 / a timezone is required: {raw}")
    return value


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
