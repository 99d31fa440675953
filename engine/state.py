"""Workflow state <-> bytes, without the process spec.

SpiffWorkflow's serializer writes the whole spec into every workflow; with one small workflow per
unit that would repeat the same spec tens of thousands of times. We store only the task tree and
data, and rebuild the workflow around the spec parsed once per definition version (engine.bpmn).
The stored blob is zlib-compressed JSON and carries ``SERIALIZER_VERSION``.
"""

from __future__ import annotations

import json
import zlib
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_FORMAT
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

from engine.timers_spiff import CLOCKED

SERIALIZER_VERSION = f"spiff-{SPIFF_FORMAT}/giaoviec-1"


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry() -> Any:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    for clocked in CLOCKED.values():
        config[clocked] = TimerConditionalEventDefinitionConverter
    return BpmnWorkflowSerializer.configure(config)


class StateCodec:
    def __init__(self) -> None:
        self._registry = _registry()

    def dump(self, workflow: BpmnWorkflow) -> bytes:
        dct = self._registry.convert(workflow)
        dct["serializer_version"] = SERIALIZER_VERSION
        text = json.dumps(dct, separators=(",", ":"), ensure_ascii=False)
        return zlib.compress(text.encode(), 1)

    def load(self, blob: bytes, spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
        dct = json.loads(zlib.decompress(blob))
        version = dct.pop("serializer_version", None)
        if version != SERIALIZER_VERSION:
            raise ValueError(f"state written by serializer {version!r}, this engine reads {SERIALIZER_VERSION!r}")
        converter = self._registry.convert_from_dict[self._registry.typenames[BpmnWorkflow]]
        workflow = converter(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = script_engine
        return workflow
