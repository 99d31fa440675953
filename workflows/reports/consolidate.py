"""Consolidation: a ward's draft from its schools' reports, and the Sở's view of a plan.

Figures are summed exactly: numerators and denominators separately, as ``Decimal`` (three schools
at 12/40, 7/35 and 0/25 make 19/100, not the 21% average of their rates).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from engine import BadData, Instance, NotFound, UnitOfWork
from workflows.indicators.models import Indicator, IndicatorFigure
from workflows.org.models import OrgUnit
from workflows.plans.keys import plan_key
from workflows.plans.models import Plan, PlanTask
from workflows.process_contract import PROCESS_COORDINATE, PROCESS_WARD
from workflows.reports.inputs import TEXT_FIELDS, FigureInput, ReportInput
from workflows.reports.models import Report
from workflows.reports.versions import plan_id_of, plan_indicators, resolve_indicator

REPORTED = ("submitted", "approved")


@dataclass(frozen=True)
class Child:
    unit_code: str
    name: str
    instance_id: uuid.UUID


@dataclass(frozen=True)
class Consolidation:
    """The parent's draft (``report_input``), whose children it used and which have no report yet."""

    report_input: ReportInput
    included: tuple[Child, ...]
    missing: tuple[Child, ...]

    @property
    def consolidated_from(self) -> tuple[int, ...]:
        return self.report_input.consolidated_from or ()


@dataclass
class _Sum:
    indicator_id: int | None
    code: str | None
    numerator: Decimal = Decimal(0)
    denominator: Decimal = Decimal(0)
    fractions: list[str] = field(default_factory=list)  # units that gave a denominator
    counts: list[str] = field(default_factory=list)  # units that gave none


def consolidate_children(uow: UnitOfWork, parent_instance: Instance) -> Consolidation:
    """Sum the children's latest submitted-or-approved reports into a draft for the parent.

    Text is gathered per section as "<school>: <text>" lines, in unit-code order. Figures naming
    the same indicator (by id or by its code in the plan) are summed; a figure given as a count by
    one school and as a fraction by another is refused rather than summed into nonsense.
    """
    session = uow.session
    children = session.scalars(
        select(Instance)
        .where(Instance.parent_id == parent_instance.id, Instance.status != "cancelled",
               Instance.process_key.not_in((PROCESS_COORDINATE, PROCESS_WARD)))  # coordinators answer, they are not schools
        .order_by(Instance.unit_code)
    ).all()
    names = _unit_names(session, [c.unit_code or "" for c in children])
    reports = _latest_reported(session, [c.id for c in children])
    by_id, by_code = plan_indicators(session, plan_id_of(session, parent_instance))
    sections: dict[str, list[str]] = {name: [] for name, _ in TEXT_FIELDS}
    sums: dict[tuple[str, object], _Sum] = {}
    included: list[Child] = []
    missing: list[Child] = []
    used: list[int] = []
    for instance in children:
        code = instance.unit_code or ""
        child = Child(code, names.get(code, code), instance.id)
        report = reports.get(instance.id)
        if report is None:
            missing.append(child)
            continue
        included.append(child)
        used.append(report.id)
        for name, _ in TEXT_FIELDS:
            text = getattr(report, name)
            if text:
                sections[name].append(f"{child.name}: {text}")
        for figure in map(FigureInput.from_json, report.figures):
            indicator = resolve_indicator(figure, by_id, by_code)
            if indicator is not None:
                key: tuple[str, object] = ("id", indicator.id)
                total = sums.setdefault(key, _Sum(indicator.id, indicator.stt))
            else:
                key = (
                    ("id", figure.indicator_id)
                    if figure.indicator_id is not None
                    else ("code", figure.code)
                )
                total = sums.setdefault(key, _Sum(figure.indicator_id, figure.code))
            total.numerator += figure.numerator
            if figure.denominator is None:
                total.counts.append(child.name)
            else:
                total.denominator += figure.denominator
                total.fractions.append(child.name)
    report_input = ReportInput(
        "\n".join(sections["ket_qua"]), "\n".join(sections["kho_khan"]), "\n".join(sections["kien_nghi"]),
        figures=tuple(_figure(total) for total in sums.values()), consolidated_from=tuple(used),
    )  # fmt: skip
    return Consolidation(report_input, tuple(included), tuple(missing))


def _figure(total: _Sum) -> FigureInput:
    if total.counts and total.fractions:
        label = total.code or total.indicator_id
        raise BadData(detail=f"chỉ tiêu {label}: {', '.join(total.fractions)} báo cáo tỷ lệ (tử/mẫu) nhưng "
                             f"{', '.join(total.counts)} báo cáo số lượng; hãy trả lại để thống nhất / "
                             f"indicator {label} is a fraction for some units and a count for others")  # fmt: skip
    return FigureInput(
        total.indicator_id,
        total.code,
        total.numerator,
        total.denominator if total.fractions else None,
    )


def _unit_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(
        select(OrgUnit.code, OrgUnit.short_name, OrgUnit.name).where(OrgUnit.code.in_(wanted))
    )
    return {code: short or name or code for code, short, name in rows}


