"""Dispatching a plan: one process instance per (task, unit, period), all or nothing.

Who gets what, per active task and period
    * The lead unit (chủ trì) gets ``giao_nhiem_vu``; its start data says the issuing Sở is the
      assigning unit (``don_vi_giao``).
    * Each coordinating target (phối hợp) gets ``phoi_hop``, with the lead unit as the assigning
      unit. Group expressions ("các phòng", "các cơ sở giáo dục"…) are expanded over the tree now
      (``expand_group``), so a unit added later is included in later periods too. The lead unit
      is never its own coordinator; a unit named twice gets one instance.
    * A school under a commune (mầm non, tiểu học, THCS, TH&THCS) never gets an instance from the
      Sở directly: its commune gets ONE ``xa_phuong_trien_khai`` for that task and period, and
      the schools' ``giao_nhiem_vu`` instances are started when the commune completes
      "Giao cho các trường" (``install`` registers that reaction as an engine hook). This holds
      for a school named as lead too. Units directly under the Sở (phòng, THPT, PT nhiều cấp,
      trung tâm) and communes themselves get their instance directly.
    * External bodies (``ngoai``) get nothing; they are reported (``DispatchResult.external``).
      Inactive units named one by one are reported too (``inactive``).
    Dispatched instances have no parent: the plan is not an instance (``plan_key`` = "plan:<id>",
    ``task_key`` = the task's STT and ``period`` tie them to it).

Periods
    ``once`` schedules open every period now (the work may start before its period; the period's
    due is the deadline). ``continuous`` ("Thường xuyên") opens one instance for the year, with no
    due. ``recurring`` schedules open the periods that have started (period start <= today,
    Asia/Ho_Chi_Minh) now; each later period waits in ``dispatch_opening`` until
    ``open_due_periods`` runs at or after 00:00 (+07:00) of its first day. A task without a
    schedule (accepted as an exception) gets one instance for the plan's year, with no due.

Idempotency and atomicity
    Every child has ``business_key`` = "<plan>/<task>/<period>/<unit>/<process>";
    ``engine.bulk.start_instances`` skips keys already started, so dispatching again (or opening a
    period twice) creates nothing new. Everything runs in the caller's unit of work: any error
    rolls all of it back. The start data is shared by every child of one ``start_instances``
    call, so children are grouped by (process, period, start data); per-unit facts (unit, due,
    keys) are ``ChildSpec`` columns.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from engine import BadData, ChildSpec, Instance, InvalidState, NotFound, UnitOfWork, start_instances
from engine.messages import register
from workflows.cascade.models import DispatchOpening
from workflows.org.kinds import SCHOOLS_UNDER_COMMUNES, UnitKind
from workflows.org.models import OrgUnit
from workflows.org.resolve import expand_group
from workflows.plans.importing import dispatchable
from workflows.plans.keys import plan_id_of, plan_key
from workflows.plans.models import Plan, PlanTask
from workflows.timeframes import LOCAL_TZ

PROCESS_LEAD = "giao_nhiem_vu"
PROCESS_COORDINATE = "phoi_hop"
PROCESS_WARD = "xa_phuong_trien_khai"
WARD_ASSIGN_STEP = "giao_cho_truong"

# Levels a commune names in "Giao cho các trường" (cap_hoc) → the school kinds they cover.
LEVEL_KINDS: dict[str, frozenset[str]] = {
    "MN": frozenset({UnitKind.PRESCHOOL.value}),
    "TH": frozenset({UnitKind.PRIMARY.value, UnitKind.PRIMARY_LOWER.value}),
    "THCS": frozenset({UnitKind.LOWER_SECONDARY.value, UnitKind.PRIMARY_LOWER.value}),
}
_SCHOOL_KINDS = frozenset(k.value for k in SCHOOLS_UNDER_COMMUNES)
_KEY_CHUNK = 1_000

register({
    "plan_not_dispatchable": (
        "Chưa thể giao kế hoạch {plan}: nhiệm vụ STT {stts} chưa đạt \"6 rõ\" và chưa được lãnh đạo chấp nhận ngoại lệ.",
        "Plan {plan} cannot be dispatched: tasks {stts} fail the \"6 rõ\" checks and have no recorded exception.",
    ),
    "ward_school_unknown": (
        "Trường \"{code}\" không thuộc {ward}; chỉ giao được cho các trường trên địa bàn.",
        "School \"{code}\" is not under {ward}; only its own schools can be assigned.",
    ),
})  # fmt: skip


@dataclass
class DispatchResult:
    plan_id: int
    dry_run: bool
    by_kind: dict[str, int] = field(default_factory=dict)  # instances due now, per unit kind (new or already there)
    by_process: dict[str, int] = field(default_factory=dict)
    created: int = 0  # (dry run: would be created)
    skipped: int = 0  # already dispatched (business key exists)
    scheduled: int = 0  # later periods of recurring tasks, waiting in dispatch_opening
    external: list[str] = field(default_factory=list)  # external bodies named by tasks: no instance
    inactive: list[str] = field(default_factory=list)  # inactive units named by tasks: no instance

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id, "dry_run": self.dry_run, "by_kind": self.by_kind, "by_process": self.by_process,
            "total": self.total, "created": self.created, "skipped": self.skipped, "scheduled": self.scheduled,
            "external": self.external, "inactive": self.inactive,
        }  # fmt: skip


@dataclass
class _Batch:
    """Children of one ``start_instances`` call: same process, same start data."""

    process: str
    data: dict[str, Any]
    children: list[ChildSpec] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


class _Planner:
    """Works out the children of (task, period) pairs, caching units and group expansions."""

    def __init__(self, uow: UnitOfWork, plan: Plan) -> None:
        self.session = uow.session
        self.plan = plan
        issuer = self.session.get(OrgUnit, plan.issuer_unit_id)
        assert issuer is not None
        self.issuer = issuer
        self._groups: dict[str, list[OrgUnit]] = {}
        self._communes: dict[int, OrgUnit | None] = {}  # held here: the session keeps no strong references
        self.batches: dict[tuple[str, str, str], _Batch] = {}
        self.keys: set[str] = set()
        self.external: dict[str, None] = {}
        self.inactive: dict[str, None] = {}

    def _expand(self, targets: list[dict[str, Any]]) -> list[OrgUnit]:
        units: dict[int, OrgUnit] = {}
        for target in targets:
            if target.get("unit_id") is not None:
                unit = self.session.get(OrgUnit, target["unit_id"])
                if unit is None:
                    continue
                if not unit.active:
                    self.inactive[unit.code] = None
                    continue
                units.setdefault(unit.id, unit)
            elif target.get("group"):
                group = target["group"]
                if group not in self._groups:
                    self._groups[group] = list(expand_group(self.session, self.plan.root_id, group))
                for unit in self._groups[group]:
                    units.setdefault(unit.id, unit)
        return list(units.values())

    def add(self, task: PlanTask, period: dict[str, Any]) -> None:
        leads = self._expand(task.lead)
        lead_ids = {u.id for u in leads}
        coordinators = [u for u in self._expand(task.coordinators) if u.id not in lead_ids]
        sender = next((u.code for u in leads if u.kind != UnitKind.EXTERNAL), self.issuer.code)
        due = datetime.fromisoformat(period["due"]) if period.get("due") else None
        base = {"tieu_de": task.content[:200], "san_pham": task.deliverable}
        if due is not None:
            base["han_xu_ly"] = due.isoformat()
        for units, process, assigning in ((leads, PROCESS_LEAD, self.issuer.code), (coordinators, PROCESS_COORDINATE, sender)):
            data = {**base, "don_vi_giao": assigning}
            for unit in units:
                self._child(task, period["key"], due, unit, process, data)

    def _child(self, task: PlanTask, period_key: str, due: datetime | None, unit: OrgUnit, process: str, data: dict[str, Any]) -> None:
        if unit.kind == UnitKind.EXTERNAL:
            self.external[unit.code] = None
            return
        if unit.kind in _SCHOOL_KINDS:
            ward = self._commune(unit.parent_id)
            if ward is None:
                return
            unit, process = ward, PROCESS_WARD
        key = f"{self.plan.id}/{task.id}/{period_key}/{unit.code}/{process}"
        if key in self.keys:
            return  # e.g. the commune of several schools: one instance
        self.keys.add(key)
        group = (process, period_key, json.dumps(data, sort_keys=True, ensure_ascii=False))
        batch = self.batches.setdefault(group, _Batch(process, data))
        batch.children.append(ChildSpec(
            unit_code=unit.code, business_key=key, plan_key=plan_key(self.plan.id), task_key=task.stt,
            period=period_key, due_at=due,
        ))  # fmt: skip
        batch.kinds.append(unit.kind)


    def _commune(self, unit_id: int | None) -> OrgUnit | None:
        if unit_id is None:
            return None
        if unit_id not in self._communes:
            self._communes[unit_id] = self.session.get(OrgUnit, unit_id)
        return self._communes[unit_id]


def _split_periods(task: PlanTask, year: int, today: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(periods to open now, periods to open later)."""
    schedule = task.schedule or {}
    periods = list(schedule.get("periods") or [])
    if not periods:
        return [{"key": str(year), "start": f"{year}-01-01", "due": None}], []
    kind = schedule.get("kind")
    if kind == "continuous":
        return [{**periods[0], "due": None}], []
    if kind == "recurring":
        now = [p for p in periods if date.fromisoformat(p["start"]) <= today]
        return now, [p for p in periods if date.fromisoformat(p["start"]) > today]
    return periods, []


