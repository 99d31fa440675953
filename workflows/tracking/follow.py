"""Keeping ``tracking`` rows and their parents' counters up to date from engine hooks.

Where an instance is (its phase) is read from the human tasks a step opens, by element id, so
that every process of the library — and a department's own version of one — is followed the
same way, without loading workflows:

* ``tiep_nhan`` open → "new" (chưa tiếp nhận);
* ``tham_dinh_bao_cao`` open → "submitted" (the report is with the assigning unit);
* ``ky_duyet`` open, or the instance completed → "approved" (hoàn thành);
* any other task → "working"; coming back to work from "submitted" without a later deadline is
  a return ("returned", bị trả lại), which lasts until the report is submitted again.
An opened task with a later deadline than the instance's (its deadline boundary timer, reset by
``gia_han``) is an extension: ``due_at`` moves, ``original_due_at`` keeps the first one. A plan
amendment moves it explicitly (``workflows.cascade.amend``) with ``move_due``. Either way, a
deadline that had already passed with the work open stays in ``late_since``: a grant never
erases lateness already incurred (``workflows.tracking.status``).

Lateness of the unit. Open work is late from its deadline, except a report waiting for review:
the unit's clock stopped when it submitted, so it is late only if it submitted late; the wait
after that is the reviewer's. A return gives the clock back to the unit.

Role (``role_of``), fixed when the row is made at dispatch: ``phoi_hop`` → coordinator,
``xa_phuong_trien_khai`` → ward (a commune handing the task on), an instance started under
another (a commune's school) → school, any other → lead.

Counters: each child contributes (accepted, submitted, approved, late) ∈ {0, 1}⁴; an event
changes the parent's ``n_*`` by the difference, with one UPDATE: O(1) whatever the siblings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    BigInteger,
    Insert,
    String,
    Update,
    Uuid,
    bindparam,
    case,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from engine import InstancesStarted, StepSaved, TimersFired, UnitOfWork, insert_rows
from workflows.org.models import OrgUnit
from workflows.plans.keys import plan_id_of
from workflows.process_contract import PROCESS_COORDINATE, PROCESS_WARD, RECEIVE, REVIEW, SIGN_OFF
from workflows.tracking.models import Tracking

PHASE_OF_STEP = {RECEIVE: "new", REVIEW: "submitted", SIGN_OFF: "approved"}
OPEN_PHASES = ("new", "working", "submitted", "returned")
WITH_THE_UNIT = ("new", "working", "returned")  # open, and the unit's clock runs (not in review)
COUNTERS = ("n_accepted", "n_submitted", "n_approved", "n_late")
_CODE_CHUNK = 1_000
_UNIT_IDS = "giaoviec.tracking.unit_ids"  # session.info key: unit code → id, see hint_unit_ids

# A step's statements on tracking, built once and run on the session's connection: the ORM's
# get, flush and bulk UPDATE cost a commune's "Tiếp nhận" ~0.7 ms of its ~3 ms (bench/README.md).
_TABLE = Tracking.__table__
_LOAD_ROW = select(_TABLE).where(_TABLE.c.instance_id == bindparam("w_id"))
_UPDATE_ROW = update(_TABLE).where(_TABLE.c.instance_id == bindparam("w_id"))  # SET: the keys of the parameters
_ADDED = ("n_children", *COUNTERS)
_ADD_TO_COUNTERS = (
    update(_TABLE).where(_TABLE.c.instance_id == bindparam("w_id"))
    .values({name: _TABLE.c[name] + bindparam(f"d_{name}") for name in _ADDED})
)  # fmt: skip
_COUNT_AS_LEAD = update(_TABLE).where(_TABLE.c.instance_id.in_(bindparam("w_ids", expanding=True))).values(role="lead")
_STEP_UPDATES: dict[tuple[str, ...], Update] = {}  # changed columns → ``_row_and_parent_update``
_PER_PARENT = ("parent_id", "plan_id", "task_key", "period", "due_at", "role")  # one hand-on: the same for all its rows
_PER_CHILD = ("instance_id", "unit_id", "unit_code")
_SHARED = (*_PER_PARENT, "process_key", "phase", "original_due_at", "accepted_at", "submitted_at", "completed_at", "signed_at",
           "late", "returns", "extensions", "n_children", *COUNTERS)  # fmt: skip
Row = Tracking | SimpleNamespace  # a loaded object, or a step's plain copy of the row's values


def _hand_on_pg() -> Insert:
    """``WITH counted AS (UPDATE tracking SET n_x = n_x + d … WHERE instance_id = parent)
    INSERT INTO tracking (…) SELECT child.*, <shared values> FROM unnest(ids, units, codes) AS
    child(…)``: a hand-on's rows and its parent's counters, one statement (PostgreSQL runs a
    data-modifying CTE with its statement, in the same snapshot; the rows differ)."""
    column = _TABLE.c
    child = func.unnest(bindparam("c_ids", type_=ARRAY(Uuid())), bindparam("c_units", type_=ARRAY(BigInteger())),
                        bindparam("c_codes", type_=ARRAY(String()))).table_valued(*_PER_CHILD).render_derived(name="child")  # fmt: skip
    shared = [bindparam(f"s_{name}", type_=column[name].type) for name in _SHARED]
    rows = select(*(child.c[name] for name in _PER_CHILD), *shared)
    return insert(_TABLE).from_select([*_PER_CHILD, *_SHARED], rows).add_cte(_ADD_TO_COUNTERS.cte("counted"))


_HAND_ON_PG = _hand_on_pg()


def install(pe: Any) -> None:
    """Register the tracking hooks (once per engine)."""
    for name, hook in (("instances_started", on_instances_started), ("step_saved", on_step_saved), ("timers_fired", on_timers_fired)):
        pe.hooks.add(name, hook)


def contribution(phase: str, late: bool) -> tuple[int, int, int, int]:
    """What one child adds to its parent's (n_accepted, n_submitted, n_approved, n_late)."""
    if phase == "cancelled":
        return (0, 0, 0, 0)
    return (int(phase != "new"), int(phase in ("submitted", "approved")), int(phase == "approved"), int(late))


