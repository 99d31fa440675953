"""A person's inbox over many task rows: ``workflows.actions.inbox`` (the permission filter, the
counts of every scope, one page) beside the raw indexed query on the same rows.

Run from the repository root::

    .venv/bin/python -m bench.inbox_bench [--db sqlite|postgresql|both] [--tasks 1000000]
                                          [--communes 50] [--schools 20] [--repeat 200] [--json out.json]

The rows: a province (a Sở, ``--communes`` communes of ``--schools`` schools each) and a year of
monthly reports: ``--tasks`` human task rows spread evenly over the schools and 12 months, one
instance per (school, month) (the inbox never reads the instance). Months 1–11 are completed;
month 12 is open, one row in ten assigned to the school's officer, deadlines spread from 20 days
ago to 40 days ahead. Inserted directly (executemany, 20,000 rows a statement batch), not
through the engine: the bench measures reads.

Measured, per database, ``--repeat`` times each after 5 warm-up calls, p50 and p95 in ms:

* ``inbox unit``  — ``inbox(session, officer, now, scope="unit")``: facts (3 statements), the
  counts of mine / unit / delegated / all / overdue (5 statements) and the first page of 100;
* ``inbox mine``  — the same, ``scope="mine"``;
* ``inbox overdue`` — ``scope="all"``, ``Filters(overdue=True)``;
* ``raw unit``    — ``SELECT … FROM human_task WHERE candidate_unit = ? AND status = 'open'
  ORDER BY due_at LIMIT 100`` (the index ``ix_human_task_unit_inbox`` alone).

Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bench.databases import Databases
from engine import HumanTask, Instance, ProcessDefinition
from workflows.actions.inbox import Filters, inbox
from workflows.org.commands import AddUnit, AddUser, add_unit, add_user
from workflows.org.models import User
from workflows.timeframes import LOCAL_TZ

NOW = datetime(2026, 12, 10, 9, 0, tzinfo=LOCAL_TZ)
BATCH = 20_000


def build(pe: Any, tasks: int, communes: int, schools: int) -> str:
    """The province and its rows; the username of the first school's officer."""
    with pe.unit_of_work("bench") as uow:
        root = add_unit(uow, AddUnit("B", "Sở GDĐT Bench", "so"))
        codes = []
        for c in range(communes):
            commune = add_unit(uow, AddUnit(f"B.X{c:03d}", f"Xã {c}", "xa"), parent=root)
            for s in range(schools):
                school = add_unit(uow, AddUnit(f"{commune.code}.S{s:03d}", f"Trường {c}-{s}", "thcs"), parent=commune)
                codes.append(school.code)
        for code in codes[:2]:
            add_user(uow, AddUser(code.lower().replace(".", "_") + "_cv", "Chuyên viên", code, ("officer",)))
        definition = ProcessDefinition(key="bao_cao_dinh_ky", version=1, name="Báo cáo", sha256="0" * 64, xml=b"<x/>",
                                       source_name="bench", deployed_at=NOW, deployed_by="bench")  # fmt: skip
        uow.session.add(definition)
        uow.session.flush()
        definition_id = definition.id
    per_cell = max(1, tasks // (len(codes) * 12))
    officer = codes[0].lower().replace(".", "_") + "_cv"
    instances, rows = [], []
    n = 0
    with pe.db.begin() as conn:
        for month in range(1, 13):
            for code in codes:
                instance_id = uuid.uuid4()
                instances.append({"id": instance_id, "definition_id": definition_id, "process_key": "bao_cao_dinh_ky",
                                  "status": "completed" if month < 12 else "running", "unit_code": code,
                                  "plan_key": "plan:1", "task_key": "1", "period": f"2026-{month:02d}", "state": b"",
                                  "serializer_version": "bench", "started_at": NOW, "started_by": "bench", "version": 1})  # fmt: skip
                for k in range(per_cell):
                    n += 1
                    open_ = month == 12
                    rows.append({"id": uuid.uuid4(), "instance_id": instance_id, "spiff_task_id": uuid.uuid4(),
                                 "process_key": "bao_cao_dinh_ky", "element_id": "thuc_hien", "name": "Thực hiện",
                                 "candidate_unit": code, "candidate_role": "officer",
                                 "assignee": code.lower().replace(".", "_") + "_cv" if open_ and k % 10 == 0 else None,
                                 "due_at": NOW + timedelta(hours=(n * 7919) % (60 * 24) - 20 * 24) if open_ else
                                 datetime(2026, month, 28, 10, tzinfo=LOCAL_TZ),
                                 "status": "open" if open_ else "completed", "plan_key": "plan:1", "task_key": str(k + 1),
                                 "period": f"2026-{month:02d}", "created_at": NOW})  # fmt: skip
                if len(rows) >= BATCH:
                    conn.execute(insert(Instance), instances)
                    conn.execute(insert(HumanTask), rows)
                    instances, rows = [], []
        if instances:
            conn.execute(insert(Instance), instances)
        if rows:
            conn.execute(insert(HumanTask), rows)
    return officer


def timed(call: Any, repeat: int) -> dict[str, float]:
    for _ in range(5):
        call()
    samples, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    samples.sort()
    # CPU time of this process beside the wall clock: the machine is shared, and a wall-clock p95
    # there measures the neighbours as much as the query.
    return {"p50_ms": round(statistics.median(samples), 3), "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 3),
            "cpu_p50_ms": round(statistics.median(cpu), 3)}


def measure(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        databases = Databases(kind, Path(tmp), prefix="inbox", start=NOW, hooks=False)
        with databases.fresh("inbox") as (_db, pe, _clock, _url):
            started = time.perf_counter()
            username = build(pe, args.tasks, args.communes, args.schools)
            built = time.perf_counter() - started
            with pe.read() as session:
                count = session.query(HumanTask).count()
                user = session.scalars(select(User).where(User.username == username)).one()
                unit = session.scalars(select(User.unit_id).where(User.id == user.id)).one()
                code = session.scalars(select(HumanTask.candidate_unit).where(HumanTask.assignee == username)).first()
                assert unit and code
                raw = (select(HumanTask.id, HumanTask.due_at, HumanTask.name)
                       .where(HumanTask.candidate_unit == code, HumanTask.status == "open")
                       .order_by(HumanTask.due_at).limit(100))  # fmt: skip
                results = {
                    "inbox unit": timed(lambda: inbox(session, user, NOW, scope="unit"), args.repeat),
                    "inbox mine": timed(lambda: inbox(session, user, NOW, scope="mine"), args.repeat),
                    "inbox overdue": timed(lambda: inbox(session, user, NOW, filters=Filters(overdue=True)), args.repeat),
                    "raw unit": timed(lambda: session.execute(raw).all(), args.repeat),
                }
                page = inbox(session, user, NOW, scope="all")
    return {"db": kind, "rows": count, "build_s": round(built, 1), "open_in_unit": page.counts["all"], **results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--communes", type=int, default=50)
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    out = [measure(kind, args) for kind in kinds]
    for r in out:
        print(f"{r['db']}: {r['rows']:,} rows (built in {r['build_s']} s), {r['open_in_unit']} open in the officer's inbox")
        for name in ("inbox unit", "inbox mine", "inbox overdue", "raw unit"):
            m = r[name]
            print(f"  {name:14s} p50 {m['p50_ms']:8.3f} ms   p95 {m['p95_ms']:8.3f} ms   cpu p50 {m['cpu_p50_ms']:8.3f} ms")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
