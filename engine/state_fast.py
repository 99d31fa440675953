"""A workflow's task mapping <-> the dicts SpiffWorkflow's ``TaskConverter`` writes, without the
generic registry walk.

SpiffWorkflow's registry looks up a type name and runs an ``isinstance`` chain for every value it
meets: every task dict, every UUID, every data value. That walk was a quarter of a completion's
CPU (issue 15). The task mapping has one fixed shape, so it is written and read here directly;
the dicts are the same, key for key and in the same order, as ``TaskConverter.to_dict`` writes
(SpiffWorkflow 3.2, ``bpmn/serializer/default/workflow.py``), and the same tasks come back from
them. Only values that are plain JSON skip the registry: anything else (a datetime, a timer's
internal data, a dict carrying a ``typename``) still goes through it, exactly as before.
"""

from __future__ import annotations

import math
from copy import copy
from functools import cached_property
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.data_limits import MAX_DEPTH

_SCALARS = frozenset({str, int, float, bool, type(None)})
_EXACT_SCALARS = _SCALARS - {float}
# Deeper than data may be (a mapping of variables, each nested up to MAX_DEPTH): such a value,
# stored before data was bounded, takes the registry's path, which fails on a very deep one as
# it always did (RecursionError: the instance's incident, not a state read differently).
_DEEPEST = MAX_DEPTH + 2


def writes_as_is(value: Any) -> bool:
    """True if the registry's ``convert`` would return ``value`` unchanged in meaning: JSON
    scalars, and lists and dicts of them (exact types: a subclass may be registered)."""
    return _plain(value, 0, reading=False)


def reads_as_is(value: Any) -> bool:
    """True if the registry's ``restore`` would rebuild ``value`` unchanged: JSON with no dict
    carrying a ``typename`` (the registry's mark of an object it wrote)."""
    return _plain(value, 0, reading=True)


def writes_as_json(value: Any) -> bool:
    """True if ``value`` is JSON that any encoder writes alike: as ``writes_as_is``, with finite
    floats only (orjson writes NaN as null where the standard library writes NaN)."""
    return _plain(value, 0, reading=False, finite=True)


def _plain(value: Any, depth: int, *, reading: bool, finite: bool = False) -> bool:
    kind = type(value)
    if kind is dict:
        if reading and "typename" in value:
            return False
        items: Any = value.values()
    elif kind is list:
        items = value
    elif kind is float:
        return not finite or math.isfinite(value)
    else:
        return kind in _SCALARS
    if depth > _DEEPEST:
        return False
    skipped = _EXACT_SCALARS if finite else _SCALARS  # a float's own check, only when it matters
    # A loop, not all(generator): most values are small, and this runs for each of them.
    for item in items:  # noqa: SIM110
        if type(item) not in skipped and not _plain(item, depth + 1, reading=reading, finite=finite):
            return False
    return True


