"""Workflow state <-> bytes, without the process spec.

SpiffWorkflow's serializer writes the whole spec into every workflow; with one small workflow per
unit that would repeat the same spec tens of thousands of times. We store only the task tree and
data, and rebuild the workflow around the spec parsed once per definition version (engine.bpmn).
The stored blob is zlib-compressed JSON and carries ``SERIALIZER_VERSION``. Plain JSON is
written by orjson (``_json_bytes``) and every blob is read by the standard library, which keeps
integers of any size exact where orjson would read a float.

The task trees (the top workflow's and each sub-process's) are written and read by
``engine.state_fast``, the same JSON as SpiffWorkflow's ``TaskConverter`` without its generic
registry walk; everything else goes through SpiffWorkflow's converters.
"""

from __future__ import annotations

import json
import zlib
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_FORMAT
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow

from engine.state_fast import TaskMappingCodec, writes_as_json
from engine.timers_spiff import CLOCKED

SERIALIZER_VERSION = f"spiff-{SPIFF_FORMAT}/giaoviec-1"


def _workflow_dict(converter: _SpeclessWorkflowConverter | _SubWorkflowConverter, workflow: Any) -> dict[str, Any]:
    """``WorkflowConverter.to_dict``, its task mapping written by ``engine.state_fast``."""
    tasks = converter.task_codec
    return {
        "data": tasks.convert(converter.registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": tasks.to_dict(workflow.tasks),
        "root": str(workflow.task_tree.id),
    }


def _restore_tasks(converter: _SpeclessWorkflowConverter | _SubWorkflowConverter, workflow: Any, dct: dict[str, Any]) -> None:
    """``mapping_from_dict(dct["tasks"])`` and what follows it in SpiffWorkflow's ``from_dict``."""
    workflow.tasks = converter.task_codec.from_dict(dct["tasks"], workflow)
    workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
    converter.set_default_attributes(workflow, dct)


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def __init__(self, target_class: Any, registry: Any, typename: str | None = None) -> None:
        super().__init__(target_class, registry, typename)
        self.task_codec = TaskMappingCodec(registry)

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = _workflow_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        _restore_tasks(self, workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _SubWorkflowConverter(BpmnSubWorkflowConverter):
    """A call activity's or embedded sub-process's workflow, its tasks as the top workflow's."""

    def __init__(self, target_class: Any, registry: Any, typename: str | None = None) -> None:
        super().__init__(target_class, registry, typename)
        self.task_codec = TaskMappingCodec(registry)

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = _workflow_dict(self, workflow)
        dct["parent_task_id"] = str(workflow.parent_task_id)
        dct["spec"] = workflow.spec.name
        return dct

    def from_dict(self, dct: dict[str, Any], task: Any, top_workflow: BpmnWorkflow) -> Any:
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        _restore_tasks(self, subprocess, dct)
        return subprocess


def _registry() -> Any:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    config[BpmnSubWorkflow] = _SubWorkflowConverter
    for clocked in CLOCKED.values():
        config[clocked] = TimerConditionalEventDefinitionConverter
    return BpmnWorkflowSerializer.configure(config)


# orjson is used only where it writes what the standard library writes: JSON scalars (finite
# floats: orjson writes NaN as null), lists and dicts of them (``state_fast.writes_as_json``).
# Anything else (a UUID or an enum orjson would write as a string where the standard library
# refuses it, a NaN that entered before data was checked) is written, or refused, by the standard
# library as before.


def _json_bytes(dct: dict[str, Any]) -> bytes:
    """``json.dumps(dct, separators=(",", ":"), ensure_ascii=False).encode()``, by orjson when it
    writes the same (16 + 5 µs for a school's state instead of 80, at every step): the same bytes
    but for a float's exponent (``1e-07`` becomes ``1e-7``), which reads back the same. What orjson
    refuses besides (an integer beyond 64 bits, a key that is not a string) goes the old way too."""
    if writes_as_json(dct):
        try:
            return orjson.dumps(dct)
        except TypeError:
            pass
    # No cycle check (a tenth of the encoding): data is checked acyclic where it enters
    # (engine.data_limits); a cycle would still fail here, as RecursionError.
    return json.dumps(dct, separators=(",", ":"), ensure_ascii=False, check_circular=False).encode()


class StateCodec:
    def __init__(self) -> None:
        self._registry = _registry()

    def dump(self, workflow: BpmnWorkflow) -> bytes:
        dct = self._registry.convert(workflow)
        dct["serializer_version"] = SERIALIZER_VERSION
        return zlib.compress(_json_bytes(dct), 1)

    def load(self, blob: bytes, spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
        dct = json.loads(zlib.decompress(blob))
        version = dct.pop("serializer_version", None)
        if version != SERIALIZER_VERSION:
            raise ValueError(f"state written by serializer {version!r}, this engine reads {SERIALIZER_VERSION!r}")
        converter = self._registry.convert_from_dict[self._registry.typenames[BpmnWorkflow]]
        workflow = converter(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = script_engine
        return workflow
