"""What every command of the shell shares: the context, error handling, and the parsing of
everything a person types or points at: JSON, instants, days, whole numbers, files.

Bad input is refused where it enters, before any database work, with one line that names the
option and says what is wrong and what is accepted, and exit code 1 (``InputRefused``): never a
traceback, never exit 3, never a misleading "Cannot reach the database". Each kind of value has
one parsing function here (``parse_json_object``, ``parse_instant``, ``parse_day``,
``parse_whole``, ``read_file``) and the click types that call them (``JSON_OBJECT``,
``INSTANT``, ``day()``, ``whole()``, ``ID``, ``YEAR``).
"""

from __future__ import annotations

import functools
import gc
import json
import logging
import os
import re
import stat
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy.exc import (
    DataError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)

import engine
import workflows  # noqa: F401  (registers the domain's messages)
from engine import BadData, EngineError, ProcessEngine, SystemClock, register
from workflows.plans.extract_errors import megabytes
from workflows.roles import role_catalog
from workflows.timeframes.model import MAX_YEAR, MIN_YEAR

log = logging.getLogger("giaoviec")
F = TypeVar("F", bound=Callable[..., Any])

MAX_ID = 2**63 - 1  # BIGINT: no row id is larger, so a larger one is a typing error, not "not found"

register({
    "input_not_json": ("không phải JSON hợp lệ: {detail} (cột {column}).", "is not valid JSON: {detail} (column {column})."),
    "input_json_too_deep": ("JSON lồng nhau quá sâu.", "the JSON is nested too deeply."),
    "input_json_number": (
        "có số quá dài hoặc không hữu hạn: {value}.",
        "holds a number that is too long or not finite: {value}.",
    ),
    "input_json_surrogate": (
        "có chuỗi chứa ký tự Unicode không hợp lệ (nửa cặp thay thế {char}).",
        "holds a string with an invalid Unicode character (a lone surrogate, {char}).",
    ),
    "input_not_object": ("phải là một đối tượng JSON {{…}}.", "must be a JSON object {{…}}."),
    "input_whole_number": (
        "phải là số nguyên từ {low} đến {high}, không phải “{value}”.",
        "must be a whole number from {low} to {high}, not “{value}”.",
    ),
    "input_instant": (
        "không phải thời điểm ISO 8601 (ví dụ 2026-07-01T17:00:00+07:00): “{value}”.",
        "is not an ISO 8601 instant (e.g. 2026-07-01T17:00:00+07:00): “{value}”.",
    ),
    "input_instant_timezone": ("cần múi giờ, ví dụ +07:00: “{value}”.", "needs a timezone, e.g. +07:00: “{value}”."),
    "input_day": ("không phải ngày hợp lệ ({formats}): “{value}”.", "is not a valid day ({formats}): “{value}”."),
    "input_year_range": ("năm {year} nằm ngoài khoảng {low}–{high}.", "the year {year} is outside {low}–{high}."),
    "file_too_large": (
        "Tệp {file} quá lớn ({size} MB); giới hạn là {limit} MB.",
        "The file {file} is too large ({size} MB); the limit is {limit} MB.",
    ),
    "stream_too_large": (
        "Tệp {file} quá lớn (hơn {limit} MB); giới hạn là {limit} MB.",
        "The file {file} is too large (more than {limit} MB); the limit is {limit} MB.",
    ),
    "database_constraint": (
        "Thao tác vi phạm ràng buộc dữ liệu; không có thay đổi nào được áp dụng: {detail}",
        "The change breaks a data constraint; nothing was applied: {detail}",
    ),
})  # fmt: skip


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

    def close(self) -> None:
        """Close the database connections, if any were opened (at the end of every command)."""
        if self._engine is not None:
            self._engine.db.dispose()
            self._engine = None


def fail(ctx: Context, text: str, code: int = 1) -> NoReturn:
    click.echo(text.replace("\n", " "), err=True)
    sys.exit(code)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300]


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
            fail(ctx, ctx.message("database_unreachable", detail=_first_line(exc.orig)))
        except DataError as exc:  # a value the database refused (too long, out of range) past every check
            fail(ctx, ctx.message("bad_data", detail=_first_line(exc.orig)))
        except IntegrityError as exc:  # a unique or foreign key the database kept, e.g. after a race
            fail(ctx, ctx.message("database_constraint", detail=_first_line(exc.orig)))
        except SQLAlchemyError as exc:
            # Not the connection: a value the driver could not even send (a StatementError around
            # an OverflowError, say) is a check missing here, and is reported as what it is.
            _unexpected(getattr(exc, "orig", None) or exc)
        except BrokenPipeError:
            # The reader went away (``giaoviec tasks | head``): stop quietly, as Unix tools do.
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:
            fail(ctx, f"{exc.filename or ''}: {exc.strerror or exc}".strip(": "))
        except Exception as exc:  # a shell's last line of defence: no traceback reaches a person
            _unexpected(exc)

    return wrapper  # type: ignore[return-value]


