"""The process monitor's actions and reads, one door for every shell; no Flask.

Reads: instances by process, version and state; a version's per-element counts (waiting, late,
incidents) and the average time its steps stayed open; open incidents; one instance with its
current steps, variables and history. Changes: retry, resolve or cancel, one incident or many.

Who (a rule of roles and the province's root unit, decided here on the rules' facts):
  * read — an administrator or inspector of the province, or a leader of the Sở (its root unit;
    a holder of that leader's delegation on the day acts on their behalf);
  * act — an administrator or a leader of the Sở; an inspector reads and changes nothing.
A refusal is recorded (``action_refused``) in the caller's unit of work and raised as
``NotAllowed``, as the other actions do. Everything is scoped to the province: an instance is the
province's when its unit is (instances started by hand for no unit are nobody's province and are
not shown). Changes go through the engine's public commands only; nothing commits here.

Bulk changes run each item in a savepoint: one item that fails (an incident already closed, a
step that fails again, an incident whose instance still runs) is rolled back alone and reported
with its reason; the others are kept. A step that fails again inside a bulk retry is not counted
as another attempt (the engine counts attempts in a transaction of its own, which a request's
open transaction would wait for).
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from engine import (
    AuditEvent,
    BadData,
    EngineError,
    HumanTask,
    Incident,
    Instance,
    InvalidState,
    NotFound,
    ProcessDefinition,
    UnitOfWork,
    cancel_instance,
    register,
    resolve_incident,
    retry_incident,
)
from workflows.actions import guard
from workflows.authz.facts import load_user, unit_facts
from workflows.authz.model import Decision, NotAllowed, UnitFacts, UserFacts
from workflows.authz.refusals import record_refusal
from workflows.authz.rules import day_of, reaches
from workflows.org.models import OrgUnit, User
from workflows.org.queries import province_root

register({
    "monitor_not_allowed": (
        "Bạn không có quyền {action}: trang giám sát quy trình dành cho quản trị viên, lãnh đạo Sở và thanh tra.",
        "You may not {action_en}: the process monitor is for administrators, the Sở's leaders and inspectors.",
    ),
    "monitor_not_actor": (
        "Bạn không có quyền {action}: chỉ quản trị viên và lãnh đạo Sở được xử lý sự cố.",
        "You may not {action_en}: only administrators and the Sở's leaders handle incidents.",
    ),
    "monitor_inactive": (
        "Bạn không có quyền {action}: tài khoản hoặc đơn vị của bạn đã ngừng hoạt động.",
        "You may not {action_en}: your account or your unit is inactive.",
    ),
    "monitor_reason_required": (
        "Cần ghi lý do (tối đa {limit} ký tự).",
        "A reason is required (at most {limit} characters).",
    ),
})  # fmt: skip

LABELS: dict[str, tuple[str, str]] = {
    "view_monitor": ("xem trang giám sát quy trình", "view the process monitor"),
    "retry_incident": ("chạy lại bước bị lỗi", "retry a failed step"),
    "resolve_incident": ("đóng sự cố", "resolve an incident"),
    "cancel_instance": ("hủy phiên bản quy trình", "cancel a process instance"),
}
ACTIONS = ("retry_incident", "resolve_incident", "cancel_instance")
MAX_BULK = 200  # incidents in one request (a page lists at most this many)
MAX_REASON = 2_000
MAX_VARIABLES = 100  # variables shown on an instance page
MAX_VALUE_CHARS = 500  # each value's JSON, cut beyond this
MAX_HISTORY = 200  # audit events on an instance page, newest last
MAX_INSTANCES = 50  # instances listed on a version's page


# --- who ------------------------------------------------------------------------------------------


def decide(user: UserFacts, action: str, root: UnitFacts, day: Any) -> Decision:
    """May ``user`` take ``action`` (``view_monitor`` or one of ``ACTIONS``) in the province
    ``root``? Pure: the facts and the day."""
    vi, en = LABELS[action]
    params = {"action": vi, "action_en": en}
    if not user.active or not user.unit.active:
        return Decision(action, user, root, "monitor_inactive", params)
    same_province = user.unit.root_path == root.path
    leader = next((r for r in reaches(user, day) if r.unit.id == root.id and "leader" in r.roles), None)
    if action == "view_monitor":
        if leader is not None or (same_province and user.roles & {"admin", "inspector"}):
            return Decision(action, user, root, on_behalf_of=leader.on_behalf_of if leader else None)
        return Decision(action, user, root, "monitor_not_allowed", params)
    if same_province and "admin" in user.roles:
        return Decision(action, user, root)
    if leader is not None:
        return Decision(action, user, root, on_behalf_of=leader.on_behalf_of)
    if same_province and "inspector" in user.roles:
        return Decision(action, user, root, "authz_read_only", params)
    return Decision(action, user, root, "monitor_not_actor", params)



def _facts(session: Session, user: User, now: datetime) -> UserFacts:
    return load_user(session, user, day_of(now))


def _ensure(uow: UnitOfWork, user: User, action: str) -> tuple[OrgUnit, Decision]:
    """Allow ``action``, or record the refusal and raise ``NotAllowed``."""
    root = province_root(uow.session, user)
    facts = _facts(uow.session, user, uow.now)
    decision = decide(facts, action, unit_facts(root), day_of(uow.now))
    if not decision.allowed:
        record_refusal(uow, facts, action, decision.target, decision)
        raise NotAllowed(decision)
    if decision.on_behalf_of:
        uow.on_behalf_of = decision.on_behalf_of
    return root, decision


def check_view(uow: UnitOfWork, user: User) -> OrgUnit:
    """Refuse (recorded) a person who may not open the monitor; return their province's Sở."""
    return _ensure(uow, user, "view_monitor")[0]


