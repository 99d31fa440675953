"""Keeping a long-lived instance's task tree shallow, so that it can loop without limit.

SpiffWorkflow unrolls a process into a tree of tasks. Going round a loop (a report returned for
rework, a script looping back through a gateway) adds the next round's tasks *below* the last
round's, so the tree deepens by a few levels per round and never gets shallower. Two things
break near depth 1,000:

* ``TaskIterator`` (behind ``get_tasks``, ``is_completed`` and ``do_engine_steps``) stops
  descending at ``max_depth=1000`` without a word: a READY task below is not seen, so a script
  loop of ~340 rounds left its instance *completed* with its user task never opened;
* ``Task.is_descendant_of`` and ``find_ancestor`` recurse once per level: ``phoi_hop`` failed
  with RecursionError at its 245th return, and every retry the same way.

Compaction removes the finished history that no later step reads and hangs what is left on its
nearest kept ancestor. What SpiffWorkflow 3.2 reads of the past, and so what is kept:

* every unfinished task (predicted, future, waiting, ready, started): the work still to do;
* the ``KEEP_ABOVE`` ancestors of each, and the children of those and of the unfinished tasks:
  a boundary-event join finds its split two levels up and reads the split's children (the
  activity and its boundary events), a multi-instance task reads its finished instances, a task
  inherits its data from its parent, and ``engine.steps`` reads a ready task's sibling timers;
* finished instances of a converging gateway (parallel, inclusive, the process's end join) that
  are not ancestors of unfinished work, with their parents: such a join counts the branches
  that have arrived by those instances (cancelled when a later branch arrives) and merges the
  data of their parents. The instances on the path to the unfinished work are skipped by
  SpiffWorkflow and may go; arrivals a firing has consumed are forgotten at every step
  (``_forget_consumed_arrivals``). Joins with a split, such as the one after an activity with
  boundary events, look only at their split, which the rule above keeps;
* for each unfinished converging gateway, its nearest ancestor that ran each of its inputs: a
  parallel gateway in a loop stops waiting for an input it finds among the ancestors of its
  next round (for the gateway that opens a loop, the start event at the top of the tree);
* the workflow's ``last_task`` (a sub-process hands its data back when it ends) and the root.

Data objects and workflow data live on the workflow, not in the tree. A sub-process whose task
is removed had finished; it goes with it.

``tidy`` (which ``engine.steps`` calls after loading and before storing) compacts a tree deeper
than ``COMPACT_DEPTH``: a small tree keeps its whole history, and a looping instance stays as
small as a new one, so each of its steps loads and stores less (a review round of two steps cost
17 ms of CPU with compaction past depth 64, 8 ms past 16). One run between two wait states is
bounded by ``engine.steps.MAX_ENGINE_STEPS``, and ``check_depth`` turns a tree that still
reached SpiffWorkflow's limit into a failed step instead of a wrong result.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.errors import EngineError

KEEP_ABOVE = 8  # finished ancestors kept above each unfinished task
COMPACT_DEPTH = 2 * KEEP_ABOVE  # compact a tree deeper than this
# SpiffWorkflow's TaskIterator does not look below depth 1,000, and ancestor checks recurse once
# per level; below this, with room for the caller's own stack.
MAX_DEPTH = 900


def tidy(workflow: BpmnWorkflow) -> int:
    """What ``engine.steps`` does to every workflow it loads or stores: forget the join arrivals a
    join has consumed, and compact each tree (its own, its sub-processes') deeper than
    ``COMPACT_DEPTH``. Returns the number of tasks removed."""
    removed = 0
    for each in _trees(workflow):
        removed += _forget_consumed_arrivals(each)
        if depth(each) > COMPACT_DEPTH:
            removed += _compact(each)
    if removed:
        _drop_orphan_subprocesses(workflow)
    return removed


def check_depth(workflow: BpmnWorkflow) -> None:
    """Raise ``EngineError("task_tree_too_deep")`` if a tree reached what SpiffWorkflow can walk."""
    if sum(len(each.tasks) for each in _trees(workflow)) <= MAX_DEPTH:
        return  # no task is deeper than the number of tasks: no walk (this runs at every step)
    deepest = _deepest(workflow)
    if deepest > MAX_DEPTH:
        raise EngineError("task_tree_too_deep", depth=deepest, limit=MAX_DEPTH)


def depth(workflow: Any) -> int:
    """The depth of the deepest task of one tree (its root is at 0)."""
    return max(_levels(workflow).values(), default=0)


def _levels(workflow: Any) -> dict[UUID, int]:
    """Each task's depth in its tree, found without recursion."""
    tasks: dict[UUID, Task] = workflow.tasks
    levels: dict[UUID, int] = {}
    for task in tasks.values():
        chain: list[UUID] = []
        current: Task | None = task
        while current is not None and current.id not in levels:
            chain.append(current.id)
            current = tasks.get(current._parent) if current._parent is not None else None
        level = levels[current.id] if current is not None else -1
        for task_id in reversed(chain):
            level += 1
            levels[task_id] = level
    return levels


def _deepest(workflow: BpmnWorkflow) -> int:
    """The depth SpiffWorkflow's iterator reaches: a sub-process's tree counts from below its task."""
    trees = _trees(workflow)
    levels: dict[UUID, int] = {}
    owner: dict[UUID, Any] = {}
    for each in trees:
        levels.update(_levels(each))
        owner.update(dict.fromkeys(each.tasks, each))

    def offset(tree: Any) -> int:
        parent_task = getattr(tree, "parent_task_id", None)
        if tree is workflow or parent_task not in owner:
            return 0
        return offset(owner[parent_task]) + levels[parent_task] + 1

    return max(offset(each) + max((levels[t] for t in each.tasks), default=0) for each in trees)


def _trees(workflow: BpmnWorkflow) -> list[Any]:
    return [workflow, *workflow.subprocesses.values()]


def _compact(workflow: Any) -> int:
    tasks: dict[UUID, Task] = workflow.tasks
    keep = _needed(workflow)
    # Depth first from the root, carrying the nearest kept ancestor: each kept task is hung on it,
    # in the order the children had (the order the engine runs ready tasks in).
    children: dict[UUID, list[UUID]] = {task_id: [] for task_id in keep}
    stack: list[tuple[UUID, UUID | None]] = [(workflow.task_tree.id, None)]
    while stack:
        task_id, kept_above = stack.pop()
        task = tasks[task_id]
        if task_id in keep:
            if kept_above is not None:
                children[kept_above].append(task_id)
            task._parent = kept_above
            kept_above = task_id
        stack.extend((child, kept_above) for child in reversed(task._children) if child in tasks)
    for task_id, kept_children in children.items():
        tasks[task_id]._children = kept_children
    removed = [task_id for task_id in tasks if task_id not in keep]
    for task_id in removed:
        del tasks[task_id]
    return len(removed)


def _needed(workflow: Any) -> set[UUID]:
    """The ids of the tasks a later step may read (see the module's docstring)."""
    tasks: dict[UUID, Task] = workflow.tasks
    unfinished = [task for task in tasks.values() if not task.has_state(TaskState.FINISHED_MASK)]
    near: set[UUID] = set()
    for task in unfinished:
        current: Task | None = task
        for _ in range(KEEP_ABOVE + 1):
            if current is None or current.id in near:
                break
            near.add(current.id)
            current = current.parent
    keep = set(near)
    for task_id in near:
        keep.update(tasks[task_id]._children)
    keep.update(_arrived_branches(tasks.values(), _ancestors(unfinished)))
    for task in unfinished:
        if isinstance(task.task_spec, UnstructuredJoin):
            keep.update(_nearest_inputs(task))
    keep.add(workflow.task_tree.id)
    if workflow.last_task is not None:
        keep.add(workflow.last_task.id)
    return keep & tasks.keys()


def _ancestors(unfinished: list[Task]) -> set[UUID]:
    """Every task on the path from the root to some unfinished task (each walked once)."""
    seen: set[UUID] = set()
    for task in unfinished:
        current = task.parent
        while current is not None and current.id not in seen:
            seen.add(current.id)
            current = current.parent
    return seen


def _arrived_branches(tasks: Iterable[Task], on_live_path: set[UUID]) -> set[UUID]:
    """Finished join instances off the path to the unfinished work, with their parents."""
    found: set[UUID] = set()
    for task in tasks:
        if (
            isinstance(task.task_spec, UnstructuredJoin)
            and task.has_state(TaskState.FINISHED_MASK)
            and task.id not in on_live_path
        ):
            found.add(task.id)
            if task._parent is not None:
                found.add(task._parent)
    return found


def _forget_consumed_arrivals(workflow: Any) -> int:
    """Remove the arrivals at a converging gateway that a firing of it has consumed.

    When a branch reaches a parallel join before the others, SpiffWorkflow marks its join task
    WAITING, cancels it when the next branch arrives, and counts that cancelled task as "this
    branch has arrived" for as long as it stays in the tree: in a loop, the second round's join
    then fired as soon as one branch arrived, counting the first round's arrivals (SpiffWorkflow
    3.2, as upstream still is). A cancelled instance that some completed (fired) instance of the
    same join is neither an ancestor nor a descendant of was consumed by that firing (in another
    branch of the same round); the arrivals of the round under way descend from every earlier
    firing. The consumed ones go; the join already merged their data when it fired."""
    arrivals: dict[Any, list[Task]] = {}
    for task in workflow.tasks.values():
        if isinstance(task.task_spec, UnstructuredJoin):
            arrivals.setdefault(task.task_spec, []).append(task)
    removed = 0
    for instances in arrivals.values():
        fired = [task for task in instances if task.state == TaskState.COMPLETED]
        if not fired:
            continue
        fired_lines = {task.id: _line(task) for task in fired}
        for task in instances:
            if task.state != TaskState.CANCELLED or task.id not in workflow.tasks:
                continue
            line = _line(task)
            if any(j.id not in line and task.id not in fired_lines[j.id] for j in fired):
                workflow._remove_task(task.id)
                removed += 1
    return removed


def _line(task: Task) -> set[UUID]:
    """The ids of ``task`` and its ancestors."""
    found = set()
    current: Task | None = task
    while current is not None:
        found.add(current.id)
        current = current.parent
    return found


def _nearest_inputs(join: Task) -> set[UUID]:
    """For each input of a converging gateway, the nearest ancestor of ``join`` that ran it."""
    wanted = set(join.task_spec.inputs)
    found: set[UUID] = set()
    current = join.parent
    while current is not None and wanted:
        if current.task_spec in wanted:
            wanted.discard(current.task_spec)
            found.add(current.id)
        current = current.parent
    return found


def _drop_orphan_subprocesses(workflow: BpmnWorkflow) -> None:
    """Forget the sub-processes whose task was compacted away (and theirs, in turn)."""
    while True:
        present = {task_id for each in _trees(workflow) for task_id in each.tasks}
        orphans = [task_id for task_id in workflow.subprocesses if task_id not in present]
        if not orphans:
            return
        for task_id in orphans:
            del workflow.subprocesses[task_id]
