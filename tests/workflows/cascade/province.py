"""A small demo province with the demo plan dispatched, and helpers to act on its instances."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engine import HumanTask, Instance, ProcessEngine, complete_task, deploy
from tests.engine.bpmn_samples import LIBRARY
from workflows.cascade.dispatch import plan_dispatch
from workflows.org.commands import AddUnit, add_aliases, add_unit, unit_by_code
from workflows.org.demo import DemoShape, build_demo_province
from workflows.plans.demo import import_demo_plan
from workflows.plans.importing import recheck_plan

SHAPE = DemoShape(communes=2, preschools=1, primary=1, lower_secondary=1, primary_lower=0, upper_secondary=2, multi_level=0, centres=1)
DIRECT_INSTITUTIONS = ["HP.THPT001", "HP.THPT002", "HP.TT001"]
COMMUNES = ["HP.X001", "HP.X002"]
SCHOOLS = [f"{c}.{s}" for c in COMMUNES for s in ("MN01", "TH01", "THCS01")]
DIVISIONS = ["HP.VP", "HP.GDMN-GDTH", "HP.GDTRH", "HP.GDTX", "HP.QLCL", "HP.KHTC", "HP.TCCB", "HP.CTHSSV", "HP.TTRA"]


def setup_province(pe: ProcessEngine, *, processes: tuple[str, ...] = ("giao_nhiem_vu", "phoi_hop", "xa_phuong_trien_khai"), mapped: bool = True) -> int:
    """Deploy the library, build the province, import the demo plan (Hải Phòng, Phụ lục 2)."""
    with pe.unit_of_work("tester") as uow:
        for key in processes:
            deploy(uow, (LIBRARY / f"{key}.bpmn").read_bytes())
        so = build_demo_province(uow, SHAPE)
        plan = import_demo_plan(uow, 2026)
        if mapped:
            add_aliases(uow, unit_by_code(uow, "HP.VP"), ["Đơn vị CNTT"])
            add_unit(uow, AddUnit("HP.KHCN", "Sở KH&CN", "ngoai"), parent=so)
            assert recheck_plan(uow, plan) == 0
        return plan.id


def dispatch(pe: ProcessEngine, plan_id: int, **kwargs: Any) -> Any:
    with pe.unit_of_work("tester") as uow:
        return plan_dispatch(uow, plan_id, **kwargs)


def instances(pe: ProcessEngine, **where: Any) -> list[Instance]:
    with pe.read() as s:
        query = select(Instance)
        for name, value in where.items():
            query = query.where(getattr(Instance, name) == value)
        return list(s.scalars(query.order_by(Instance.unit_code)).all())


def count(pe: ProcessEngine, model: Any = Instance) -> int:
    with pe.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def open_task(pe: ProcessEngine, instance: Instance) -> HumanTask:
    """The one open human task of ``instance``."""
    with pe.read() as s:
        [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")).all()
    return task


def act(pe: ProcessEngine, instance: Instance, element_id: str, data: dict[str, Any] | None = None, actor: str = "tester", **uow: Any) -> Instance:
    """Complete the instance's open task, which must be ``element_id``."""
    task = open_task(pe, instance)
    assert task.element_id == element_id, f"{instance.unit_code}: open task is {task.element_id}, not {element_id}"
    with pe.unit_of_work(actor, **uow) as work:
        return complete_task(work, task.id, data or {})


def submit(pe: ProcessEngine, instance: Instance, report: Any = "Đã thực hiện") -> None:
    """Draft (thuc_hien) and the unit leader's approval: the report goes to the assigning unit.
    ``report`` is the report object, or the text of its result (kết quả)."""
    act(pe, instance, "thuc_hien", {"bao_cao": report if isinstance(report, dict) else {"ket_qua": report}})
    act(pe, instance, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})
