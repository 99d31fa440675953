"""Small BPMN documents built in code, for engine tests."""

from __future__ import annotations

from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[2] / "bpmn"

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:gv="https://giaoviec.vn/schema/bpmn/1.0" id="defs" targetNamespace="https://giaoviec.local/test">'
)


def form(**fields: str | dict[str, str]) -> str:
    """A task's ``extensionElements`` with its gv:form: field name -> type, or -> its attributes."""
    declared = []
    for name, spec in fields.items():
        attributes = {"type": spec} if isinstance(spec, str) else spec
        declared.append(f'<gv:field name="{name}" ' + " ".join(f'{k}="{v}"' for k, v in attributes.items()) + "/>")
    return "<bpmn:extensionElements><gv:form>" + "".join(declared) + "</gv:form></bpmn:extensionElements>"


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


def user_task_chain(
    key: str = "p", *, script: str | None = None, names: tuple[str, ...] = ("a", "b"), fields: dict[str, str | dict[str, str]] | None = None
) -> bytes:
    """start -> user tasks ``names`` (officer lane, each with a form of ``fields`` if given)
    [-> script] -> end."""
    nodes = ['<bpmn:startEvent id="start"/>']
    task_form = form(**fields) if fields else ""
    nodes += [f'<bpmn:userTask id="{n}" name="Việc {n}">{task_form}</bpmn:userTask>' for n in names]
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


def _flows(*edges: tuple[str, str] | tuple[str, str, str]) -> str:
    """Sequence flows ``(source, target[, condition])``, numbered in order."""
    xml = []
    for i, (source, target, *condition) in enumerate(edges):
        test = f"<bpmn:conditionExpression>{condition[0]}</bpmn:conditionExpression>" if condition else ""
        xml.append(f'<bpmn:sequenceFlow id="e{i}" sourceRef="{source}" targetRef="{target}">{test}</bpmn:sequenceFlow>')
    return "".join(xml)


def review_loop(key: str = "review") -> bytes:
    """An officer does the work (``lam``), a script counts the round (``vong``), a leader reviews
    (``duyet``): ``ket_qua == "dong_y"`` ends, anything else returns the work. ``lam`` has a
    deadline (7 days, not interrupting) whose branch notes the round it fired in (``tre_o_vong``)."""
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:scriptTask id="init"><bpmn:script>vong = 0</bpmn:script></bpmn:scriptTask>'
        '<bpmn:userTask id="lam" name="Làm"/>'
        '<bpmn:boundaryEvent id="han" attachedToRef="lam" cancelActivity="false"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>P7D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:scriptTask id="tre"><bpmn:script>tre_o_vong = vong</bpmn:script></bpmn:scriptTask>'
        '<bpmn:endEvent id="da_ghi_tre"/>'
        '<bpmn:scriptTask id="dem"><bpmn:script>vong = vong + 1</bpmn:script></bpmn:scriptTask>'
        f'<bpmn:userTask id="duyet" name="Duyệt">{form(ket_qua={"type": "choice", "values": "dong_y tra_lai", "required": "true"})}</bpmn:userTask>'
        '<bpmn:exclusiveGateway id="g" default="tra_lai"/><bpmn:endEvent id="end"/>'
        + _flows(("start", "init"), ("init", "lam"), ("lam", "dem"), ("dem", "duyet"), ("duyet", "g"),
                 ("han", "tre"), ("tre", "da_ghi_tre"), ("g", "end", 'ket_qua == "dong_y"'))
        + '<bpmn:sequenceFlow id="tra_lai" sourceRef="g" targetRef="lam"/>'
    )  # fmt: skip
    return process(body, key=key, lanes={"Chuyên viên": ["lam"], "Lãnh đạo đơn vị": ["duyet"]})


def script_loop(key: str = "script_loop") -> bytes:
    """A script loops back through a gateway ``n < limit`` times, then a user task opens."""
    body = (
        '<bpmn:startEvent id="start"/><bpmn:scriptTask id="inc"><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>'
        '<bpmn:exclusiveGateway id="g" default="out"/><bpmn:userTask id="u" name="Sau vòng lặp"/><bpmn:endEvent id="end"/>'
        + _flows(("start", "inc"), ("inc", "g"), ("g", "inc", "n &lt; limit"), ("u", "end"))
        + '<bpmn:sequenceFlow id="out" sourceRef="g" targetRef="u"/>'
    )  # fmt: skip
    return process(body, key=key, lanes={"Chuyên viên": ["u"]})