def may_view(session: Session, user: User, now: datetime) -> bool:
    root = province_root(session, user)
    return decide(_facts(session, user, now), "view_monitor", unit_facts(root), day_of(now)).allowed


def in_menu(roles: Iterable[str]) -> bool:
    """Whether the menu offers the monitor, from the person's own roles only (a page costs no
    query more): administrators and inspectors. The Sở's leaders, whose right depends on their
    unit and delegations, reach it from the dashboard, which asks ``may_view``."""
    return bool(set(roles) & {"admin", "inspector"})


def may_act(session: Session, user: User, now: datetime) -> bool:
    root = province_root(session, user)
    return decide(_facts(session, user, now), "retry_incident", unit_facts(root), day_of(now)).allowed


# --- scope ----------------------------------------------------------------------------------------


def _province_codes(root: OrgUnit) -> Select[Any]:
    return select(OrgUnit.code).where(OrgUnit.path.startswith(root.path, autoescape=True))


def _in_province(root: OrgUnit) -> ColumnElement[bool]:
    return Instance.unit_code.in_(_province_codes(root))


# --- the overview: instances by process, version and state ------------------------------------------


@dataclass
class VersionRow:
    definition_id: int
    key: str
    version: int
    name: str
    deployed_at: datetime
    deployed_by: str
    running: int = 0
    completed: int = 0
    cancelled: int = 0
    incidents: int = 0

    @property
    def total(self) -> int:
        return self.running + self.completed + self.cancelled


def versions(session: Session, root: OrgUnit) -> list[VersionRow]:
    """Every deployed version (by process, newest version first) with the province's instances
    counted by state and its open incidents."""
    rows = {
        d.id: VersionRow(d.id, d.key, d.version, d.name, d.deployed_at, d.deployed_by)
        for d in session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc()))
    }
    counts = session.execute(
        select(Instance.definition_id, Instance.status, func.count())
        .where(_in_province(root))
        .group_by(Instance.definition_id, Instance.status)
    ).all()
    for definition_id, status, n in counts:
        setattr(rows[definition_id], status, n)
    incidents = session.execute(
        select(Instance.definition_id, func.count())
        .join(Incident, Incident.instance_id == Instance.id)
        .where(Incident.status == "open", _in_province(root))
        .group_by(Instance.definition_id)
    ).all()
    for definition_id, n in incidents:
        rows[definition_id].incidents = n
    return list(rows.values())


# --- a version: its diagram with counts, and the time spent in each step -------------------------


@dataclass
class ElementFigures:
    element_id: str
    name: str = ""
    waiting: int = 0
    late: int = 0
    incidents: int = 0
    done: int = 0  # completed task rows the average is taken over
    average_seconds: float | None = None


