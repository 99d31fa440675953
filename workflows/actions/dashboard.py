"""The dashboard's reads, one door for every shell; no Flask.

Every figure comes from ``workflows.tracking.status`` (four buckets, stages, the eight statuses,
the two rates, the lead view by default): the unit's subtree (``summarise``), each unit directly
below it (``by_child_unit``), the unit's own work (``by_group`` on "this unit or below"), months
and quarters of deadlines (``by_group`` on a deadline bin). Nothing is counted another way, so
the dashboard, a plan's page and ``giaoviec status`` agree. Indicators are rolled up as
``workflows.indicators.figures.roll_up`` does (sums of numerators over sums of denominators).

Who (decided here on the rules' facts, ``workflows.authz``): an administrator or inspector of a
province reads all of it; a person with a work role in the Sở or one of its phòng too (they
assign the province's work); anyone else with a work role reads the units whose work they may
read (``rules.read_scope``: their unit and below, and a delegating leader's): a school officer
gets their school only. Anyone with no role, or asking for a unit outside what they read, is
refused (recorded as ``action_refused``).

A deadline belongs to the month of its last allowed day: a deadline at 00:00 on 1 April (Hà Nội)
is March's. Work with no deadline is in no month.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, case, literal, select
from sqlalchemy.orm import Session

from engine import NotFound, UnitOfWork, register
from workflows.authz.facts import load_user, unit_facts
from workflows.authz.model import Decision, NotAllowed, UnitFacts, UserFacts
from workflows.authz.refusals import record_refusal
from workflows.authz.rules import WORK_ROLES, day_of, reaches, read_scope
from workflows.indicators.figures import RolledUp, roll_up_many
from workflows.indicators.models import Indicator, IndicatorTarget
from workflows.indicators.targets import Evaluation, Target, evaluate
from workflows.indicators.targets import rate as indicator_rate
from workflows.org.kinds import UnitKind
from workflows.org.models import OrgUnit, User
from workflows.org.queries import province_root
from workflows.plans.models import Plan
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking
from workflows.tracking.overdue import OverdueItem, most_overdue
from workflows.tracking.status import (
    BUCKETS,
    STATUSES,
    VIEWS,
    StatusSummary,
    by_child_unit,
    by_group,
    summarise,
)

register({
    "dashboard_inactive": (
        "Bạn không có quyền {action}: tài khoản hoặc đơn vị của bạn đã ngừng hoạt động.",
        "You may not {action_en}: your account or your unit is inactive.",
    ),
    "dashboard_no_role": (
        "Bạn không có quyền {action}: tài khoản {username} chưa được gán vai trò nào.",
        "You may not {action_en}: the account {username} has no role.",
    ),
    "dashboard_not_visible": (
        "Bạn không có quyền {action}: {unit} nằm ngoài phạm vi đơn vị bạn được xem.",
        "You may not {action_en}: {unit} is outside the units you may see.",
    ),
})  # fmt: skip

ACTION = "view_dashboard"
LABEL = ("xem bảng điều khiển", "view the dashboard")
PROVINCE_READERS = frozenset({"admin", "inspector"})
OVERDUE_LIMIT = 20
MAX_INDICATORS = 300
QUARTERS = ("I", "II", "III", "IV")


# --- who ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What a person reads: the whole province, or the subtrees of their units."""

    province: UnitFacts
    whole: bool
    subtrees: tuple[str, ...]
    home: int  # the unit the dashboard opens on

    def sees(self, unit: UnitFacts) -> bool:
        if unit.root_path != self.province.path:
            return False
        return self.whole or any(unit.path.startswith(p) for p in self.subtrees)