def role_of(process_key: str, parent_id: Any) -> str:
    """Whose obligation an instance is (see the module docstring)."""
    if process_key == PROCESS_COORDINATE:
        return "coordinator"
    if process_key == PROCESS_WARD:
        return "ward"
    return "school" if parent_id is not None else "lead"


def count_as_lead(uow: UnitOfWork, instance_ids: list[Any]) -> None:
    """A school the plan names as lead gets its work through its commune, yet the obligation is
    the lead's: official figures count it as such (issue 11: the school keeps its role)."""
    if not instance_ids:
        return
    session = uow.session
    # Core, built once (a hand-on with lead schools runs it): the ORM's bulk UPDATE would walk
    # the whole identity map to synchronise it; only these rows' objects can be held.
    session.connection().execute(_COUNT_AS_LEAD, {"w_ids": instance_ids})
    for instance_id in instance_ids:
        held = session.identity_map.get(identity_key(Tracking, instance_id))
        if held is not None and "role" in held.__dict__:
            set_committed_value(held, "role", "lead")


def on_instances_started(uow: UnitOfWork, started: InstancesStarted) -> None:
    """One tracking row per dispatched instance (plan work), one INSERT for the whole batch, and
    the new children counted into their parents."""
    plans = {key: plan_id_of(key) for key in {c.plan_key for c in started.children}}  # a call has one or a few
    picked = [(i, c, plans[c.plan_key]) for i, c in zip(started.instance_ids, started.children, strict=True) if plans[c.plan_key] is not None]
    if not picked:
        return
    unit_ids = _unit_ids(uow, sorted({c.unit_code for _, c, _ in picked}))
    phase = _phase_after("new", [element for element, _ in started.open_tasks], started.completed, extended=False)
    shared = _new_row_values(started.process_key, phase, uow.now)
    own = [(c.parent_id, plan, c.task_key, c.period, c.due_at, role_of(started.process_key, c.parent_id)) for _, c, plan in picked]
    per_child = [(i, unit_ids.get(c.unit_code), c.unit_code) for i, c, _ in picked]
    if all(facts == own[0] for facts in own):
        _add_hand_on(uow, dict(zip(_PER_PARENT, own[0], strict=True)) | shared, per_child, phase)
        return
    # A dispatch: every row carries its own values.
    values = [(child[0], *facts, *child[1:]) for child, facts in zip(per_child, own, strict=True)]
    insert_rows(uow.session, _TABLE, shared=shared, columns=("instance_id", *_PER_PARENT, *_PER_CHILD[1:]), values=values)
    for parent_id, count in Counter(parent for parent, *_ in own if parent is not None).items():
        _add_to_counters(uow, parent_id, _counted(phase, count))