@dataclass
class InstanceRow:
    id: uuid.UUID
    unit_code: str | None
    unit_name: str | None
    status: str
    period: str | None
    started_at: datetime
    due_at: datetime | None
    incidents: int


@dataclass
class VersionPage:
    definition: ProcessDefinition
    elements: list[ElementFigures]
    instances: list[InstanceRow]
    status: str | None
    running: int = 0

    def counts(self) -> dict[str, dict[str, int]]:
        """``{element_id: {waiting, late, incidents}}`` for the diagram's badges (zeros left out)."""
        return {e.element_id: {"waiting": e.waiting, "late": e.late, "incidents": e.incidents}
                for e in self.elements if e.waiting or e.late or e.incidents}  # fmt: skip


def definition(session: Session, key: str, version: int) -> ProcessDefinition:
    found = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)).first()
    if found is None:
        raise NotFound("definition_not_found", key=f"{key} v{version}")
    return found


def _seconds_open(session: Session) -> ColumnElement[Any]:
    """How long a task row stayed open, in seconds, in this database's own words."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(HumanTask.completed_at) - func.julianday(HumanTask.created_at)) * 86400.0
    return func.extract("epoch", HumanTask.completed_at - HumanTask.created_at)


def version_page(uow: UnitOfWork, user: User, key: str, version: int, *, status: str | None = None) -> VersionPage:
    """A deployed version with, per element, the province's open tasks waiting there, how many of
    them are past their due, the open incidents, and the average time completed tasks stayed open
    (from each task row's opening to its completion)."""
    root = check_view(uow, user)
    session, now = uow.session, uow.now
    found = definition(session, key, version)
    mine = select(Instance.id).where(Instance.definition_id == found.id, _in_province(root))
    figures: dict[str, ElementFigures] = {}

    def at(element_id: str | None) -> ElementFigures:
        element_id = element_id or "?"
        return figures.setdefault(element_id, ElementFigures(element_id))

    late = case((HumanTask.due_at <= now, 1), else_=0)
    for element_id, name, waiting, overdue in session.execute(
        select(HumanTask.element_id, func.max(HumanTask.name), func.count(), func.sum(late))
        .where(HumanTask.instance_id.in_(mine), HumanTask.status == "open")
        .group_by(HumanTask.element_id)
    ):
        row = at(element_id)
        row.name, row.waiting, row.late = name, waiting, int(overdue or 0)
    for element_id, name, done, average in session.execute(
        select(HumanTask.element_id, func.max(HumanTask.name), func.count(), func.avg(_seconds_open(session)))
        .where(HumanTask.instance_id.in_(mine), HumanTask.status == "completed", HumanTask.completed_at.is_not(None))
        .group_by(HumanTask.element_id)
    ):
        row = at(element_id)
        row.name = row.name or name
        row.done, row.average_seconds = done, None if average is None else float(average)
    for element_id, n in session.execute(
        select(Incident.element_id, func.count()).where(Incident.instance_id.in_(mine), Incident.status == "open").group_by(Incident.element_id)
    ):
        at(element_id).incidents = n
    elements = sorted(figures.values(), key=lambda e: (-e.waiting, -e.incidents, e.name or e.element_id))
    query = select(Instance).where(Instance.definition_id == found.id, _in_province(root))
    if status in ("running", "completed", "cancelled"):
        query = query.where(Instance.status == status)
    listed = session.scalars(query.order_by(Instance.started_at.desc(), Instance.unit_code, Instance.period, Instance.id).limit(MAX_INSTANCES)).all()
    running = session.scalar(select(func.count()).select_from(Instance).where(Instance.definition_id == found.id, Instance.status == "running", _in_province(root))) or 0
    return VersionPage(found, elements, _instance_rows(session, listed), status, running)


def _instance_rows(session: Session, instances: Iterable[Instance]) -> list[InstanceRow]:
    listed = list(instances)
    ids = [i.id for i in listed]
    incidents = dict(session.execute(
        select(Incident.instance_id, func.count()).where(Incident.instance_id.in_(ids), Incident.status == "open").group_by(Incident.instance_id)
    ).all()) if ids else {}  # fmt: skip
    names = unit_names(session, {i.unit_code for i in listed if i.unit_code})
    return [InstanceRow(i.id, i.unit_code, names.get(i.unit_code or ""), i.status, i.period, i.started_at, i.due_at,
                        incidents.get(i.id, 0)) for i in listed]  # fmt: skip


def unit_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    return {code: name for code, name in session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(wanted)))} if wanted else {}


