"""The state codec's own task-tree path (``engine.state_fast``) against SpiffWorkflow's generic
serializer, which wrote every state stored before it: the same JSON out, the same workflow
back, the same sharing of data between tasks. Every library process and the engine tests'
sample processes are walked step by step (a task completed with form-shaped data, now and then
the timers fired far ahead), each step through the stored bytes as ``engine.steps`` does.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState

from engine import Instance, StepFailed, steps
from engine.bpmn import ProcessBundle, reparse
from engine.sandbox import SandboxEnvironment, default_sandbox
from engine.state import SERIALIZER_VERSION, StateCodec
from engine.timers_spiff import CLOCKED
from tests.engine import bpmn_samples
from tests.fixtures.plugin import T0
from workflows.roles import role_catalog

# --- the reference: SpiffWorkflow's generic registry, as engine/state.py used it before ---------


class _GenericSpeclessConverter(BpmnWorkflowConverter):
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


class GenericCodec:
    """The codec before ``engine.state_fast``: every value through the registry."""

    def __init__(self) -> None:
        config = dict(DEFAULT_CONFIG)
        config[BpmnWorkflow] = _GenericSpeclessConverter
        for clocked in CLOCKED.values():
            config[clocked] = TimerConditionalEventDefinitionConverter
        self._registry = BpmnWorkflowSerializer.configure(config)

    def dump(self, workflow: BpmnWorkflow) -> bytes:
        dct = self._registry.convert(workflow)
        dct["serializer_version"] = SERIALIZER_VERSION
        return zlib.compress(json.dumps(dct, separators=(",", ":"), ensure_ascii=False).encode(), 1)

    def load(self, blob: bytes, spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
        dct = json.loads(zlib.decompress(blob))
        assert dct.pop("serializer_version") == SERIALIZER_VERSION
        converter = self._registry.convert_from_dict[self._registry.typenames[BpmnWorkflow]]
        workflow = converter(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = script_engine
        return workflow


FAST, GENERIC = StateCodec(), GenericCodec()


def _text(blob: bytes) -> str:
    return zlib.decompress(blob).decode()


def _shape(workflow: BpmnWorkflow) -> list[Any]:
    """Everything a load rebuilds, comparable across two loads of the same bytes."""
    out: list[Any] = []
    for each in steps.all_workflows(workflow):
        out.append((type(each), each.spec.name, str(each.task_tree.id), each.data, each.success, each.completed, each.correlations,
                    each.last_task.id if each.last_task is not None else None))  # fmt: skip
        for key, task in each.tasks.items():
            out.append((key, type(task), task.id, task._parent, task._children, task._state, task.task_spec, task.triggered,
                        task.last_state_change, task.thread_id, task.data, task.internal_data, task.workflow is each))  # fmt: skip
    out.append(sorted(str(key) for key in workflow.event_manager.tasks))
    out.append(sorted(str(key) for key in workflow.subprocesses))
    return out


def _sharing(workflow: BpmnWorkflow) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """For each dict or list in the tasks' data and internal data: the first place where the same
    object appears. Equal for two loads when they share the same values between tasks."""
    seen: dict[int, tuple[Any, ...]] = {}
    out: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = []

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        if isinstance(value, dict | list):
            first = seen.setdefault(id(value), path)
            out.append((path, first))
            if first == path:
                for key, item in value.items() if isinstance(value, dict) else enumerate(value):
                    walk(item, (*path, key))

    for n, each in enumerate(steps.all_workflows(workflow)):
        walk(each.data, (n, "workflow"))
        for key, task in each.tasks.items():
            walk(task.data, (n, str(key), "data"))
            walk(task.internal_data, (n, str(key), "internal"))
    return out


def assert_same_as_generic(workflow: BpmnWorkflow, bundle: ProcessBundle, script_engine: Any) -> bytes:
    """The fast dump is the generic dump, character for character; both codecs load those
    bytes into the same workflow, sharing the same values; and each load dumps them again."""
    blob = FAST.dump(workflow)
    assert _text(blob) == _text(GENERIC.dump(workflow))
    fast = FAST.load(blob, bundle.spec, bundle.subprocess_specs, script_engine)
    generic = GENERIC.load(blob, bundle.spec, bundle.subprocess_specs, script_engine)
    assert _shape(fast) == _shape(generic)
    assert _sharing(fast) == _sharing(generic)
    assert _text(GENERIC.dump(fast)) == _text(blob) == _text(FAST.dump(generic))
    return blob


# --- walking every process ------------------------------------------------------------------

_VALUES: dict[str, Callable[[int], Any]] = {
    "text": lambda n: f"nội dung {n}",
    "textarea": lambda n: f"ghi chú {n}\ndòng hai",
    "integer": lambda n: n,
    "decimal": lambda n: f"{n}.5",
    "boolean": lambda n: n % 2 == 0,
    "date": lambda n: "2026-06-24",
    "datetime": lambda n: "2026-06-24T10:00:00+07:00",
    "list": lambda n: [f"mục {n}", {"con": [n, None]}],
    "object": lambda n: {"lồng": {"sâu": [n, {"nữa": True}]}, "danh_sach": [1.5, "x"]},
}


def _form_data(bundle: ProcessBundle, element_id: str, round_: int) -> dict[str, Any]:
    """A value for each field of the task's form: choices in turn, so walks take other branches
    (and the flags the sample processes' loops test: round again, then out)."""
    data: dict[str, Any] = {"xong": round_ >= 10, "het": round_ >= 20}
    for field in bundle.form(element_id).fields:
        if field.values:
            data[field.name] = field.values[round_ % len(field.values)]
        else:
            data[field.name] = _VALUES.get(field.type, _VALUES["object"])(round_)
    return data


class Walk:
    """One instance driven as ``engine.steps`` drives it, without a database, each step checked."""

    def __init__(self, xml: bytes, key: str, data: dict[str, Any]) -> None:
        sandbox = default_sandbox()
        self.bundle = reparse(xml, role_catalog(), sandbox, key)
        self.script_engine = PythonScriptEngine(environment=SandboxEnvironment(sandbox))
        self.uow: Any = SimpleNamespace(engine=SimpleNamespace(codec=FAST, script_engine=self.script_engine), now=T0)
        self.instance = Instance(id=uuid.uuid4())
        self.steps = 0
        self._run(steps.new_workflow(self.uow, self.bundle, data), None, T0)

    def ready(self, workflow: BpmnWorkflow) -> list[Any]:
        return sorted(steps.tasks_in(workflow, state=TaskState.READY, manual=True), key=lambda t: t.task_spec.bpmn_id)

    def step(self, round_: int) -> bool:
        """Complete one ready task (or fire the timers far ahead, every fourth round); False when
        there is nothing left to do or the process refused the data."""
        workflow = steps.load(self.uow, self.instance, self.bundle)
        now = T0 + timedelta(days=3 * round_)
        ready = self.ready(workflow)
        if round_ % 4 == 3 or not ready:
            action = workflow.refresh_timers
        else:
            task = ready[round_ % len(ready)]

            def action() -> None:
                task.data.update(_form_data(self.bundle, task.task_spec.bpmn_id, round_))
                task.run()

        try:
            self._run(workflow, action, now)
        except StepFailed:
            return False
        return not workflow.is_completed()

    def _run(self, workflow: BpmnWorkflow, action: Any, now: datetime) -> None:
        steps.run(self.uow, self.instance, workflow, {"kind": "test"}, action, now=now)
        self.instance.state = assert_same_as_generic(workflow, self.bundle, self.script_engine)
        self.steps += 1


def _library() -> Iterator[Any]:
    start = {"tieu_de": "Việc thử", "han_xu_ly": "2026-06-24T00:00:00+07:00", "don_vi_giao": "HP.VP", "don_vi_chu_tri": "HP.VP"}
    for path in sorted(bpmn_samples.LIBRARY.glob("*.bpmn")):
        yield pytest.param(path.read_bytes(), path.stem, start, id=path.stem)
    yield pytest.param(bpmn_samples.giao_nhiem_vu(), "giao_nhiem_vu", start, id="sample-giao_nhiem_vu")
    for make, key in ((bpmn_samples.review_loop, "review"), (bpmn_samples.parallel_review_loop, "parallel_review"),
                      (bpmn_samples.loop_beside_a_waiting_branch, "loop_beside"), (bpmn_samples.subprocess_loops, "sub_loops"),
                      (bpmn_samples.timer_then_task, "t")):  # fmt: skip
        yield pytest.param(make(), key, {"x": [1, {"y": "z"}]}, id=f"sample-{key}")
    yield pytest.param(bpmn_samples.user_task_chain(fields={"y": "integer"}), "p", {"x": {"a": [1]}}, id="sample-chain")


@pytest.mark.parametrize(("xml", "key", "data"), list(_library()))
def test_every_process_step_by_step_stores_and_loads_as_spiffworkflow_does(xml, key, data):
    walk = Walk(xml, key, data)
    for round_ in range(40):
        if not walk.step(round_):
            break
    assert walk.steps >= 3  # each process got somewhere


def test_a_sub_process_round_trips_with_its_own_tasks():
    walk = Walk(bpmn_samples.subprocess_loops(), "sub_loops", {})
    for round_ in range(40):
        workflow = FAST.load(walk.instance.state, walk.bundle.spec, walk.bundle.subprocess_specs, walk.script_engine)
        if workflow.subprocesses or not walk.step(round_):
            break
    workflow = FAST.load(walk.instance.state, walk.bundle.spec, walk.bundle.subprocess_specs, walk.script_engine)
    assert workflow.subprocesses  # the walk reached a running sub-process, checked at every step


# --- values of every kind ---------------------------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_keys = st.sampled_from(["a", "b", "typename", "value", "nội_dung"]) | st.text(max_size=4)
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3), max_leaves=12)
_typed = st.builds(lambda text: {"typename": "UUID", "value": text}, st.uuids().map(str)) | st.just({"typename": "Nope"})
_foreign = (
    st.datetimes() | st.builds(timedelta, seconds=st.integers(0, 10**6)) | st.uuids() | st.builds(Decimal, st.integers())
    | st.tuples(_scalars, _scalars) | st.frozensets(st.integers(), max_size=2) | st.builds(lambda: len)
)  # fmt: skip
_value = st.recursive(_scalars | _typed | _foreign, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3), max_leaves=10)


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        return ("ok", call())
    except Exception as exc:  # noqa: BLE001 — what matters is that both codecs fail alike
        return ("error", type(exc))


