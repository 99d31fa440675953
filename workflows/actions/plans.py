"""The actions on plans, one door for every shell (the command line, the web app); no Flask.

Import (a dry run, then the store), naming an unknown body (an alias of a unit, or a body outside
the sector), recheck, dispatch (dry run, then for real), and the reads a plan's pages need: the
plans a person may see, and one plan with its tasks and their progress.

Each action takes the caller's unit of work and the acting ``User`` row and asks
``workflows.authz.rules.decide_plan`` first, before anything changes. A refusal is recorded in the
same unit of work (``record_refusal``) and raised as ``NotAllowed`` ("Bạn không có quyền …"): the
web app answers 403 and commits, keeping the record; the command line runs inside
``refusals_recorded``, which rolls back and records it afresh. Nothing commits here.

``user=None`` is the operator at the console: the command line connects with the database's own
credentials, which no rule can restrain, and its ``--actor`` is what the audit trail names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import BadData, InvalidState, NotFound, UnitOfWork
from workflows.authz.actions import PlanAction
from workflows.authz.facts import load_plan, load_user, unit_facts
from workflows.authz.model import Decision, NotAllowed, PlanFacts, UserFacts
from workflows.authz.refusals import record_refusal
from workflows.authz.rules import day_of, decide_plan
from workflows.cascade.amend import Amendment, AmendResult, amend_task
from workflows.cascade.dispatch import DispatchResult, plan_dispatch, regime_periods
from workflows.names import clean_name, column_length
from workflows.org import commands as org
from workflows.org.kinds import LABELS as KIND_LABELS
from workflows.org.kinds import UnitKind
from workflows.org.models import OrgUnit, UnitAlias, User
from workflows.org.province import province
from workflows.org.resolve import UnitDirectory
from workflows.plans.extract import ExtractedPlan, Limits, extract_plan
from workflows.plans.importing import (
    PlanHeader,
    PlanPreview,
    dispatchable,
    preview,
    recheck_plan,
    record_exception,
    store_plan,
)
from workflows.plans.models import Plan, PlanTask
from workflows.reports.export import ProgressRow, ProgressWorkbook, plan_progress_xlsx
from workflows.timeframes import TimeframeRefused, parse_timeframe
from workflows.tracking.models import Tracking
from workflows.tracking.pending import (
    PHASE_LABELS,
    ROLE_LABELS,
    PendingUnit,
    not_submitted,
    not_submitted_counts,
)
from workflows.tracking.status import STATUSES, StatusSummary, by_group

MAX_FILE_BYTES = Limits().max_file_bytes
EXTERNAL = "external"  # what a mapping gives instead of a unit code: a body outside the sector


# --- who acts -----------------------------------------------------------------------------------


def acting_user(session: Session, user_id: int) -> User:
    """The ``User`` row of a logged-in person (the web app knows their id)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", username=str(user_id))
    return user


def _facts(session: Session, user: User, now: datetime) -> UserFacts:
    return load_user(session, user, day_of(now))


def _decide(uow: UnitOfWork, user: User | None, action: PlanAction, plan: PlanFacts) -> Decision | None:
    """Allow, or record the refusal and raise it. ``None`` for the console operator."""
    if user is None:
        return None
    facts = _facts(uow.session, user, uow.now)
    decision = decide_plan(facts, action, plan, day_of(uow.now))
    if decision.allowed:
        if decision.on_behalf_of:
            uow.on_behalf_of = decision.on_behalf_of
        return decision
    if decision.security_event:
        record_refusal(uow, facts, action.value, plan, decision)
    return decision.ensure()


def check_import(uow: UnitOfWork, user: User) -> OrgUnit:
    """Refuse (recorded) a person who may not import plans, before they even see the form;
    return their province."""
    root = province_of(uow.session, user)
    _decide(uow, user, PlanAction.IMPORT, new_plan_of(root))
    return root


def may_import(session: Session, user: User, now: datetime) -> bool:
    return decide_plan(_facts(session, user, now), PlanAction.IMPORT, new_plan_of(province_of(session, user)), day_of(now)).allowed


def new_plan_of(root: OrgUnit) -> PlanFacts:
    """The facts of a plan about to be imported for the province ``root`` (issued by its Sở)."""
    return PlanFacts(id=None, issuer=unit_facts(root), label=root.code)


# --- the province a plan belongs to ---------------------------------------------------------------


def province_of(session: Session, user: User | None, code: str | None = None) -> OrgUnit:
    """The Sở a plan is imported into: the acting person's province, else the one named by
    ``code``, else the only one in the database."""
    if user is not None:
        unit = session.get(OrgUnit, user.unit_id)
        assert unit is not None and unit.root_id is not None
        root = session.get(OrgUnit, unit.root_id)
        assert root is not None
        return root
    return province(session, code)