def reading(user: UserFacts, root: UnitFacts, day: date) -> Reading | None:
    """The dashboard ``user`` reads on ``day`` (``None``: none at all)."""
    if not user.active or not user.unit.active or user.unit.root_path != root.path:
        return None
    if user.roles & PROVINCE_READERS:
        return Reading(root, True, (), root.id)
    working = [r for r in reaches(user, day) if r.roles & WORK_ROLES]
    if not working:
        return None
    if any(r.unit.id == root.id or (r.unit.kind == UnitKind.DIVISION and r.unit.path == f"{root.path}{r.unit.id}/") for r in working):
        return Reading(root, True, (), root.id)
    scope = read_scope(user, day)
    return Reading(root, False, scope.subtrees, working[0].unit.id)


def decide(user: UserFacts, root: UnitFacts, unit: UnitFacts, day: date) -> Decision:
    """May ``user`` read the dashboard of ``unit`` (a unit of the province ``root``)?"""
    params = {"action": LABEL[0], "action_en": LABEL[1]}
    if not user.active or not user.unit.active:
        return Decision(ACTION, user, unit, "dashboard_inactive", params)
    seen = reading(user, root, day)
    if seen is None:
        return Decision(ACTION, user, unit, "dashboard_no_role", {**params, "username": user.username})
    if not seen.sees(unit):
        return Decision(ACTION, user, unit, "dashboard_not_visible", {**params, "unit": unit.name})
    return Decision(ACTION, user, unit)



def may_view(session: Session, user: User, now: datetime) -> bool:
    return reading(load_user(session, user, day_of(now)), unit_facts(province_root(session, user)), day_of(now)) is not None


def in_menu(roles: Iterable[str]) -> bool:
    """Whether the menu offers the dashboard: every role gives a reading (``reading``); from the
    person's own roles only, so that a page costs no query more."""
    return bool(set(roles) & (WORK_ROLES | PROVINCE_READERS))


def _ensure(uow: UnitOfWork, user: User, unit_code: str | None) -> tuple[OrgUnit, OrgUnit, Reading]:
    """(the province's Sở, the unit asked for, what the person reads), or the refusal recorded
    and raised. An unknown unit code is refused like a unit outside the person's reach."""
    session, day = uow.session, day_of(uow.now)
    facts = load_user(session, user, day)
    root = province_root(session, user)
    seen = reading(facts, unit_facts(root), day)
    unit: OrgUnit | None = None
    if seen is not None:
        if unit_code:
            unit = session.scalars(select(OrgUnit).where(OrgUnit.code == unit_code.strip()[:100])).first()
        else:
            unit = session.get(OrgUnit, seen.home)
    target = unit_facts(unit) if unit is not None else UnitFacts(0, unit_code or "?", unit_code or "?", "?", "/0/")
    decision = decide(facts, unit_facts(root), target, day)
    if not decision.allowed:
        record_refusal(uow, facts, ACTION, target, decision)
        raise NotAllowed(decision)
    assert unit is not None and seen is not None
    return root, unit, seen


def check_view(uow: UnitOfWork, user: User) -> None:
    _ensure(uow, user, None)


# --- the page -------------------------------------------------------------------------------------


@dataclass
class UnitLine:
    code: str
    name: str
    kind: str
    summary: StatusSummary
    drillable: bool  # has units below it
    own: bool = False  # the unit's own work (not its subtree)


@dataclass
class PeriodLine:
    key: str  # "2026-03", "2026-Q1"
    label: str  # "03/2026", "Quý I/2026"
    summary: StatusSummary


@dataclass
class IndicatorCell:
    target: str | None
    measure: str | None
    actual: Decimal | None
    figures: RolledUp | None
    evaluation: Evaluation | None


@dataclass
class IndicatorLine:
    id: int
    plan_number: str | None
    stt: str
    name: str
    unit_of_measure: str | None
    cells: dict[str, IndicatorCell]


@dataclass
class Dashboard:
    now: datetime
    province: OrgUnit
    unit: OrgUnit
    trail: list[OrgUnit]  # from the first unit the person may read down to ``unit``
    view: str
    plan_id: int | None
    year: int
    plans: list[tuple[int, str]]
    summary: StatusSummary
    lines: list[UnitLine]
    overdue: list[OverdueItem]
    months: list[PeriodLine]
    quarters: list[PeriodLine]
    indicator_periods: list[str]
    indicators: list[IndicatorLine]
    years: list[int] = field(default_factory=list)

    @property
    def statuses(self) -> list[tuple[str, int]]:
        return [(code, self.summary.statuses[code]) for code in STATUSES]