def _chain() -> tuple[ProcessBundle, Any, BpmnWorkflow]:
    walk = Walk(bpmn_samples.user_task_chain(names=("a", "b", "c")), "p", {"x": [1, {"y": "z"}]})
    walk.step(0)
    return walk.bundle, walk.script_engine, FAST.load(walk.instance.state, walk.bundle.spec, walk.bundle.subprocess_specs, walk.script_engine)


def _place(workflow: BpmnWorkflow, where: str, name: Any, value: Any) -> None:
    ready = next(iter(workflow.get_tasks(state=TaskState.READY)))
    target = {"task data": ready.data, "parent data": ready.parent.data, "internal data": ready.internal_data, "workflow data": workflow.data}
    target[where][name] = value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(["task data", "parent data", "internal data", "workflow data"]), name=_keys, value=_json, also=_json)
def test_json_values_anywhere_store_and_load_as_spiffworkflow_does(where, name, value, also):
    bundle, script_engine, workflow = _chain()
    _place(workflow, where, name, value)
    _place(workflow, "task data", "also", also)  # and one more, so a task's delta has several keys
    blob = FAST.dump(workflow)
    assert _same(json.loads(_text(blob)), json.loads(_text(GENERIC.dump(workflow))))
    fast = _outcome(lambda: _shape(FAST.load(blob, bundle.spec, bundle.subprocess_specs, script_engine)))
    generic = _outcome(lambda: _shape(GENERIC.load(blob, bundle.spec, bundle.subprocess_specs, script_engine)))
    assert _same(fast, generic)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(["task data", "parent data", "internal data", "workflow data"]), name=_keys, value=_value)
