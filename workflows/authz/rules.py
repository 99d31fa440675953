"""Who may do what: pure functions of the user's facts, the target's facts and the day.

Roles: leader (lãnh đạo), officer (chuyên viên), clerk (văn thư) do the work ("work roles");
admin (quản trị) configures; inspector (thanh tra) reads. Roles add up: a person holding leader
and admin may approve as a leader. A delegation (ủy quyền) valid on the day — in its period, not
revoked by then, its giver active and still holding the role — lets its holder act in the giver's
unit with the giver's role (leader: the approvals), "on behalf of" the giver.

Everyone: an inactive account, or an account of an inactive unit, is refused everything.

Tasks (a human task of one unit's work):
  * view — a work role in a unit (own, or through a delegation) that is the work's unit or lies
    above it, or that assigned the work (the parent instance's unit, the plan's issuer), or whose
    inbox holds the task; an inspector or admin anywhere in the work's province.
    So a school sees its own work only, a commune its schools', a phòng what it assigned (and
    the work below it), the Sở (its root unit) the whole province.
  * comment — as view, minus inspector and admin (they change nothing).
  * reassign (to a person of the unit) — a leader of the unit whose inbox holds the open task;
    the person must be active, of that unit, holding the step's role.
  * accept, save_draft, submit, request_extension, approve, return, grant_extension,
    refuse_extension, sign — only at a step that takes the action (``workflows.authz.steps``),
    by a holder of the step's role in the step's unit (its BPMN lane), or a delegate of a holder
    of that role there; only the assignee when the task was assigned to a person; only while open.
Plans (issued by a unit, the Sở today):
  * view — any role anywhere in the plan's province.
  * import, map_unknown, mark_external, recheck, dispatch, amend — a work role in the issuing
    unit or in one of its divisions (the Sở's phòng prepare the Sở's plans).
  * record_exception — a leader of the issuing unit, or their delegate.
Organisation:
  * delegate — a leader, for their own approvals only, to another active person of the province.
  * manage_units, manage_users, configure — an admin of the province.
  * read_audit — an inspector or admin of the province.
Processes (the designer; deployed definitions serve every province):
  * read_processes — a work role in the Sở or one of its phòng, an admin or an inspector.
  * design_process, deploy_process, migrate_instances — a leader or officer of the Sở or one of
    its phòng (department heads and their officers design), or an admin.
Inspectors are refused every change ("authz_read_only"), admins every piece of work
("authz_admin_not_party").

Refusals that only say a request does not fit the target's state (a step that takes no such
action, a closed step, a bad receiver or assignee) are not security events; the check order puts
the permission first, so that trying to sign someone else's sign-off step is recorded whatever
its state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workflows.authz import messages as _messages  # noqa: F401  (registers the refusal messages)
from workflows.authz.actions import LABELS, OrgAction, PlanAction, ProcessAction, TaskAction
from workflows.authz.model import (
    Decision,
    DelegationFacts,
    PlanFacts,
    Relation,
    Target,
    TaskFacts,
    UnitFacts,
    UserFacts,
)
from workflows.authz.steps import STEP_ACTIONS, actions_at
from workflows.org.kinds import UnitKind
from workflows.roles import ROLE_NAMES
from workflows.timeframes import LOCAL_TZ

WORK_ROLES = frozenset({"leader", "officer", "clerk"})
PROVINCE_READERS = frozenset({"inspector", "admin"})
WORK_RELATIONS = frozenset({Relation.OWN, Relation.BELOW, Relation.ASSIGNER})
PLAN_STAFF_RELATIONS = frozenset({Relation.OWN, Relation.DIVISION})


def day_of(now: datetime) -> date:
    """The local (Asia/Ho_Chi_Minh) day of an instant: the day delegations are judged on."""
    return now.astimezone(LOCAL_TZ).date()


# Relations ------------------------------------------------------------------------------------


def unit_relations(user_unit: UnitFacts, target: UnitFacts) -> frozenset[Relation]:
    """How ``user_unit`` stands to ``target`` by the tree alone (OWN, BELOW, DIVISION…)."""
    found = set()
    if target.id == user_unit.id:
        found.add(Relation.OWN)
    elif user_unit.contains(target):
        found.add(Relation.BELOW)
    if user_unit.kind == UnitKind.DIVISION and user_unit.path == f"{target.path}{user_unit.id}/":
        found.add(Relation.DIVISION)
    return _or_province(found, user_unit.root_path == target.root_path)


def task_relations(user_unit: UnitFacts, task: TaskFacts) -> frozenset[Relation]:
    """How ``user_unit`` stands to the work a task belongs to (its unit, its assigners)."""
    found = set()
    if task.unit is not None:
        found |= unit_relations(user_unit, task.unit) - {Relation.PROVINCE, Relation.UNRELATED}
    if any(a.id == user_unit.id for a in task.assigners):
        found.add(Relation.ASSIGNER)
    return _or_province(found, user_unit.root_path == task.root_path)


def _or_province(found: set[Relation], same_province: bool) -> frozenset[Relation]:
    if found:
        return frozenset(found)
    return frozenset({Relation.PROVINCE if same_province else Relation.UNRELATED})


# Reaches: the units a user works for on a day -------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """A unit the user acts for, with the roles they hold there: their own unit, or a giver's."""

    unit: UnitFacts
    roles: frozenset[str]
    delegation: DelegationFacts | None = None

    @property
    def on_behalf_of(self) -> str | None:
        return self.delegation.giver_username if self.delegation else None