# --- import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOptions:
    """What a person says about the file besides its contents (all optional but the year)."""

    year: int
    number: str | None = None
    title: str | None = None
    authority: str | None = None
    issued_on: date | None = None
    legal_bases: tuple[str, ...] = ()
    replace: bool = False
    reporting_regime: str | None = None  # "Định kỳ hằng quý", "trước ngày 15 hằng tháng" (NĐ 09/2019)


@dataclass
class ImportPreview:
    """A dry run: the file as read, and each task with its units, periods and "6 rõ" findings."""

    filename: str
    extracted: ExtractedPlan
    preview: PlanPreview
    authority: str
    title: str

    @property
    def unclear(self) -> int:
        return sum(1 for t in self.preview.tasks if t.problems)


def read_plan_file(data: bytes, filename: str) -> ExtractedPlan:
    """The appendix tables of an XLSX/CSV file, read with the domain's bounds and type sniffing;
    raises ``PlanFileRefused`` (its own Vietnamese and English words) and keeps nothing."""
    return extract_plan(data, filename)


def dry_run(session: Session, root: OrgUnit | None, extracted: ExtractedPlan, filename: str, options: ImportOptions) -> ImportPreview:
    """The preview itself, no permission asked: for a dry run against no province at all
    (``root`` None: every name is unknown), which the command line allows before any setup."""
    authority = options.authority or (f"Lãnh đạo {root.name}" if root else "Lãnh đạo đơn vị ban hành")
    result = preview(session, root, extracted, options.year, default_authority=authority)
    # A title read from the file is cut to fit; one typed in is refused if too long.
    stem = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0] or filename
    title = options.title or (extracted.preamble[0] if extracted.preamble else stem)[: column_length(Plan.title)]
    return ImportPreview(filename, extracted, result, authority, title)


def preview_import(uow: UnitOfWork, user: User | None, extracted: ExtractedPlan, filename: str, options: ImportOptions,
                   *, province: str | None = None) -> ImportPreview:  # fmt: skip
    """The dry run of an import into the acting person's province (``import`` permission)."""
    root = province_of(uow.session, user, province)
    _decide(uow, user, PlanAction.IMPORT, new_plan_of(root))
    return dry_run(uow.session, root, extracted, filename, options)


def import_plan(uow: UnitOfWork, user: User | None, extracted: ExtractedPlan, filename: str, options: ImportOptions,
                *, province: str | None = None) -> tuple[Plan, ImportPreview]:  # fmt: skip
    """Store the plan as a draft, all or nothing; the same number and year again is refused
    (``InvalidState`` "plan_exists") unless ``options.replace`` and the earlier one is a draft."""
    root = province_of(uow.session, user, province)
    _decide(uow, user, PlanAction.IMPORT, new_plan_of(root))
    regime = _reporting_regime(options)
    dry = dry_run(uow.session, root, extracted, filename, options)
    header = PlanHeader(title=dry.title, year=options.year, number=options.number, issued_on=options.issued_on,
                        legal_bases=options.legal_bases, reporting_regime=regime, default_authority=dry.authority,
                        source_name=filename)  # fmt: skip
    return store_plan(uow, root, header, dry.preview, replace=options.replace), dry


def _reporting_regime(options: ImportOptions) -> str | None:
    """The plan's reporting regime, read as a timeframe of its year now rather than refused at
    dispatch: its periods are the periodic reports of the plan's "Thường xuyên" tasks."""
    regime = " ".join((options.reporting_regime or "").split())
    if not regime:
        return None
    try:
        parse_timeframe(regime, options.year)
    except TimeframeRefused as refusal:
        raise InvalidState("reporting_regime_refused", plan=options.number or "mới", regime=regime[:200],
                           reason=refusal.reason_vi) from None  # fmt: skip
    return regime


# --- names the plan used that match no unit -------------------------------------------------------


def name_units(uow: UnitOfWork, user: User | None, mappings: Mapping[str, str], *, province: str | None = None) -> list[str]:
    """Teach the province the names a plan used: each name → a unit's code (an alias of that
    unit) or ``EXTERNAL`` (a body outside the sector, which is never dispatched to). Every
    permission is asked before anything changes; returns the codes of the units named."""
    root = province_of(uow.session, user, province)
    target = new_plan_of(root)
    wanted = {name.strip(): code.strip() for name, code in mappings.items() if name.strip() and code.strip()}
    for action in dict.fromkeys(PlanAction.MARK_EXTERNAL if c == EXTERNAL else PlanAction.MAP_UNKNOWN for c in wanted.values()):
        _decide(uow, user, action, target)
    named = []
    with uow.session.begin_nested():  # all the names or none (a name already taken, a bad code)
        for name, code in wanted.items():
            named.append(mark_external(uow, None, name, root=root) if code == EXTERNAL else map_unknown(uow, None, name, code, root=root))
    return named


