"""Plan import: extracted appendix tables → units, timeframes and "6 rõ" findings → a stored plan.

The dry run (``preview``) shows every task with its resolved units, timeframe and problems;
``store_plan`` then writes the plan in the caller's unit of work, all or nothing. Names that
match no unit are reported (``unknown_units``) and flagged "rõ trách nhiệm", never dropped.

A plan is one document: one province holds one plan per (số ký hiệu, year), which a unique
index keeps. Importing it again is refused, unless the caller asks to replace it, which is
allowed only while it is a draft (nothing dispatched from it yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import BadData, Forbidden, InvalidState, UnitOfWork
from workflows.indicators.models import Indicator, IndicatorTarget
from workflows.indicators.targets import parse_target
from workflows.names import clean_name, clean_optional, column_length
from workflows.org.models import OrgUnit, User
from workflows.org.queries import may_approve
from workflows.org.resolve import GROUPS, Resolution, Target, UnitDirectory
from workflows.plans.extract import ExtractedPlan, RawTask
from workflows.plans.models import Plan, PlanSection, PlanTask
from workflows.plans.rules import Finding, TaskFacts, check
from workflows.timeframes import LOCAL_TZ, TimeframeRefused, parse_timeframe, schedule_json

COLUMN_FINDINGS = {
    "deliverable": Finding("rõ sản phẩm", "Tệp không có cột Sản phẩm/Kết quả."),
    "lead": Finding("rõ người", "Tệp không có cột Đơn vị chủ trì."),
    "timeframe": Finding("rõ thời gian", "Tệp không có cột Thời gian."),
}


@dataclass
class TaskPreview:
    stt: str
    section: str | None
    content: str
    deliverable: str | None
    lead_text: str | None
    lead: list[dict[str, Any]]
    coordinators_text: str | None
    coordinators: list[dict[str, Any]]
    timeframe: str | None
    schedule: dict[str, Any] | None
    authority: str | None
    problems: list[Finding]
    source_row: int | None
    display_lead: str
    display_coordinators: list[str]
    unknown: list[str] = field(default_factory=list)


@dataclass
class PlanPreview:
    sections: list[dict[str, str]]
    tasks: list[TaskPreview]
    indicators: list[dict[str, Any]]
    unknown_units: list[str]
    missing_columns: list[str]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The shape of ``giaoviec plan import --dry-run --json``."""
        return {
            "sections": self.sections,
            "tasks": [
                {
                    "stt": t.stt, "section": t.section, "content": t.content, "deliverable": t.deliverable,
                    "lead": t.display_lead, "coordinators": t.display_coordinators, "timeframe": t.timeframe,
                    "schedule": t.schedule, "problems": [p.as_dict() for p in t.problems],
                }  # fmt: skip
                for t in self.tasks
            ],
            "indicators": self.indicators,
            "unknown_units": self.unknown_units,
            "missing_columns": self.missing_columns,
            "notes": self.notes,
        }


def _targets(resolution: Resolution) -> list[dict[str, Any]]:
    return [{"unit_id": t.unit_id, "text": t.text} if t.unit_id is not None else {"group": t.group, "text": t.text} for t in resolution.targets]


def _display(session: Session, target: Target) -> str:
    if target.group is not None:
        return GROUPS[target.group].label
    unit = session.get(OrgUnit, target.unit_id)
    return unit.name if unit else target.text


def preview_task(session: Session, directory: UnitDirectory, raw: RawTask, year: int, *,
                 default_authority: str | None, missing_columns: list[str]) -> TaskPreview:  # fmt: skip
    """One task row: its units resolved, its timeframe parsed, its "6 rõ" findings."""
    lead, coordinators = directory.resolve(raw.lead), directory.resolve(raw.coordinators)
    names = list(dict.fromkeys(lead.unknown + coordinators.unknown))
    schedule, timeframe_error = None, None
    if raw.timeframe:
        try:
            schedule = schedule_json(parse_timeframe(raw.timeframe, year))
        except TimeframeRefused as refusal:
            timeframe_error = refusal.reason_vi
    else:
        timeframe_error = "ô thời gian trống"
    authority = raw.authority or default_authority
    facts = TaskFacts(
        content=raw.content, deliverable=raw.deliverable, lead_units=len(lead.unit_ids),
        lead_groups=len([t for t in lead.targets if t.group]), unknown_names=tuple(names),
        timeframe_error=timeframe_error, authority=authority, coordinators=len(coordinators.targets),
    )  # fmt: skip
    findings = list(check(facts).findings)
    for column, finding in COLUMN_FINDINGS.items():
        if column in missing_columns:
            findings = [f for f in findings if f.rule != finding.rule] + [finding]
    return TaskPreview(
        stt=raw.stt, section=raw.section, content=raw.content, deliverable=raw.deliverable,
        lead_text=raw.lead, lead=_targets(lead), coordinators_text=raw.coordinators,
        coordinators=_targets(coordinators), timeframe=raw.timeframe, schedule=schedule,
        authority=authority, problems=findings, source_row=raw.source_row,
        display_lead="; ".join([_display(session, t) for t in lead.targets] + lead.unknown),
        display_coordinators=[_display(session, t) for t in coordinators.targets] + coordinators.unknown,
        unknown=names,
    )  # fmt: skip