def reaches(user: UserFacts, day: date) -> tuple[Reach, ...]:
    """The user's own unit first, then each delegation valid on ``day`` (by giver, stable)."""
    valid = sorted((d for d in user.delegations if d.valid_on(day)), key=lambda d: (d.giver_username, d.id))
    return (Reach(user.unit, user.roles), *(Reach(d.giver_unit, frozenset({d.role}), d) for d in valid))


@dataclass(frozen=True)
class ReadScope:
    """What a user may read, as values: ``workflows.authz.scope`` turns it into SQL.

    ``subtrees``: paths of units whose work (and the work of everything below) is readable — the
    units the user works for. ``units``: ids of those units, whose assigned work and inboxes are
    readable. ``province``: the root path of a province an inspector or admin reads whole.
    """

    subtrees: tuple[str, ...] = ()
    units: tuple[int, ...] = ()
    province: str | None = None


def read_scope(user: UserFacts, day: date) -> ReadScope:
    if not user.active or not user.unit.active:
        return ReadScope()
    working = [r for r in reaches(user, day) if r.roles & WORK_ROLES]
    return ReadScope(
        subtrees=tuple(dict.fromkeys(r.unit.path for r in working)),
        units=tuple(dict.fromkeys(r.unit.id for r in working)),
        province=user.unit.root_path if user.roles & PROVINCE_READERS else None,
    )


# Tasks ----------------------------------------------------------------------------------------


def decide_task(user: UserFacts, action: TaskAction | str, task: TaskFacts, day: date) -> Decision:
    """May ``user`` take ``action`` on ``task`` on ``day``? (See the module's table.)"""
    action = TaskAction(action)
    if refused := _inactive(user, action, task):
        return refused
    seeing = _seeing(user, task, day)
    if seeing is None:
        if not (user.roles & PROVINCE_READERS and user.unit.root_path == task.root_path):
            return _refuse(user, action, task, "authz_not_visible", ref=task.ref)
        if action == TaskAction.VIEW:
            return Decision(action, user, task)
        # Seen only as the province's inspector or admin: reading is all that gives.
        return _refuse(user, action, task, "authz_read_only" if "inspector" in user.roles else "authz_admin_not_party")
    if action in (TaskAction.VIEW, TaskAction.COMMENT):
        return Decision(action, user, task, on_behalf_of=seeing.on_behalf_of)
    if action == TaskAction.REASSIGN:
        return _reassign(user, task)
    return _step_action(user, action, task, day)


def decide_reassign(user: UserFacts, task: TaskFacts, person: UserFacts, day: date) -> Decision:
    """``reassign`` of ``task`` to ``person``: the user may, and the person may do the step."""
    decision = decide_task(user, TaskAction.REASSIGN, task, day)
    if not decision.allowed:
        return decision
    unit, role = task.candidate_unit, task.candidate_role
    if person.active and unit is not None and person.unit.id == unit.id and role in person.roles:
        return decision
    return _refuse(user, TaskAction.REASSIGN, task, "authz_assignee_not_eligible", step=task.name,
                   assignee=person.username, unit=unit.name if unit else "?", **_role_params(role))  # fmt: skip