def map_unknown(uow: UnitOfWork, user: User | None, name: str, unit_code: str, *, root: OrgUnit | None = None) -> str:
    """``name`` is another name of the unit ``unit_code`` (of the same province)."""
    root = root or province_of(uow.session, user)
    _decide(uow, user, PlanAction.MAP_UNKNOWN, new_plan_of(root))
    name = clean_name(name, "alias", column_length(UnitAlias.alias))
    unit = org.unit_by_code(uow, unit_code)
    if unit.root_id != root.id:
        raise NotFound("unit_not_found", code=unit_code)
    org.add_aliases(uow, unit, [name])
    return unit.code


def mark_external(uow: UnitOfWork, user: User | None, name: str, *, root: OrgUnit | None = None) -> str:
    """``name`` is a body outside the sector (a unit of kind "ngoai" under the Sở)."""
    root = root or province_of(uow.session, user)
    _decide(uow, user, PlanAction.MARK_EXTERNAL, new_plan_of(root))
    name = clean_name(name, "unit_name", column_length(OrgUnit.name))
    count = uow.session.scalar(select(func.count()).where(OrgUnit.root_id == root.id, OrgUnit.kind == UnitKind.EXTERNAL.value)) or 0
    unit = org.add_unit(uow, org.AddUnit(f"{root.code}.NGOAI{count + 1:03d}", name, UnitKind.EXTERNAL), parent=root)
    return unit.code


@dataclass(frozen=True)
class UnitChoice:
    code: str
    name: str
    kind: str


def mapping_choices(session: Session, user: User) -> list[tuple[str, list[UnitChoice]]]:
    """The units an unknown name may be mapped to, grouped by kind: the Sở, its phòng, the
    communes and the institutions under the Sở (schools under communes are too many for a list,
    and plans name them by group)."""
    root = province_of(session, user)
    kinds = [UnitKind.DEPARTMENT, UnitKind.DIVISION, UnitKind.COMMUNE, UnitKind.UPPER_SECONDARY, UnitKind.MULTI_LEVEL, UnitKind.CENTRE]
    rows = session.scalars(
        select(OrgUnit).where(OrgUnit.root_id == root.id, OrgUnit.active, OrgUnit.kind.in_([k.value for k in kinds])).order_by(OrgUnit.code)
    ).all()
    return [(KIND_LABELS[k], [UnitChoice(u.code, u.name, u.kind) for u in rows if u.kind == k.value]) for k in kinds
            if any(u.kind == k.value for u in rows)]  # fmt: skip


# --- a stored plan --------------------------------------------------------------------------------


def _plan(session: Session, plan_id: int) -> Plan:
    found = session.get(Plan, plan_id)
    if found is None:
        raise NotFound("plan_not_found", id=plan_id)
    return found


def unknown_names(session: Session, plan_id: int) -> list[str]:
    """The names a stored plan's unit cells use that match no unit of its province (yet)."""
    plan = _plan(session, plan_id)
    directory = UnitDirectory.load(session, plan.root_id)
    names: dict[str, None] = {}
    for lead, coordinators in session.execute(
        select(PlanTask.lead_text, PlanTask.coordinators_text).where(PlanTask.plan_id == plan_id).order_by(PlanTask.position)
    ):
        for cell in (lead, coordinators):
            names.update(dict.fromkeys(directory.resolve(cell).unknown))
    return list(names)


def recheck(uow: UnitOfWork, user: User | None, plan_id: int) -> int:
    """Resolve a stored plan's cells again (after names were taught); the tasks still unclear."""
    plan = _plan(uow.session, plan_id)
    _decide(uow, user, PlanAction.RECHECK, load_plan(uow.session, plan_id))
    return recheck_plan(uow, plan)


def accept_exception(uow: UnitOfWork, user: User | None, plan_id: int, stt: str, reason: str, *, leader: str | None = None) -> None:
    """A leader of the issuing unit (or their delegate) accepts a task that fails "6 rõ" as it is.
    The acting person is that leader; the console operator names the leader (``leader``, a username)."""
    _plan(uow.session, plan_id)
    _decide(uow, user, PlanAction.RECORD_EXCEPTION, load_plan(uow.session, plan_id))
    task = uow.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id, PlanTask.stt == stt)).first()
    if task is None:
        raise NotFound("plan_task_not_found", plan=plan_id, stt=stt)
    by = user or (org.user_by_name(uow, leader) if leader else None)
    if by is None:
        raise BadData(detail="cần nêu lãnh đạo chấp nhận ngoại lệ / the accepting leader is required")
    record_exception(uow, task, reason, by)


