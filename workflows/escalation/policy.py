"""What urging (đôn đốc) does, per province, process and plan, and on which days.

A ``Policy`` is the merge of ``DEFAULT`` with the ``escalation_policy`` rows that apply: the
province's, then the process's, then the plan's, each overriding only the settings it names.

Days, for a deadline whose last allowed day is L (``last_allowed_day``) and E, the last working
day on or before L:
* reminder N (``remind_before``) on the N-th working day before E, "due today" on E;
* the overdue notice on the first working day after L (1 working day late);
* the escalation on the ``escalate_after``-th working day after L;
* the weekly list on ``weekly_list_weekday`` (the next working day if that day is off).
``Schedule.kinds`` gives the kinds whose day falls in a window of days (one day normally; more
when earlier runs were missed), so that a stopped worker delays notices instead of losing them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from engine import BadData, ProcessDefinition, UnitOfWork
from workflows.calendar import BusinessCalendar
from workflows.escalation.models import EscalationPolicy
from workflows.org.models import OrgUnit
from workflows.plans.models import Plan
from workflows.timeframes import last_allowed_day as last_allowed_day  # re-exported: urging's L

SCOPES = ("province", "process", "plan")  # weakest first: the order settings are merged in
PROVINCE_ONLY = ("digest_hour", "office_unit")  # they shape the province's one run a day
MAX_REMIND = 20
MAX_ESCALATE = 60

REMINDER, DUE_TODAY, OVERDUE, ESCALATED, WEEKLY = "nhac_truoc", "den_han", "qua_han", "vuot_cap", "danh_sach_tuan"


@dataclass(frozen=True)
class Policy:
    remind_before: tuple[int, ...] = (3, 1)  # working days before the last allowed day
    on_the_day: bool = True
    overdue_notice: bool = True  # to the unit's leaders, the first working day late
    escalate_after: int | None = 2  # working days late → the parent unit's leaders; None: never
    weekly_list_weekday: int | None = 0  # Monday: the province's overdue work to the office
    digest_hour: int = 7  # local hour from which the day's run may happen
    office_unit: str | None = None  # None: "<root code>.VP"

    def office_code(self, root_code: str) -> str:
        return self.office_unit or f"{root_code}.VP"


DEFAULT = Policy()
FIELDS = tuple(f.name for f in dataclasses.fields(Policy))


def reminder_kind(days: int) -> str:
    return f"{REMINDER}_{days}" if days else DUE_TODAY


# --- settings --------------------------------------------------------------------------------


def _int(value: Any, low: int, high: int) -> int | None:
    # bool is an int to Python, never to the person who wrote "true"
    return value if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high else None


def _check(name: str, value: Any) -> tuple[Any, str | None]:
    """The stored form of one setting, or a problem "tiếng Việt / English"."""
    if name == "remind_before":
        days = [_int(v, 1, MAX_REMIND) for v in value] if isinstance(value, list | tuple) else [None]
        if None in days or len(set(days)) != len(days):
            return None, f"remind_before: danh sách các số ngày khác nhau từ 1 đến {MAX_REMIND} / distinct whole numbers of days from 1 to {MAX_REMIND}"
        return sorted(days, reverse=True), None
    if name in ("on_the_day", "overdue_notice"):
        return value, None if isinstance(value, bool) else f"{name}: true hoặc false / true or false"
    if name == "escalate_after":
        ok = value is None or _int(value, 1, MAX_ESCALATE) is not None
        return value, None if ok else f"escalate_after: số ngày làm việc từ 1 đến {MAX_ESCALATE} hoặc null (không chuyển) / 1 to {MAX_ESCALATE} working days, or null (never)"
    if name == "weekly_list_weekday":
        ok = value is None or _int(value, 0, 6) is not None
        return value, None if ok else "weekly_list_weekday: 0 (thứ Hai) đến 6 (Chủ nhật) hoặc null / 0 (Monday) to 6 (Sunday), or null"
    if name == "digest_hour":
        ok = _int(value, 0, 23) is not None
        return value, None if ok else "digest_hour: giờ từ 0 đến 23 / an hour from 0 to 23"
    if name == "office_unit":
        ok = value is None or (isinstance(value, str) and 0 < len(value.strip()) <= 100)
        return (value.strip() if ok and value else None), None if ok else "office_unit: mã đơn vị / a unit code"
    return None, f"{name}: không có thiết lập này (các thiết lập: {', '.join(FIELDS)}) / no such setting"


def _validated(scope_kind: str, settings: Any) -> tuple[dict[str, Any], list[str]]:
    if not isinstance(settings, Mapping):
        return {}, ["thiết lập phải là một đối tượng JSON {…} / settings must be a JSON object"]
    stored, problems = {}, []
    for name, value in settings.items():
        stored[name], problem = _check(str(name), value)
        if problem is None and scope_kind != "province" and name in PROVINCE_ONLY:
            problem = f"{name}: chỉ đặt cho cả tỉnh / only for a whole province"
        if problem:
            problems.append(problem)
    return stored, problems


def validate(scope_kind: str, settings: Any) -> dict[str, Any]:
    """The settings in stored form; ``BadData`` listing every problem otherwise."""
    stored, problems = _validated(scope_kind, settings)
    if problems:
        raise BadData(detail="; ".join(problems))
    return stored


def merged(*layers: Mapping[str, Any]) -> Policy:
    """``DEFAULT`` overridden by each layer in turn (stored settings; unknown names ignored, so a
    setting dropped in a later version does not stop the run)."""
    values: dict[str, Any] = {}
    for layer in layers:
        values.update((k, v) for k, v in layer.items() if k in FIELDS)
    if "remind_before" in values:
        values["remind_before"] = tuple(values["remind_before"])
    return dataclasses.replace(DEFAULT, **values)


class Overrides:
    """The stored settings by scope, loaded once; ``policy`` merges and caches per plan/process."""

    def __init__(self, rows: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        self._rows = {(kind, key): settings for kind, key, settings in rows}
        self._cache: dict[tuple[str, int | None, str | None], Policy] = {}

    @classmethod
    def load(cls, session: Session, keys: Iterable[tuple[str, str]] | None = None) -> Overrides:
        query = select(EscalationPolicy.scope_kind, EscalationPolicy.scope_key, EscalationPolicy.settings)
        if keys is not None:
            query = query.where(tuple_(EscalationPolicy.scope_kind, EscalationPolicy.scope_key).in_(list(keys)))
        return cls(session.execute(query).all())

    def policy(self, root_code: str, plan_id: int | None = None, process_key: str | None = None) -> Policy:
        key = (root_code, plan_id, process_key)
        if key not in self._cache:
            scopes = [("province", root_code)]
            scopes += [("process", process_key)] if process_key else []
            scopes += [("plan", str(plan_id))] if plan_id is not None else []
            self._cache[key] = merged(*(self._rows.get(scope, {}) for scope in scopes))
        return self._cache[key]

    def all_policies(self, root_code: str) -> list[Policy]:
        """Every policy a row of this province may get (to bound queries by the widest one)."""
        province = self._rows.get(("province", root_code), {})
        return [merged(province), *(merged(province, s) for (kind, _), s in self._rows.items() if kind != "province")]


def policy_for(session: Session, *, root_code: str, plan_id: int | None, process_key: str | None) -> Policy:
    """The policy of work of this plan and process in this province (plan > process > province)."""
    keys = [("province", root_code), ("process", process_key or ""), ("plan", str(plan_id))]
    return Overrides.load(session, keys).policy(root_code, plan_id, process_key)


def _check_scope(session: Session, scope_kind: str, scope_key: Any) -> tuple[str, str | None]:
    key = str(scope_key).strip()
    if scope_kind == "province":
        found = session.scalar(select(OrgUnit.id).where(OrgUnit.code == key, OrgUnit.parent_id.is_(None), OrgUnit.kind == "so"))
        return key, None if found else f"không có Sở nào mã \"{key}\" / no province (Sở) with code {key!r}"
    if scope_kind == "plan":
        found = key.isdigit() and session.get(Plan, int(key)) is not None
        return key, None if found else f"không có kế hoạch {key} / no plan {key}"
    if scope_kind == "process":
        found = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == key).limit(1))
        return key, None if found else f"chưa triển khai quy trình \"{key}\" / no process {key!r} is deployed"
    return key, f"phạm vi phải là {', '.join(SCOPES)}, không phải \"{scope_kind}\" / the scope must be one of {', '.join(SCOPES)}"


def _office_problem(session: Session, root_code: str, office: str | None) -> str | None:
    root = select(OrgUnit.id).where(OrgUnit.code == root_code).scalar_subquery()
    if office is None or session.scalar(select(OrgUnit.id).where(OrgUnit.code == office, OrgUnit.root_id == root)):
        return None
    return f"office_unit: không có đơn vị \"{office}\" trong tỉnh {root_code} / no unit {office!r} in province {root_code}"


def set_policy(uow: UnitOfWork, scope_kind: str, scope_key: str | int, settings: Mapping[str, Any]) -> EscalationPolicy:
    """Replace the settings of one scope (``{}`` clears them); audited with the old and new ones.
    ``BadData`` lists every problem of the scope and the settings at once."""
    session = uow.session
    key, scope_problem = _check_scope(session, scope_kind, scope_key)
    stored, problems = _validated(scope_kind, settings)
    office_problem = _office_problem(session, key, stored.get("office_unit")) if scope_kind == "province" else None
    problems = [p for p in (scope_problem, *problems, office_problem) if p]
    if problems:
        raise BadData(detail="; ".join(problems))
    row = session.scalars(select(EscalationPolicy).where(EscalationPolicy.scope_kind == scope_kind, EscalationPolicy.scope_key == key)).first()
    old = dict(row.settings) if row is not None else None
    if row is None:
        row = EscalationPolicy(scope_kind=scope_kind, scope_key=key, settings=stored, updated_at=uow.now, updated_by=uow.actor)
        session.add(row)
    else:
        row.settings, row.updated_at, row.updated_by = stored, uow.now, uow.actor
    session.flush()
    uow.audit("escalation_policy_set", subject=f"{scope_kind}:{key}", data={"old": old, "new": stored})
    return row


# --- days ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where a deadline stands today, and the notice kinds it calls for in the window."""

    kinds: tuple[str, ...]
    remaining: int  # working days left after today (0: due today); -1 once late
    late: int  # working days late (0 while not late)