def _new_row_values(process_key: str, phase: str, now: datetime) -> dict[str, Any]:
    """The values every new row of one start call has."""
    return {"process_key": process_key, "phase": phase, "original_due_at": None,
            "accepted_at": now if phase != "new" else None, "submitted_at": None,
            "completed_at": now if phase == "approved" else None, "signed_at": None, "late": False, "returns": 0,
            "extensions": 0, "n_children": 0, "n_accepted": 0, "n_submitted": 0, "n_approved": 0, "n_late": 0}  # fmt: skip


def _add_hand_on(uow: UnitOfWork, shared: dict[str, Any], per_child: list[tuple[Any, Any, Any]], phase: str) -> None:
    """A commune's hand-on: its schools' rows share one parent, plan task and deadline (converted
    for the database once, not once per row); on PostgreSQL the parent's counters go in the same
    statement."""
    parent_id, added = shared["parent_id"], _counted(phase, len(per_child))
    connection = uow.session.connection()
    if parent_id is None or connection.dialect.name != "postgresql":
        insert_rows(uow.session, _TABLE, shared=shared, columns=_PER_CHILD, values=per_child)
        if parent_id is not None:
            _add_to_counters(uow, parent_id, added)
        return
    held = _held(uow.session, parent_id)
    ids, units, codes = (list(column) for column in zip(*per_child, strict=True))
    connection.execute(_HAND_ON_PG, {"c_ids": ids, "c_units": units, "c_codes": codes, "w_id": parent_id,
                                     **_deltas(_ADDED, added), **{f"s_{name}": value for name, value in shared.items()}})  # fmt: skip
    _count_on_held(held, added)


def _counted(phase: str, count: int) -> dict[str, int]:
    """What ``count`` new children in ``phase`` add to their parent's counters."""
    return {"n_children": count} | {name: d * count for name, d in zip(COUNTERS, contribution(phase, False), strict=True) if d}


def _add_to_counters(uow: UnitOfWork, instance_id: Any, added: dict[str, int]) -> None:
    """``UPDATE tracking SET n_x = n_x + d`` for one row, and the same on its object if the session
    holds it loaded: what the ORM's "evaluate" synchronisation does, without walking the whole
    identity map for each UPDATE (~2,000 org units during a dispatch) nor the ORM's bulk UPDATE."""
    held = _held(uow.session, instance_id)
    uow.session.connection().execute(_ADD_TO_COUNTERS, {"w_id": instance_id, **_deltas(_ADDED, added)})
    _count_on_held(held, added)


def _held(session: Any, instance_id: Any) -> Tracking | None:
    """The session's object for ``instance_id``, if it holds one; its pending changes flushed, as
    ``_count_on_held`` then marks its values as the stored ones."""
    held = session.identity_map.get(identity_key(Tracking, instance_id))
    if held is not None and inspect(held).modified:
        session.flush()
    return held


def _count_on_held(held: Tracking | None, added: dict[str, int]) -> None:
    if held is None:
        return
    loaded = held.__dict__
    for name, d in added.items():
        if loaded.get(name) is not None:
            set_committed_value(held, name, loaded[name] + d)


def _deltas(names: tuple[str, ...], added: dict[str, int]) -> dict[str, int]:
    return {f"d_{name}": added.get(name, 0) for name in names}


def hint_unit_ids(uow: UnitOfWork, units: Iterable[OrgUnit]) -> None:
    """Tell ``on_instances_started`` the ids of units the caller has loaded in this unit of work
    (a dispatch, a commune's hand-on), so that it need not look them up by code again."""
    uow.session.info.setdefault(_UNIT_IDS, {}).update((u.code, u.id) for u in units)


def _unit_ids(uow: UnitOfWork, codes: list[str]) -> dict[str, int]:
    known: dict[str, int] = uow.session.info.get(_UNIT_IDS, {})
    found = {code: known[code] for code in codes if code in known}
    codes = [code for code in codes if code not in found]
    for first in range(0, len(codes), _CODE_CHUNK):
        chunk = codes[first : first + _CODE_CHUNK]
        found.update((code, unit_id) for code, unit_id in uow.session.execute(select(OrgUnit.code, OrgUnit.id).where(OrgUnit.code.in_(chunk))))
    return found


