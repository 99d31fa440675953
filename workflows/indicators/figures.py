"""Reporting indicator figures and rolling them up the tree, exactly, in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import BadData, NotFound, UnitOfWork
from workflows.indicators.models import Indicator, IndicatorFigure, IndicatorTarget
from workflows.indicators.targets import Evaluation, Target, evaluate
from workflows.org.models import OrgUnit


def report_figure(
    uow: UnitOfWork, indicator_id: int, unit_id: int, period: str, numerator: Decimal,
    denominator: Decimal | None = None, note: str | None = None,
) -> IndicatorFigure:  # fmt: skip
    """Record (or correct) one unit's figure for a period; the change is audited."""
    if uow.session.get(Indicator, indicator_id) is None:
        raise NotFound("bad_data", detail=f"chỉ tiêu {indicator_id} / indicator {indicator_id}")
    if numerator < 0 or (denominator is not None and (denominator <= 0 or numerator > denominator)):
        raise BadData(detail=f"tử số {numerator} / mẫu số {denominator} không hợp lệ (0 ≤ tử ≤ mẫu, mẫu > 0)")
    figure = uow.session.scalars(
        select(IndicatorFigure).where(IndicatorFigure.indicator_id == indicator_id, IndicatorFigure.unit_id == unit_id, IndicatorFigure.period == period)
    ).first()
    previous = (str(figure.numerator), str(figure.denominator)) if figure else None
    if figure is None:
        figure = IndicatorFigure(indicator_id=indicator_id, unit_id=unit_id, period=period, numerator=numerator,
                                 denominator=denominator, note=note, reported_at=uow.now, reported_by=uow.actor)  # fmt: skip
        uow.session.add(figure)
    else:
        figure.numerator, figure.denominator, figure.note = numerator, denominator, note
        figure.reported_at, figure.reported_by = uow.now, uow.actor
    uow.audit("indicator_figure_reported", subject=f"{indicator_id}/{unit_id}/{period}",
              data={"numerator": str(numerator), "denominator": str(denominator) if denominator is not None else None,
                    "previous": previous})  # fmt: skip
    return figure


@dataclass(frozen=True)
class RolledUp:
    numerator: Decimal | None
    denominator: Decimal | None
    units: int  # how many units' figures went into it


def roll_up(session: Session, indicator_id: int, unit: OrgUnit, period: str) -> RolledUp:
    """Sum of numerators over sum of denominators across the unit's subtree."""
    row = session.execute(
        select(func.sum(IndicatorFigure.numerator), func.sum(IndicatorFigure.denominator), func.count())
        .join(OrgUnit, OrgUnit.id == IndicatorFigure.unit_id)
        .where(IndicatorFigure.indicator_id == indicator_id, IndicatorFigure.period == period,
               OrgUnit.path.startswith(unit.path, autoescape=True))
    ).one()  # fmt: skip
    numerator, denominator, count = row
    as_decimal = lambda v: None if v is None else Decimal(v)  # noqa: E731
    return RolledUp(as_decimal(numerator), as_decimal(denominator), count)


def evaluate_unit(session: Session, indicator_id: int, unit: OrgUnit, period: str) -> tuple[RolledUp, Evaluation]:
    target_row = session.scalars(
        select(IndicatorTarget).where(IndicatorTarget.indicator_id == indicator_id, IndicatorTarget.period == period)
    ).first()
    figures = roll_up(session, indicator_id, unit, period)
    if target_row is None:
        return figures, Evaluation.NO_NUMERIC_TARGET
    target = Target(target_row.text, target_row.comparator, target_row.value, target_row.measure)
    return figures, evaluate(target, figures.numerator, figures.denominator)


def roll_up_many(session: Session, unit: OrgUnit, indicator_ids: list[int]) -> dict[tuple[int, str], RolledUp]:
    """``roll_up`` of every (indicator, period) with figures in the unit's subtree, in one query:
    the same sums, grouped."""
    if not indicator_ids:
        return {}
    rows = session.execute(
        select(IndicatorFigure.indicator_id, IndicatorFigure.period, func.sum(IndicatorFigure.numerator),
               func.sum(IndicatorFigure.denominator), func.count())
        .join(OrgUnit, OrgUnit.id == IndicatorFigure.unit_id)
        .where(IndicatorFigure.indicator_id.in_(indicator_ids), OrgUnit.path.startswith(unit.path, autoescape=True))
        .group_by(IndicatorFigure.indicator_id, IndicatorFigure.period)
    ).all()  # fmt: skip
    as_decimal = lambda v: None if v is None else Decimal(v)  # noqa: E731
    return {(i, p): RolledUp(as_decimal(n), as_decimal(d), c) for i, p, n, d, c in rows}
