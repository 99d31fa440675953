"""Bad input on the command line: refused with exit 1 and one clear line, never a traceback, exit 3
or a false "Cannot reach the database"; nothing stored (issue 10, sections 5 and 6).

In process through click's CliRunner (the console script's own ``main``), so that a few dozen
refusals cost no interpreter start each.
"""

from __future__ import annotations

import json
import os
import threading
import unicodedata
from pathlib import Path

import click
import openpyxl
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, update
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from engine import AuditEvent, Instance, make_engine
from giaoviec.cli import main
from giaoviec.shell import Context, handled
from tests.fixtures.plugin import T0
from tests.workflows.plans.sample_files import SIMPLE_HEADER, tasks_csv
from workflows.org.models import OrgUnit, UnitAlias
from workflows.plans.extract_errors import MB
from workflows.plans.models import Plan

BIG = "99999999999999999999999"
DEEP = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
LONG_NUMBER = '{"n": ' + "1" * 5001 + "}"
UNITS = "Mã đơn vị,Tên đơn vị,Loại,Đơn vị cấp trên\nHP,Sở GDĐT Hải Phòng,so,\nHP.X001,UBND xã An Biên,xa,HP\nHP.X001.THCS01,Trường THCS An Biên,thcs,HP.X001\n"


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"GIAOVIEC_DATABASE_URL": url}, catch_exceptions=False)


