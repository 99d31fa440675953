"""The seeded world of the monitor and dashboard tests (both databases).

The demo province (``tests/workflows/cascade/province.py``) with the demo plan dispatched on
02/03/2026, and Quý I/2026 (due 01/04/2026 00:00) played as the official counting tests play it,
seen on 05/04/2026 09:00:

======  ===========================================================  ============================
task    what happened                                                bucket / stage
======  ===========================================================  ============================
1       submitted 20/03, approved 25/03                              hoàn thành đúng hạn
3       submitted 28/03, returned 30/03, not resubmitted             chưa hoàn thành quá hạn / bị trả lại
4       submitted 31/03, still waiting for review                    chưa hoàn thành trong hạn / chờ duyệt
5       extension granted 28/03 to 10/04; working                    chưa hoàn thành trong hạn / đang thực hiện
23      never accepted                                               chưa hoàn thành quá hạn / chưa tiếp nhận
24      extension granted 02/04 (after the deadline), approved 04/04 hoàn thành quá hạn
======  ===========================================================  ============================

Besides: three instances of a small process ``su_co`` (a step whose script divides by ``n``,
started with n = 0) for HP.THPT001, each completed once so that each has an open incident at its
script ``s``; indicator figures for two schools and a THPT (indicator targets come with the plan).
Every person's password is ``PASSWORD``; the engine's guard is on once the world is built.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine import (
    FrozenClock,
    HumanTask,
    Incident,
    ProcessEngine,
    StartInstance,
    StepFailed,
    complete_task,
    deploy,
    fire_due_timers,
    start_instance,
)
from tests.engine.bpmn_samples import user_task_chain
from tests.workflows.accounts.people import PASSWORD
from tests.workflows.cascade.province import act, dispatch, instances, setup_province, submit
from workflows.accounts import set_demo_passwords
from workflows.actions import guard
from workflows.hooks import install
from workflows.indicators.figures import report_figure
from workflows.indicators.models import Indicator, IndicatorTarget
from workflows.org.models import OrgUnit
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking

Q1_DUE = datetime(2026, 4, 1, tzinfo=LOCAL_TZ)
ON = datetime(2026, 4, 5, 9, tzinfo=LOCAL_TZ)
INCIDENT_PROCESS = "su_co"
ADMIN, INSPECTOR, SO_LEADER = "hp_vp_qt", "hp_ttra_tt", "hp_ld"
SO_OFFICER, PHONG_LEADER, SCHOOL_OFFICER = "hp_cv", "hp_gdtrh_ld", "hp_x001_thcs01_cv"
COMMUNE_LEADER = "hp_x001_ld"
FIGURES = {"HP.X001.TH01": (9, 10), "HP.X001.THCS01": (1, 2), "HP.THPT001": (40, 40)}  # unit → (numerator, denominator)
MARKUP = "<script>alert('x')</script>"  # a variable's value that must be shown as text


@dataclass
class MonitorWorld:
    plan_id: int
    lead: dict[str, uuid.UUID]  # task STT → its lead instance of Quý I
    failing: list[uuid.UUID]  # the su_co instances, each with one open incident
    incidents: list[int]
    indicator_id: int | None


def at(clock: FrozenClock, month: int, day: int, hour: int = 9) -> None:
    clock.set(datetime(2026, month, day, hour, tzinfo=LOCAL_TZ))


def build(pe: ProcessEngine, clock: FrozenClock) -> MonitorWorld:
    install(pe, guard=False)  # the harness drives the steps as "tester"; the tests put the guard on
    plan_id = setup_province(pe)
    dispatch(pe, plan_id)
    with pe.read() as s:
        found = s.execute(select(Tracking.task_key, Tracking.instance_id).where(Tracking.role == "lead", Tracking.period == "2026-Q1")).all()
    ids = dict(found)
    lead = {i.task_key: i for i in instances(pe) if i.id in set(ids.values())}
    for key in ("1", "3", "4", "5", "24"):
        act(pe, lead[key], "tiep_nhan")
    at(clock, 3, 20)
    submit(pe, lead["1"], "Xong quý I")
    at(clock, 3, 25)
    act(pe, lead["1"], "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    act(pe, lead["5"], "thuc_hien", {"de_nghi_gia_han": True, "han_de_nghi": "2026-04-10", "ly_do_gia_han": "Chờ số liệu"})
    at(clock, 3, 28)
    act(pe, lead["5"], "xem_xet_gia_han", {"quyet_dinh": "gia_han", "han_moi": "2026-04-10"})
    submit(pe, lead["3"], "Lần 1")
    at(clock, 3, 30)
    act(pe, lead["3"], "tham_dinh_bao_cao", {"quyet_dinh": "tra_lai", "y_kien": "Thiếu số liệu"})
    at(clock, 3, 31)
    submit(pe, lead["4"], "Đúng hạn")
    act(pe, lead["24"], "thuc_hien", {"de_nghi_gia_han": True, "han_de_nghi": "2026-04-20", "ly_do_gia_han": "Chờ số liệu"})
    clock.set(Q1_DUE)
    fire_due_timers(pe, clock.now(), limit=1_000)
    at(clock, 4, 2)
    act(pe, lead["24"], "xem_xet_gia_han", {"quyet_dinh": "gia_han", "han_moi": "2026-04-20"})
    at(clock, 4, 4)
    submit(pe, lead["24"], "Sau gia hạn")
    act(pe, lead["24"], "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    failing = _incidents(pe)
    indicator_id = _figures(pe, plan_id)
    with pe.unit_of_work("test") as uow:
        set_demo_passwords(uow, "HP", PASSWORD)
    clock.set(ON)
    guard.install(pe)
    with pe.read() as s:
        incident_ids = [i.id for i in s.scalars(select(Incident).where(Incident.instance_id.in_(failing)).order_by(Incident.id))]
    return MonitorWorld(plan_id, {k: v.id for k, v in lead.items()}, failing, incident_ids, indicator_id)


def _incidents(pe: ProcessEngine) -> list[uuid.UUID]:
    """Three instances whose first step's completion fails in the script after it (n = 0)."""
    with pe.unit_of_work("tester") as uow:
        deploy(uow, user_task_chain(INCIDENT_PROCESS, script="ratio = total / n", names=("a",), fields={"total": "integer", "n": "integer"}))
    started = []
    for n in range(3):
        data = {"n": 0, "ghi_chu": MARKUP} if n == 0 else {"n": 0}
        with pe.unit_of_work("tester") as uow:
            started.append(start_instance(uow, StartInstance(INCIDENT_PROCESS, data, unit_code="HP.THPT001")).id)
    for instance_id in started:
        with pe.read() as s:
            task_id = s.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")).one()
        with pytest.raises(StepFailed), pe.unit_of_work("tester") as uow:
            complete_task(uow, task_id, {"total": 10})
    return started


def _figures(pe: ProcessEngine, plan_id: int) -> int | None:
    """Figures of the plan's first indicator with a 2026 target, from two schools and a THPT."""
    with pe.unit_of_work("tester") as uow:
        s = uow.session
        found = s.execute(
            select(Indicator.id, IndicatorTarget.measure).join(IndicatorTarget, IndicatorTarget.indicator_id == Indicator.id)
            .where(Indicator.plan_id == plan_id, IndicatorTarget.period == "2026", IndicatorTarget.measure == "percent")
            .order_by(Indicator.position)
        ).first()  # fmt: skip
        if found is None:
            return None
        units = {code: id_ for code, id_ in s.execute(select(OrgUnit.code, OrgUnit.id))}
        for code, (num, den) in FIGURES.items():
            report_figure(uow, found[0], units[code], "2026", Decimal(num), Decimal(den))
        # A milestone of the strategy (2030), not yet reported: shown with no figures.
        s.add(IndicatorTarget(indicator_id=found[0], period="2030", text="≥98%", comparator=">=", value=Decimal(98), measure="percent"))
        return found[0]