def dispatch(uow: UnitOfWork, user: User | None, plan_id: int, *, dry_run: bool = False, include_past: bool = False) -> DispatchResult:
    """One instance per (task, unit, period) due now, the later periods waiting; idempotent, all or
    nothing. A dry run counts and writes nothing. Periods already due when the plan was issued are
    left out unless ``include_past``."""
    _plan(uow.session, plan_id)
    _decide(uow, user, PlanAction.DISPATCH, load_plan(uow.session, plan_id))
    return plan_dispatch(uow, plan_id, dry_run=dry_run, include_past=include_past)


def amend(uow: UnitOfWork, user: User | None, plan_id: int, stt: str, amendment: Amendment) -> AmendResult:
    """Điều chỉnh a dispatched task (a new deadline, a new lead, or cancel it), with its reason:
    the issuing unit's staff (``amend`` permission), as the plan's other changes."""
    _plan(uow.session, plan_id)
    _decide(uow, user, PlanAction.AMEND, load_plan(uow.session, plan_id))
    return amend_task(uow, plan_id, stt, amendment)


# --- reading plans --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRow:
    id: int
    number: str | None
    title: str
    year: int
    status: str
    tasks: int
    dispatched: bool


def visible_plans(session: Session, user: User, now: datetime) -> list[PlanRow]:
    """The plans of the person's province, newest year first, if they may view plans at all."""
    root = province_of(session, user)
    if not decide_plan(_facts(session, user, now), PlanAction.VIEW, new_plan_of(root), day_of(now)).allowed:
        return []
    counts = select(PlanTask.plan_id, func.count().label("n")).group_by(PlanTask.plan_id).subquery()
    rows = session.execute(
        select(Plan, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.plan_id == Plan.id)
        .where(Plan.root_id == root.id)
        .order_by(Plan.year.desc(), Plan.id.desc())
    ).all()
    return [PlanRow(p.id, p.number, p.title, p.year, p.status, n, p.status != "draft") for p, n in rows]


@dataclass
class TaskLine:
    """One task of a stored plan, as its page shows it."""

    stt: str
    section: str | None
    content: str
    deliverable: str | None
    lead_text: str | None
    coordinators_text: str | None
    timeframe: str | None
    periods: list[dict[str, Any]]
    problems: list[dict[str, str]]
    exception: str | None
    dispatchable: bool
    progress: StatusSummary | None = None
    pending: list[PendingUnit] = field(default_factory=list)  # the first ones, soonest deadline first
    pending_count: int = 0  # all of them

    @property
    def pending_more(self) -> int:
        return self.pending_count - len(self.pending)


@dataclass
class PlanPage:
    plan: Plan
    issuer: str
    tasks: list[TaskLine]
    actions: set[str] = field(default_factory=set)
    scope: str = ""  # whose work the progress counts: the province, or the person's unit and below
    period_labels: dict[str, str] = field(default_factory=dict)  # "2026-Q1" → "Quý I/2026"

    @property
    def unclear(self) -> int:
        return sum(1 for t in self.tasks if not t.dispatchable)

    @property
    def progress(self) -> StatusSummary:
        total = StatusSummary()
        for line in self.tasks:
            if line.progress is not None:
                total.merge(line.progress)
        return total

    @property
    def pending_count(self) -> int:
        return sum(t.pending_count for t in self.tasks)

    def period_label(self, key: str | None) -> str:
        return self.period_labels.get(key or "", key or "")


PENDING_SHOWN = 20  # units not submitted listed per task on the page; the export lists them all