def dashboard(uow: UnitOfWork, user: User, *, unit_code: str | None = None, view: str = "lead",
              plan_id: int | None = None, year: int | None = None) -> Dashboard:  # fmt: skip
    """The dashboard of ``unit_code`` (default: where the person's reading starts) at ``uow.now``."""
    root, unit, seen = _ensure(uow, user, unit_code)
    session, now = uow.session, uow.now
    view = view if view in VIEWS else "lead"
    plans = [(p.id, p.number or p.title) for p in session.scalars(select(Plan).where(Plan.root_id == root.id).order_by(Plan.year.desc(), Plan.id.desc()))]
    if plan_id is not None and plan_id not in {p for p, _ in plans}:
        raise NotFound("plan_not_found", id=plan_id)
    year = year if year and 2000 <= year <= 2100 else now.astimezone(LOCAL_TZ).year
    summary = summarise(session, now, unit=unit, plan_id=plan_id, role=view)
    page = Dashboard(
        now=now, province=root, unit=unit, trail=_trail(session, unit, seen), view=view, plan_id=plan_id, year=year,
        plans=plans, summary=summary, lines=_lines(session, now, unit, plan_id, view),
        overdue=most_overdue(session, now, unit=unit, plan_id=plan_id, role=view, limit=OVERDUE_LIMIT),
        months=_periods(session, now, unit, plan_id, view, _month_bins(year)),
        quarters=_periods(session, now, unit, plan_id, view, _quarter_bins(year)),
        indicator_periods=[], indicators=[], years=_years(session, root, year),
    )  # fmt: skip
    return _with_indicators(session, page)


def _trail(session: Session, unit: OrgUnit, seen: Reading) -> list[OrgUnit]:
    ids = [int(part) for part in unit.path.strip("/").split("/")]
    rows = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    trail = [rows[i] for i in ids if i in rows]
    return [u for u in trail if seen.sees(unit_facts(u))]


def _lines(session: Session, now: datetime, unit: OrgUnit, plan_id: int | None, view: str) -> list[UnitLine]:
    """The unit's own work (when it has some), then each unit directly below it (its subtree)."""
    below = by_child_unit(session, now, unit, plan_id=plan_id, role=view)
    children = session.scalars(select(OrgUnit).where(OrgUnit.parent_id == unit.id, OrgUnit.kind != UnitKind.EXTERNAL)).all()
    with_children = set(session.scalars(select(OrgUnit.parent_id).where(OrgUnit.parent_id.in_([c.id for c in children])).distinct())) if children else set()
    own_or_not = case((Tracking.unit_id == unit.id, literal("own")), else_=literal("below"))
    own = by_group(session, now, own_or_not, unit=unit, plan_id=plan_id, role=view).get("own")
    lines = [UnitLine(unit.code, unit.name, unit.kind, own, False, True)] if own is not None and own.total else []
    order = {kind.value: n for n, kind in enumerate(UnitKind)}  # the tree's order: phòng, xã, schools…
    for child in sorted(children, key=lambda c: (order.get(c.kind, len(order)), c.name)):
        lines.append(UnitLine(child.code, child.name, child.kind, below.get(child.code, StatusSummary()), child.id in with_children))
    return lines


def _month_bins(year: int) -> list[tuple[str, str, datetime, datetime]]:
    starts = [datetime(year, m, 1, tzinfo=LOCAL_TZ) for m in range(1, 13)] + [datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)]
    return [(f"{year}-{m:02d}", f"{m:02d}/{year}", starts[m - 1], starts[m]) for m in range(1, 13)]