def _unexpected(exc: BaseException) -> NoReturn:
    # The traceback goes to the log only when asked for (GIAOVIEC_LOG=DEBUG), never by default.
    if log.isEnabledFor(logging.DEBUG):
        log.exception("unexpected failure")
    click.echo(f"Lỗi không mong đợi / unexpected error: {type(exc).__name__}: {_first_line(exc)}", err=True)
    sys.exit(3)


# --- values typed on the command line -------------------------------------------------------


def _shown(raw: str, width: int = 40) -> str:
    return raw if len(raw) <= width else raw[:width] + "…"


def parse_json_object(raw: str) -> dict[str, Any]:
    """A JSON object; refused when it is not JSON, too deep for the parser, holds a number too
    long or not finite (NaN, Infinity, 1e999), or a string that is not Unicode (lone surrogates)."""

    def number(text: str) -> int | float:
        try:
            value = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:  # Python refuses to convert an integer of more than 4,300 digits
            raise BadData("input_json_number", value=_shown(text, 20)) from None
        if value in (float("inf"), float("-inf")):
            raise BadData("input_json_number", value=_shown(text, 20))
        return value

    def constant(text: str) -> NoReturn:
        raise BadData("input_json_number", value=text)

    try:
        value = json.loads(raw, parse_int=number, parse_float=number, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise BadData("input_not_json", detail=exc.msg, column=exc.colno) from None
    except RecursionError:
        raise BadData("input_json_too_deep") from None
    if not isinstance(value, dict):
        raise BadData("input_not_object")
    _refuse_surrogates(value)
    return value


def _refuse_surrogates(value: Any) -> None:
    """Strings that cannot be encoded as UTF-8 cannot be stored; found without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += item.keys()
            stack += item.values()
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise BadData("input_json_surrogate", char=f"U+{ord(item[exc.start]):04X}") from None


def parse_whole(raw: str, low: int, high: int) -> int:
    """A whole number in ``low``..``high`` (ASCII digits; never a 5,000-digit conversion)."""
    text = raw.strip()
    if re.fullmatch(r"[+-]?[0-9]{1,20}", text) and low <= int(text) <= high:
        return int(text)
    raise BadData("input_whole_number", low=low, high=high, value=_shown(raw))


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadData("input_year_range", year=year, low=MIN_YEAR, high=MAX_YEAR)


def parse_instant(raw: str | None) -> datetime | None:
    """An ISO 8601 instant with its timezone, in the years the domain handles (None stays None)."""
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise BadData("input_instant", value=_shown(raw)) from None
    if value.tzinfo is None:
        raise BadData("input_instant_timezone", value=_shown(raw))
    _check_year(value.year)
    return value


def parse_day(raw: str, formats: tuple[str, ...]) -> date:
    """A calendar day written in one of ``formats`` ("%Y-%m-%d", "%d/%m/%Y"), in the domain's years."""
    for form in formats:
        try:
            parsed = time.strptime(raw.strip(), form)
        except ValueError:
            continue
        value = date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
        _check_year(value.year)
        return value
    shown = ", ".join(form.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD") for form in formats)
    raise BadData("input_day", formats=shown, value=_shown(raw))


def parse_uuid(raw: str, code: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        raise engine.NotFound(code, id=_shown(raw)) from None


class InputRefused(click.ClickException):
    """A value refused while the command line is parsed: one line on stderr, exit 1 (bad input,
    not a usage error; click's own usage errors keep exit 2)."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(self.message.replace("\n", " "), err=True)


class Checked(click.ParamType):
    """A click type that parses with one of the functions above."""

    def __init__(self, name: str, parse: Callable[[str], Any]) -> None:
        self.name = name
        self._parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):  # a default, already a value
            return value
        try:
            return self._parse(value)
        except EngineError as exc:
            root = ctx.find_root().obj if ctx is not None else None
            label = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name if param else self.name
            raise InputRefused(f"{label}: {exc.message(getattr(root, 'lang', 'vi'))}") from None


def whole(low: int, high: int) -> Checked:
    return Checked("integer", lambda raw: parse_whole(raw, low, high))


def day(*formats: str) -> Checked:
    return Checked("date", lambda raw: parse_day(raw, formats))


JSON_OBJECT = Checked("json", parse_json_object)
INSTANT = Checked("instant", parse_instant)
ID = whole(1, MAX_ID)
YEAR = whole(MIN_YEAR, MAX_YEAR)


# --- files ---------------------------------------------------------------------------------


def read_file(path: Path, limit: int) -> bytes:
    """Every byte of the file at ``path``, which may hold at most ``limit``: a larger regular file
    is refused by its size without being read, and a stream (a pipe, /dev/zero) after ``limit``
    bytes. The one way the shell reads a file a person names."""
    with path.open("rb") as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise BadData("file_too_large", file=path.name, size=megabytes(info.st_size, limit), limit=megabytes(limit))
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise BadData("stream_too_large", file=path.name, limit=megabytes(limit))
    return data


def freeze_startup_objects() -> None:
    """Leave what a long-running process has built at startup (modules, mappers, the parsed
    processes) out of Python's full garbage collections: each scanned all of it, a ~90 ms pause
    in the request or sweep that met it, about every 3,000 completions (bench/README.md, h20)."""
    gc.collect()
    gc.freeze()


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
