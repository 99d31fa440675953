"""Anchors: the audit chain's head, published outside the database.

An anchor file is an append-only text file with one anchor a line (published at, seal number,
that seal's hash)::

    2026-03-02T01:00:00.000000+00:00 42 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08

The worker appends the head when it has moved and at least ``ANCHOR_INTERVAL`` has passed since
the file's last line, so an idle system writes nothing and a busy one a line a minute (about
150 KB a day). The file is ``GIAOVIEC_AUDIT_ANCHOR_FILE``, by default ``audit-anchors.txt`` in the
instance folder; the operator ships it to write-once storage (``chattr +a``, an object lock, a
remote syslog), where whoever controls the database cannot reach it. ``giaoviec audit verify
--anchor FILE`` checks the chain against any number of such files, or against lines copied from
the inspectors' daily email. What each anchor proves, and the back-dating rule: ``engine.audit``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, NoReturn

from engine.audit import Anchor, head_anchor, seal_pending
from engine.db import instance_dir
from engine.errors import BadData

if TYPE_CHECKING:
    from engine.process_engine import ProcessEngine

log = logging.getLogger(__name__)

ANCHOR_FILE_ENV = "GIAOVIEC_AUDIT_ANCHOR_FILE"
ANCHOR_INTERVAL = timedelta(minutes=1)
MAX_LINE_BYTES = 200  # a line is about 100 bytes; anything longer is not an anchor file
_TAIL_BYTES = 4096
_SEAL_BATCH = 50_000


def default_anchor_path() -> Path:
    configured = os.environ.get(ANCHOR_FILE_ENV)
    return Path(configured) if configured else instance_dir() / "audit-anchors.txt"


def anchor_line(anchor: Anchor) -> str:
    return f"{anchor.published_at.isoformat(timespec='microseconds')} {anchor.seq} {anchor.hash}"


def parse_anchor(line: str, origin: str) -> Anchor:
    """One line of an anchor file (or of the daily email); ``origin`` names it in errors."""
    parts = line.split()
    if len(parts) != 3:
        _malformed(origin, f"3 phần, không phải {len(parts)} / 3 parts, not {len(parts)}")
    instant, seq, digest = parts
    try:
        published_at = datetime.fromisoformat(instant)
    except ValueError:
        _malformed(origin, f"thời điểm / instant {instant[:40]!r}")
    if published_at.tzinfo is None:
        _malformed(origin, f"thiếu múi giờ / no timezone in {instant[:40]!r}")
    if not (seq.isascii() and seq.isdigit()) or int(seq) < 1 or len(seq) > 19:
        _malformed(origin, f"số niêm phong / seal number {seq[:40]!r}")
    if len(digest) != 64 or digest.strip("0123456789abcdef"):
        _malformed(origin, f"mã băm sha256 / sha256 hash {digest[:70]!r}")
    return Anchor(published_at, int(seq), digest)


def read_anchors(path: Path) -> Iterator[tuple[str, Anchor]]:
    """Each anchor of the file with where it came from ("FILE:LINE"); blank lines and ``#``
    comments are skipped. Read a bounded line at a time: any file size, constant memory."""
    with path.open("rb") as handle:
        number = 0
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            number += 1
            origin = f"{path}:{number}"
            if len(raw) > MAX_LINE_BYTES:
                _malformed(origin, f"dòng dài quá {MAX_LINE_BYTES} byte / line longer than {MAX_LINE_BYTES} bytes")
            try:
                line = raw.decode("utf-8").strip()  # comments may be Vietnamese
            except UnicodeDecodeError:
                _malformed(origin, "không phải văn bản UTF-8 / not UTF-8 text")
            if line and not line.startswith("#"):
                yield origin, parse_anchor(line, origin)


def _malformed(origin: str, detail: str) -> NoReturn:
    raise BadData("audit_anchor_malformed", origin=origin, detail=detail)


class Publication(NamedTuple):
    head: Anchor | None  # the chain's head now (None while nothing is sealed)
    written: bool  # whether it was appended to the file now


def publish_head(pe: ProcessEngine, path: Path, *, interval: timedelta = ANCHOR_INTERVAL) -> Publication:
    """Once ``interval`` has passed since the file's last line: seal every committed event, then
    append the head if it moved. The instant is the engine's clock, never a sweep's simulated
    ``now``: an anchor dated in the future would make every later event look back-dated.
    Between anchors this only reads the file's tail and the head (a sweep runs every 2 s)."""
    now = pe.clock.now()
    last, ends_with_newline = _tail(path)
    due = last is None or now - last.published_at >= interval
    while due:
        with pe.write_session() as session, session.begin():
            if seal_pending(session, now, limit=_SEAL_BATCH, thorough=True) < _SEAL_BATCH:
                break
    with pe.read() as session:
        head = head_anchor(session, now)
    if not due or head is None:
        return Publication(head, False)
    if last is not None and head.seq <= last.seq:
        if head.seq < last.seq:
            log.warning("the audit chain ends at seal #%s, before the last anchor (#%s): run giaoviec audit verify --anchor %s",
                        head.seq, last.seq, path)  # fmt: skip
        return Publication(head, False)
    _append(path, head, ends_with_newline)
    return Publication(head, True)


def _append(path: Path, anchor: Anchor, ends_with_newline: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write() with O_APPEND: lines of two workers sharing the file never interleave. A line cut
    # short by a crash stays on its own line (verify names it), the next anchor on a fresh one.
    data = ("" if ends_with_newline else "\n") + anchor_line(anchor) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _tail(path: Path) -> tuple[Anchor | None, bool]:
    """The file's last anchor (None if none can be read) and whether it ends with a newline."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read()
    except FileNotFoundError:
        return None, True
    lines = [line.strip() for line in tail.decode("ascii", "replace").splitlines() if line.strip()]
    try:
        last = parse_anchor(lines[-1], str(path)) if lines else None
    except BadData:
        last = None
    return last, not tail or tail.endswith(b"\n")