def _quarter_bins(year: int) -> list[tuple[str, str, datetime, datetime]]:
    starts = [datetime(year, m, 1, tzinfo=LOCAL_TZ) for m in (1, 4, 7, 10)] + [datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)]
    return [(f"{year}-Q{q + 1}", f"Quý {QUARTERS[q]}/{year}", starts[q], starts[q + 1]) for q in range(4)]


def _periods(session: Session, now: datetime, unit: OrgUnit, plan_id: int | None, view: str,
             bins: list[tuple[str, str, datetime, datetime]]) -> list[PeriodLine]:  # fmt: skip
    """``by_group`` over a deadline's bin: (start, end] in Hà Nội time, so that a deadline at
    00:00 on the first of a month falls in the month before, the month of its last allowed day."""
    due = Tracking.due_at
    key = case(*[(and_(due > start, due <= end), literal(code)) for code, _, start, end in bins], else_=literal(None))
    found = by_group(session, now, key, unit=unit, plan_id=plan_id, role=view)
    return [PeriodLine(code, label, found.get(code, StatusSummary())) for code, label, _, _ in bins]


def _years(session: Session, root: OrgUnit, year: int) -> list[int]:
    """The years the plans of the province run in (for the trends' year choice), and ``year``."""
    years = {year}
    years.update(session.scalars(select(Plan.year).where(Plan.root_id == root.id).distinct()))
    return sorted(years)


def _with_indicators(session: Session, page: Dashboard) -> Dashboard:
    """Each indicator of the province's plans (or the chosen plan) against each of its targets
    (years and milestones), with the figures of the unit's subtree rolled up exactly."""
    query = select(Indicator, Plan.number).join(Plan, Plan.id == Indicator.plan_id).where(Plan.root_id == page.province.id)
    if page.plan_id is not None:
        query = query.where(Indicator.plan_id == page.plan_id)
    found = session.execute(query.order_by(Plan.year.desc(), Plan.id, Indicator.position).limit(MAX_INDICATORS)).all()
    ids = [i.id for i, _ in found]
    targets: dict[int, dict[str, IndicatorTarget]] = {}
    for t in session.scalars(select(IndicatorTarget).where(IndicatorTarget.indicator_id.in_(ids))) if ids else []:
        targets.setdefault(t.indicator_id, {})[t.period] = t
    figures = roll_up_many(session, page.unit, ids)
    periods = sorted({p for by_period in targets.values() for p in by_period})
    for indicator, number in found:
        cells = {}
        for period in periods:
            row = targets.get(indicator.id, {}).get(period)
            rolled = figures.get((indicator.id, period))
            if row is None:
                cells[period] = IndicatorCell(None, None, None, rolled, None)
                continue
            target = Target(row.text, row.comparator, row.value, row.measure)
            actual = None if rolled is None or rolled.numerator is None else indicator_rate(rolled.numerator, rolled.denominator, row.measure)
            verdict = evaluate(target, rolled.numerator if rolled else None, rolled.denominator if rolled else None)
            cells[period] = IndicatorCell(row.text, row.measure, actual, rolled, verdict)
        page.indicators.append(IndicatorLine(indicator.id, number, indicator.stt, indicator.name, indicator.unit_of_measure, cells))
    page.indicator_periods = periods
    return page


# --- XLSX -----------------------------------------------------------------------------------------

TABLES = ("units", "statuses", "overdue", "months", "quarters", "indicators")
_FORMULA_STARTS = ("=", "+", "-", "@")
_EVALUATIONS = {Evaluation.MET: "Đạt", Evaluation.NOT_MET: "Chưa đạt", Evaluation.NO_NUMERIC_TARGET: "Định tính",
                Evaluation.NO_DATA: "Chưa có số liệu"}  # fmt: skip


def _percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else value * 100


def _summary_cells(s: StatusSummary) -> list[Any]:
    return [s.total, *(s.statuses[c] for c in STATUSES), *(s.buckets[b] for b in BUCKETS), s.counted,
            _percent(s.completion_rate), _percent(s.on_time_rate)]  # fmt: skip