def test_any_value_anywhere_is_stored_or_refused_as_spiffworkflow_does(where, name, value):
    bundle, script_engine, workflow = _chain()
    _place(workflow, where, name, value)
    fast_dump, generic_dump = _outcome(lambda: _text(FAST.dump(workflow))), _outcome(lambda: _text(GENERIC.dump(workflow)))
    assert fast_dump[0] == generic_dump[0]
    if fast_dump[0] == "ok":
        assert _same(json.loads(fast_dump[1]), json.loads(generic_dump[1]))
        blob = zlib.compress(fast_dump[1].encode(), 1)
        fast = _outcome(lambda: _shape(FAST.load(blob, bundle.spec, bundle.subprocess_specs, script_engine)))
        generic = _outcome(lambda: _shape(GENERIC.load(blob, bundle.spec, bundle.subprocess_specs, script_engine)))
        assert _same(fast, generic)


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN (a NaN stored loads as another NaN object on each side)."""
    return json.dumps(a, default=repr, sort_keys=False) == json.dumps(b, default=repr, sort_keys=False)


# --- states already stored --------------------------------------------------------------------


def test_a_state_the_generic_codec_wrote_loads_with_the_fast_codec_and_runs_on():
    walk = Walk((bpmn_samples.LIBRARY / "phoi_hop.bpmn").read_bytes(), "phoi_hop", {"tieu_de": "t"})
    walk.step(0)
    workflow = FAST.load(walk.instance.state, walk.bundle.spec, walk.bundle.subprocess_specs, walk.script_engine)
    walk.instance.state = GENERIC.dump(workflow)  # as a database written before this codec holds it
    loaded = FAST.load(walk.instance.state, walk.bundle.spec, walk.bundle.subprocess_specs, walk.script_engine)
    assert _shape(loaded) == _shape(GENERIC.load(walk.instance.state, walk.bundle.spec, walk.bundle.subprocess_specs, walk.script_engine))
    assert [t.task_spec.bpmn_id for t in walk.ready(loaded)] == ["thuc_hien"]
    assert walk.step(1)  # and the next step goes on from it


@pytest.mark.parametrize("where", ["task data", "parent data", "internal data", "workflow data"])
@pytest.mark.parametrize("depth", [30, 40, 200, 500])
def test_data_nested_deeper_than_data_may_be_fails_or_not_as_before(where, depth):
    """A state stored before data was bounded (``engine.data_limits``) holds values of any depth:
    the fast path leaves those to the registry, so a load that failed (RecursionError: an
    incident, ``test_availability``) still fails, and one that worked still works."""
    bundle, script_engine, workflow = _chain()
    _place(workflow, where, "ghi_chu", json.loads("[" * depth + "]" * depth))
    fast_dump, generic_dump = _outcome(lambda: FAST.dump(workflow)), _outcome(lambda: GENERIC.dump(workflow))
    assert fast_dump[0] == generic_dump[0]
    if fast_dump[0] == "ok":
        blob = fast_dump[1]
        fast = _outcome(lambda: _shape(FAST.load(blob, bundle.spec, bundle.subprocess_specs, script_engine)))
        generic = _outcome(lambda: _shape(GENERIC.load(blob, bundle.spec, bundle.subprocess_specs, script_engine)))
        assert fast == generic


@pytest.mark.parametrize("where", ["task data", "internal data", "workflow data"])
def test_a_cycle_in_data_is_refused_by_both(where):
    """Data is checked acyclic where it enters; a cycle that got in anyway still fails the dump
    (a RecursionError here, a ValueError in the generic codec): ``state_unwritable`` either way."""
    bundle, script_engine, workflow = _chain()
    cycle: list[Any] = []
    cycle.append(cycle)
    _place(workflow, where, "vong", cycle)
    assert _outcome(lambda: FAST.dump(workflow))[0] == _outcome(lambda: GENERIC.dump(workflow))[0] == "error"