# --- incidents ------------------------------------------------------------------------------------


@dataclass
class IncidentRow:
    id: int
    instance_id: uuid.UUID
    process_key: str
    version: int
    element_id: str | None
    error_code: str
    message: str
    attempts: int
    created_at: datetime
    unit_code: str | None
    unit_name: str | None
    instance_status: str


def incidents(uow: UnitOfWork, user: User, *, instance_id: uuid.UUID | None = None, limit: int = MAX_BULK) -> list[IncidentRow]:
    """The province's open incidents, oldest first (or one instance's)."""
    root = check_view(uow, user)
    return _incident_rows(uow.session, root, instance_id=instance_id, limit=limit)


def _incident_rows(session: Session, root: OrgUnit, *, instance_id: uuid.UUID | None = None, limit: int = MAX_BULK) -> list[IncidentRow]:
    query = (
        select(Incident, Instance, ProcessDefinition.version)
        .join(Instance, Instance.id == Incident.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == Instance.definition_id)
        .where(Incident.status == "open", _in_province(root))
    )
    if instance_id is not None:
        query = query.where(Incident.instance_id == instance_id)
    found = session.execute(query.order_by(Incident.created_at, Incident.id).limit(limit)).all()
    names = unit_names(session, {i.unit_code for _, i, _ in found if i.unit_code})
    return [IncidentRow(inc.id, inc.instance_id, inst.process_key, version, inc.element_id, inc.error_code, inc.message,
                        inc.attempts, inc.created_at, inst.unit_code, names.get(inst.unit_code or ""), inst.status)
            for inc, inst, version in found]  # fmt: skip


def count_open_incidents(session: Session, root: OrgUnit) -> int:
    return session.scalar(
        select(func.count()).select_from(Incident).join(Instance, Instance.id == Incident.instance_id)
        .where(Incident.status == "open", _in_province(root))
    ) or 0  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """What happened to one item of a (bulk) action: done, or why not."""

    subject: str  # "#12" (an incident) or an instance id
    done: bool
    code: str | None = None  # the engine's message code when not done
    params: dict[str, Any] = field(default_factory=dict)


def retry(uow: UnitOfWork, user: User, incident_ids: Iterable[int], data: dict[str, Any] | None = None) -> list[Outcome]:
    """Run each incident's failed step again (as the incident recorded it, with ``data``, an
    operator's correction, merged into the step's data). Re-running a person's
    completion passes the engine's guard because the monitor decided it: an administrator's is
    an audited repair (``task_repair_opened``), a Sở leader's is this action's decision."""
    root, decision = _ensure(uow, user, "retry_incident")
    ids = _ids(incident_ids)
    admin = "admin" in decision.user.roles and decision.user.unit.root_path == root.path
    if admin and ids:
        guard.repair(uow, user, f"monitor: retry incidents {', '.join(f'#{i}' for i in ids)}")

    def one(incident_id: int) -> None:
        incident = _incident_in(uow.session, root, incident_id)
        command = incident.command or {}
        if not admin and command.get("kind") == "complete_task":
            guard.authorized(uow, uuid.UUID(command["task_id"]))
        retry_incident(uow, incident_id, data=data or None)

    return _each(uow, user, "retry_incident", ids, one)


def resolve(uow: UnitOfWork, user: User, incident_ids: Iterable[int], reason: str) -> list[Outcome]:
    """Close each incident without running its step ("moot"): the engine refuses it while the
    incident's instance still runs."""
    root, _ = _ensure(uow, user, "resolve_incident")
    reason = _reason(reason)

    def one(incident_id: int) -> None:
        _incident_in(uow.session, root, incident_id)
        resolve_incident(uow, incident_id, reason=reason)

    return _each(uow, user, "resolve_incident", _ids(incident_ids), one, reason=reason)