_SUMMARY_HEADERS = [*(label for label, _ in STATUSES.values()), *(label for label, _ in BUCKETS.values()),
                    "Mẫu số tỷ lệ (hoàn thành + quá hạn chưa hoàn thành)", "Tỷ lệ hoàn thành (%)", "Tỷ lệ đúng hạn (%)"]  # fmt: skip


def table(page: Dashboard, name: str) -> tuple[list[str], list[list[Any]]]:
    """One of the page's tables (``TABLES``) as headers and rows: what the XLSX holds."""
    if name == "units":
        return (["Mã đơn vị", "Đơn vị", "Tổng số", *_SUMMARY_HEADERS],
                [[line.code, line.name + (" (tại đơn vị)" if line.own else ""), *_summary_cells(line.summary)] for line in page.lines]
                + [[page.unit.code, f"Cộng: {page.unit.name}", *_summary_cells(page.summary)]])  # fmt: skip
    if name == "statuses":
        return ["Mã", "Trạng thái", "Số lượng"], [[code, STATUSES[code][0], n] for code, n in page.statuses]
    if name == "overdue":
        return (["Đơn vị", "Kế hoạch", "STT", "Nhiệm vụ", "Kỳ", "Hạn đang áp dụng", "Quá hạn từ", "Số ngày quá hạn"],
                [[o.unit_name, o.plan_number or "", o.task_key or "", o.content or "", o.period or "", _local(o.due_at),
                  _local(o.overdue_since), o.days_late(page.now)] for o in page.overdue])  # fmt: skip
    if name in ("months", "quarters"):
        lines = page.months if name == "months" else page.quarters
        return ["Kỳ", "Tổng số", *_SUMMARY_HEADERS], [[p.label, *_summary_cells(p.summary)] for p in lines]
    if name == "indicators":
        headers = ["Kế hoạch", "STT", "Chỉ tiêu", "Đơn vị tính"]
        for period in page.indicator_periods:
            headers += [f"Mục tiêu {period}", f"Thực hiện {period}", f"Đánh giá {period}"]
        rows = []
        for line in page.indicators:
            row: list[Any] = [line.plan_number or "", line.stt, line.name, line.unit_of_measure or ""]
            for period in page.indicator_periods:
                cell = line.cells[period]
                row += [cell.target or "", cell.actual, _EVALUATIONS.get(cell.evaluation, "") if cell.evaluation else ""]
            rows.append(row)
        return headers, rows
    raise NotFound("dashboard_table_not_found", name=name[:40])


register({"dashboard_table_not_found": ("Không có bảng «{name}».", "No table “{name}”.")})


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value is not None else None


def xlsx(page: Dashboard, name: str) -> bytes:
    """The table as an XLSX workbook: text cells are text, never formulas; times in Hà Nội."""
    headers, rows = table(page, name)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = name
    sheet.append([f"{page.unit.name} — {page.now.astimezone(LOCAL_TZ):%d/%m/%Y %H:%M}"])
    _write_row(sheet, 2, headers, bold=True)
    for number, row in enumerate(rows, 3):
        _write_row(sheet, number, row)
    for index, _header in enumerate(headers, 1):
        sheet.column_dimensions[get_column_letter(index)].width = 40 if index <= 2 else 16
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_row(sheet: Any, row: int, values: Sequence[Any], *, bold: bool = False) -> None:
    for index, value in enumerate(values, 1):
        if value is None or value == "":
            continue
        cell = sheet.cell(row=row, column=index)
        if isinstance(value, str):
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)[:32_000]
            cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.quotePrefix = value.startswith(_FORMULA_STARTS)
        elif isinstance(value, datetime):
            cell.value, cell.number_format = value, "dd/mm/yyyy hh:mm"
        elif isinstance(value, Decimal):
            cell.value = float(value)
        else:
            cell.value = value
        if bold:
            cell.font = Font(bold=True)
