"""Test world for reports: a small province, a plan with two tasks and two indicators, instances."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from engine import Instance, StartInstance, deploy, start_instance
from tests.engine.bpmn_samples import user_task_chain
from workflows.indicators.models import Indicator
from workflows.org.commands import AddUnit, add_unit
from workflows.plans.models import Plan, PlanTask
from workflows.reports.inputs import FigureInput, ReportInput

WARD = "HP.X001"
SCHOOLS = ["HP.X001.MN01", "HP.X001.TH01", "HP.X001.THCS01", "HP.X001.THTHCS01"]
SCHOOL_NAMES = {
    "HP.X001.MN01": "Trường Mầm non Hoa Sen",
    "HP.X001.TH01": "Trường Tiểu học Lê Lợi",
    "HP.X001.THCS01": "Trường THCS Chu Văn An",
    "HP.X001.THTHCS01": "Trường TH&THCS Đông Hải",
}
HIGH_SCHOOL = "HP.THPT001"
PERIOD = "2026-Q1"


@dataclass(frozen=True)
class World:
    plan_id: int
    lms: int  # indicator "18": classes using an LMS, a fraction
    devices: int  # indicator "19": devices bought, a count
    instances: dict[str, uuid.UUID]  # task 1, Q1, by unit code
    task2_high_school: uuid.UUID


def _start(uow, unit: str, plan_id: int, task: str, parent: uuid.UUID | None = None) -> uuid.UUID:
    return start_instance(uow, StartInstance("p", unit_code=unit, plan_key=f"plan:{plan_id}", task_key=task,
                                             period=PERIOD, parent_id=parent)).id  # fmt: skip


@pytest.fixture
def world(pe) -> World:
    with pe.unit_of_work("admin") as uow:
        deploy(uow, user_task_chain("p"))
        so = add_unit(
            uow, AddUnit("HP", "Sở Giáo dục và Đào tạo Hải Phòng", "so", short_name="Sở GDĐT")
        )
        ward = add_unit(
            uow,
            AddUnit(WARD, "UBND Phường Hồng Bàng", "xa", short_name="Phường Hồng Bàng"),
            parent=so,
        )
        for code, kind in zip(SCHOOLS, ("mn", "th", "thcs", "th_thcs"), strict=True):
            add_unit(uow, AddUnit(code, SCHOOL_NAMES[code], kind), parent=ward)
        add_unit(uow, AddUnit(HIGH_SCHOOL, "Trường THPT Ngô Quyền", "thpt"), parent=so)
        plan = Plan(root_id=so.id, issuer_unit_id=so.id, number="637/KH-SGDĐT", title="Kế hoạch chuyển đổi số 2026",
                    year=2026, created_at=uow.now, created_by="admin")  # fmt: skip
        uow.session.add(plan)
        uow.session.flush()
        for position, (stt, content) in enumerate(
            (("1", "Báo cáo kết quả triển khai LMS"), ("2", "Mua sắm thiết bị dạy học số"))
        ):
            uow.session.add(PlanTask(plan_id=plan.id, position=position, stt=stt, content=content))
        lms = Indicator(
            plan_id=plan.id,
            position=1,
            stt="18",
            name="Lớp học dùng hệ thống LMS",
            unit_of_measure="%",
        )
        devices = Indicator(
            plan_id=plan.id,
            position=2,
            stt="19",
            name="Thiết bị dạy học số được mua",
            unit_of_measure="bộ",
        )
        uow.session.add_all([lms, devices])
        uow.session.flush()
        instances = {WARD: _start(uow, WARD, plan.id, "1")}
        for code in SCHOOLS:
            instances[code] = _start(uow, code, plan.id, "1", parent=instances[WARD])
        instances[HIGH_SCHOOL] = _start(uow, HIGH_SCHOOL, plan.id, "1")
        task2 = _start(uow, HIGH_SCHOOL, plan.id, "2")
        return World(plan.id, lms.id, devices.id, instances, task2)


def instance(uow, instance_id: uuid.UUID) -> Instance:
    row = uow.session.get(Instance, instance_id)
    assert row is not None
    return row


def simple_input(
    text: str = "Đã triển khai LMS cho toàn trường.", *figures: FigureInput, **fields
) -> ReportInput:
    return ReportInput(ket_qua=text, figures=figures, **fields)