def preview(session: Session, root: OrgUnit | None, extracted: ExtractedPlan, year: int, *, default_authority: str | None) -> PlanPreview:
    """The dry run. Without a province (``root`` None) every unit name is reported as unknown."""
    directory = UnitDirectory.load(session, root.id) if root is not None else UnitDirectory(0, {})
    tasks = [
        preview_task(session, directory, raw, year, default_authority=default_authority, missing_columns=extracted.missing_columns)
        for raw in extracted.tasks
    ]
    indicators = [
        {"stt": i.stt, "section": i.section, "name": i.name, "unit": i.unit, "targets": dict(i.targets),
         "monitoring_unit": i.monitoring_unit, "reporting_units": i.reporting_units}  # fmt: skip
        for i in extracted.indicators
    ]
    return PlanPreview(
        sections=[{"code": s.code, "title": s.title} for s in extracted.sections], tasks=tasks,
        indicators=indicators, unknown_units=list(dict.fromkeys(n for t in tasks for n in t.unknown)),
        missing_columns=list(extracted.missing_columns), notes=list(extracted.notes),
    )  # fmt: skip


@dataclass(frozen=True)
class PlanHeader:
    title: str
    year: int
    number: str | None = None
    issued_on: date | None = None
    legal_bases: tuple[str, ...] = ()
    reporting_regime: str | None = None
    default_authority: str | None = None
    source_name: str | None = None


def store_plan(uow: UnitOfWork, root: OrgUnit, header: PlanHeader, plan_preview: PlanPreview, *,
               replace: bool = False) -> Plan:  # fmt: skip
    """Write the previewed plan, its sections, tasks and indicators; audited; never commits.

    The same number and year again in the province is refused (``InvalidState``), or with
    ``replace`` the earlier plan is deleted first, if it is still a draft."""
    number = clean_optional(header.number, "plan_number", column_length(Plan.number))
    title = clean_name(header.title, "plan_title", column_length(Plan.title))
    authority = clean_optional(header.default_authority, "authority", column_length(Plan.default_authority))
    replaced = _earlier(uow, root, number, header.year, replace=replace)
    plan = Plan(
        root_id=root.id, issuer_unit_id=root.id, number=number, issued_on=header.issued_on,
        title=title, year=header.year, legal_bases=list(header.legal_bases),
        reporting_regime=header.reporting_regime, default_authority=authority,
        status="draft", source_name=header.source_name, notes=plan_preview.notes,
        created_at=uow.now, created_by=uow.actor,
    )  # fmt: skip
    uow.session.add(plan)
    uow.session.flush()
    if replaced is not None:
        uow.audit("plan_replaced", subject=number or title[:300], data={"plan": plan.id, "replaced": replaced})
    for position, section in enumerate(plan_preview.sections):
        uow.session.add(PlanSection(plan_id=plan.id, code=section["code"], title=section["title"], position=position))
    for position, t in enumerate(plan_preview.tasks):
        uow.session.add(PlanTask(
            plan_id=plan.id, position=position, stt=t.stt, section_code=t.section, content=t.content,
            deliverable=t.deliverable, lead_text=t.lead_text, lead=t.lead, coordinators_text=t.coordinators_text,
            coordinators=t.coordinators, timeframe_text=t.timeframe, schedule=t.schedule, authority=t.authority,
            problems=[p.as_dict() for p in t.problems], status="active", source_row=t.source_row,
        ))  # fmt: skip
    directory = UnitDirectory.load(uow.session, root.id)
    for position, i in enumerate(plan_preview.indicators):
        monitoring = directory.resolve(i.get("monitoring_unit")).unit_ids
        indicator = Indicator(
            plan_id=plan.id, position=position, stt=i["stt"], section_code=i["section"], name=i["name"],
            unit_of_measure=i["unit"], monitoring_text=i.get("monitoring_unit"),
            monitoring_unit_id=monitoring[0] if len(monitoring) == 1 else None, reporting_text=i.get("reporting_units"),
        )  # fmt: skip
        uow.session.add(indicator)
        uow.session.flush()
        for period, text in i["targets"].items():
            target = parse_target(text)
            uow.session.add(IndicatorTarget(indicator_id=indicator.id, period=str(period)[:20], text=(text or "")[:200],
                                            comparator=target.comparator, value=target.value, measure=target.measure))  # fmt: skip
    uow.audit("plan_imported", subject=number or title[:300],
              data={"plan": plan.id, "tasks": len(plan_preview.tasks), "indicators": len(plan_preview.indicators),
                    "unknown_units": plan_preview.unknown_units, "source": header.source_name})  # fmt: skip
    return plan


