"""Move running instances of a process from one deployed version to another (``plan_move`` for
the dry run, ``move_instances`` to do it).

An instance moves when every step it waits on (a ready human task, a waiting timer or join) and
every step it already finished exists in the new version under the same element id and of the
same kind: the stored state names its tasks' specs by element id, so history whose step was
removed could not be read back. Nothing runs again: the waiting steps keep their task ids, their
data and their timers' due instants (a relative deadline does not restart); only what the
workflow predicted beyond them is predicted again from the new version. Open task rows take the
new version's lane (role, party) for their step; timer rows are left as they are.
SpiffWorkflow's own ``migrate_workflow`` resets every waiting branch, which would restart those
timers and re-open the tasks, so it is not used.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import steps, task_rows
from engine.bpmn import ProcessBundle
from engine.commands import latest_definition
from engine.errors import InvalidState, StepFailed
from engine.messages import register
from engine.models import HumanTask, Instance, ProcessDefinition
from engine.uow import UnitOfWork

register({
    "move_same_version": ("Phiên bản nguồn và đích trùng nhau (v{version}).", "The source and target versions are the same (v{version})."),
    "move_step_missing": (
        "Bước đang chờ «{step}» ({element}) không có trong phiên bản mới.",
        "The waiting step “{step}” ({element}) is not in the new version.",
    ),
    "move_step_kind": (
        "Bước đang chờ «{step}» ({element}) đổi loại trong phiên bản mới ({old} → {new}).",
        "The waiting step “{step}” ({element}) changes kind in the new version ({old} → {new}).",
    ),
    "move_history_missing": (
        "Bước đã thực hiện «{step}» ({element}) bị xóa trong phiên bản mới: lịch sử của hồ sơ không chuyển được.",
        "The finished step “{step}” ({element}) was removed in the new version: the instance's history cannot move.",
    ),
    "move_subprocess_missing": (
        "Quy trình con {name} không có trong phiên bản mới.",
        "The sub-process {name} is not in the new version.",
    ),
    "move_state_unreadable": ("Không đọc được trạng thái của hồ sơ: {detail}.", "The instance's state cannot be read: {detail}."),
    "move_not_running": ("Hồ sơ không còn chạy ({status}).", "The instance is no longer running ({status})."),
    "move_wrong_version": ("Hồ sơ không chạy trên phiên bản v{version}.", "The instance does not run on version v{version}."),
})  # fmt: skip

WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED
# Predicted beyond the waiting steps: dropped, then predicted again from the new version.
PREDICTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE


@dataclass(frozen=True)
class Obstacle:
    """Why an instance cannot move: a message code, its parameters, the element it is about."""

    code: str
    element_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InstanceVerdict:
    instance_id: uuid.UUID
    unit_code: str | None
    business_key: str | None
    waiting: tuple[str, ...]  # element ids of the steps it waits on
    obstacles: tuple[Obstacle, ...] = ()

    @property
    def movable(self) -> bool:
        return not self.obstacles


@dataclass(frozen=True)
class MovePlan:
    key: str
    from_version: int
    to_version: int
    verdicts: tuple[InstanceVerdict, ...]

    @property
    def movable(self) -> list[InstanceVerdict]:
        return [v for v in self.verdicts if v.movable]

    @property
    def blocked(self) -> list[InstanceVerdict]:
        return [v for v in self.verdicts if not v.movable]


@dataclass(frozen=True)
class MoveResult:
    plan: MovePlan
    moved: tuple[uuid.UUID, ...]


def plan_move(uow: UnitOfWork, key: str, from_version: int, to_version: int,
              instance_ids: Iterable[uuid.UUID] | None = None) -> MovePlan:  # fmt: skip
    """The dry run: each running instance of ``key`` v``from_version`` (or the ones named), and
    whether it can move to v``to_version``, with the reasons when not. Changes nothing."""
    source, target, new = _versions(uow, key, from_version, to_version)
    verdicts = tuple(_judge(uow, instance, source, new)[0] for instance in _instances(uow, source, instance_ids))
    return MovePlan(key, from_version, to_version, verdicts)


def move_instances(uow: UnitOfWork, key: str, from_version: int, to_version: int,
                   instance_ids: Iterable[uuid.UUID] | None = None) -> MoveResult:  # fmt: skip
    """Move every movable instance (of those named, or all running on ``from_version``); the
    others stay where they are, listed with their reasons. Audited per instance."""
    source, target, new = _versions(uow, key, from_version, to_version)
    verdicts, moved = [], []
    for instance in _instances(uow, source, instance_ids):
        verdict, workflow = _judge(uow, instance, source, new)
        verdicts.append(verdict)
        if verdict.movable and workflow is not None:
            _move(uow, instance, workflow, target, new)
            moved.append(instance.id)
    return MoveResult(MovePlan(key, from_version, to_version, tuple(verdicts)), tuple(moved))


def _versions(uow: UnitOfWork, key: str, from_version: int, to_version: int) -> tuple[ProcessDefinition, ProcessDefinition, ProcessBundle]:
    if from_version == to_version:
        raise InvalidState("move_same_version", version=from_version)
    source = latest_definition(uow, key, version=from_version)
    target = latest_definition(uow, key, version=to_version)
    assert source is not None and target is not None
    return source, target, uow.engine.bundle(target)


def _instances(uow: UnitOfWork, source: ProcessDefinition, ids: Iterable[uuid.UUID] | None) -> Sequence[Instance]:
    query = select(Instance).where(Instance.definition_id == source.id, Instance.status == "running")
    if ids is not None:
        query = select(Instance).where(Instance.id.in_(list(ids)))
    instances = uow.session.scalars(query.order_by(Instance.started_at, Instance.id)).all()
    return instances


def _judge(uow: UnitOfWork, instance: Instance, source: ProcessDefinition, new: ProcessBundle) -> tuple[InstanceVerdict, BpmnWorkflow | None]:
    def verdict(*obstacles: Obstacle, waiting: tuple[str, ...] = ()) -> InstanceVerdict:
        return InstanceVerdict(instance.id, instance.unit_code, instance.business_key, waiting, obstacles)

    if instance.status != "running":
        return verdict(Obstacle("move_not_running", params={"status": instance.status})), None
    if instance.definition_id != source.id:
        return verdict(Obstacle("move_wrong_version", params={"version": source.version})), None
    try:
        workflow = steps.load(uow, instance, uow.engine.bundle(source))
    except StepFailed as failed:
        return verdict(Obstacle("move_state_unreadable", params={"detail": failed.detail[:300]})), None
    obstacles: list[Obstacle] = []
    waiting: list[str] = []
    new_specs = {None: new.spec, **new.subprocess_specs}
    for each in steps.all_workflows(workflow):
        spec_name = None if each is workflow else each.spec.name
        target = new_specs.get(spec_name)
        if target is None:
            obstacles.append(Obstacle("move_subprocess_missing", params={"name": spec_name}))
            continue
        for task in each.get_tasks(state=TaskState.ANY_MASK, skip_subprocesses=True):
            if task.has_state(PREDICTED):
                continue
            old_spec = task.task_spec
            candidate = target.task_specs.get(old_spec.name)
            shown = {"step": old_spec.bpmn_name or old_spec.bpmn_id or old_spec.name, "element": old_spec.bpmn_id or old_spec.name}
            if task.has_state(WAITING):
                if old_spec.bpmn_id:
                    waiting.append(old_spec.bpmn_id)
                if candidate is None:
                    obstacles.append(Obstacle("move_step_missing", old_spec.bpmn_id, shown))
                elif type(candidate).__name__ != type(old_spec).__name__:
                    obstacles.append(Obstacle("move_step_kind", old_spec.bpmn_id,
                                              {**shown, "old": type(old_spec).__name__, "new": type(candidate).__name__}))  # fmt: skip
            elif candidate is None:
                obstacles.append(Obstacle("move_history_missing", old_spec.bpmn_id, shown))
    unique = tuple(dict.fromkeys(waiting))
    return verdict(*_distinct(obstacles), waiting=unique), workflow


def _distinct(obstacles: list[Obstacle]) -> list[Obstacle]:
    """Each obstacle once; the engine's own helper specs (no element id: a boundary event's split
    and join) only when nothing else explains why the instance stays."""
    named = [o for o in obstacles if o.element_id is not None]
    obstacles = named or obstacles
    seen: set[tuple[str, str | None]] = set()
    kept = []
    for obstacle in obstacles:
        if (obstacle.code, obstacle.element_id) not in seen:
            seen.add((obstacle.code, obstacle.element_id))
            kept.append(obstacle)
    return kept


def _move(uow: UnitOfWork, instance: Instance, workflow: BpmnWorkflow, target: ProcessDefinition, new: ProcessBundle) -> None:
    old_definition = instance.definition_id
    new_specs = {None: new.spec, **new.subprocess_specs}
    for each in steps.all_workflows(workflow):
        spec = new_specs[None if each is workflow else each.spec.name]
        for task in list(each.get_tasks(state=PREDICTED, skip_subprocesses=True)):
            if task.id in each.tasks and not task.parent.has_state(PREDICTED):
                each._remove_task(task.id)  # the whole predicted branch below a definite task
        for task in each.get_tasks(state=TaskState.ANY_MASK, skip_subprocesses=True):
            task.task_spec = spec.task_specs[task.task_spec.name]
        each.spec = spec
    workflow.subprocess_specs = new.subprocess_specs
    for each in steps.all_workflows(workflow):
        for task in list(each.get_tasks(state=WAITING, skip_subprocesses=True)):
            task.task_spec._predict(task, mask=PREDICTED | WAITING)
    instance.definition_id = target.id
    _retarget_open_tasks(uow, instance, workflow, new)
    uow.audit("instance_version_moved", instance_id=instance.id, subject=f"{target.key} v{target.version}",
              data={"from_definition": old_definition, "to_definition": target.id, "to_version": target.version})  # fmt: skip
    steps.run(uow, instance, workflow, {"kind": "version_move", "to": target.version})
    steps.save(uow, instance, workflow, new)


def _retarget_open_tasks(uow: UnitOfWork, instance: Instance, workflow: BpmnWorkflow, new: ProcessBundle) -> None:
    """Open task rows follow the new version's lanes: a lane given another role or party moves the
    step to that role's (or that party's) inbox. An assignee chosen for the step is kept."""
    rows = uow.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")).all()
    parent_unit = None
    if instance.parent_id is not None:
        parent = uow.session.get(Instance, instance.parent_id)
        parent_unit = parent.unit_code if parent is not None else None
    owner = task_rows.Owner(instance.id, instance.unit_code, parent_unit, instance.plan_key, instance.task_key,
                            instance.period, instance.due_at)  # fmt: skip
    for row in rows:
        try:
            spiff_task = workflow.get_task_from_id(row.spiff_task_id)
        except TaskNotFoundException:
            continue
        ready = task_rows.ready_task(spiff_task, new)
        row.lane, row.candidate_role = ready.lane, ready.role
        row.candidate_unit = task_rows.candidate_unit(ready, owner)
