"""Small BPMN documents built in code, for engine tests."""

from __future__ import annotations

from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[2] / "bpmn"

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'id="defs" targetNamespace="https://giaoviec.local/test">'
)


def process(body: str, *, key: str = "p", lanes: dict[str, list[str]] | None = None, executable: bool = True) -> bytes:
    """A definitions document with one process; ``lanes`` maps lane name -> element ids."""
    lane_xml = ""
    if lanes:
        lane_xml = '<bpmn:laneSet id="ls">' + "".join(
            f'<bpmn:lane id="lane_{i}" name="{name}">' + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs) + "</bpmn:lane>"
            for i, (name, refs) in enumerate(lanes.items())
        ) + "</bpmn:laneSet>"
    flag = "true" if executable else "false"
    return (f'{HEAD}<bpmn:process id="{key}" name="Quy trình thử" isExecutable="{flag}">{lane_xml}{body}</bpmn:process></bpmn:definitions>').encode()


def user_task_chain(key: str = "p", *, script: str | None = None, names: tuple[str, ...] = ("a", "b")) -> bytes:
    """start -> user tasks ``names`` (officer lane) [-> script] -> end."""
    nodes = ['<bpmn:startEvent id="start"/>']
    nodes += [f'<bpmn:userTask id="{n}" name="Việc {n}"/>' for n in names]
    chain = ["start", *names]
    if script is not None:
        nodes.append(f'<bpmn:scriptTask id="s"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>')
        chain.append("s")
    nodes.append('<bpmn:endEvent id="end"/>')
    chain.append("end")
    flows = [f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>' for i, (a, b) in enumerate(zip(chain, chain[1:], strict=False))]
    return process("".join(nodes + flows), key=key, lanes={"Chuyên viên": list(names)})


def timer_then_task(key: str = "t", duration: str = "PT1H") -> bytes:
    """start -> intermediate timer (``duration``) -> user task -> end."""
    body = (
        '<bpmn:startEvent id="start"/>'
        f'<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>{duration}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
        '<bpmn:userTask id="after" name="Sau hẹn giờ"/><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="after"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>'
    )
    return process(body, key=key, lanes={"Chuyên viên": ["after"]})


def giao_nhiem_vu() -> bytes:
    return (Path(__file__).resolve().parent / "samples" / "giao_nhiem_vu_simple.bpmn").read_bytes()