def _earlier(uow: UnitOfWork, root: OrgUnit, number: str | None, year: int, *, replace: bool) -> int | None:
    """The id of the plan this one replaces (deleted here), None if there is none; refuse a
    duplicate unless ``replace``, and a dispatched plan always."""
    if number is None:
        return None
    earlier = uow.session.scalars(select(Plan).where(Plan.root_id == root.id, Plan.year == year, Plan.number == number)).first()
    if earlier is None:
        return None
    if not replace:
        raise InvalidState("plan_exists", number=number, year=year, id=earlier.id)
    if earlier.status != "draft":
        raise InvalidState("plan_replace_dispatched", number=number, year=year, id=earlier.id)
    replaced = earlier.id
    uow.session.delete(earlier)  # its sections, tasks and indicators go with it (ON DELETE CASCADE)
    uow.session.flush()
    return replaced


def recheck_plan(uow: UnitOfWork, plan: Plan) -> int:
    """Resolve a stored plan's cells again (after names were mapped); return tasks still unclear."""
    directory = UnitDirectory.load(uow.session, plan.root_id)
    unclear = 0
    for task in uow.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan.id).order_by(PlanTask.position)):
        raw = RawTask(task.stt, task.section_code, task.content, task.deliverable, task.lead_text, task.coordinators_text,
                      task.timeframe_text, task.authority, task.source_row or 0, "")  # fmt: skip
        missing = [c for c, f in COLUMN_FINDINGS.items() if f.as_dict() in task.problems]
        fresh = preview_task(uow.session, directory, raw, plan.year, default_authority=plan.default_authority, missing_columns=missing)
        task.lead, task.coordinators, task.schedule = fresh.lead, fresh.coordinators, fresh.schedule
        task.problems = [p.as_dict() for p in fresh.problems]
        unclear += bool(task.problems)
    uow.audit("plan_rechecked", subject=plan.number or str(plan.id), data={"plan": plan.id, "unclear_tasks": unclear})
    return unclear


def record_exception(uow: UnitOfWork, task: PlanTask, reason: str, leader: User) -> None:
    """A leader of the issuing unit (or their delegate) accepts a task that fails "6 rõ" as it is."""
    plan = uow.session.get(Plan, task.plan_id)
    assert plan is not None
    acting = may_approve(uow.session, leader, plan.issuer_unit_id, uow.now.astimezone(LOCAL_TZ).date())
    if acting is None:
        raise Forbidden("plan_exception_not_leader", username=leader.username)
    if not reason.strip():
        raise BadData(detail="cần nêu lý do / a reason is required")
    task.exception_reason, task.exception_by, task.exception_at = reason.strip(), leader.username, uow.now
    on_behalf = acting.on_behalf_of.username if acting.on_behalf_of else None
    uow.audit("plan_task_exception_recorded", subject=f"{plan.number or plan.id}/{task.stt}", on_behalf_of=on_behalf,
              data={"reason": reason, "problems": task.problems, "leader": leader.username})  # fmt: skip


def dispatchable(task: PlanTask) -> bool:
    return not task.problems or task.exception_reason is not None