def cancel(uow: UnitOfWork, user: User, incident_ids: Iterable[int], reason: str) -> list[Outcome]:
    """Cancel the instance of each incident (and its running children): its open incidents are
    closed as moot with the same reason."""
    root, _ = _ensure(uow, user, "cancel_instance")
    reason = _reason(reason)

    def one(incident_id: int) -> None:
        incident = _incident_in(uow.session, root, incident_id)
        instance = uow.session.get(Instance, incident.instance_id)
        if instance is None or instance.status != "running":
            raise _not_running(instance) if instance is not None else NotFound("instance_not_found", id=str(incident.instance_id))
        cancel_instance(uow, incident.instance_id, reason=reason)

    return _each(uow, user, "cancel_instance", _ids(incident_ids), one, reason=reason)


def cancel_one_instance(uow: UnitOfWork, user: User, instance_id: uuid.UUID, reason: str) -> list[Outcome]:
    """Cancel one running instance of the province (from its page), with its running children."""
    root, _ = _ensure(uow, user, "cancel_instance")
    reason = _reason(reason)

    def one(_: int) -> None:
        instance = _instance_in(uow.session, root, instance_id)
        if instance.status != "running":
            raise _not_running(instance)
        cancel_instance(uow, instance_id, reason=reason)

    outcomes = _each(uow, user, "cancel_instance", [0], one, reason=reason)
    return [Outcome(str(instance_id), o.done, o.code, o.params) for o in outcomes]


def _not_running(instance: Instance) -> EngineError:
    return InvalidState("instance_not_running", id=str(instance.id), status=instance.status)


def _ids(values: Iterable[int]) -> list[int]:
    ids = list(dict.fromkeys(int(v) for v in values))
    if len(ids) > MAX_BULK:
        raise BadData(detail=f"tối đa {MAX_BULK} sự cố một lần / at most {MAX_BULK} incidents at once")
    return ids


def _reason(text: str) -> str:
    reason = unicodedata.normalize("NFC", text or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise BadData("monitor_reason_required", limit=MAX_REASON)
    return reason


def _incident_in(session: Session, root: OrgUnit, incident_id: int) -> Incident:
    """The incident, if it belongs to the province (else "not found": its existence is not told)."""
    found = session.execute(
        select(Incident).join(Instance, Instance.id == Incident.instance_id).where(Incident.id == incident_id, _in_province(root))
    ).scalar_one_or_none() if 0 < incident_id < 2**63 else None  # fmt: skip
    if found is None:
        raise NotFound("incident_not_found", id=incident_id)
    return found


def _instance_in(session: Session, root: OrgUnit, instance_id: uuid.UUID) -> Instance:
    found = session.scalars(select(Instance).where(Instance.id == instance_id, _in_province(root))).first()
    if found is None:
        raise NotFound("instance_not_found", id=str(instance_id))
    return found


def _each(uow: UnitOfWork, user: User, action: str, ids: list[int], one: Callable[[int], None], *,
          reason: str | None = None) -> list[Outcome]:  # fmt: skip
    """Run ``one`` per id in a savepoint; audit the whole as one ``monitor_action_taken``."""
    outcomes = []
    for item in ids:
        events = len(uow.events)
        savepoint = uow.session.begin_nested()
        try:
            one(item)
            uow.session.flush()
        except EngineError as refused:  # StepFailed, InvalidState, NotFound, BadData, ConflictError
            savepoint.rollback()
            del uow.events[events:]  # the item's events go with its changes
            outcomes.append(Outcome(f"#{item}", False, refused.code, dict(refused.params)))
            continue
        savepoint.commit()
        outcomes.append(Outcome(f"#{item}", True))
    uow.audit("monitor_action_taken", subject=f"user {user.username}",
              data={"action": action, "user_id": user.id, "name": user.full_name, "reason": reason,
                    "done": [o.subject for o in outcomes if o.done],
                    "failed": {o.subject: o.code for o in outcomes if not o.done}})  # fmt: skip
    return outcomes


# --- one instance ---------------------------------------------------------------------------------


@dataclass
class StepRow:
    id: uuid.UUID
    element_id: str
    name: str
    candidate_unit: str | None
    candidate_role: str | None
    assignee: str | None
    due_at: datetime | None
    late: bool


@dataclass
class HistoryRow:
    occurred_at: datetime
    event: str
    actor: str
    on_behalf_of: str | None
    subject: str | None
    data: str


@dataclass
class InstancePage:
    instance: Instance
    definition: ProcessDefinition
    unit_name: str | None
    steps: list[StepRow]
    incidents: list[IncidentRow]
    variables: list[tuple[str, str]] | None  # None: the stored state could not be read
    more_variables: int
    history: list[HistoryRow]
    more_history: int

    @property
    def highlight(self) -> list[str]:
        return list(dict.fromkeys(s.element_id for s in self.steps))

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for step in self.steps:
            entry = out.setdefault(step.element_id, {"waiting": 0, "late": 0, "incidents": 0})
            entry["waiting"] += 1
            entry["late"] += int(step.late)
        for incident in self.incidents:
            if incident.element_id:
                out.setdefault(incident.element_id, {"waiting": 0, "late": 0, "incidents": 0})["incidents"] += 1
        return out


def instance_page(uow: UnitOfWork, user: User, instance_id: uuid.UUID) -> InstancePage:
    root = check_view(uow, user)
    session, now = uow.session, uow.now
    instance = _instance_in(session, root, instance_id)
    found = session.get(ProcessDefinition, instance.definition_id)
    assert found is not None
    open_tasks = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open").order_by(HumanTask.created_at)
    ).all()
    steps = [StepRow(t.id, t.element_id, t.name, t.candidate_unit, t.candidate_role, t.assignee, t.due_at,
                     t.due_at is not None and t.due_at <= now) for t in open_tasks]  # fmt: skip
    variables, more = _variables(uow, instance, [t.spiff_task_id for t in open_tasks])
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.instance_id == instance.id)) or 0
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.id.desc()).limit(MAX_HISTORY)
    ).all()
    history = [HistoryRow(e.occurred_at, e.event, e.actor, e.on_behalf_of, e.subject, _short(e.data)) for e in reversed(events)]
    names = unit_names(session, [instance.unit_code] if instance.unit_code else [])
    return InstancePage(instance, found, names.get(instance.unit_code or ""), steps,
                        _incident_rows(session, root, instance_id=instance.id), variables, more, history,
                        max(0, total - len(history)))  # fmt: skip