class Schedule:
    """Notice days for the window (``since``, ``today``], with one calendar; cached per
    (policy, last allowed day) since thousands of instances share a few deadlines."""

    def __init__(self, calendar: BusinessCalendar, today: date, since: date) -> None:
        self.calendar, self.today, self.since = calendar, today, since
        self._cache: dict[tuple[Policy, date], Standing] = {}

    def _in_window(self, day: date) -> bool:
        return self.since < day <= self.today

    def weekly_list_due(self, weekday: int | None) -> bool:
        """Whether the weekly list's day (moved to the next working day if off) is in the window."""
        if weekday is None:
            return False
        first = self.since - timedelta(days=14)  # a holiday week pushes the day at most this far
        days = (first + timedelta(days=i) for i in range((self.today - first).days + 1))
        return any(self._in_window(self.calendar.next_working_day(d, inclusive=True)) for d in days if d.weekday() == weekday)

    def standing(self, policy: Policy, last_day: date) -> Standing:
        key = (policy, last_day)
        if key not in self._cache:
            self._cache[key] = self._standing(policy, last_day)
        return self._cache[key]

    def _standing(self, policy: Policy, last_day: date) -> Standing:
        cal, today = self.calendar, self.today
        if today <= last_day:
            last_working = last_day if cal.is_working_day(last_day) else cal.previous_working_day(last_day)
            offsets = [*policy.remind_before, *([0] if policy.on_the_day else [])]
            due = [n for n in offsets if self._in_window(cal.add_working_days(last_working, -n))]
            # Of reminders caught up together, only the nearest to the deadline still makes sense.
            return Standing((reminder_kind(min(due)),) if due else (), cal.working_days_between(today, last_day), 0)
        kinds: list[str] = []
        if policy.overdue_notice and self._in_window(cal.next_working_day(last_day)):
            kinds.append(OVERDUE)
        if policy.escalate_after and self._in_window(cal.add_working_days(last_day, policy.escalate_after)):
            kinds.append(ESCALATED)
        if self.weekly_list_due(policy.weekly_list_weekday):
            kinds.append(WEEKLY)
        return Standing(tuple(kinds), -1, cal.working_days_between(last_day, today))