def _opens_at(period: dict[str, Any]) -> datetime:
    return datetime.combine(date.fromisoformat(period["start"]), time(0), LOCAL_TZ)


def _existing_keys(uow: UnitOfWork, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for first in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[first : first + _KEY_CHUNK]
        found.update(uow.session.scalars(select(Instance.business_key).where(Instance.business_key.in_(chunk))))
    return found


def _start(uow: UnitOfWork, planner: _Planner, result: DispatchResult, *, dry_run: bool) -> None:
    """Count the planner's children into ``result`` and (unless a dry run) start them."""
    by_kind: Counter[str] = Counter(result.by_kind)
    by_process: Counter[str] = Counter(result.by_process)
    for batch in planner.batches.values():
        by_kind.update(batch.kinds)
        by_process[batch.process] += len(batch.children)
    result.by_kind, result.by_process = dict(by_kind), dict(by_process)
    result.external = list(dict.fromkeys([*result.external, *planner.external]))
    result.inactive = list(dict.fromkeys([*result.inactive, *planner.inactive]))
    if dry_run:
        existing = _existing_keys(uow, sorted(planner.keys))
        result.skipped += len(existing)
        result.created += len(planner.keys) - len(existing)
        return
    for batch in planner.batches.values():
        started = start_instances(uow, batch.process, batch.children, data=batch.data)
        result.created += started.created
        result.skipped += started.skipped


def plan_dispatch(uow: UnitOfWork, plan_id: int, *, dry_run: bool = False) -> DispatchResult:
    """Dispatch every active task of the plan (see the module docstring); never commits.

    Refused (``InvalidState``) when an active task is not dispatchable. A dry run writes nothing.
    """
    session = uow.session
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("plan_not_found", id=plan_id)
    tasks = session.scalars(
        select(PlanTask).where(PlanTask.plan_id == plan.id, PlanTask.status == "active").order_by(PlanTask.position)
    ).all()
    blocked = [t.stt for t in tasks if not dispatchable(t)]
    if blocked:
        raise InvalidState("plan_not_dispatchable", plan=plan.number or plan.id, stts=", ".join(blocked))
    today = uow.now.astimezone(LOCAL_TZ).date()
    planner = _Planner(uow, plan)
    later: list[tuple[PlanTask, dict[str, Any]]] = []
    for task in tasks:
        now, waiting = _split_periods(task, plan.year, today)
        for period in now:
            planner.add(task, period)
        later += [(task, p) for p in waiting]
    result = DispatchResult(plan.id, dry_run, scheduled=len(later))
    _start(uow, planner, result, dry_run=dry_run)
    if dry_run:
        return result
    waiting_keys = {
        (row.plan_task_id, row.period_key)
        for row in session.execute(
            select(DispatchOpening.plan_task_id, DispatchOpening.period_key).where(DispatchOpening.plan_id == plan.id)
        )
    }
    for task, period in later:
        if (task.id, period["key"]) not in waiting_keys:
            session.add(DispatchOpening(plan_id=plan.id, plan_task_id=task.id, period_key=period["key"],
                                        opens_at=_opens_at(period), status="waiting", created_at=uow.now))  # fmt: skip
    plan.status = "dispatched"
    uow.audit("plan_dispatched", subject=plan.number or str(plan.id), data=result.as_json())
    session.flush()
    return result


@dataclass
class OpeningResult:
    opened: int = 0
    created: int = 0
    skipped: int = 0


def open_due_periods(uow: UnitOfWork, now: datetime | None = None, *, limit: int = 500) -> OpeningResult:
    """Dispatch the waiting periods whose opening instant has come; idempotent; never commits."""
    now = now or uow.now
    session = uow.session
    openings = session.scalars(
        select(DispatchOpening)
        .where(DispatchOpening.status == "waiting", DispatchOpening.opens_at <= now)
        .order_by(DispatchOpening.opens_at, DispatchOpening.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    outcome = OpeningResult()
    for opening in openings:
        task = session.get(PlanTask, opening.plan_task_id)
        plan = session.get(Plan, opening.plan_id)
        period = next((p for p in ((task.schedule or {}).get("periods") or []) if p["key"] == opening.period_key), None) if task else None
        if task is None or plan is None or task.status != "active" or period is None:
            opening.status, opening.opened_at = "cancelled", uow.now
            continue
        planner = _Planner(uow, plan)
        planner.add(task, period)
        result = DispatchResult(plan.id, False)
        _start(uow, planner, result, dry_run=False)
        opening.status, opening.opened_at = "opened", uow.now
        outcome.opened += 1
        outcome.created += result.created
        outcome.skipped += result.skipped
        uow.audit("dispatch_period_opened", subject=f"{plan.number or plan.id}/{task.stt}/{opening.period_key}",
                  data={"plan": plan.id, "task": task.id, "period": opening.period_key, **result.as_json()})  # fmt: skip
    session.flush()
    return outcome


# --- a commune hands the task on to its schools ------------------------------------------------


def install(pe: Any) -> None:
    """Register the reaction to a commune completing "Giao cho các trường" (once per engine)."""
    if _on_task_completed not in pe.hooks.task_completed:
        pe.hooks.task_completed.append(_on_task_completed)


def _on_task_completed(uow: UnitOfWork, completion: Any) -> None:
    row = completion.task
    if row.process_key == PROCESS_WARD and row.element_id == WARD_ASSIGN_STEP:
        assign_to_schools(uow, completion.instance, completion.data)


def assign_to_schools(uow: UnitOfWork, ward_instance: Instance, form: dict[str, Any]) -> int:
    """Start ``giao_nhiem_vu`` for the commune's schools (children of ``ward_instance``).

    ``truong_duoc_giao`` (school codes) if given, else every active school of the levels in
    ``cap_hoc`` ("MN", "TH", "THCS"), else every active school of the commune. The deadline is
    ``han_cho_truong``, else the commune's own. Returns how many instances were created.
    """
    session = uow.session
    ward = session.scalars(select(OrgUnit).where(OrgUnit.code == ward_instance.unit_code)).first()
    if ward is None:
        raise NotFound("unit_not_found", code=ward_instance.unit_code)
    schools = session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == ward.id, OrgUnit.active, OrgUnit.kind.in_(sorted(_SCHOOL_KINDS))).order_by(OrgUnit.code)
    ).all()
    chosen = [str(c) for c in form.get("truong_duoc_giao") or []]
    levels = [str(level).upper() for level in form.get("cap_hoc") or []]
    if chosen:
        by_code = {s.code: s for s in schools}
        for code in chosen:
            if code not in by_code:
                raise BadData("ward_school_unknown", code=code, ward=ward.code)
        schools = [by_code[c] for c in dict.fromkeys(chosen)]
    elif levels:
        kinds = set().union(*(LEVEL_KINDS.get(level, frozenset()) for level in levels))
        schools = [s for s in schools if s.kind in kinds]
    due = ward_instance.due_at
    if form.get("han_cho_truong"):
        try:
            due = datetime.fromisoformat(str(form["han_cho_truong"]))
        except ValueError:
            raise BadData(detail=f"han_cho_truong không hợp lệ / invalid: {form['han_cho_truong']!r}") from None
        if due.tzinfo is None:
            due = due.replace(tzinfo=LOCAL_TZ)
    data: dict[str, Any] = {"don_vi_giao": ward.code}
    task = _plan_task_of(uow, ward_instance)
    if task is not None:
        data.update(tieu_de=task.content[:200], san_pham=task.deliverable)
    if form.get("noi_dung_giao"):
        data["noi_dung"] = str(form["noi_dung_giao"])
    if due is not None:
        data["han_xu_ly"] = due.isoformat()
    prefix = ward_instance.business_key or str(ward_instance.id)
    children = [
        ChildSpec(unit_code=s.code, parent_id=ward_instance.id, business_key=f"{prefix}/{s.code}",
                  plan_key=ward_instance.plan_key, task_key=ward_instance.task_key, period=ward_instance.period, due_at=due)  # fmt: skip
        for s in schools
    ]
    if not children:
        return 0
    return start_instances(uow, PROCESS_LEAD, children, data=data).created


def _plan_task_of(uow: UnitOfWork, instance: Instance) -> PlanTask | None:
    plan_id = plan_id_of(instance.plan_key)
    if plan_id is None or instance.task_key is None:
        return None
    return uow.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id, PlanTask.stt == instance.task_key)).first()