def refused(result: Result, *needles: str) -> str:
    """The one line a refusal printed, checked: exit 1, nothing on stdout, every needle in it."""
    assert (result.exit_code, result.stdout) == (1, ""), (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert all(needle in lines[0] for needle in needles), lines[0]
    return lines[0]


# --- values refused while the command line is parsed, before any database work ---------------

PARSED = [
    (("start", "p", "--data", '{"d":"\\ud800"}'), ("--data", "U+D800")),
    (("start", "p", "--data", DEEP), ("--data", "lồng nhau quá sâu")),
    (("start", "p", "--data", LONG_NUMBER), ("--data", "số quá dài")),
    (("start", "p", "--data", '{"x": NaN}'), ("--data", "NaN")),
    (("start", "p", "--data", '{"x": 1e999}'), ("--data", "1e999")),
    (("start", "p", "--data", "[1, 2]"), ("--data", "đối tượng JSON")),
    (("start", "p", "--data", "{bad"), ("--data", "JSON")),
    (("complete", "00000000-0000-0000-0000-000000000000", "--data", DEEP), ("--data", "sâu")),
    (("incidents", "retry", BIG), ("INCIDENT_ID", BIG)),
    (("incidents", "retry", "1", "--data", '{"d":"\\udfff"}'), ("--data", "U+DFFF")),
    (("plan", "show", BIG), ("PLAN_ID", "9223372036854775807")),
    (("plan", "show", "abc"), ("PLAN_ID", "abc")),
    (("plan", "recheck", "0"), ("PLAN_ID", "từ 1")),
    (("plan", "exception", "0", "1", "--leader", "x", "--reason", "y"), ("PLAN_ID", "“0”")),
    (("plan", "dispatch", BIG), ("PLAN_ID", BIG)),
    (("status", "--plan", BIG), ("--plan", BIG)),
    (("tasks", "--limit", BIG), ("--limit", "10000")),
    (("tasks", "--limit", "-1"), ("--limit", "-1")),
    (("start", "p", "--version", BIG), ("--version", "2147483647")),
    (("start", "p", "--due", "2026-07-01"), ("--due", "múi giờ")),
    (("timers", "fire", "--now", "0001-01-01T00:00:00+07:00"), ("--now", "1990–2100")),
    (("timers", "fire", "--limit", "0"), ("--limit",)),
    (("status", "--plan", "1", "--now", "0001-01-01T00:00:00+07:00"), ("--now", "năm 1 ")),
    (("plan", "open-periods", "--now", "9999-12-31T23:59:59+07:00"), ("--now", "9999")),
    (("plan", "import", "x.csv", "--year", "0"), ("--year", "1990")),
    (("plan", "import", "x.csv", "--year", "-1"), ("--year", "-1")),
    (("plan", "import", "x.csv", "--issued-on", "31/02/2026"), ("--issued-on", "31/02/2026")),
    (("org", "demo", "--communes", BIG), ("--communes", "999")),
    (("org", "delegate", "a", "b", "--from", "0001-01-01", "--to", "2026-01-01"), ("--from", "1990")),
    (("--lang", "en", "tasks", "--limit", BIG), ("--limit", "must be a whole number from 1 to 10000")),
    (("--lang", "en", "start", "p", "--data", LONG_NUMBER), ("--data", "too long")),
]


@pytest.mark.parametrize(("args", "needles"), PARSED, ids=[f"{i}-{a[0]}-{a[1]}"[:40] for i, (a, _) in enumerate(PARSED)])
def test_bad_values_are_one_line_and_exit_1_before_the_database(tmp_path: Path, args: tuple[str, ...], needles: tuple[str, ...]) -> None:
    database = tmp_path / "never_opened.sqlite3"
    refused(invoke(f"sqlite:///{database}", *args), *needles)
    assert not database.exists()


# --- files: read with a bound, too large by their real size --------------------------------


def test_a_too_large_file_says_its_real_size_without_being_read(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    big = tmp_path / "lon.csv"
    with big.open("wb") as handle:
        handle.truncate(int(17.6 * MB))  # sparse: its size is known without a byte written or read
    refused(invoke(url, "plan", "import", str(big), "--dry-run"), "lon.csv", "(17.6 MB); giới hạn là 10 MB")
    refused(invoke(url, "--lang", "en", "org", "import-units", str(big)), "(17.6 MB); the limit is 10 MB")
    result = invoke(url, "deploy", str(big.rename(tmp_path / "lon.bpmn")))
    assert result.exit_code == 1 and "(17.6 MB); giới hạn là 5 MB" in result.stderr


def test_an_endless_stream_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "dong_vo_tan.csv"
    os.mkfifo(fifo)
    connected = threading.Event()
    written = 0

    def write() -> None:
        nonlocal written
        chunk = b"0" * 65536
        try:
            with fifo.open("wb") as pipe:
                connected.set()
                while written < 40 * MB:  # before the bound, all 40 MB were read (and /dev/zero never ended)
                    pipe.write(chunk)
                    written += len(chunk)
        except BrokenPipeError:  # the reader stopped reading and closed the stream
            pass

    writer = threading.Thread(target=write)
    writer.start()
    try:
        refused(invoke(f"sqlite:///{tmp_path / 'db.sqlite3'}", "org", "import-units", str(fifo)), "hơn 10 MB")
    finally:
        if not connected.is_set():  # the command never opened the stream: let the writer's open return
            fifo.open("rb").close()
        writer.join()
    assert written <= 10 * MB + 4 * 65536


def test_a_csv_quote_left_open_is_refused_naming_its_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    units = tmp_path / "don_vi.csv"
    units.write_text(UNITS.replace("UBND xã An Biên", '"UBND xã An Biên'), encoding="utf-8")
    refused(invoke(url, "org", "import-units", str(units)), "Dòng 3", "ngoặc kép")
    plan = tmp_path / "phu_luc.csv"
    plan.write_bytes(tasks_csv(wrapped=False).replace(b"\r\n1,", b'\r\n1,"', 1))
    refused(invoke(url, "plan", "import", str(plan), "--dry-run"), "Dòng 4", "ngoặc kép")


def test_the_dry_run_shows_hidden_rows_skipped_and_a_formula_without_value_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Nhiệm vụ"
    for row in (SIMPLE_HEADER, ["1", "Tập huấn", "Báo cáo", "Văn phòng Sở", "", "Quý I"], ["2", "Đã bỏ", "-", "Phòng KHTC", "", "Quý II"]):
        sheet.append(row)
    sheet.row_dimensions[3].hidden = True
    path = tmp_path / "phu_luc.xlsx"
    workbook.save(path)
    dry = invoke(url, "plan", "import", str(path), "--dry-run")
    assert dry.exit_code == 0 and "Đã bỏ" not in dry.stdout
    assert "Ghi chú: Bỏ qua các dòng ẩn 3 của trang tính “Nhiệm vụ”." in dry.stdout
    sheet["D2"] = '=CONCATENATE("Văn phòng ", "Sở")'  # openpyxl, like other programs, stores no computed value
    workbook.save(path)
    refused(invoke(url, "plan", "import", str(path), "--dry-run"), "“Nhiệm vụ”", "D2", "Excel")


# --- names and units, on both databases ------------------------------------------------------


@pytest.fixture
def province(db_url: str, tmp_path: Path) -> str:
    units = tmp_path / "don_vi.csv"
    units.write_text(UNITS, encoding="utf-8")
    assert invoke(db_url, "org", "import-units", str(units)).stdout.strip() == "OK 3"
    assert invoke(db_url, "deploy", "bpmn/giao_nhiem_vu.bpmn").exit_code == 0
    return db_url


def _count(url: str, query: object) -> int:
    db = make_engine(url)
    try:
        with db.connect() as conn:
            return conn.execute(query).scalar_one()  # type: ignore[arg-type]
    finally:
        db.dispose()


def test_start_refuses_an_unknown_unit_and_hidden_characters_and_starts_nothing(province: str) -> None:
    refused(invoke(province, "start", "giao_nhiem_vu", "--unit", "NOPE"), 'Không tìm thấy đơn vị "NOPE"')
    refused(invoke(province, "start", "giao_nhiem_vu", "--unit", "HP.X001.THCS01\u200f"), "U+200F RIGHT-TO-LEFT MARK")
    refused(invoke(province, "start", "giao_nhiem_vu", "--unit", " "), "Mã đơn vị không được để trống")
    assert _count(province, select(func.count()).select_from(Instance)) == 0
    # A code is trimmed, a key typed decomposed (NFD) is the key: both start.
    started = invoke(province, "start", unicodedata.normalize("NFD", "giao_nhiem_vu"), "--unit", " HP.X001.THCS01 ", "--json")
    assert started.exit_code == 0 and json.loads(started.stdout)["unit"] == "HP.X001.THCS01"


def test_names_are_refused_when_blank_hidden_or_too_long_and_nothing_is_stored(province: str, tmp_path: Path) -> None:
    aliases = _count(province, select(func.count()).select_from(UnitAlias))
    refused(invoke(province, "org", "external", ""), "Tên đơn vị không được để trống")
    refused(invoke(province, "org", "external", "Sở \u202eKH&CN"), "U+202E")
    refused(invoke(province, "org", "demo", "--code", ""), "Mã đơn vị không được để trống")
    refused(invoke(province, "org", "alias", "HP.X001", "x" * 100_000), "quá dài (100000 ký tự; tối đa 300)")
    refused(invoke(province, "--lang", "en", "org", "alias", "HP.X001", " \u200b "), "The alias must not be blank")
    units = tmp_path / "them.csv"
    units.write_text(f"Mã đơn vị,Tên đơn vị,Loại,Đơn vị cấp trên,Tên gọi khác\nHP.X001.MN01,Trường MN A,mn,HP.X001,{'y' * 301}\n", encoding="utf-8")
    result = invoke(province, "org", "import-units", str(units))
    assert result.exit_code == 1 and result.stderr.strip() == f"{units}: dòng 2: Tên gọi khác quá dài (301 ký tự; tối đa 300)."
    assert _count(province, select(func.count()).select_from(UnitAlias)) == aliases
    # What copying from Word leaves (zero-width space, doubled spaces) is cleaned, not refused.
    assert invoke(province, "org", "external", " Sở\u200b  KH&CN ").stdout.strip() == "HP.NGOAI001"
    assert _count(province, select(func.count()).select_from(UnitAlias).where(UnitAlias.alias == "Sở KH&CN")) == 1


# --- a plan is imported once per number and year ----------------------------------------------


def test_a_plan_imported_twice_is_refused_or_replaced_while_a_draft(province: str, tmp_path: Path) -> None:
    path = tmp_path / "phu_luc.csv"
    path.write_bytes(tasks_csv())
    first = invoke(province, "plan", "import", str(path), "--year", "2026", "--number", "637/KH-SGDĐT").stdout.strip()
    again = invoke(province, "plan", "import", str(path), "--year", "2026", "--number", " 637/KH-SGDĐT ")
    refused(again, f"637/KH-SGDĐT năm 2026 đã được nhập (#{first})", "--replace")
    assert invoke(province, "plan", "import", str(path), "--year", "2027", "--number", "637/KH-SGDĐT").exit_code == 0

    second = invoke(province, "plan", "import", str(path), "--year", "2026", "--number", "637/KH-SGDĐT", "--replace").stdout.strip()
    assert second.isdigit() and second != first
    refused(invoke(province, "plan", "show", first), f"Không tìm thấy kế hoạch {first}")
    assert _count(province, select(func.count()).select_from(AuditEvent).where(AuditEvent.event == "plan_replaced")) == 1

    db = make_engine(province)
    with db.begin() as conn:
        conn.execute(update(Plan).where(Plan.id == int(second)).values(status="dispatched"))
    db.dispose()
    replaced = invoke(province, "plan", "import", str(path), "--year", "2026", "--number", "637/KH-SGDĐT", "--replace")
    refused(replaced, f"(#{second}) đã được giao nên không thể thay thế")


def test_the_database_keeps_one_plan_per_number_and_year(province: str) -> None:
    db = make_engine(province)

    def plan(session: Session, number: str | None) -> Plan:
        root = session.scalars(select(OrgUnit.id).where(OrgUnit.code == "HP")).one()
        return Plan(root_id=root, issuer_unit_id=root, number=number, title="t", year=2026, created_at=T0, created_by="t")

    try:
        with Session(db) as session, session.begin():
            session.add(plan(session, "1/KH"))
        with pytest.raises(IntegrityError), Session(db) as session, session.begin():
            session.add(plan(session, "1/KH"))
        with Session(db) as session, session.begin():  # plans without a number are not one document
            session.add_all([plan(session, None), plan(session, None)])
    finally:
        db.dispose()


# --- what the database refuses is reported as what it is --------------------------------------


@pytest.mark.parametrize(
    ("error", "code", "needle"),
    [
        (StatementError("bind", "SELECT 1", {}, OverflowError("int too large")), 3, "OverflowError: int too large"),
        (DataError("SELECT 1", {}, Exception("value too long for type character varying(300)")), 1, "Dữ liệu không hợp lệ: value too long"),
        (IntegrityError("INSERT", {}, Exception("duplicate key")), 1, "vi phạm ràng buộc dữ liệu"),
    ],
)
def test_database_errors_are_not_called_unreachable(error: Exception, code: int, needle: str) -> None:
    @click.command()
    @click.pass_obj
    @handled
    def failing(ctx: Context) -> None:
        raise error

    result = CliRunner().invoke(failing, [], obj=Context("vi", "test"))
    assert result.exit_code == code and needle in result.stderr and "kết nối" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
