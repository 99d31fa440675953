"""``giaoviec deploy``'s contract, through the real console script, on SQLite and PostgreSQL:
``KEY vN`` lines on success; one ``FILE: ELEMENT_ID: message`` line per problem on stderr and
exit 1 on failure; all files or none; never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import engine
from engine import ProcessDefinition, make_engine
from giaoviec.cli import main
from tests.engine import hostile
from tests.engine.bpmn_samples import process, user_task_chain
from tests.work import HANG_GUARD

ROOT = Path(__file__).resolve().parents[1]
LIBRARY_FILE = ROOT / "bpmn" / "giao_nhiem_vu.bpmn"
GIAOVIEC = shutil.which("giaoviec", path=str(Path(sys.executable).parent)) or str(
    Path(sys.executable).with_name("giaoviec")
)
ERROR_LINE = re.compile(r"(?P<file>.+?): (?P<element>[^\s:]+): (?P<message>\S.*)")

# start -> service task (unsupported) -> user task without a lane -> end, plus a dangling flow.
BAD_MODEL = process(
    '<bpmn:startEvent id="start"/><bpmn:serviceTask id="svc"/><bpmn:userTask id="u"/><bpmn:endEvent id="end"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="svc"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="svc" targetRef="u"/>'
    '<bpmn:sequenceFlow id="f3" sourceRef="u" targetRef="nowhere"/>',
    key="xau",
)
BAD_PROBLEMS = {
    ("svc", "bpmn_unsupported_element"),
    ("f3", "bpmn_dangling_reference"),
    ("u", "bpmn_user_task_no_lane"),
}


@pytest.fixture(scope="module", autouse=True)
def _canary() -> Iterator[hostile.Canary]:
    yield hostile.canary()
    hostile.close_canary()


def giaoviec(db_url: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIAOVIEC_DATABASE_URL": db_url}
    result = subprocess.run(
        [GIAOVIEC, *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG_GUARD
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def stored(db_url: str) -> list[tuple[str, int]]:
    db = make_engine(db_url)
    try:
        with db.connect() as conn:
            rows = conn.execute(
                select(ProcessDefinition.key, ProcessDefinition.version).order_by(
                    ProcessDefinition.id
                )
            )
            return [(key, version) for key, version in rows]
    finally:
        db.dispose()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_deploy_prints_key_and_version_lines(db_url: str, tmp_path: Path) -> None:
    first = giaoviec(db_url, "deploy", LIBRARY_FILE)
    assert (first.returncode, first.stdout, first.stderr) == (0, "giao_nhiem_vu v1\n", "")
    other = write(tmp_path, "p.bpmn", user_task_chain())
    changed = write(
        tmp_path, "giao_nhiem_vu.bpmn", LIBRARY_FILE.read_bytes().replace(b"P7D", b"P5D")
    )
    second = giaoviec(db_url, "deploy", LIBRARY_FILE, other, changed)
    # The unchanged file is a no-op (still v1); its edited copy becomes v2.
    assert (second.returncode, second.stdout) == (0, "giao_nhiem_vu v1\np v1\ngiao_nhiem_vu v2\n")
    assert stored(db_url) == [("giao_nhiem_vu", 1), ("p", 1), ("giao_nhiem_vu", 2)]


def test_a_bad_file_is_one_stderr_line_per_problem_and_exit_1(db_url: str, tmp_path: Path) -> None:
    bad = write(tmp_path, "xau.bpmn", BAD_MODEL)
    result = giaoviec(db_url, "--lang", "en", "deploy", bad)
    assert (result.returncode, result.stdout) == (1, "")
    lines = result.stderr.splitlines()
    matches = [ERROR_LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    assert {m["file"] for m in matches if m} == {str(bad)}
    assert {m["element"] for m in matches if m} == {element for element, _ in BAD_PROBLEMS}
    assert len(lines) == len(BAD_PROBLEMS)
    assert any("bpmn:serviceTask is not supported" in line for line in lines)
    vietnamese = giaoviec(db_url, "deploy", bad)
    assert vietnamese.returncode == 1 and "chưa được hỗ trợ" in vietnamese.stderr
    assert stored(db_url) == []


def test_json_output_is_machine_readable(db_url: str, tmp_path: Path) -> None:
    ok = giaoviec(db_url, "deploy", "--json", LIBRARY_FILE)
    assert ok.returncode == 0
    assert json.loads(ok.stdout) == {
        "deployed": [
            {"file": str(LIBRARY_FILE), "key": "giao_nhiem_vu", "version": 1, "created": True}
        ],
        "errors": [],
    }
    bad = write(tmp_path, "xau.bpmn", BAD_MODEL)
    refused = giaoviec(db_url, "--lang", "en", "deploy", "--json", bad)
    assert refused.returncode == 1
    report = json.loads(refused.stdout)
    assert report["deployed"] == []
    assert {(e["element_id"], e["code"]) for e in report["errors"]} == BAD_PROBLEMS
    assert all(e["file"] == str(bad) and e["message"] for e in report["errors"])


def test_one_bad_file_means_nothing_is_deployed(db_url: str, tmp_path: Path) -> None:
    good = write(tmp_path, "p.bpmn", user_task_chain())
    bad = write(tmp_path, "xau.bpmn", BAD_MODEL)
    result = giaoviec(db_url, "deploy", good, bad)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr and all(line.startswith(f"{bad}: ") for line in result.stderr.splitlines())
    assert stored(db_url) == []
    # The good file alone still deploys as the first version.
    assert giaoviec(db_url, "deploy", good).stdout == "p v1\n"


def test_a_missing_file_is_one_line(db_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "khong_co.bpmn"
    result = giaoviec(db_url, "deploy", LIBRARY_FILE, missing)
    assert result.returncode != 0 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "khong_co.bpmn" in result.stderr
    assert stored(db_url) == []


def test_a_60_mb_file_is_refused_with_one_line(db_url: str, tmp_path: Path) -> None:
    huge = write(tmp_path, "huge.bpmn", hostile.too_large_60mb())
    result = giaoviec(db_url, "--lang", "en", "deploy", huge)
    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert ERROR_LINE.fullmatch(line) and line.startswith(f"{huge}: -: ") and "too large" in line
    assert stored(db_url) == []


class _CountingReader:
    """A file handle that counts the bytes read through it."""

    def __init__(self, handle: Any, tally: list[int]) -> None:
        self._handle, self._tally = handle, tally

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._tally.append(len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> _CountingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


def test_a_file_over_the_limit_is_refused_by_its_size_without_reading_it(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = tmp_path / "huge.bpmn"
    with huge.open("wb") as handle:
        handle.truncate(60 * 1024 * 1024)  # sparse: the size is all there is to read cheaply
    tally: list[int] = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: _CountingReader(real_open(self, *a, **k), tally) if self == huge else real_open(self, *a, **k))
    monkeypatch.setenv("GIAOVIEC_DATABASE_URL", db_url)
    opened: list[Any] = []
    monkeypatch.setattr(engine, "make_engine", lambda *a, **k: opened.append(make_engine(*a, **k)) or opened[-1])
    try:
        result = CliRunner().invoke(main, ["--lang", "en", "deploy", str(huge)])
    finally:
        for db in opened:
            db.dispose()
    assert result.exit_code == 1 and "too large" in result.output
    assert sum(tally) == 0


def test_hostile_files_are_one_error_each(db_url: str, tmp_path: Path) -> None:
    names = ["xxe_http", "billion_laughs", "random_bytes", "empty"]
    paths = [write(tmp_path, f"{name}.bpmn", hostile.HOSTILE[name]()) for name in names]
    result = giaoviec(db_url, "--lang", "en", "deploy", "--json", *paths)
    assert result.returncode == 1
    errors = json.loads(result.stdout)["errors"]
    assert [(e["file"], e["code"]) for e in errors] == [
        (str(p), hostile.EXPECTED[n]) for p, n in zip(paths, names, strict=True)
    ]
    assert hostile.canary().hits == 0
    assert stored(db_url) == []


def test_db_upgrade_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'moi.sqlite3'}"
    first = giaoviec(url, "db", "upgrade")
    assert (first.returncode, first.stdout.strip()) == (0, "OK")
    assert giaoviec(url, "db", "upgrade").stdout.strip() == "OK"  # again: nothing to do
    assert giaoviec(url, "deploy", LIBRARY_FILE).stdout == "giao_nhiem_vu v1\n"
    db = make_engine(url)
    try:
        with db.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ProcessDefinition)).scalar() == 1
    finally:
        db.dispose()
