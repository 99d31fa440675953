"""The small world of the permission tests, described once and built two ways: as hand-made facts
for the pure rules, and as real rows (units, users, delegations, plans, running instances).

Province T: the Sở (T), one phòng (T.P), a commune (T.X1) with two primary schools, a THPT.
Province Q: another Sở, for "unrelated". Plan P1 is the phòng's: the commune got it and handed it
to both schools. Plan P2 is the Sở's: the THPT leads it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from engine import ChildSpec, HumanTask, ProcessEngine, complete_task, deploy, start_instances
from tests.engine.bpmn_samples import LIBRARY
from workflows.authz.model import DelegationFacts, PlanFacts, TaskFacts, UnitFacts, UserFacts
from workflows.hooks import install
from workflows.org.commands import AddUnit, AddUser, add_unit, add_user, delegate, revoke_delegation
from workflows.plans.keys import plan_key
from workflows.plans.models import Plan

DAY = date(2026, 3, 2)  # the fixtures' T0, Monday 2 March 2026 in Hà Nội: delegations in force
AFTER = date(2026, 3, 11)  # the day after the delegations' period

UNITS = (  # code, name, kind, parent
    ("T", "Sở GDĐT Thử", "so", None),
    ("T.P", "Phòng Giáo dục Trung học", "phong", "T"),
    ("T.X1", "UBND Phường Một", "xa", "T"),
    ("T.X1.TH1", "Trường Tiểu học Một", "th", "T.X1"),
    ("T.X1.TH2", "Trường Tiểu học Hai", "th", "T.X1"),
    ("T.THPT1", "Trường THPT Một", "thpt", "T"),
    ("Q", "Sở GDĐT Khác", "so", None),
)

USERS = (  # username, unit, roles, active
    ("so_ld", "T", ("leader",), True),
    ("so_cv", "T", ("officer",), True),
    ("so_qt", "T", ("admin",), True),
    ("so_tt", "T", ("inspector",), True),
    ("p_ld", "T.P", ("leader",), True),
    ("p_cv", "T.P", ("officer",), True),
    ("p_vt", "T.P", ("clerk",), True),
    ("x_ld", "T.X1", ("leader",), True),
    ("x_cv", "T.X1", ("officer",), True),
    ("s1_ld", "T.X1.TH1", ("leader",), True),
    ("s1_cv", "T.X1.TH1", ("officer",), True),
    ("s1_vt", "T.X1.TH1", ("clerk",), True),
    ("s1_pgd", "T.X1.TH1", ("officer",), True),  # the deputy: holds the principal's delegation
    ("s1_off", "T.X1.TH1", ("officer",), False),  # left the school
    ("s2_ld", "T.X1.TH2", ("leader",), True),
    ("s2_cv", "T.X1.TH2", ("officer",), True),
    ("t_ld", "T.THPT1", ("leader",), True),
    ("t_cv", "T.THPT1", ("officer",), True),
    ("q_ld", "Q", ("leader",), True),
    ("q_tt", "Q", ("inspector",), True),
)

DELEGATIONS = (  # giver, receiver, first day, last day, revoked (on DAY)
    ("s1_ld", "s1_pgd", date(2026, 3, 1), date(2026, 3, 10), False),
    ("so_ld", "p_ld", date(2026, 3, 1), date(2026, 3, 10), False),  # the Sở's leader to the phòng's head
    ("x_ld", "x_cv", date(2026, 3, 1), date(2026, 3, 31), True),
)

# Who does each step of giao_nhiem_vu: the school's own lanes, the assigning unit's for the rest.
TH1_STEPS = {
    "tiep_nhan": ("T.X1.TH1", "officer"),
    "thuc_hien": ("T.X1.TH1", "officer"),
    "duyet_bao_cao": ("T.X1.TH1", "leader"),
    "xem_xet_gia_han": ("T.X1", "officer"),
    "tham_dinh_bao_cao": ("T.X1", "officer"),
    "ky_duyet": ("T.X1", "leader"),
}
TH1_ASSIGNERS = ("T.X1", "T.P")  # the commune's instance is the parent; the phòng issued the plan
THPT_STEPS = {
    "tiep_nhan": ("T.THPT1", "officer"),
    "tham_dinh_bao_cao": ("T", "officer"),
    "ky_duyet": ("T", "leader"),
}
THPT_ASSIGNERS = ("T",)
PLANS = {"P1": "T.P", "P2": "T"}  # plan → issuing unit


# The pure half ---------------------------------------------------------------------------------


def pure_units() -> dict[str, UnitFacts]:
    units: dict[str, UnitFacts] = {}
    for n, (code, name, kind, parent) in enumerate(UNITS, start=1):
        path = f"{units[parent].path if parent else '/'}{n}/"
        units[code] = UnitFacts(id=n, code=code, name=name, kind=kind, path=path)
    return units


def pure_user(username: str, day: date) -> UserFacts:
    units = pure_units()
    ids = {name: n for n, (name, *_) in enumerate(USERS, start=1)}
    rows = {name: (unit, roles, active) for name, unit, roles, active in USERS}

    def facts(name: str, delegations: tuple[DelegationFacts, ...] = ()) -> UserFacts:
        unit, roles, active = rows[name]
        return UserFacts(ids[name], name, name, active, units[unit], frozenset(roles), delegations)

    held = tuple(
        DelegationFacts(id=n, giver_id=ids[giver], giver_username=giver, giver_active=rows[giver][2],
                        giver_roles=frozenset(rows[giver][1]), giver_unit=units[rows[giver][0]], role="leader",
                        starts_on=first, ends_on=last, revoked_on=DAY if revoked else None)  # fmt: skip
        for n, (giver, receiver, first, last, revoked) in enumerate(DELEGATIONS, start=1)
        if receiver == username and first <= day <= last
    )
    return facts(username, held)


def pure_task(steps: dict[str, tuple[str, str]], assigners: tuple[str, ...], step: str, *, status: str = "open",
              assignee: str | None = None, process_key: str = "giao_nhiem_vu") -> TaskFacts:  # fmt: skip
    units = pure_units()
    unit_code, role = steps[step]
    own = steps["tiep_nhan"][0]
    return TaskFacts(id=uuid.UUID(int=2), instance_id=uuid.UUID(int=1), process_key=process_key, step=step,
                     name=step, status=status, unit=units[own], candidate_unit=units[unit_code], candidate_role=role,
                     assignee=assignee, assigners=tuple(units[a] for a in assigners))  # fmt: skip


def pure_plan(name: str) -> PlanFacts:
    return PlanFacts(id=int(name[1:]), issuer=pure_units()[PLANS[name]], label=name)


# The database half -----------------------------------------------------------------------------


@dataclass
class World:
    plans: dict[str, int]
    th1: uuid.UUID  # TH1's giao_nhiem_vu instance (a child of the commune's)
    th2: uuid.UUID
    thpt: uuid.UUID  # THPT1's, a lead instance of P2
    commune: uuid.UUID


def build_world(pe: ProcessEngine) -> World:
    """Rows for everything above, and the plans' work started up to each school's first step."""
    install(pe, guard=False)  # the harness drives the setup as the engine; tests add the guard
    with pe.unit_of_work("tester") as uow:
        for key in ("giao_nhiem_vu", "xa_phuong_trien_khai"):
            deploy(uow, (LIBRARY / f"{key}.bpmn").read_bytes())
        units = {}
        for code, name, kind, parent in UNITS:
            units[code] = add_unit(uow, AddUnit(code, name, kind), parent=units[parent] if parent else None)
        for username, unit, roles, active in USERS:
            add_user(uow, AddUser(username, username, unit, roles), unit=units[unit]).active = active
        plans = {}
        for name, issuer in PLANS.items():
            plan = Plan(root_id=units["T"].id, issuer_unit_id=units[issuer].id, number=f"{name}/KH", title=f"Kế hoạch {name}",
                        year=2026, created_at=uow.now, created_by="tester")  # fmt: skip
            uow.session.add(plan)
            uow.session.flush()
            plans[name] = plan.id
    with pe.unit_of_work("tester") as uow:
        for giver, receiver, first, last, revoked in DELEGATIONS:
            granted = delegate(uow, giver, receiver, first, last)
            if revoked:
                revoke_delegation(uow, granted.id)
    with pe.unit_of_work("tester") as uow:
        [commune] = _start(uow, "xa_phuong_trien_khai", "T.X1", plans["P1"], "T.P")
        [thpt] = _start(uow, "giao_nhiem_vu", "T.THPT1", plans["P2"], "T")
    complete(pe, open_task(pe, commune, "tiep_nhan"))
    complete(pe, open_task(pe, commune, "giao_cho_truong"), {"truong_duoc_giao": ["T.X1.TH1", "T.X1.TH2"]})
    with pe.read() as s:
        children = dict(s.execute(select(HumanTask.instance_id, HumanTask.candidate_unit).where(HumanTask.element_id == "tiep_nhan",
                                                                                                  HumanTask.process_key == "giao_nhiem_vu")).all())  # fmt: skip
    by_unit = {unit: instance for instance, unit in children.items()}
    return World(plans, by_unit["T.X1.TH1"], by_unit["T.X1.TH2"], thpt, commune)


def _start(uow: Any, process: str, unit: str, plan_id: int, assigning: str) -> list[uuid.UUID]:
    child = ChildSpec(unit_code=unit, business_key=f"{plan_id}/1/2026/{unit}/{process}", plan_key=plan_key(plan_id), task_key="1", period="2026")
    return start_instances(uow, process, [child], data={"don_vi_giao": assigning, "tieu_de": "Nhiệm vụ thử"}).instance_ids


def open_task(pe: ProcessEngine, instance_id: uuid.UUID, step: str) -> uuid.UUID:
    with pe.read() as s:
        [(task_id, element)] = s.execute(
            select(HumanTask.id, HumanTask.element_id).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
        ).all()
    assert element == step, f"the open step is {element}, not {step}"
    return task_id


def task_of(pe: ProcessEngine, instance_id: uuid.UUID, step: str) -> uuid.UUID:
    """The (first) task row of ``step`` in the instance, open or not."""
    with pe.read() as s:
        return s.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id, HumanTask.element_id == step)
                         .order_by(HumanTask.created_at)).first()  # fmt: skip


def complete(pe: ProcessEngine, task_id: uuid.UUID, data: dict[str, Any] | None = None) -> None:
    with pe.unit_of_work("tester") as uow:
        complete_task(uow, task_id, data or {})

