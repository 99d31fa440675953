"""A demo province with the Hải Phòng plan dispatched and a ward's schools at work on task 1
(Q1, due 2026-04-01 00:00, so the last allowed day is Tuesday 31/03/2026), and helpers to run
the day's urging and read what it wrote."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from engine import OutboxMessage, ProcessEngine, deploy
from tests.engine.bpmn_samples import LIBRARY
from tests.workflows.cascade.province import SHAPE, act, dispatch, instances
from workflows.escalation.models import Notice
from workflows.escalation.run import RunResult, run_escalations
from workflows.hooks import install
from workflows.org.commands import AddUnit, add_aliases, add_unit, unit_by_code
from workflows.org.demo import DemoShape, build_demo_province
from workflows.plans.demo import import_demo_plan
from workflows.plans.importing import recheck_plan
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking

THIRTY_SCHOOLS = DemoShape(communes=1, preschools=10, primary=10, lower_secondary=10, primary_lower=0,
                           upper_secondary=1, multi_level=0, centres=1)  # fmt: skip
PROCESSES = ("giao_nhiem_vu", "phoi_hop", "xa_phuong_trien_khai")


def province(pe: ProcessEngine, shape: DemoShape = SHAPE) -> dict:
    """Build, dispatch, and let ward HP.X001 hand task 1 to its schools; return the cast."""
    install(pe, guard=False)
    with pe.unit_of_work("tester") as uow:
        for key in PROCESSES:
            deploy(uow, (LIBRARY / f"{key}.bpmn").read_bytes())
        so = build_demo_province(uow, shape)
        plan = import_demo_plan(uow, 2026)
        add_aliases(uow, unit_by_code(uow, "HP.VP"), ["Đơn vị CNTT"])
        add_unit(uow, AddUnit("HP.KHCN", "Sở KH&CN", "ngoai"), parent=so)
        assert recheck_plan(uow, plan) == 0
        plan_id = plan.id
    # The commune passes task 1 to coordinating schools; with no working days between the lead's
    # deadline and the coordinators' (workflows.cascade.coordination), the schools' is the lead's.
    dispatch(pe, plan_id, coordinator_days=0)
    [ward] = instances(pe, unit_code="HP.X001", task_key="1")
    act(pe, ward, "tiep_nhan")
    act(pe, ward, "giao_cho_truong", {})
    schools = {i.unit_code: i for i in instances(pe, parent_id=ward.id)}
    return {"plan_id": plan_id, "ward": ward, "schools": schools}


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


def run(pe: ProcessEngine, clock, when: datetime) -> RunResult:
    clock.set(when)
    with pe.unit_of_work("worker", now=when) as uow:
        return run_escalations(uow, when, base_url="https://giaoviec.haiphong.edu.vn")


def notices(pe: ProcessEngine, day: date | None = None, **where) -> set[tuple[str, str]]:
    """(kind, username) of the notices of ``day`` matching ``where`` (e.g. instance_id=…)."""
    with pe.read() as s:
        query = select(Notice.kind, Notice.username)
        if day is not None:
            query = query.where(Notice.day == day)
        for name, value in where.items():
            query = query.where(getattr(Notice, name) == value)
        return {tuple(row) for row in s.execute(query)}


def digest(pe: ProcessEngine, username: str, day: date) -> OutboxMessage:
    with pe.read() as s:
        return s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"digest:{username}:{day.isoformat()}")).one()


def move_due(pe: ProcessEngine, instance_id, due: datetime | None) -> None:
    with pe.unit_of_work("tester") as uow:
        uow.session.execute(update(Tracking).where(Tracking.instance_id == instance_id).values(due_at=due))