def _latest_reported(session: Session, instance_ids: list[uuid.UUID]) -> dict[uuid.UUID, Report]:
    if not instance_ids:
        return {}
    rows = session.scalars(
        select(Report)
        .where(Report.instance_id.in_(instance_ids), Report.status.in_(REPORTED))
        .order_by(Report.version.desc())
    )
    newest: dict[uuid.UUID, Report] = {}
    for report in rows:
        newest.setdefault(report.instance_id, report)
    return newest


# --- the Sở's view of one plan and period -------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    """One task × unit (instance): the facts of its newest report; ``status`` None: none yet."""

    task_key: str | None
    content: str
    unit_code: str
    unit_name: str
    instance_id: uuid.UUID
    status: str | None
    version: int | None
    submitted_at: datetime | None
    ket_qua: str = ""
    kho_khan: str = ""
    kien_nghi: str = ""


@dataclass(frozen=True)
class IndicatorTotal:
    """An indicator's recorded (approved) figures summed over every unit, for the period."""

    indicator_id: int
    stt: str
    name: str
    unit_of_measure: str | None
    numerator: Decimal | None
    denominator: Decimal | None
    units: int

    @property
    def rate(self) -> Decimal | None:
        """numerator / denominator (0.19 for 19/100); ``None`` for a count or no data."""
        if self.numerator is None or not self.denominator:
            return None
        return self.numerator / self.denominator


@dataclass(frozen=True)
class PlanSummary:
    plan_id: int
    title: str
    number: str | None
    period: str
    rows: tuple[UnitRow, ...]
    indicators: tuple[IndicatorTotal, ...]


def plan_summary(session: Session, plan_id: int, period: str) -> PlanSummary:
    """Every dispatched (not cancelled) instance of the plan and period with its newest report,
    ordered by task then unit, and each indicator's total of recorded figures for the period."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("plan_not_found", id=plan_id)
    tasks = {t.stt: t for t in session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_id))}
    newest = (
        select(Report.instance_id, func.max(Report.version).label("version"))
        .where(Report.plan_id == plan_id, Report.period == period)
        .group_by(Report.instance_id)
        .subquery()
    )
    found = session.execute(
        select(Instance.id, Instance.unit_code, Instance.task_key, OrgUnit.short_name, OrgUnit.name, Report.status,
               Report.version, Report.submitted_at, Report.ket_qua, Report.kho_khan, Report.kien_nghi)
        .outerjoin(OrgUnit, OrgUnit.code == Instance.unit_code)
        .outerjoin(newest, newest.c.instance_id == Instance.id)
        .outerjoin(Report, and_(Report.instance_id == newest.c.instance_id, Report.version == newest.c.version))
        .where(Instance.plan_key == plan_key(plan_id), Instance.period == period, Instance.status != "cancelled")
    ).all()  # fmt: skip
    rows = [
        UnitRow(task_key, tasks[task_key].content if task_key in tasks else "", code or "", short or name or code or "",
                instance_id, status, version, submitted_at, ket_qua or "", kho_khan or "", kien_nghi or "")
        for instance_id, code, task_key, short, name, status, version, submitted_at, ket_qua, kho_khan, kien_nghi in found
    ]  # fmt: skip
    unknown = len(tasks)  # instances of a task no longer in the plan go last
    rows.sort(
        key=lambda r: (
            tasks[r.task_key].position if r.task_key in tasks else unknown,
            r.task_key or "",
            r.unit_code,
        )
    )
    return PlanSummary(
        plan.id,
        plan.title,
        plan.number,
        period,
        tuple(rows),
        tuple(_indicator_totals(session, plan_id, period)),
    )


def _indicator_totals(session: Session, plan_id: int, period: str) -> list[IndicatorTotal]:
    """Summed in Python over the rows: SQLite has no decimal type, so SUM() there would be a float."""
    indicators = session.scalars(
        select(Indicator).where(Indicator.plan_id == plan_id).order_by(Indicator.position)
    ).all()
    figures = session.execute(
        select(IndicatorFigure.indicator_id, IndicatorFigure.numerator, IndicatorFigure.denominator)
        .join(Indicator, Indicator.id == IndicatorFigure.indicator_id)
        .where(Indicator.plan_id == plan_id, IndicatorFigure.period == period)
    ).all()
    numerators: dict[int, Decimal] = {}
    denominators: dict[int, Decimal] = {}  # like roll_up's SUM(), units without one add nothing
    units: dict[int, int] = {}
    for indicator_id, numerator, denominator in figures:
        numerators[indicator_id] = numerators.get(indicator_id, Decimal(0)) + Decimal(numerator)
        if denominator is not None:
            denominators[indicator_id] = denominators.get(indicator_id, Decimal(0)) + Decimal(
                denominator
            )
        units[indicator_id] = units.get(indicator_id, 0) + 1
    return [
        IndicatorTotal(
            i.id,
            i.stt,
            i.name,
            i.unit_of_measure,
            numerators.get(i.id),
            denominators.get(i.id),
            units.get(i.id, 0),
        )
        for i in indicators
    ]
