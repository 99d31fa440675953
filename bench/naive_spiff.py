"""The naive alternative, measured in a process of its own so that its peak RSS is clean.

ONE SpiffWorkflow ``BpmnWorkflow`` holding a parallel multi-instance user task over N items,
stored with SpiffWorkflow's default serializer (``BpmnWorkflowSerializer``: JSON, spec included).
"Complete one" = deserialize + complete one ready task + run the engine + serialize, which is
what any store-the-whole-workflow design pays per completion (before writing the blob anywhere).

Run as ``python -m bench.naive_spiff N REPS``; prints one JSON object on the last line.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState

FAN_OUT_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_fan_out"
                  targetNamespace="https://giaoviec.local/bench">
  <bpmn:process id="fan_out" name="One workflow, N parallel units" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="unit_task" name="Unit does the task">
      <bpmn:multiInstanceLoopCharacteristics isSequential="false">
        <bpmn:loopDataInputRef>units</bpmn:loopDataInputRef>
        <bpmn:inputDataItem id="unit" name="unit"/>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="unit_task"/>
    <bpmn:sequenceFlow id="f2" sourceRef="unit_task" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def _ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 3)


def measure(n: int, reps: int) -> dict[str, object]:
    parser = BpmnParser()
    parser.add_bpmn_xml(etree.fromstring(FAN_OUT_XML), filename="fan_out.bpmn")
    spec = parser.get_spec("fan_out")
    serializer = BpmnWorkflowSerializer()

    started = time.perf_counter()
    workflow = BpmnWorkflow(spec)
    workflow.get_tasks(state=TaskState.READY)[0].data["units"] = [f"U{i:05d}" for i in range(n)]
    workflow.do_engine_steps()
    ready = len(workflow.get_tasks(state=TaskState.READY, manual=True))
    initial = serializer.serialize_json(workflow)
    create_s = time.perf_counter() - started
    json_bytes = len(initial.encode())
    del workflow

    total, load, step, dump = [], [], [], []
    for rep in range(reps):  # every repetition starts from all N branches ready
        t0 = time.perf_counter()
        workflow = serializer.deserialize_json(initial)
        t1 = time.perf_counter()
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data["done"] = rep
        task.run()
        workflow.do_engine_steps()
        t2 = time.perf_counter()
        blob = serializer.serialize_json(workflow)
        t3 = time.perf_counter()
        del workflow, blob
        total.append(t3 - t0)
        load.append(t1 - t0)
        step.append(t2 - t1)
        dump.append(t3 - t2)
    return {
        "n": n,
        "ready_tasks": ready,
        "reps": reps,
        "create_s": round(create_s, 3),
        "json_bytes": json_bytes,
        "complete_ms": _ms(total),
        "complete_p95_ms": round(sorted(total)[max(0, -(-len(total) * 95 // 100) - 1)] * 1000, 3),
        "deserialize_ms": _ms(load),
        "step_ms": _ms(step),
        "serialize_ms": _ms(dump),
        "peak_rss_mb": peak_rss_mb(),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def peak_rss_mb() -> float:
    """This process's own peak RSS (Linux ``VmHWM``).

    ``ru_maxrss`` is not clean in a child: on Linux ``exec`` folds the high-water mark of the
    address space it replaces into it, and Python's subprocess starts children with vfork, so
    a child's ``ru_maxrss`` starts at its parent's peak. ``VmHWM`` belongs to the new address space.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]), int(sys.argv[2]))))
