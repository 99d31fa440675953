"""Indicators (chỉ tiêu) of a plan, their targets per year or milestone, and reported figures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base, BigId


class Indicator(Base):
    __tablename__ = "indicator"
    __table_args__ = (Index("ix_indicator_plan", "plan_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    position: Mapped[int]
    stt: Mapped[str] = mapped_column(String(20))
    section_code: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(Text)
    unit_of_measure: Mapped[str | None] = mapped_column(String(100))
    monitoring_text: Mapped[str | None] = mapped_column(Text)
    monitoring_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    reporting_text: Mapped[str | None] = mapped_column(Text)


class IndicatorTarget(Base):
    """A target as written ("≥95%", "Duy trì") and, when numeric, as a comparison."""

    __tablename__ = "indicator_target"
    __table_args__ = (UniqueConstraint("indicator_id", "period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(20))  # "2026", "2030"…
    text: Mapped[str] = mapped_column(String(200))
    comparator: Mapped[str | None] = mapped_column(String(2))
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    measure: Mapped[str] = mapped_column(String(20))  # percent | count | qualitative | none


class IndicatorFigure(Base):
    """One unit's figure for one period: numerator over denominator (a count has none).

    Roll-up sums numerators and denominators up the tree, so a province's rate is exact, never
    an average of its schools' percentages.
    """

    __tablename__ = "indicator_figure"
    __table_args__ = (UniqueConstraint("indicator_id", "unit_id", "period"), Index("ix_indicator_figure_unit", "unit_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    period: Mapped[str] = mapped_column(String(20))
    numerator: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    denominator: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    note: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime]
    reported_by: Mapped[str] = mapped_column(String(200))