def plan_page(uow: UnitOfWork, user: User, plan_id: int, *, pending_shown: int | None = PENDING_SHOWN) -> PlanPage:
    """A plan with its tasks and, per task, the tracking module's statuses and on-time rate and the
    units that have not submitted (``workflows.tracking.pending``), over the work the person may
    read: the whole province for the issuing unit and its phòng, inspectors and administrators;
    their own unit and below for everyone else. ``pending_shown=None`` lists every such unit."""
    session, now = uow.session, uow.now
    plan = _plan(session, plan_id)
    facts_plan = load_plan(session, plan_id)
    _decide(uow, user, PlanAction.VIEW, facts_plan)
    facts = _facts(session, user, now)
    day = day_of(now)
    actions = {a.value for a in PlanAction if a != PlanAction.VIEW and decide_plan(facts, a, facts_plan, day).allowed}
    whole = bool(actions) or bool(facts.roles & {"inspector", "admin"})
    unit = None if whole else session.get(OrgUnit, user.unit_id)
    progress = by_group(session, now, Tracking.task_key, plan_id=plan.id, unit=unit)
    pending: dict[str, list[PendingUnit]] = {}
    for row in not_submitted(session, now, plan_id=plan.id, unit=unit, per_task=pending_shown):
        pending.setdefault(row.task_key, []).append(row)
    pending_counts = not_submitted_counts(session, plan_id=plan.id, unit=unit)
    tasks = session.scalars(select(PlanTask).where(PlanTask.plan_id == plan.id).order_by(PlanTask.position)).all()
    issuer = session.get(OrgUnit, plan.issuer_unit_id)
    lines = [
        TaskLine(t.stt, t.section_code, t.content, t.deliverable, t.lead_text, t.coordinators_text, t.timeframe_text,
                 (t.schedule or {}).get("periods", []), list(t.problems), t.exception_reason, dispatchable(t),
                 progress.get(t.stt), pending.get(t.stt, []), pending_counts.get(t.stt, 0))  # fmt: skip
        for t in tasks
    ]
    return PlanPage(plan, issuer.name if issuer else "", lines, actions, "" if unit is None else unit.name, _period_labels(plan, tasks))


def _period_labels(plan: Plan, tasks: Sequence[PlanTask]) -> dict[str, str]:
    """How people name the periods the plan's tasks and reporting regime were read as."""
    labels: dict[str, str] = {}
    try:
        regime = regime_periods(plan)
    except InvalidState:
        regime = []  # an unreadable regime is refused at dispatch; keys are shown as they are
    for period in [*regime, *(p for t in tasks for p in (t.schedule or {}).get("periods", []))]:
        if period.get("key") and period.get("label"):
            labels[period["key"]] = period["label"]
    return labels


def plan_workbook(uow: UnitOfWork, user: User, plan_id: int) -> tuple[str, bytes]:
    """The plan page as an XLSX workbook (progress per task, and every unit not submitted), over
    the same work the person's page shows; returns a file name and the bytes."""
    found = plan_page(uow, user, plan_id, pending_shown=None)
    plan = found.plan
    tasks = [ProgressRow(f"{t.section}.{t.stt}" if t.section else t.stt, t.stt, t.content, t.lead_text or "", t.timeframe or "",
                         t.progress, t.pending_count) for t in found.tasks]  # fmt: skip
    pending = [(row, found.period_label(row.period)) for t in found.tasks for row in t.pending]
    data = plan_progress_xlsx(ProgressWorkbook(plan.number, plan.title, plan.year, found.issuer, found.scope, uow.now, tasks, pending))
    # "637/KH-SGDĐT" → tien-do-637-KH-SGDĐT.xlsx (the web layer adds an ASCII fallback name)
    stem = re.sub(r"[^\w-]+", "-", plan.number or "").strip("-") or f"ke-hoach-{plan.id}"
    return f"tien-do-{stem}.xlsx", data


def unit_names(session: Session, codes: list[str]) -> list[str]:
    """The names of the units with these codes, in that order (a code no unit has, as it is)."""
    found = dict(session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(codes))).all()) if codes else {}  # type: ignore[arg-type]
    return [found.get(code, code) for code in codes]


COMMUNE_KIND = UnitKind.COMMUNE.value  # a commune hands a task to its schools itself, later


def kind_counts(result: DispatchResult) -> list[tuple[str, int]]:
    """How many instances each unit type gets, in the tree's order, with the kind's label."""
    counts = Counter(result.by_kind)
    return [(KIND_LABELS[k], counts[k.value]) for k in UnitKind if counts.get(k.value)]


STATUS_LABELS = STATUSES


__all__ = [
    "COMMUNE_KIND", "EXTERNAL", "MAX_FILE_BYTES", "PENDING_SHOWN", "PHASE_LABELS", "ROLE_LABELS", "STATUS_LABELS",
    "ImportOptions", "ImportPreview", "NotAllowed", "PendingUnit", "PlanPage", "PlanRow", "TaskLine", "UnitChoice",
    "accept_exception", "acting_user", "check_import", "dispatch", "dry_run", "import_plan", "kind_counts", "map_unknown",
    "mapping_choices", "mark_external", "may_import", "name_units", "plan_page", "plan_workbook", "preview_import",
    "province_of", "read_plan_file", "recheck", "unit_names", "unknown_names", "visible_plans",
]  # fmt: skip
