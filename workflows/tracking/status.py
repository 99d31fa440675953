"""Official counting of tracked work at an instant: four buckets, stages, two rates, views.

Buckets (QĐ 42/2014/QĐ-TTg as amended by QĐ 23/2018; report 1270/BC-TCTTTg): every instance is
in exactly one of hoàn thành đúng hạn · hoàn thành quá hạn · chưa hoàn thành trong hạn · chưa
hoàn thành quá hạn, judged at ``now``; cancelled work (đã hủy) is apart. Within a bucket, its
stage: chưa tiếp nhận · đang thực hiện · chờ duyệt · bị trả lại (hoàn thành for completed work).

When the unit was late. The deadline is the one in force (an extension counts), but lateness
once incurred stays: ``late_since`` is set when a deadline that had passed unmet was moved, and
such work is late whatever the new deadline (``original_due_at`` stays on the record). The
unit's completion time is when it submitted the report that was approved; a report submitted
on time and waiting for review is not the unit's lateness (chưa hoàn thành trong hạn, stage
chờ duyệt) even after the deadline: that wait is the reviewer's, counted apart
(``reviewer_waiting_past_due``). A returned report is the unit's again and counts against its
deadline.

Rates (both over the same denominator, completed + open overdue; work not yet due and cancelled
work are not counted; ``None`` when nothing counts yet):
tỷ lệ hoàn thành = completed / (completed + chưa hoàn thành quá hạn), as the government reports
it (1270/BC-TCTTTg: 16,051 / (16,051 + 223) = 98.62 %, cut, not rounded, to two decimals);
tỷ lệ đúng hạn = completed on time / the same denominator.

Views. Official figures count a task once, by its lead: a row's ``role`` (lead, coordinator,
ward, school) selects the view; coordinators', wards' and schools' work are their own views,
never added into the lead's. ``role=None`` counts every row (the tree's own bookkeeping).

The eight statuses shown before the buckets existed (chưa tiếp nhận · đang thực hiện trong hạn
· đang thực hiện quá hạn · chờ duyệt · bị trả lại · hoàn thành đúng hạn · hoàn thành quá hạn ·
đã hủy) are kept, read from the stage and bucket: they say where work is, the buckets say
whether it is late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from workflows.org.models import OrgUnit
from workflows.tracking.models import ROLES, Tracking

STATUSES: dict[str, tuple[str, str]] = {
    "chua_tiep_nhan": ("Chưa tiếp nhận", "Not yet accepted"),
    "dang_thuc_hien_trong_han": ("Đang thực hiện trong hạn", "In progress, on time"),
    "dang_thuc_hien_qua_han": ("Đang thực hiện quá hạn", "In progress, overdue"),
    "cho_duyet": ("Chờ duyệt", "Awaiting review"),
    "bi_tra_lai": ("Bị trả lại", "Returned"),
    "hoan_thanh_dung_han": ("Hoàn thành đúng hạn", "Completed on time"),
    "hoan_thanh_qua_han": ("Hoàn thành quá hạn", "Completed late"),
    "da_huy": ("Đã hủy", "Cancelled"),
}
BUCKETS: dict[str, tuple[str, str]] = {
    "hoan_thanh_dung_han": ("Hoàn thành đúng hạn", "Completed on time"),
    "hoan_thanh_qua_han": ("Hoàn thành quá hạn", "Completed late"),
    "chua_hoan_thanh_trong_han": ("Chưa hoàn thành, trong hạn", "Not completed, within the deadline"),
    "chua_hoan_thanh_qua_han": ("Chưa hoàn thành, quá hạn", "Not completed, overdue"),
}
STAGES: dict[str, tuple[str, str]] = {
    "chua_tiep_nhan": ("Chưa tiếp nhận", "Not yet accepted"),
    "dang_thuc_hien": ("Đang thực hiện", "In progress"),
    "cho_duyet": ("Chờ duyệt", "Awaiting review"),
    "bi_tra_lai": ("Bị trả lại", "Returned"),
    "hoan_thanh": ("Hoàn thành", "Completed"),
}
VIEWS: dict[str, tuple[str, str]] = {
    "lead": ("Đơn vị chủ trì", "Lead units"),
    "coordinator": ("Đơn vị phối hợp", "Coordinating units"),
    "ward": ("UBND xã, phường (giao cho trường)", "Communes handing work on to schools"),
    "school": ("Trường học", "Schools"),
}
assert tuple(VIEWS) == ROLES
_STAGE_OF_PHASE = {"new": "chua_tiep_nhan", "working": "dang_thuc_hien", "submitted": "cho_duyet",
                   "returned": "bi_tra_lai", "approved": "hoan_thanh", "cancelled": "da_huy"}  # fmt: skip
_OPEN_STAGES = ("chua_tiep_nhan", "dang_thuc_hien", "cho_duyet", "bi_tra_lai")
_QUANTUM = Decimal("0.0001")


def bucket_of(now: datetime) -> ColumnElement[str]:
    """The official bucket of a ``tracking`` row at ``now`` (``da_huy`` for cancelled work)."""
    t = Tracking
    incurred = t.late_since.is_not(None)
    done_late = or_(incurred, and_(t.due_at.is_not(None), t.completed_at > t.due_at))
    submitted_late = or_(incurred, and_(t.due_at.is_not(None), t.submitted_at > t.due_at))
    overdue = or_(and_(incurred, t.late_since <= now), and_(t.due_at.is_not(None), t.due_at <= now))
    return case(
        (t.phase == "cancelled", literal("da_huy")),
        (t.phase == "approved", case((done_late, literal("hoan_thanh_qua_han")), else_=literal("hoan_thanh_dung_han"))),
        (t.phase == "submitted", case((submitted_late, literal("chua_hoan_thanh_qua_han")), else_=literal("chua_hoan_thanh_trong_han"))),
        (overdue, literal("chua_hoan_thanh_qua_han")),
        else_=literal("chua_hoan_thanh_trong_han"),
    )  # fmt: skip


def rate(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` cut to four places (a percentage with two decimals), as the
    government reports it: 16,051 / 16,274 = 0.986297… is 98.62 %, not 98.63 %; ``None`` when
    nothing counts."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(_QUANTUM, ROUND_DOWN)


def _empty_stages() -> dict[str, dict[str, int]]:
    """Open buckets split by the four open stages; completed ones have the one stage, hoàn thành."""
    return {bucket: dict.fromkeys(("hoan_thanh",) if bucket.startswith("hoan_thanh") else _OPEN_STAGES, 0) for bucket in BUCKETS}


@dataclass
class StatusSummary:
    """Counts of one selection of tracked work at one instant (see the module docstring)."""

    total: int = 0  # every row, cancelled included
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    stages: dict[str, dict[str, int]] = field(default_factory=_empty_stages)
    cancelled: int = 0
    reviewer_waiting_past_due: int = 0  # submitted on time, still in review after the deadline

    def add(self, bucket: str, phase: str, past_due: bool, count: int) -> None:
        stage = _STAGE_OF_PHASE[phase]
        self.total += count
        if bucket == "da_huy":
            self.cancelled += count
            self.statuses["da_huy"] += count
            return
        self.buckets[bucket] += count
        self.stages[bucket][stage] += count
        if stage == "dang_thuc_hien":
            status = "dang_thuc_hien_qua_han" if bucket == "chua_hoan_thanh_qua_han" else "dang_thuc_hien_trong_han"
        else:
            status = bucket if stage == "hoan_thanh" else stage
        self.statuses[status] += count
        if stage == "cho_duyet" and bucket == "chua_hoan_thanh_trong_han" and past_due:
            self.reviewer_waiting_past_due += count

    def merge(self, other: StatusSummary) -> None:
        """Add ``other``'s counts to these (e.g. a plan's tasks into the plan's total)."""
        self.total += other.total
        self.cancelled += other.cancelled
        self.reviewer_waiting_past_due += other.reviewer_waiting_past_due
        for code, n in other.statuses.items():
            self.statuses[code] += n
        for bucket, n in other.buckets.items():
            self.buckets[bucket] += n
        for bucket, stages in other.stages.items():
            for stage, n in stages.items():
                self.stages[bucket][stage] += n

    @property
    def completed(self) -> int:
        return self.buckets["hoan_thanh_dung_han"] + self.buckets["hoan_thanh_qua_han"]

    @property
    def on_time(self) -> int:
        return self.buckets["hoan_thanh_dung_han"]

    @property
    def counted(self) -> int:
        """The rates' denominator: completed + open overdue."""
        return self.completed + self.buckets["chua_hoan_thanh_qua_han"]

    @property
    def completion_rate(self) -> Decimal | None:
        return rate(self.completed, self.counted)

    @property
    def on_time_rate(self) -> Decimal | None:
        return rate(self.on_time, self.counted)

    def as_json(self) -> dict[str, Any]:
        def number(value: Decimal | None) -> float | None:
            return float(value) if value is not None else None

        return {
            "total": self.total, "statuses": self.statuses, "on_time": self.on_time, "counted": self.counted,
            "on_time_rate": number(self.on_time_rate),
            "completed": self.completed, "completion_rate": number(self.completion_rate),
            "buckets": self.buckets,
            "stages": self.stages,
            "cancelled": self.cancelled,
            "reviewer": {"waiting": self.statuses["cho_duyet"], "waiting_past_due": self.reviewer_waiting_past_due},
        }  # fmt: skip