def parallel_review_loop(key: str = "parallel_review") -> bytes:
    """Two officers work in parallel (``a`` writes ``phan_a``, ``b`` writes ``phan_b``), a leader
    reviews both; anything but ``ket_qua == "dong_y"`` sends both back."""
    body = (
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="tach"/>'
        '<bpmn:userTask id="a" name="Phần A"/><bpmn:userTask id="b" name="Phần B"/>'
        '<bpmn:parallelGateway id="gop"/><bpmn:userTask id="duyet" name="Duyệt"/>'
        '<bpmn:exclusiveGateway id="g" default="tra_lai"/><bpmn:endEvent id="end"/>'
        + _flows(("start", "tach"), ("tach", "a"), ("tach", "b"), ("a", "gop"), ("b", "gop"), ("gop", "duyet"),
                 ("duyet", "g"), ("g", "end", 'ket_qua == "dong_y"'))
        + '<bpmn:sequenceFlow id="tra_lai" sourceRef="g" targetRef="tach"/>'
    )  # fmt: skip
    return process(body, key=key, lanes={"Chuyên viên": ["a", "b"], "Lãnh đạo đơn vị": ["duyet"]})


def loop_beside_a_waiting_branch(key: str = "loop_beside") -> bytes:
    """A parallel split: one branch loops (``sua`` until ``xong``), the other waits at ``cho``;
    both join before the end."""
    body = (
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="tach"/>'
        '<bpmn:userTask id="sua" name="Sửa"/><bpmn:exclusiveGateway id="g" default="lai"/>'
        '<bpmn:userTask id="cho" name="Chờ"/><bpmn:parallelGateway id="gop"/><bpmn:endEvent id="end"/>'
        + _flows(("start", "tach"), ("tach", "sua"), ("tach", "cho"), ("sua", "g"), ("g", "gop", "xong"),
                 ("cho", "gop"), ("gop", "end"))
        + '<bpmn:sequenceFlow id="lai" sourceRef="g" targetRef="sua"/>'
    )  # fmt: skip
    return process(body, key=key, lanes={"Chuyên viên": ["sua", "cho"]})


def subprocess_loops(key: str = "sub_loops") -> bytes:
    """A loop inside an embedded sub-process (``lam`` until ``xong``; ``lan`` counts the rounds),
    and a loop round that sub-process (again until ``het``); ``sau`` opens after it."""
    inner = (
        '<bpmn:subProcess id="sp"><bpmn:startEvent id="sp_start"/><bpmn:userTask id="lam" name="Làm"/>'
        '<bpmn:scriptTask id="dem"><bpmn:script>lan = lan + 1</bpmn:script></bpmn:scriptTask>'
        '<bpmn:exclusiveGateway id="sp_g" default="sp_lai"/><bpmn:endEvent id="sp_end"/>'
        + _flows(("sp_start", "lam"), ("lam", "dem"), ("dem", "sp_g"), ("sp_g", "sp_end", "xong")).replace('id="e', 'id="i')
        + '<bpmn:sequenceFlow id="sp_lai" sourceRef="sp_g" targetRef="lam"/>'
        "</bpmn:subProcess>"
    )  # fmt: skip
    body = (
        '<bpmn:startEvent id="start"/><bpmn:scriptTask id="init"><bpmn:script>lan = 0</bpmn:script></bpmn:scriptTask>' + inner
        + '<bpmn:exclusiveGateway id="g" default="lai"/><bpmn:userTask id="sau" name="Sau"/><bpmn:endEvent id="end"/>'
        + _flows(("start", "init"), ("init", "sp"), ("sp", "g"), ("g", "sau", "het"), ("sau", "end")).replace('id="e', 'id="o')
        + '<bpmn:sequenceFlow id="lai" sourceRef="g" targetRef="sp"/>'
    )  # fmt: skip
    return process(body, key=key, lanes={"Chuyên viên": ["sp", "sau"]})