def _variables(uow: UnitOfWork, instance: Instance, open_tasks: list[uuid.UUID]) -> tuple[list[tuple[str, str]] | None, int]:
    """The instance's data: the workflow's, overlaid with its open tasks' (what the next step
    reads) or, with none open, the last changed task's; sorted by name, at most ``MAX_VARIABLES`` shown, each value cut to ``MAX_VALUE_CHARS``.
    Read through the engine's own codec and bundle (the same as a step), never run."""
    pe = uow.engine
    try:
        bundle = pe.bundle_by_id(uow.session, instance.definition_id)
        workflow = pe.codec.load(instance.state, bundle.spec, bundle.subprocess_specs, pe.script_engine)
        data: dict[str, Any] = dict(workflow.data or {})
        current = [workflow.tasks.get(spiff_id) for spiff_id in open_tasks]
        if not any(current):  # ended, cancelled or between steps: the last task that changed
            changed = [t for t in workflow.tasks.values() if t.data]
            current = [max(changed, key=lambda t: t.last_state_change)] if changed else []
        for task in current:
            if task is not None:
                data.update(task.data or {})
    except Exception:  # noqa: BLE001 — unreadable state is shown as such; the page still answers
        return None, 0
    names = sorted(data)
    shown = [(name, _short(data[name])) for name in names[:MAX_VARIABLES]]
    return shown, max(0, len(names) - MAX_VARIABLES)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def diagram_xml(uow: UnitOfWork, user: User, key: str, version: int) -> bytes:
    """The BPMN XML of a deployed version, for the viewer (the monitor's readers only)."""
    check_view(uow, user)
    return definition(uow.session, key, version).xml


__all__ = [
    "ACTIONS", "LABELS", "NotAllowed", "Outcome", "check_view", "decide", "incidents", "instance_page", "may_act",
    "may_view", "resolve", "retry", "cancel", "cancel_one_instance", "version_page", "versions",
]  # fmt: skip