class TaskMappingCodec:
    """``workflow.tasks`` <-> ``{str(id): task dict}``, for the registry the rest goes through."""

    def __init__(self, registry: Any) -> None:
        self._registry = registry

    @cached_property
    def _typename(self) -> str:
        # Read at first use: the registry learns Task after the workflow converters are made.
        return self._registry.typenames[Task]

    def convert(self, value: Any) -> Any:
        """``registry.convert(value)``, skipped when it would change nothing."""
        return value if not value and type(value) is dict or writes_as_is(value) else self._registry.convert(value)

    def restore(self, value: Any) -> Any:
        """``registry.restore(value)``, skipped when it would rebuild the same JSON. The decoded
        JSON is used as is: nothing else holds it, so no task shares it where the registry's
        fresh copy would not have been shared either."""
        # ``not value``: an empty dict or list, the common case, restores to an equal empty one.
        return value if not value or reads_as_is(value) else self._registry.restore(value)

    # --- writing ---------------------------------------------------------------------------

    def to_dict(self, tasks: dict[UUID, Task]) -> dict[str, Any]:
        # Each id is written up to four times (key, id, a parent's child, a child's parent):
        # format it once. Looked up by identity: hashing a UUID runs Python code, and a task's
        # id, its parent's and its children's are the very objects the mapping's keys are (an
        # equal id that is another object is formatted again: the same text).
        names = {id(key): str(key) for key in tasks}
        by_id = {id(key): task for key, task in tasks.items()}
        return {names[id(key)]: self._task_to_dict(task, tasks, names, by_id) for key, task in tasks.items()}

    def _task_to_dict(self, task: Task, tasks: dict[UUID, Task], names: dict[int, str], by_id: dict[int, Task]) -> dict[str, Any]:
        parent = _parent(task._parent, tasks, by_id)
        if parent is None:
            data, delta = task.data, {}
        else:
            data, delta = {}, _delta(parent.data, task.data)
        return {
            "id": names.get(id(task.id)) or str(task.id),
            "parent": names.get(id(task._parent)) or str(task._parent) if parent is not None else None,
            "children": [names.get(id(child)) or str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.convert(task.internal_data),
            "data": data,
            "delta": delta,
            "typename": self._typename,
        }

    # --- reading ---------------------------------------------------------------------------

    def from_dict(self, mapping: dict[str, Any], workflow: Any) -> dict[UUID, Task]:
        """The tasks of ``workflow`` (its ``tasks`` is filled as they are built, as SpiffWorkflow
        does: a task finds its parent's data there, so a parent listed after its child leaves
        the child the data it stored, as before)."""
        ids, containers = _Ids(), _Containers()
        tasks: dict[UUID, Task] = {}
        for key, dct in mapping.items():
            if type(dct) is dict and dct.get("typename") == self._typename:
                task = self._task_from_dict(dct, workflow, ids, containers)
            else:  # not what TaskConverter writes: let the registry say what it is
                task = self._registry.restore(dct, workflow=workflow)
            tasks[ids[key]] = task
        return tasks

    def _task_from_dict(self, dct: dict[str, Any], workflow: Any, ids: _Ids, containers: _Containers) -> Task:
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = Task(workflow, task_spec, state=dct["state"], id=ids[dct["id"]])
        parent_id = dct["parent"]
        task._parent = ids[parent_id] if parent_id is not None else None
        task._children = [ids[child] for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self.restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            workflow.top_workflow.event_manager.add_task(task)
        task.data = self._data(dct, workflow.tasks.get(task._parent), containers)
        return task

    def _data(self, dct: dict[str, Any], parent: Task | None, containers: _Containers) -> dict[str, Any]:
        """The task's data: its parent's with the stored changes, as ``TaskConverter.from_dict``
        builds it (``DeepMerge.merge({}, parent.data)`` copies each top-level dict, list or set
        one level deep: the levels below stay shared with the parent, there as here)."""
        delta = dct.get("delta")
        if not delta or parent is None:
            return self.restore(dct["data"])
        inherited = parent.data
        data = inherited.copy()
        keys = containers.of(inherited)
        for key in keys:
            data[key] = _shallow_copy(data[key])
        updates, deletions = delta.get("updates", {}), delta.get("deletions", {})
        if updates:
            data.update(self.restore(updates))
        for key in deletions:
            if key in data:
                del data[key]
        containers.remember(data, keys if not updates and not deletions else None)
        return data


class _Containers(dict[int, tuple[dict[str, Any], tuple[str, ...]]]):
    """For each task's data built in one load: its keys whose values are not scalars. A child
    inherits its parent's data, copying those values: most tasks change nothing, so the keys
    are passed down rather than each task's values tested again."""

    def of(self, data: dict[str, Any]) -> tuple[str, ...]:
        found = self.get(id(data))
        if found is not None and found[0] is data:  # the very dict, not one at a freed address
            return found[1]
        return self.remember(data, None)

    def remember(self, data: dict[str, Any], keys: tuple[str, ...] | None) -> tuple[str, ...]:
        if keys is None:
            keys = tuple(key for key, value in data.items() if type(value) not in _SCALARS)
        self[id(data)] = (data, keys)
        return keys


def _delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``DeepMerge.get_updated_keys`` / ``get_deleted_keys``, the values stored raw as there."""
    return {
        "updates": {key: after[key] for key in after if key not in before or after[key] != before[key]},
        # The set comparison runs in C and is exact: no key of before is missing from after.
        "deletions": [] if before.keys() <= after.keys() else [key for key in before if key not in after],
    }


def _shallow_copy(value: Any) -> Any:
    kind = type(value)
    if kind is dict or kind is list:
        return value.copy()
    return copy(value) if isinstance(value, (dict, list, set)) else value


def _parent(parent_id: UUID | None, tasks: dict[UUID, Task], by_id: dict[int, Task]) -> Task | None:
    """``task.parent``: ``tasks.get(task._parent)``, first by identity (see ``to_dict``)."""
    if parent_id is None:
        return None
    found = by_id.get(id(parent_id))
    return found if found is not None else tasks.get(parent_id)


class _Ids(dict[str, UUID]):
    """``UUID(text)`` parsed once per load: each id appears up to four times."""

    def __missing__(self, text: str) -> UUID:
        found = self[text] = UUID(text)
        return found