def on_step_saved(uow: UnitOfWork, saved: StepSaved) -> None:
    instance = saved.instance
    if plan_id_of(instance.plan_key) is None:
        return  # not dispatched plan work: it never had a tracking row (``on_instances_started``)
    session = uow.session
    held = session.identity_map.get(identity_key(Tracking, instance.id))
    if held is not None:
        _follow_held(uow, held, saved)
        return
    found = session.connection().execute(_LOAD_ROW, {"w_id": instance.id}).first()
    if found is None:
        return  # not dispatched plan work
    stored = found._mapping
    row = SimpleNamespace(**stored)
    before = contribution(row.phase, row.late)
    advance(row, saved, uow.now)
    changed = {name: value for name, value in vars(row).items() if value != stored[name]}
    # At once rather than at the commit's flush: a later query of this unit of work (the
    # commune's follow-up, a deadline in force) reads the row as the step left it.
    added = _parent_changes(row, before)
    if added:
        _update_row_and_parent(uow, instance.id, changed, row.parent_id, added)
    elif changed:
        session.connection().execute(_UPDATE_ROW, {"w_id": instance.id, **changed})


def _update_row_and_parent(uow: UnitOfWork, instance_id: Any, changed: dict[str, Any], parent_id: Any, added: dict[str, int]) -> None:
    """The step's row and its parent's counters in one UPDATE (see ``_row_and_parent_update``)."""
    names = tuple(sorted(changed))
    statement = _STEP_UPDATES.get(names)
    if statement is None:
        statement = _STEP_UPDATES[names] = _row_and_parent_update(names)
    held = _held(uow.session, parent_id)
    params = {"w_id": instance_id, "p_id": parent_id, **{f"v_{name}": changed[name] for name in names}, **_deltas(COUNTERS, added)}
    uow.session.connection().execute(statement, params)
    _count_on_held(held, added)


def _row_and_parent_update(names: tuple[str, ...]) -> Update:
    """``UPDATE tracking`` of a step's row (``names``: its changed columns) and of its parent's
    counters, the two rows told apart in each SET by their id: one statement instead of two, the
    child's change and its parent's count never apart."""
    column = _TABLE.c
    child, parent = column.instance_id == bindparam("w_id"), column.instance_id == bindparam("p_id")
    own = {name: case((child, bindparam(f"v_{name}", type_=column[name].type)), else_=column[name]) for name in names}
    counts = {name: case((parent, column[name] + bindparam(f"d_{name}")), else_=column[name]) for name in COUNTERS}
    return update(_TABLE).where(column.instance_id.in_([bindparam("w_id"), bindparam("p_id")])).values({**own, **counts})


def _follow_held(uow: UnitOfWork, row: Tracking, saved: StepSaved) -> None:
    """The same, on the object the session holds (it must not go stale)."""
    before = contribution(row.phase, row.late)
    advance(row, saved, uow.now)
    _apply_held(uow, row, before)


def _apply_held(uow: UnitOfWork, row: Tracking, before: tuple[int, int, int, int]) -> None:
    """``apply_to_parent`` for a loaded object: its own UPDATE goes first, as for a copy (the
    child's row, then its parent's, whoever writes them)."""
    if row.parent_id is not None and contribution(row.phase, row.late) != before:
        uow.session.flush()
    apply_to_parent(uow, row, before)


def advance(row: Row, saved: StepSaved, now: datetime) -> None:
    """Move ``row`` along after a step (see the module docstring)."""
    if saved.instance.status == "cancelled":
        row.phase = "cancelled"
        return
    later = [t.due_at for t in saved.opened if t.due_at is not None and (row.due_at is None or t.due_at > row.due_at)]
    if later:
        move_due(row, max(later), now)
    phase = _phase_after(row.phase, [t.element_id for t in saved.opened], saved.instance.status == "completed", bool(later))
    if phase != row.phase:
        if row.accepted_at is None and phase != "new":
            row.accepted_at = now
        if phase == "submitted":
            row.submitted_at = now
        if phase == "returned":
            row.returns += 1
        if phase == "approved":
            row.completed_at = row.submitted_at or now
        row.phase = phase
    judge_lateness(row, now)


def move_due(row: Row, due: datetime | None, now: datetime) -> None:
    """A new deadline (extension or amendment) set at ``now``; the first one stays in
    ``original_due_at``, and one that had passed with the work still the unit's stays in
    ``late_since``."""
    if due == row.due_at:
        return
    if row.late_since is None and row.due_at is not None and now >= row.due_at and _units_clock_runs(row):
        row.late_since = row.due_at
    if row.original_due_at is None:
        row.original_due_at = row.due_at
    row.due_at = due
    row.extensions += 1