def _filters(plan_id: int | None, unit: OrgUnit | None, period: str | None, task_key: str | None,
             role: str | None) -> list[ColumnElement[bool]]:  # fmt: skip
    where: list[ColumnElement[bool]] = []
    if plan_id is not None:
        where.append(Tracking.plan_id == plan_id)
    if period is not None:
        where.append(Tracking.period == period)
    if task_key is not None:
        where.append(Tracking.task_key == task_key)
    if role is not None:
        where.append(Tracking.role == role)
    if unit is not None:
        subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))
        where.append(Tracking.unit_id.in_(subtree))
    return where


def _counts(now: datetime) -> tuple[Any, ...]:
    """(bucket, phase, past the deadline now, how many): what ``_fold`` reads."""
    past_due = case((and_(Tracking.due_at.is_not(None), Tracking.due_at <= now), 1), else_=0)
    return bucket_of(now).label("bucket"), Tracking.phase, past_due.label("past_due"), func.count()



def summarise(session: Session, now: datetime, *, plan_id: int | None = None, unit: OrgUnit | None = None,
              period: str | None = None, task_key: str | None = None, role: str | None = None) -> StatusSummary:  # fmt: skip
    """Counts and rates of the work matching the filters (``unit``: its subtree; ``role``: one view)."""
    rows = session.execute(
        select(literal(0), *_counts(now)).where(*_filters(plan_id, unit, period, task_key, role)).group_by("bucket", Tracking.phase, "past_due")
    ).all()
    return _fold(rows).get(0, StatusSummary())


