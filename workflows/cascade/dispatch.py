"""Dispatching a plan: one process instance per (task, unit, period), all or nothing.

Who gets what, per active task and period
    * The lead unit (chủ trì) gets ``giao_nhiem_vu``; its start data says the issuing Sở is the
      assigning unit (``don_vi_giao``).
    * Each coordinating target (phối hợp) gets ``phoi_hop``, with the lead unit as the assigning
      unit (``don_vi_giao``, ``don_vi_chu_tri``), started as a child of the lead's instance and due
      ``coordinator_days`` working days before the lead (``workflows.cascade.coordination``).
      Group expressions ("các phòng", "các cơ sở giáo dục"…) are expanded over the tree now
      (``expand_group``), so a unit added later is included in later periods too. The lead unit
      is never its own coordinator; a unit named twice gets one instance.
    * A school under a commune (mầm non, tiểu học, THCS, TH&THCS) never gets an instance from the
      Sở directly: its commune gets ONE ``xa_phuong_trien_khai`` for that task and period, and
      the schools' ``giao_nhiem_vu`` instances are started when the commune completes
      "Giao cho các trường" (``install`` registers that reaction as an engine hook). This holds
      for a school named as lead too (it keeps the lead role through its commune:
      ``workflows.cascade.ward``). Units directly under the Sở (phòng, THPT, PT nhiều cấp,
      trung tâm) and communes themselves get their instance directly.
    * External bodies (``ngoai``) get nothing; they are reported (``DispatchResult.external``).
      Inactive units named one by one are reported too (``inactive``).
    Leads and communes have no parent: the plan is not an instance (``plan_key`` = "plan:<id>",
    ``task_key`` = the task's STT and ``period`` tie them to it).

Periods
    ``once`` schedules open every period now (the work may start before its period; the period's
    due is the deadline). ``continuous`` ("Thường xuyên") opens one instance for the year, with no
    due. ``recurring`` schedules open the periods that have started (period start <= today,
    Asia/Ho_Chi_Minh) now; each later period waits in ``dispatch_opening`` until
    ``open_due_periods`` runs at or after 00:00 (+07:00) of its first day. A task without a
    schedule (accepted as an exception) gets one instance for the plan's year, with no due.
    A period already due when the plan was issued (its effective due at or before 00:00 of
    ``issued_on``, or, for a plan whose date is not known, the dispatch instant) is not dispatched
    unless the caller asks (``include_past``): a plan issued in March does not create January's
    and February's reports overdue at birth. They are counted in ``DispatchResult.past``.

Periodic reports (the plan's reporting regime)
    A "Thường xuyên" task has no deadline of its own; what a Sở follows is the report the plan's
    reporting regime asks for ("Định kỳ hằng quý…", "trước ngày 15 hằng tháng", read as a
    timeframe in the plan's year). Each lead unit of a continuous task gets one
    ``bao_cao_dinh_ky`` per period of the regime, besides the year's instance of the work itself:
    due at the period's effective due, reporting to the issuing Sở (``don_vi_cap_tren``), with the
    period (``ky_bao_cao``, ``ten_ky_bao_cao``) and its NĐ 09/2019 data window
    (``chot_so_lieu_tu``..``chot_so_lieu_den``) in the start data, shown on the report. Periods
    open as recurring ones do (``dispatch_opening``, keyed ``REPORT_PREFIX`` + the period key);
    the past-period rule applies. A school under a commune reports through its commune (one
    report per commune). A plan without a regime dispatches no periodic report; one the timeframe
    parser refuses is refused at dispatch with its reason.

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
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, bindparam, or_, select

from engine import (
    BadData,
    ChildSpec,
    Instance,
    InvalidState,
    NotFound,
    UnitOfWork,
    register,
    start_instances,
)
from workflows.cascade import coordination, extensions, ward
from workflows.cascade.coordination import COORDINATOR_DAYS_BEFORE, coordinator_due
from workflows.cascade.models import DispatchOpening
from workflows.org.kinds import SCHOOLS_UNDER_COMMUNES, UnitKind
from workflows.org.models import OrgUnit
from workflows.org.resolve import expand_group
from workflows.plans.importing import dispatchable
from workflows.plans.keys import plan_id_of, plan_key
from workflows.plans.models import Plan, PlanTask
from workflows.process_contract import (
    MN,
    PROCESS_COORDINATE,
    PROCESS_LEAD,
    PROCESS_PERIODIC_REPORT,
    PROCESS_WARD,
    TH,
    THCS,
    WARD_ASSIGN,
    WARD_SCHOOL_DEADLINE,
)
from workflows.timeframes import (
    LOCAL_TZ,
    TimeframeRefused,
    effective_due_of,
    parse_timeframe,
    schedule_json,
)
from workflows.tracking.follow import count_as_lead, hint_unit_ids

# Levels a commune names in "Giao cho các trường" (cap_hoc) → the school kinds they cover.
LEVEL_KINDS: dict[str, frozenset[str]] = {
    MN: frozenset({UnitKind.PRESCHOOL.value}),
    TH: frozenset({UnitKind.PRIMARY.value, UnitKind.PRIMARY_LOWER.value}),
    THCS: frozenset({UnitKind.LOWER_SECONDARY.value, UnitKind.PRIMARY_LOWER.value}),
}
_SCHOOL_KINDS = frozenset(k.value for k in SCHOOLS_UNDER_COMMUNES)
_KEY_CHUNK = 1_000
MAX_COORDINATOR_DAYS = 60  # working days: about three months
REPORT_PREFIX = "bcdk:"  # a dispatch_opening of a periodic report, not of the task's own period

register({
    "reporting_regime_refused": (
        "Không đọc được chế độ báo cáo của kế hoạch {plan} (\"{regime}\"): {reason}",
        "The reporting regime of plan {plan} (\"{regime}\") cannot be read: {reason}",
    ),
    "plan_not_dispatchable": (
        "Chưa thể giao kế hoạch {plan}: nhiệm vụ STT {stts} chưa đạt \"6 rõ\" và chưa được lãnh đạo chấp nhận ngoại lệ.",
        "Plan {plan} cannot be dispatched: tasks {stts} fail the \"6 rõ\" checks and have no recorded exception.",
    ),
    "coordinator_days_invalid": (
        "Số ngày làm việc dành cho đơn vị phối hợp phải là số nguyên từ 0 đến {high}; nhận được: {value}.",
        "The coordinators' working days must be a whole number from 0 to {high}; received: {value}.",
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
    past: int = 0  # (task, period) pairs already due when the plan was issued: not dispatched

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id, "dry_run": self.dry_run, "by_kind": self.by_kind, "by_process": self.by_process,
            "total": self.total, "created": self.created, "skipped": self.skipped, "scheduled": self.scheduled,
            "external": self.external, "inactive": self.inactive, "past": self.past,
        }  # fmt: skip


@dataclass
class _Batch:
    """Children of one ``start_instances`` call: same process, same start data."""

    process: str
    data: dict[str, Any]
    children: list[ChildSpec] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    linked: bool = False  # coordinators: started after the leads, as children of their lead's instance


class _Planner:
    """Works out the children of (task, period) pairs, caching units and group expansions."""

    def __init__(self, uow: UnitOfWork, plan: Plan, *, coordinator_days: int = COORDINATOR_DAYS_BEFORE) -> None:
        self.session = uow.session
        self.plan = plan
        issuer = self.session.get(OrgUnit, plan.issuer_unit_id)
        assert issuer is not None
        self.issuer = issuer
        self._groups: dict[str, list[OrgUnit]] = {}
        # a target list (as JSON) → its units, and those with one school per commune
        self._targets: dict[str, tuple[list[OrgUnit], list[OrgUnit]]] = {}
        self._communes: dict[int, OrgUnit | None] = {}  # held here: the session keeps no strong references
        self.batches: dict[tuple[str, str, str, bool], _Batch] = {}
        self.coordinator_days = coordinator_days
        self.lead_of: dict[str, str] = {}  # a coordinator's business key → its lead's
        self.keys: set[str] = set()
        self.units: dict[str, OrgUnit] = {}  # the units that get an instance
        self.external: dict[str, None] = {}
        self.inactive: dict[str, None] = {}

    def _expand(self, targets: list[dict[str, Any]]) -> list[OrgUnit]:
        """The units ``targets`` name (not to be changed: the list is shared by every (task, period)
        with the same targets, and the units stay held, see ``_communes``)."""
        return self._expanded(targets)[0]

    def _placeable(self, targets: list[dict[str, Any]]) -> list[OrgUnit]:
        """``_expand`` with one school per commune (``_one_per_commune``)."""
        return self._expanded(targets)[1]

    def _expanded(self, targets: list[dict[str, Any]]) -> tuple[list[OrgUnit], list[OrgUnit]]:
        memo = json.dumps(targets, sort_keys=True, default=str)
        if memo not in self._targets:
            units = self._expand_now(targets)
            self._targets[memo] = (units, _one_per_commune(units))
        return self._targets[memo]

    def _expand_now(self, targets: list[dict[str, Any]]) -> list[OrgUnit]:
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
        # One school per commune: a lead school's commune is then left out of the coordinators, as
        # its key is the lead's (``_child`` would skip it).
        coordinators = [u for u in self._placeable(task.coordinators) if u.id not in lead_ids]
        sender = next((u.code for u in leads if u.kind != UnitKind.EXTERNAL), self.issuer.code)
        due = datetime.fromisoformat(text) if (text := effective_due_of(period)) else None
        base = {"tieu_de": task.content[:200], "san_pham": task.deliverable}
        if due is not None:
            base["han_xu_ly"] = due.isoformat()
        data = {**base, "don_vi_giao": self.issuer.code}
        for unit in self._placeable(task.lead):
            self._child(task, period["key"], due, unit, PROCESS_LEAD, data)
        self._add_coordinators(task, period["key"], due, base, leads, coordinators, sender)

    def add_report(self, task: PlanTask, period: dict[str, Any]) -> None:
        """The periodic report of ``period`` (of the plan's reporting regime) from each lead unit."""
        due = datetime.fromisoformat(text) if (text := effective_due_of(period)) else None
        data: dict[str, Any] = {
            "tieu_de": f"Báo cáo {period['label']}: {task.content}"[:200], "san_pham": task.deliverable,
            "ky_bao_cao": period["key"], "ten_ky_bao_cao": period["label"], "don_vi_cap_tren": self.issuer.code,
            "chot_so_lieu_tu": period.get("cutoff_from"), "chot_so_lieu_den": period.get("cutoff_to"),
        }  # fmt: skip
        if due is not None:
            data["han_xu_ly"] = due.isoformat()
        for unit in self._placeable(task.lead):
            self._child(task, period["key"], due, unit, PROCESS_PERIODIC_REPORT, data)

    def _add_coordinators(self, task: PlanTask, period_key: str, lead_due: datetime | None, base: dict[str, Any],
                          leads: list[OrgUnit], coordinators: list[OrgUnit], sender: str) -> None:  # fmt: skip
        """Coordinators answer the first lead that gets an instance, by an earlier deadline
        (``workflows.cascade.coordination``); they are started after the leads, linked to it."""
        lead = next((u for u in leads if u.kind != UnitKind.EXTERNAL), None)
        placed = self._placed(lead, PROCESS_LEAD) if lead is not None else None
        lead_key = self._key(task, period_key, *placed) if placed is not None else None
        due = coordinator_due(lead_due, self.coordinator_days) if lead_key is not None else lead_due
        data = {**base, "don_vi_giao": sender, "don_vi_chu_tri": sender}
        if due is not None:
            data["han_xu_ly"] = due.isoformat()
        for unit in coordinators:
            key = self._child(task, period_key, due, unit, PROCESS_COORDINATE, data, linked=lead_key is not None)
            if key is not None and lead_key is not None:
                self.lead_of[key] = lead_key

    def _placed(self, unit: OrgUnit, process: str) -> tuple[OrgUnit, str] | None:
        """Who really gets the instance: a school under a commune gets it through its commune (which
        hands the work on to its schools; a periodic report it sends itself)."""
        if unit.kind in _SCHOOL_KINDS:
            ward = self._commune(unit.parent_id)
            return None if ward is None else (ward, process if process == PROCESS_PERIODIC_REPORT else PROCESS_WARD)
        return unit, process

    def _key(self, task: PlanTask, period_key: str, unit: OrgUnit, process: str) -> str:
        return f"{self.plan.id}/{task.id}/{period_key}/{unit.code}/{process}"

    def _child(self, task: PlanTask, period_key: str, due: datetime | None, unit: OrgUnit, process: str, data: dict[str, Any],
               *, linked: bool = False) -> str | None:  # fmt: skip
        if unit.kind == UnitKind.EXTERNAL:
            self.external[unit.code] = None
            return None
        placed = self._placed(unit, process)
        if placed is None:
            return None
        unit, process = placed
        key = self._key(task, period_key, unit, process)
        if key in self.keys:
            return None  # e.g. the commune of several schools: one instance
        self.keys.add(key)
        self.units.setdefault(unit.code, unit)
        group = (process, period_key, json.dumps(data, sort_keys=True, ensure_ascii=False), linked)
        batch = self.batches.setdefault(group, _Batch(process, data, linked=linked))
        batch.children.append(ChildSpec(
            unit_code=unit.code, business_key=key, plan_key=plan_key(self.plan.id), task_key=task.stt,
            period=period_key, due_at=due,
        ))  # fmt: skip
        batch.kinds.append(unit.kind)
        return key

    def _commune(self, unit_id: int | None) -> OrgUnit | None:
        if unit_id is None:
            return None
        if unit_id not in self._communes:
            self._communes[unit_id] = self.session.get(OrgUnit, unit_id)
        return self._communes[unit_id]


def _one_per_commune(units: list[OrgUnit]) -> list[OrgUnit]:
    """``units`` without the schools after the first of each commune: a commune's schools all get
    its one instance (``_Planner._placed``), which only the first of them can create, so the others
    would change nothing (1,824 schools stand for 114 communes at each task and period)."""
    communes: set[int | None] = set()
    kept = []
    for unit in units:
        if unit.kind in _SCHOOL_KINDS:
            if unit.parent_id in communes:
                continue
            communes.add(unit.parent_id)
        kept.append(unit)
    return kept


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


def regime_periods(plan: Plan) -> list[dict[str, Any]]:
    """The periods of the plan's reporting regime in its year (stored-schedule shape); none
    without a regime. Refused (``InvalidState``) when the regime cannot be read."""
    if not (plan.reporting_regime or "").strip():
        return []
    try:
        return list(schedule_json(parse_timeframe(plan.reporting_regime or "", plan.year))["periods"])
    except TimeframeRefused as refusal:
        raise InvalidState("reporting_regime_refused", plan=plan.number or plan.id, regime=plan.reporting_regime,
                           reason=refusal.reason_vi) from None  # fmt: skip


def _is_continuous(task: PlanTask) -> bool:
    return (task.schedule or {}).get("kind") == "continuous"


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
    hint_unit_ids(uow, planner.units.values())
    batches = sorted(planner.batches.values(), key=lambda b: b.linked)  # leads first: coordinators link to them
    lead_ids: dict[str, Any] | None = None
    for batch in batches:
        children = batch.children
        if batch.linked:
            lead_ids = lead_ids if lead_ids is not None else _ids_by_key(uow, sorted(set(planner.lead_of.values())))
            children = [replace(c, parent_id=lead_ids.get(planner.lead_of.get(c.business_key or "", ""))) for c in children]
        started = start_instances(uow, batch.process, children, data=batch.data)
        result.created += started.created
        result.skipped += started.skipped


def _ids_by_key(uow: UnitOfWork, keys: list[str]) -> dict[str, Any]:
    """The running (else any) instance carrying each business key."""
    found: dict[str, Any] = {}
    for first in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[first : first + _KEY_CHUNK]
        rows = uow.session.execute(
            select(Instance.business_key, Instance.id, Instance.status).where(Instance.business_key.in_(chunk))
        ).all()
        for key, instance_id, _status in sorted(rows, key=lambda r: r.status != "running", reverse=True):
            found[key] = instance_id  # running ones last: they win
    return found


def _issued_at(uow: UnitOfWork, plan: Plan) -> datetime:
    """From when the plan's periods are its to dispatch: 00:00 of its issue day, else now."""
    return datetime.combine(plan.issued_on, time(0), LOCAL_TZ) if plan.issued_on is not None else uow.now


def _already_due(period: dict[str, Any], issued: datetime) -> bool:
    due = effective_due_of(period)
    return due is not None and datetime.fromisoformat(due) <= issued


def plan_dispatch(uow: UnitOfWork, plan_id: int, *, dry_run: bool = False, include_past: bool = False,
                  coordinator_days: int = COORDINATOR_DAYS_BEFORE) -> DispatchResult:  # fmt: skip
    """Dispatch every active task of the plan (see the module docstring); never commits.

    ``coordinator_days``: the coordinators' default deadline, in working days before the lead's.
    Refused (``InvalidState``) when an active task is not dispatchable. A dry run writes nothing.
    """
    _check_coordinator_days(coordinator_days)
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
    planner = _Planner(uow, plan, coordinator_days=coordinator_days)
    later: list[tuple[PlanTask, dict[str, Any]]] = []
    issued, past = _issued_at(uow, plan), 0
    regime = regime_periods(plan) if any(_is_continuous(t) for t in tasks) else []
    for task in tasks:
        now, waiting = _split_periods(task, plan.year, today)
        for period in now:
            if not include_past and _already_due(period, issued):
                past += 1
                continue
            planner.add(task, period)
        later += [(task, p) for p in waiting]
        if not _is_continuous(task):
            continue
        for period in regime:
            if date.fromisoformat(period["start"]) > today:
                later.append((task, {**period, "key": REPORT_PREFIX + period["key"]}))
            elif not include_past and _already_due(period, issued):
                past += 1
            else:
                planner.add_report(task, period)
    result = DispatchResult(plan.id, dry_run, scheduled=len(later), past=past)
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


def _check_coordinator_days(days: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_COORDINATOR_DAYS:
        raise BadData("coordinator_days_invalid", value=str(days)[:20], high=MAX_COORDINATOR_DAYS)


@dataclass
class OpeningResult:
    opened: int = 0
    created: int = 0
    skipped: int = 0


def open_due_periods(uow: UnitOfWork, now: datetime | None = None, *, limit: int = 500,
                     coordinator_days: int = COORDINATOR_DAYS_BEFORE) -> OpeningResult:  # fmt: skip
    """Dispatch the waiting periods whose opening instant has come; idempotent; never commits."""
    _check_coordinator_days(coordinator_days)
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
        report = opening.period_key.startswith(REPORT_PREFIX)
        key = opening.period_key.removeprefix(REPORT_PREFIX)
        periods = (regime_periods(plan) if report else (task.schedule or {}).get("periods") or []) if task and plan else []
        period = next((p for p in periods if p["key"] == key), None)
        if task is None or plan is None or task.status != "active" or period is None:
            opening.status, opening.opened_at = "cancelled", uow.now
            continue
        planner = _Planner(uow, plan, coordinator_days=coordinator_days)
        if report:
            planner.add_report(task, period)
        else:
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
    """Register the cascade's reactions (once per engine): a commune completing "Giao cho các
    trường", its schools' deadline and follow-up (``ward``), coordinators (``coordination``) and
    extensions (``extensions``)."""
    pe.hooks.add("task_completed", _on_task_completed)
    coordination.install(pe)
    ward.install(pe)
    extensions.install(pe)


def _on_task_completed(uow: UnitOfWork, completion: Any) -> None:
    row = completion.task
    if row.process_key == PROCESS_WARD and row.element_id == WARD_ASSIGN:
        assign_to_schools(uow, completion.instance, completion.data)


def assign_to_schools(uow: UnitOfWork, ward_instance: Instance, form: dict[str, Any]) -> int:
    """Start ``giao_nhiem_vu`` for the commune's schools (children of ``ward_instance``).

    ``truong_duoc_giao`` (school codes) if given, else every active school of the levels in
    ``cap_hoc`` ("MN", "TH", "THCS"), else every active school of the commune; a school the plan
    names as lead is always included, with ``vai_tro = "chu_tri"``. The deadline is
    ``han_cho_truong`` (refused if later than the commune's own: ``ward.schools_due``), else the
    commune's own. Returns how many instances were created.
    """
    session = uow.session
    code = ward_instance.unit_code
    found = session.scalars(_COMMUNE_AND_SCHOOLS, {"code": code}).all()
    unit = next((u for u in found if u.code == code), None)
    if unit is None:
        raise NotFound("unit_not_found", code=code)
    schools = ward_schools = [u for u in found if u is not unit]
    hint_unit_ids(uow, ward_schools)
    chosen = [str(c) for c in form.get("truong_duoc_giao") or []]
    levels = [str(level).upper() for level in form.get("cap_hoc") or []]
    if chosen:
        by_code = {s.code: s for s in schools}
        for code in chosen:
            if code not in by_code:
                raise BadData("ward_school_unknown", code=code, ward=unit.code)
        schools = [by_code[c] for c in dict.fromkeys(chosen)]
    elif levels:
        kinds = set().union(*(LEVEL_KINDS.get(level, frozenset()) for level in levels))
        schools = [s for s in schools if s.kind in kinds]
    task = _plan_task_of(uow, ward_instance)
    leads = ward.lead_schools(uow, task, unit, schools=ward_schools)
    lead_codes = {s.code for s in leads}
    due = ward_instance.due_at
    if form.get(WARD_SCHOOL_DEADLINE):
        due = ward.schools_due(uow, ward_instance, form[WARD_SCHOOL_DEADLINE])
    data: dict[str, Any] = {"don_vi_giao": unit.code}
    if task is not None:
        data.update(tieu_de=task.content[:200], san_pham=task.deliverable)
    if form.get("noi_dung_giao"):
        data["noi_dung"] = str(form["noi_dung_giao"])
    if due is not None:
        data["han_xu_ly"] = due.isoformat()
    prefix = ward_instance.business_key or str(ward_instance.id)

    def children(units: list[OrgUnit]) -> list[ChildSpec]:
        return [
            ChildSpec(unit_code=s.code, parent_id=ward_instance.id, business_key=f"{prefix}/{s.code}",
                      plan_key=ward_instance.plan_key, task_key=ward_instance.task_key, period=ward_instance.period, due_at=due)  # fmt: skip
            for s in units
        ]

    created = 0
    if leads:
        started = start_instances(uow, PROCESS_LEAD, children(leads), data={**data, "vai_tro": ward.LEAD_ROLE})
        count_as_lead(uow, started.instance_ids)
        created += started.created
    others = [s for s in schools if s.code not in lead_codes]
    if others:
        created += start_instances(uow, PROCESS_LEAD, children(others), data=data).created
    return created


# A hand-on's two SELECTs, built once: it runs at each of ~4,000 communes' tasks, and building them
# (clauses, coercions) cost about as much as running them. The commune and its active schools
# come in one SELECT.
_COMMUNE_AND_SCHOOLS = (
    select(OrgUnit).where(or_(
        OrgUnit.code == bindparam("code"),
        and_(OrgUnit.parent_id.in_(select(OrgUnit.id).where(OrgUnit.code == bindparam("code")).scalar_subquery()),
             OrgUnit.active, OrgUnit.kind.in_(sorted(_SCHOOL_KINDS))),
    )).order_by(OrgUnit.code)
)  # fmt: skip
_PLAN_TASK = select(PlanTask).where(PlanTask.plan_id == bindparam("plan_id"), PlanTask.stt == bindparam("stt"))


def _plan_task_of(uow: UnitOfWork, instance: Instance) -> PlanTask | None:
    plan_id = plan_id_of(instance.plan_key)
    if plan_id is None or instance.task_key is None:
        return None
    return uow.session.scalars(_PLAN_TASK, {"plan_id": plan_id, "stt": instance.task_key}).first()