def _units_clock_runs(row: Row) -> bool:
    """Open and with the unit, not with its reviewer (see the module docstring)."""
    return row.phase in WITH_THE_UNIT


def judge_lateness(row: Row, now: datetime) -> None:
    if row.late_since is not None and row.phase != "cancelled":
        row.late = True
    elif row.phase == "approved":
        row.late = row.due_at is not None and row.completed_at is not None and row.completed_at > row.due_at
    elif row.phase == "submitted":
        row.late = row.due_at is not None and row.submitted_at is not None and row.submitted_at > row.due_at
    elif row.phase != "cancelled":
        row.late = row.due_at is not None and now >= row.due_at


def _phase_after(phase: str, opened: list[str], completed: bool, extended: bool) -> str:
    if completed:
        return "approved"
    if not opened:
        return phase
    phases = [PHASE_OF_STEP.get(element, "working") for element in opened]
    for wanted in ("approved", "submitted", "new"):
        if wanted in phases:
            return wanted
    if phase == "submitted" and not extended:
        return "returned"
    return "returned" if phase == "returned" else "working"


def apply_to_parent(uow: UnitOfWork, row: Row, before: tuple[int, int, int, int]) -> None:
    """Add the change of ``row``'s contribution since ``before`` to its parent's counters."""
    added = _parent_changes(row, before)
    if added:
        _add_to_counters(uow, row.parent_id, added)


def _parent_changes(row: Row, before: tuple[int, int, int, int]) -> dict[str, int]:
    """What the parent's counters gain from ``row``'s change since ``before`` (none without a parent)."""
    after = contribution(row.phase, row.late)
    if row.parent_id is None or after == before:
        return {}
    return {name: a - b for name, a, b in zip(COUNTERS, after, before, strict=True) if a != b}


def on_timers_fired(uow: UnitOfWork, fired: TimersFired) -> None:
    """Deadlines the sweep fired without a step (``engine.timer_flags``): judge lateness as a step
    would (``judge_lateness``), for all of them at once; ``late`` is set once (``WHERE NOT late``)."""
    ids = list(dict.fromkeys(instance_id for instance_id, _element in fired.timers))
    parents: Counter[Any] = Counter()
    for first in range(0, len(ids), _CODE_CHUNK):
        rows = uow.session.execute(
            update(Tracking)
            .where(Tracking.instance_id.in_(ids[first : first + _CODE_CHUNK]), Tracking.late.is_(False),
                   Tracking.phase.in_(OPEN_PHASES), Tracking.due_at <= uow.now)
            .values(late=True)
            .returning(Tracking.parent_id),
            execution_options={"synchronize_session": False},
        ).all()  # fmt: skip
        parents.update(row.parent_id for row in rows if row.parent_id is not None)
    for parent_id, count in parents.items():
        uow.session.execute(update(Tracking).where(Tracking.instance_id == parent_id).values(n_late=Tracking.n_late + count))


def mark_overdue(uow: UnitOfWork, now: datetime | None = None, *, limit: int = 10_000) -> int:
    """Set ``late`` on open work whose deadline has passed with no step to notice it (e.g. never
    accepted), and count it into the parents; set-based, idempotent. Returns rows marked. Reports
    waiting for review are not marked: they were judged when submitted."""
    now = now or uow.now
    rows = uow.session.execute(
        select(Tracking.instance_id, Tracking.parent_id)
        .where(Tracking.late.is_(False), Tracking.phase.in_(WITH_THE_UNIT), Tracking.due_at <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return 0
    ids = [r.instance_id for r in rows]
    for first in range(0, len(ids), _CODE_CHUNK):
        uow.session.execute(update(Tracking).where(Tracking.instance_id.in_(ids[first : first + _CODE_CHUNK])).values(late=True))
    for parent_id, count in Counter(r.parent_id for r in rows if r.parent_id is not None).items():
        uow.session.execute(update(Tracking).where(Tracking.instance_id == parent_id).values(n_late=Tracking.n_late + count))
    uow.audit("overdue_marked", data={"count": len(ids), "as_of": now.isoformat()})
    return len(ids)


def reschedule(uow: UnitOfWork, instance_id: Any, due: datetime) -> None:
    """A deadline set from outside the process (a plan amendment): move it, judge lateness again."""
    row = uow.session.get(Tracking, instance_id)
    if row is None:
        return
    before = contribution(row.phase, row.late)
    move_due(row, due, uow.now)
    judge_lateness(row, uow.now)
    _apply_held(uow, row, before)