def by_role(session: Session, now: datetime, *, plan_id: int | None = None, unit: OrgUnit | None = None,
            period: str | None = None) -> dict[str, StatusSummary]:  # fmt: skip
    """``summarise`` of each view, every role present (empty summaries for roles with no work)."""
    found = by_group(session, now, Tracking.role, plan_id=plan_id, unit=unit, period=period)
    return {role: found.get(role, StatusSummary()) for role in ROLES}


def by_group(session: Session, now: datetime, column: Any, *, plan_id: int | None = None, unit: OrgUnit | None = None,
             period: str | None = None, role: str | None = None) -> dict[Any, StatusSummary]:  # fmt: skip
    """``summarise`` per value of a ``Tracking`` column (e.g. ``Tracking.period``, ``Tracking.task_key``)."""
    rows = session.execute(
        select(column, *_counts(now)).where(*_filters(plan_id, unit, period, None, role)).group_by(column, "bucket", Tracking.phase, "past_due")
    ).all()
    return _fold(rows)


def by_child_unit(session: Session, now: datetime, parent: OrgUnit, *, plan_id: int | None = None,
                  period: str | None = None, role: str | None = None) -> dict[str, StatusSummary]:  # fmt: skip
    """Per unit directly under ``parent``: ``summarise`` of that unit's whole subtree (rolled up)."""
    child = select(OrgUnit.id, OrgUnit.code, OrgUnit.path).where(OrgUnit.parent_id == parent.id).subquery()
    rows = session.execute(
        select(child.c.code, *_counts(now))
        .select_from(Tracking)
        .join(OrgUnit, OrgUnit.id == Tracking.unit_id)
        .join(child, OrgUnit.path.startswith(child.c.path))
        .where(*_filters(plan_id, None, period, None, role))
        .group_by(child.c.code, "bucket", Tracking.phase, "past_due")
    ).all()
    return _fold(rows)


def _fold(rows: Any) -> dict[Any, StatusSummary]:
    out: dict[Any, StatusSummary] = {}
    for key, bucket, phase, past_due, count in rows:
        out.setdefault(key, StatusSummary()).add(bucket, phase, bool(past_due), count)
    return out