def may_complete(user: UserFacts, task: TaskFacts, day: date) -> Decision:
    """Whether ``user`` may end ``task`` by any action its step takes (for a guard that only sees
    a completion): the first allowed decision, else the refusal of the step's first action
    (``submit`` for a step the table does not know)."""
    known = STEP_ACTIONS.get(task.step)
    candidates = [a for a in actions_at(task.process_key, task.step) if known and a in known.completing]
    decisions = [decide_task(user, a, task, day) for a in candidates or [TaskAction.SUBMIT]]
    return next((d for d in decisions if d.allowed), decisions[0])


def _seeing(user: UserFacts, task: TaskFacts, day: date) -> Reach | None:
    """The first work reach through which the user sees the task (own unit before delegations)."""
    for reach in reaches(user, day):
        if not reach.roles & WORK_ROLES:
            continue
        if task_relations(reach.unit, task) & WORK_RELATIONS:
            return reach
        if task.candidate_unit is not None and task.candidate_unit.id == reach.unit.id:
            return reach
    return None


def _reassign(user: UserFacts, task: TaskFacts) -> Decision:
    unit = task.candidate_unit
    if unit is None or unit.id != user.unit.id or "leader" not in user.roles:
        return _refuse(user, TaskAction.REASSIGN, task, "authz_not_unit_leader", unit=unit.name if unit else "?", step=task.name)
    return _open(user, TaskAction.REASSIGN, task) or Decision(TaskAction.REASSIGN, user, task)


def _step_action(user: UserFacts, action: TaskAction, task: TaskFacts, day: date) -> Decision:
    offered = actions_at(task.process_key, task.step)
    if action not in offered:
        vi = ", ".join(LABELS[a][0] for a in offered) or "không có thao tác nào"
        en = ", ".join(LABELS[a][1] for a in offered) or "no action"
        return _refuse(user, action, task, "authz_step_has_no_action", step=task.name, actions=vi, actions_en=en)
    acting = _acting(user, task, day)
    if acting is None:
        unit = task.candidate_unit
        return _refuse(user, action, task, "authz_not_candidate", step=task.name, unit=unit.name if unit else "?",
                       **_role_params(task.candidate_role))  # fmt: skip
    if task.assignee and task.assignee not in (user.username, acting.on_behalf_of):
        return _refuse(user, action, task, "authz_assigned_to_other", step=task.name, assignee=task.assignee)
    return _open(user, action, task) or Decision(action, user, task, on_behalf_of=acting.on_behalf_of)


def _acting(user: UserFacts, task: TaskFacts, day: date) -> Reach | None:
    """The reach holding the step's role in the step's unit (the BPMN lane), if any."""
    unit, role = task.candidate_unit, task.candidate_role
    if unit is None or role is None:
        return None
    return next((r for r in reaches(user, day) if r.unit.id == unit.id and role in r.roles), None)


def _open(user: UserFacts, action: TaskAction, task: TaskFacts) -> Decision | None:
    if task.status == "open":
        return None
    return _refuse(user, action, task, "authz_task_not_open", step=task.name, status=task.status)


# Plans ----------------------------------------------------------------------------------------


def decide_plan(user: UserFacts, action: PlanAction | str, plan: PlanFacts, day: date) -> Decision:
    """May ``user`` take ``action`` on ``plan`` (or, for ``import``, on a new plan of its issuer)?"""
    action = PlanAction(action)
    if refused := _inactive(user, action, plan):
        return refused
    relations = unit_relations(user.unit, plan.issuer)
    if Relation.UNRELATED in relations:
        return _refuse(user, action, plan, "authz_other_province", ref=plan.ref)
    all_reaches = reaches(user, day)
    if action == PlanAction.VIEW:
        if user.roles or len(all_reaches) > 1:
            return Decision(action, user, plan)
        return _refuse(user, action, plan, "authz_no_role", username=user.username)
    if action == PlanAction.RECORD_EXCEPTION:
        for reach in all_reaches:
            if reach.unit.id == plan.issuer.id and "leader" in reach.roles:
                return Decision(action, user, plan, on_behalf_of=reach.on_behalf_of)
        return _not_a_party(user, action, plan) or _refuse(user, action, plan, "authz_not_issuer_leader", unit=plan.issuer.name)
    if relations & PLAN_STAFF_RELATIONS and user.roles & WORK_ROLES:
        return Decision(action, user, plan)
    return _not_a_party(user, action, plan) or _refuse(user, action, plan, "authz_not_plan_staff", unit=plan.issuer.name)


# Organisation ---------------------------------------------------------------------------------


def decide_delegation(user: UserFacts, giver: UserFacts, receiver: UserFacts, day: date) -> Decision:
    """May ``user`` hand ``giver``'s approvals to ``receiver``? Only a leader, for themself."""
    action = OrgAction.DELEGATE
    if refused := _inactive(user, action, receiver):
        return refused
    if user.id != giver.id:
        return _refuse(user, action, receiver, "authz_delegate_for_other", giver=giver.username)
    if "leader" not in user.roles:
        return _not_a_party(user, action, receiver) or _refuse(user, action, receiver, "authz_delegate_not_leader")
    if receiver.id == user.id or not receiver.active or receiver.unit.root_path != user.unit.root_path:
        return _refuse(user, action, receiver, "authz_delegate_receiver", receiver=receiver.username)
    return Decision(action, user, receiver)


def decide_org(user: UserFacts, action: OrgAction | str, unit: UnitFacts, day: date) -> Decision:
    """``manage_units``, ``manage_users``, ``configure`` (admin) and ``read_audit`` (inspector,
    admin) over ``unit`` — a unit to change, or the province root."""
    action = OrgAction(action)
    if action == OrgAction.DELEGATE:
        raise ValueError("use decide_delegation for delegate")
    if refused := _inactive(user, action, unit):
        return refused
    if unit.root_path != user.unit.root_path:
        return _refuse(user, action, unit, "authz_other_province", ref=unit.ref)
    if action == OrgAction.READ_AUDIT:
        if user.roles & PROVINCE_READERS:
            return Decision(action, user, unit)
        return _refuse(user, action, unit, "authz_not_auditor")
    if "admin" in user.roles:
        return Decision(action, user, unit)
    if "inspector" in user.roles:
        return _refuse(user, action, unit, "authz_read_only")
    return _refuse(user, action, unit, "authz_not_admin")


# Processes ------------------------------------------------------------------------------------

DESIGN_ROLES = frozenset({"leader", "officer"})


def decide_process(user: UserFacts, action: ProcessAction | str, province: UnitFacts, day: date) -> Decision:
    """May ``user`` read, design, deploy or migrate processes? ``province`` is the root unit
    (the Sở) of the user's province: only its own staff and its phòng's design."""
    action = ProcessAction(action)
    if refused := _inactive(user, action, province):
        return refused
    staff = bool(unit_relations(user.unit, province) & PLAN_STAFF_RELATIONS)
    if action == ProcessAction.READ:
        if (staff and user.roles & WORK_ROLES) or user.roles & PROVINCE_READERS:
            return Decision(action, user, province)
        return _refuse(user, action, province, "authz_not_process_staff", unit=province.name)
    if (staff and user.roles & DESIGN_ROLES) or "admin" in user.roles:
        return Decision(action, user, province)
    if "inspector" in user.roles:
        return _refuse(user, action, province, "authz_read_only")
    return _refuse(user, action, province, "authz_not_process_staff", unit=province.name)


# Shared ---------------------------------------------------------------------------------------


def _inactive(user: UserFacts, action: str, target: Target) -> Decision | None:
    if not user.active:
        return _refuse(user, action, target, "authz_user_inactive", username=user.username)
    if not user.unit.active:
        return _refuse(user, action, target, "authz_unit_inactive", unit=user.unit.name)
    return None


def _not_a_party(user: UserFacts, action: str, target: Target) -> Decision | None:
    """Why an inspector or an admin (holding no work role) is refused a change; None otherwise."""
    if user.roles & WORK_ROLES:
        return None
    if "inspector" in user.roles:
        return _refuse(user, action, target, "authz_read_only")
    if "admin" in user.roles:
        return _refuse(user, action, target, "authz_admin_not_party")
    return None


def _role_params(role: str | None) -> dict[str, str]:
    vi, en = ROLE_NAMES.get(role or "", (role or "?", role or "?"))
    return {"role": vi.lower(), "role_en": en.lower()}


def _refuse(user: UserFacts, action: str, target: Target, code: str, **params: Any) -> Decision:
    vi, en = LABELS[action]
    return Decision(action, user, target, code, {"action": vi, "action_en": en, **params})
