"""The process library (``bpmn/*.bpmn``): each file deploys, is fully drawn, and every path of
every process is walked on the engine, on SQLite and PostgreSQL.

Lanes of the *other* party ("Chuyên viên đơn vị giao", "Lãnh đạo đơn vị giao", "Chuyên viên đơn vị
cấp trên") are not yet in ``workflows.roles.LANE_ALIASES``: this module's ``pe`` uses a catalog with
the proposed aliases; the files also carry the role code as lane id (``officer`` / ``leader``), so
today's catalog (``giaoviec demo``) maps them too (``test_todays_role_catalog_maps_the_same_roles``).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import (
    FormRejected,
    FrozenClock,
    HumanTask,
    Incident,
    Instance,
    ProcessDefinition,
    ProcessEngine,
    RoleCatalog,
    Sandbox,
    StartInstance,
    Timer,
    complete_task,
    deploy,
    fire_due_timers,
    make_engine,
    read_workflow,
    start_instance,
)
from engine.bpmn import FLOW_NODES, load_bpmn
from workflows.process_contract import DECISION_VALUES, DECISIONS
from workflows.roles import LANE_ALIASES, ROLE_NAMES, role_catalog

LIBRARY = Path(__file__).resolve().parents[2] / "bpmn"
KEYS = ("giao_nhiem_vu", "phoi_hop", "bao_cao_dinh_ky", "xa_phuong_trien_khai")
VN = timezone(timedelta(hours=7))

# The lane names of the other party, as proposed for workflows.roles.LANE_ALIASES.
PARTY_LANES = {
    "officer": ("Chuyên viên đơn vị giao", "Chuyên viên đơn vị cấp trên"),
    "leader": ("Lãnh đạo đơn vị giao", "Lãnh đạo đơn vị cấp trên"),
}
# Lane name -> party: whose inbox the task belongs in (the engine's proposed rule).
PARTY_SUFFIXES = {"đơn vị giao": "giao", "đơn vị cấp trên": "cap_tren"}

# The lane (and so role and party) of every human task in the library.
OFFICER, LEADER = "Chuyên viên", "Lãnh đạo đơn vị"
DVG_OFFICER, DVG_LEADER, PARENT_OFFICER = "Chuyên viên đơn vị giao", "Lãnh đạo đơn vị giao", "Chuyên viên đơn vị cấp trên"
LANES = {
    "giao_nhiem_vu": {
        "tiep_nhan": OFFICER, "thuc_hien": OFFICER, "duyet_bao_cao": LEADER,
        "xem_xet_gia_han": DVG_OFFICER, "tham_dinh_bao_cao": DVG_OFFICER, "ky_duyet": DVG_LEADER,
    },
    "phoi_hop": {"tiep_nhan": OFFICER, "thuc_hien": OFFICER, "duyet_bao_cao": LEADER},
    "bao_cao_dinh_ky": {
        "tong_hop_truc_thuoc": OFFICER, "thuc_hien": OFFICER, "duyet_bao_cao": LEADER,
        "tham_dinh_bao_cao": PARENT_OFFICER,
    },
    "xa_phuong_trien_khai": {
        "tiep_nhan": OFFICER, "giao_cho_truong": OFFICER, "theo_doi_cac_truong": OFFICER,
        "tong_hop_bao_cao": OFFICER, "duyet_bao_cao": LEADER, "tham_dinh_bao_cao": DVG_OFFICER,
    },
}  # fmt: skip
ROLE_OF_LANE = {OFFICER: "officer", LEADER: "leader", DVG_OFFICER: "officer", DVG_LEADER: "leader", PARENT_OFFICER: "officer"}


def proposed_roles() -> RoleCatalog:
    return RoleCatalog(
        {code: (ROLE_NAMES[code][0], *aliases, *PARTY_LANES.get(code, ())) for code, aliases in LANE_ALIASES.items()}
    )


def party(lane: str | None) -> str:
    for suffix, name in PARTY_SUFFIXES.items():
        if lane and lane.endswith(suffix):
            return name
    return "thuc_hien"


def library(key: str) -> bytes:
    return (LIBRARY / f"{key}.bpmn").read_bytes()


def report(text: str) -> dict[str, Any]:
    """A draft step's form data: the report object with its result text (kết quả)."""
    return {"bao_cao": {"ket_qua": text}}


def iso(instant: datetime) -> str:
    return instant.astimezone(VN).isoformat()


@pytest.fixture
def pe(db_url: str, clock: FrozenClock) -> Iterator[ProcessEngine]:
    """The engine on a fresh database with the role catalog this library proposes."""
    db = make_engine(db_url)
    yield ProcessEngine(db, clock=clock, roles=proposed_roles())
    db.dispose()


# --- driving the engine ----------------------------------------------------------------------


def deploy_library(pe: ProcessEngine) -> None:
    with pe.unit_of_work("admin") as uow:
        for key in KEYS:
            deploy(uow, library(key), source_name=f"{key}.bpmn")


def start(pe: ProcessEngine, key: str, data: dict[str, Any] | None = None, unit: str = "THCS_A", **kw: Any) -> Instance:
    with pe.unit_of_work("dispatch") as uow:
        return start_instance(uow, StartInstance(key, data or {}, unit_code=unit, **kw))


def open_tasks(pe: ProcessEngine, instance: Instance) -> list[HumanTask]:
    with pe.read() as s:
        query = select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
        return list(s.scalars(query.order_by(HumanTask.element_id)))


def task(pe: ProcessEngine, instance: Instance, element_id: str) -> HumanTask:
    """The one open task of ``instance``, which must be ``element_id``, in the lane and role the
    library says."""
    [row] = open_tasks(pe, instance)
    assert row.element_id == element_id
    lane = LANES[instance.process_key][element_id]
    assert (row.lane, row.candidate_role) == (lane, ROLE_OF_LANE[lane])
    return row


def complete(pe: ProcessEngine, row: HumanTask, data: dict[str, Any] | None = None, actor: str = "nguoi_dung") -> Instance:
    with pe.unit_of_work(actor) as uow:
        return complete_task(uow, row.id, data)


def step(pe: ProcessEngine, instance: Instance, element_id: str, data: dict[str, Any] | None = None) -> HumanTask:
    row = task(pe, instance, element_id)
    complete(pe, row, data)
    return row


def reload(pe: ProcessEngine, instance: Instance) -> Instance:
    with pe.read() as s:
        row = s.get(Instance, instance.id)
        assert row is not None
        return row


def variables(pe: ProcessEngine, instance: Instance) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data of the open user task, or the final data; the process's data objects)."""
    with pe.read() as s:
        row = s.get(Instance, instance.id)
        assert row is not None
        # As the next step sees it: deadlines fired set-based since the last step applied.
        workflow = read_workflow(pe, s, row)
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    data = dict(ready[0].data) if ready else dict(workflow.data)
    objects = data.pop("data_objects", None) or dict(workflow.data.get("data_objects", {}))
    return data, objects


def timers(pe: ProcessEngine, instance: Instance) -> list[tuple[str, str, datetime]]:
    with pe.read() as s:
        rows = s.scalars(select(Timer).where(Timer.instance_id == instance.id))
        return sorted((t.element_id, t.status, t.due_at) for t in rows)  # by element, status, due


def assert_no_incidents(pe: ProcessEngine) -> None:
    with pe.read() as s:
        assert [(i.element_id, i.error_code, i.detail) for i in s.scalars(select(Incident))] == []


# --- the files ---------------------------------------------------------------------------------

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
SNAKE = re.compile(r"[a-z][a-z0-9_]*")


def _tree(key: str) -> Any:
    return etree.fromstring(library(key))


def _local(el: Any) -> str:
    return etree.QName(el).localname


def _bounds(shape: Any) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def _on_border(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    (px, py), (x, y, w, h) = point, box
    inside = x - 1 <= px <= x + w + 1 and y - 1 <= py <= y + h + 1
    return inside and min(abs(px - x), abs(px - x - w), abs(py - y), abs(py - y - h)) <= 1


@pytest.mark.parametrize("key", KEYS)
def test_each_file_deploys_and_a_second_deploy_is_a_no_op(pe: ProcessEngine, key: str) -> None:
    with pe.unit_of_work("admin") as uow:
        [first] = deploy(uow, library(key), source_name=f"{key}.bpmn")
    with pe.unit_of_work("admin") as uow:
        [again] = deploy(uow, library(key), source_name=f"{key}.bpmn")
    assert (first.key, first.version, first.created) == (key, 1, True)
    assert (again.version, again.created) == (1, False)


@pytest.mark.parametrize("key", KEYS)
def test_todays_role_catalog_maps_the_same_roles(key: str) -> None:
    """``giaoviec demo`` deploys the library with workflows.roles as it is today."""
    sandbox = Sandbox()
    try:
        today = load_bpmn(library(key), role_catalog(), sandbox)[key]
        proposed = load_bpmn(library(key), proposed_roles(), sandbox)[key]
    finally:
        sandbox.close()
    expected = {element: ROLE_OF_LANE[lane] for element, lane in LANES[key].items()}
    assert today.roles == proposed.roles == expected
    assert {element: proposed.lanes[element] for element in expected} == LANES[key]


@pytest.mark.parametrize("key", KEYS)
def test_every_element_is_drawn_readably(key: str) -> None:
    root = _tree(key)
    schema = BpmnValidator().validator  # BPMN 2.0 + DI XSDs shipped with SpiffWorkflow
    assert schema.validate(etree.ElementTree(root)), [str(e) for e in schema.error_log][:5]
    [process] = root.findall("bpmn:process", NS)
    assert process.get("id") == key and process.get("isExecutable") == "true"
    assert len(process.findtext("bpmn:documentation", namespaces=NS).strip()) > 200

    nodes = {el.get("id"): el for el in process.iter() if isinstance(el.tag, str) and _local(el) in FLOW_NODES}
    flows = {el.get("id"): el for el in process.iter(f"{{{NS['bpmn']}}}sequenceFlow")}
    lanes = {el.get("id"): el for el in process.iter(f"{{{NS['bpmn']}}}lane")}
    refs = {el.get("id"): el for el in process.iter(f"{{{NS['bpmn']}}}dataObjectReference")}
    associations = {el.get("id"): el for el in process.iter(f"{{{NS['bpmn']}}}dataOutputAssociation")}
    [participant] = root.iter(f"{{{NS['bpmn']}}}participant")
    shapes = {s.get("bpmnElement"): _bounds(s) for s in root.iter(f"{{{NS['bpmndi']}}}BPMNShape")}
    edges = {
        e.get("bpmnElement"): [(float(p.get("x")), float(p.get("y"))) for p in e.iterfind("di:waypoint", NS)]
        for e in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge")
    }
    [plane] = root.iter(f"{{{NS['bpmndi']}}}BPMNPlane")
    assert plane.get("bpmnElement") == root.find("bpmn:collaboration", NS).get("id")

    # Every flow node, lane, participant and data object reference has a shape; every sequence
    # flow and data association has an edge; nothing is drawn that is not in the model.
    assert set(nodes) | set(lanes) | set(refs) | {participant.get("id")} == set(shapes)
    assert set(flows) | set(associations) == set(edges)

    # Ids are ASCII snake_case; what people read is named (in Vietnamese).
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("id") is not None:
            assert SNAKE.fullmatch(el.get("id")), el.get("id")
    for node_id, el in nodes.items():
        assert (el.get("name") or "").strip(), node_id
    assert all((lane.get("name") or "").strip() for lane in lanes.values())

    # Lanes are horizontal bands stacked inside the pool, each node inside its own lane.
    pool = shapes[participant.get("id")]
    bands = sorted((shapes[lane_id], lane_id) for lane_id in lanes)
    for (x, _y, w, h), _ in bands:
        assert pool[0] < x and x + w == pool[0] + pool[2] and w > h
    assert bands[0][0][1] == pool[1] and bands[-1][0][1] + bands[-1][0][3] == pool[1] + pool[3]
    for (upper, _), (lower, _) in zip(bands, bands[1:], strict=False):
        assert upper[1] + upper[3] == lower[1]
    for lane_id, lane in lanes.items():
        lx, ly, lw, lh = shapes[lane_id]
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            x, y, w, h = shapes[ref.text.strip()]
            assert lx < x and x + w < lx + lw and ly <= y and y + h <= ly + lh, (lane_id, ref.text)
    assert {ref.text.strip() for lane in lanes.values() for ref in lane.iterfind("bpmn:flowNodeRef", NS)} == set(nodes)

    # Edges are orthogonal polylines from the border of their source to the border of their target.
    for flow_id, flow in flows.items():
        points = edges[flow_id]
        assert len(points) >= 2
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(points, points[1:], strict=False)), flow_id
        assert _on_border(points[0], shapes[flow.get("sourceRef")]), flow_id
        assert _on_border(points[-1], shapes[flow.get("targetRef")]), flow_id

    # Left to right: the process starts at the far left.
    [start_event] = [el for el in nodes.values() if _local(el) == "startEvent"]
    assert shapes[start_event.get("id")][0] == min(shapes[n][0] for n in nodes)


@pytest.mark.parametrize("key", KEYS)
def test_decisions_use_the_agreed_vocabulary_and_every_gateway_has_a_default(key: str) -> None:
    process = _tree(key).find("bpmn:process", NS)
    # One instance is one unit's obligation: fan-out to units is the dispatch layer's, never BPMN's.
    tags = {_local(el) for el in process.iter() if isinstance(el.tag, str)}
    assert not tags & {"multiInstanceLoopCharacteristics", "parallelGateway", "inclusiveGateway", "callActivity", "subProcess"}
    flows = list(process.iter(f"{{{NS['bpmn']}}}sequenceFlow"))
    for gateway in process.iter(f"{{{NS['bpmn']}}}exclusiveGateway"):
        outgoing = [f for f in flows if f.get("sourceRef") == gateway.get("id")]
        assert len(outgoing) >= 2 and gateway.get("default") in {f.get("id") for f in outgoing}, gateway.get("id")
    for flow in flows:
        condition = flow.findtext("bpmn:conditionExpression", namespaces=NS) or ""
        for name, value in re.findall(r'(\w+) == "(\w+)"', condition):
            assert value in DECISION_VALUES[name], (flow.get("id"), condition)


# The fields each human task's gv:form declares: what its documentation and the domain's hooks use.
LEADER_FORM = ("lanh_dao_duyet", "y_kien_lanh_dao")
FORM_FIELDS = {
    "giao_nhiem_vu": {
        "tiep_nhan": ("han_phoi_hop",), "thuc_hien": ("bao_cao", "de_nghi_gia_han", "han_de_nghi", "ly_do_gia_han"),
        "duyet_bao_cao": LEADER_FORM, "xem_xet_gia_han": ("quyet_dinh", "han_moi", "y_kien"),
        "tham_dinh_bao_cao": ("quyet_dinh", "y_kien", "han_moi"), "ky_duyet": ("y_kien_ky_duyet",),
    },
    "phoi_hop": {"tiep_nhan": (), "thuc_hien": ("noi_dung_phoi_hop",), "duyet_bao_cao": LEADER_FORM},
    "bao_cao_dinh_ky": {
        "tong_hop_truc_thuoc": ("so_don_vi", "so_don_vi_da_nop", "ket_qua_truc_thuoc", "ghi_chu"),
        "thuc_hien": ("bao_cao",), "duyet_bao_cao": LEADER_FORM, "tham_dinh_bao_cao": ("quyet_dinh", "y_kien"),
    },
    "xa_phuong_trien_khai": {
        "tiep_nhan": (), "giao_cho_truong": ("cap_hoc", "truong_duoc_giao", "han_cho_truong", "noi_dung_giao"),
        "theo_doi_cac_truong": ("so_truong", "so_truong_hoan_thanh", "ket_qua_cac_truong", "ghi_chu"),
        "tong_hop_bao_cao": ("bao_cao",), "duyet_bao_cao": LEADER_FORM, "tham_dinh_bao_cao": ("quyet_dinh", "y_kien"),
    },
}  # fmt: skip


@pytest.mark.parametrize("key", KEYS)
def test_every_user_task_declares_its_form_with_vietnamese_labels(key: str) -> None:
    sandbox = Sandbox()
    try:
        bundle = load_bpmn(library(key), role_catalog(), sandbox)[key]
    finally:
        sandbox.close()
    assert {element: bundle.form(element).names for element in LANES[key]} == FORM_FIELDS[key]
    for element, form in bundle.forms.items():
        for field in form.fields:
            assert field.label and field.label != field.name, (element, field.name)
            decision = DECISIONS.get(element)
            if decision is not None and field.name == decision.field:  # decisions: required, the contract's values
                assert field.required and set(field.values) <= decision.values, (element, field)


# --- giao_nhiem_vu ---------------------------------------------------------------------------


def _gnv(pe: ProcessEngine, clock: FrozenClock, days: int = 10, **data: Any) -> tuple[Instance, str]:
    deploy_library(pe)
    deadline = iso(clock.now() + timedelta(days=days))
    instance = start(pe, "giao_nhiem_vu", {"tieu_de": "Báo cáo chuyển đổi số", "han_xu_ly": deadline, "don_vi_giao": "SO_GDDT", **data})
    step(pe, instance, "tiep_nhan")
    return instance, deadline


def _to_review(pe: ProcessEngine, instance: Instance, text: str = "Đã hoàn thành") -> None:
    step(pe, instance, "thuc_hien", report(text))
    step(pe, instance, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})


def test_giao_nhiem_vu_happy_path_ends_with_the_sign_off(pe: ProcessEngine, clock: FrozenClock) -> None:
    instance, deadline = _gnv(pe, clock)
    draft = task(pe, instance, "thuc_hien")
    assert draft.due_at == datetime.fromisoformat(deadline) and party(draft.lane) == "thuc_hien"
    assert timers(pe, instance) == [("qua_han_xu_ly", "waiting", datetime.fromisoformat(deadline))]
    data, objects = variables(pe, instance)
    assert (data["han_xu_ly"], data["han_goc"], data["so_lan_tra_lai"]) == (deadline, deadline, 0)
    assert objects == {"han_xu_ly": None, "qua_han": None}

    _to_review(pe, instance)
    review = task(pe, instance, "tham_dinh_bao_cao")
    assert party(review.lane) == "giao"
    complete(pe, review, {"quyet_dinh": "dong_y", "y_kien": "Đạt"})
    sign_off = task(pe, instance, "ky_duyet")
    assert party(sign_off.lane) == "giao" and reload(pe, instance).status == "running"
    done = complete(pe, sign_off, {"y_kien_ky_duyet": "Đồng ý"})
    assert (done.status, done.ended_at) == ("completed", clock.now())
    assert open_tasks(pe, instance) == []
    assert [status for _, status, _ in timers(pe, instance)] == ["cancelled"]
    data, objects = variables(pe, instance)
    assert (data["bao_cao"], data["han_goc"], objects["qua_han"]) == ({"ket_qua": "Đã hoàn thành"}, deadline, None)
    assert_no_incidents(pe)


def test_giao_nhiem_vu_leader_returns_the_draft_to_the_officer(pe: ProcessEngine, clock: FrozenClock) -> None:
    instance, _ = _gnv(pe, clock)
    first = step(pe, instance, "thuc_hien", report("Bản nháp"))
    step(pe, instance, "duyet_bao_cao", {"lanh_dao_duyet": "tra_lai", "y_kien_lanh_dao": "Thiếu số liệu"})
    again = task(pe, instance, "thuc_hien")
    assert again.id != first.id
    step(pe, instance, "thuc_hien", report("Đủ số liệu"))
    # A decision is required: none, or one the process does not know, is refused and changes nothing.
    pending = task(pe, instance, "duyet_bao_cao")
    for undecided in ({}, {"lanh_dao_duyet": "tu_choi"}, {"lanh_dao_duyet": None}):
        with pytest.raises(FormRejected) as refused:
            complete(pe, pending, undecided)
        assert "lanh_dao_duyet" in str(refused.value)
    assert task(pe, instance, "duyet_bao_cao").id == pending.id
    step(pe, instance, "duyet_bao_cao", {"lanh_dao_duyet": "tra_lai"})
    _to_review(pe, instance)
    task(pe, instance, "tham_dinh_bao_cao")
    assert variables(pe, instance)[0]["so_lan_tra_lai"] == 0  # the unit's own returns are not counted
    assert_no_incidents(pe)


def test_giao_nhiem_vu_assigning_unit_returns_twice_then_approves(pe: ProcessEngine, clock: FrozenClock) -> None:
    instance, _ = _gnv(pe, clock)
    _to_review(pe, instance, "Lần 1")
    step(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "tra_lai", "y_kien": "Bổ sung biểu 1"})
    # The leader approved round 1; round 2 needs a fresh approval (no stale "dong_y").
    step(pe, instance, "thuc_hien", report("Lần 2"))
    step(pe, instance, "duyet_bao_cao", {"lanh_dao_duyet": "tra_lai"})
    _to_review(pe, instance, "Lần 2b")
    step(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "tra_lai", "y_kien": "Bổ sung biểu 2"})
    data, _ = variables(pe, instance)
    assert (data["so_lan_tra_lai"], data["lich_su_y_kien"]) == (2, ["Bổ sung biểu 1", "Bổ sung biểu 2"])
    assert (data["quyet_dinh"], data["lanh_dao_duyet"]) == (None, None)
    _to_review(pe, instance, "Lần 3")
    step(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    done = complete(pe, task(pe, instance, "ky_duyet"))
    assert done.status == "completed"
    assert variables(pe, instance)[0]["bao_cao"] == {"ket_qua": "Lần 3"}
    assert_no_incidents(pe)


def test_giao_nhiem_vu_extension_requested_and_granted(pe: ProcessEngine, clock: FrozenClock) -> None:
    instance, deadline = _gnv(pe, clock)
    first = step(pe, instance, "thuc_hien", {"de_nghi_gia_han": True, "han_de_nghi": "2026-03-31", "ly_do_gia_han": "Chờ số liệu"})
    decide = task(pe, instance, "xem_xet_gia_han")
    assert party(decide.lane) == "giao"
    new_deadline = iso(clock.now() + timedelta(days=25))
    complete(pe, decide, {"quyet_dinh": "gia_han", "han_moi": new_deadline, "y_kien": "Đồng ý gia hạn"})
    draft = task(pe, instance, "thuc_hien")
    assert draft.id != first.id and draft.due_at == datetime.fromisoformat(new_deadline)
    data, _ = variables(pe, instance)
    assert (data["han_xu_ly"], data["han_goc"], data["so_lan_gia_han"]) == (new_deadline, deadline, 1)
    assert data["lich_su_gia_han"] == [new_deadline] and data["de_nghi_gia_han"] is False and "han_moi" not in data
    assert timers(pe, instance) == [
        ("qua_han_xu_ly", "cancelled", datetime.fromisoformat(deadline)),
        ("qua_han_xu_ly", "waiting", datetime.fromisoformat(new_deadline)),
    ]
    # The review may also grant more time; a bare date means the end of that day in Việt Nam.
    _to_review(pe, instance)
    step(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "gia_han", "han_moi": "2026-04-30"})
    draft = task(pe, instance, "thuc_hien")
    assert draft.due_at == datetime(2026, 4, 30, 23, 59, 59, tzinfo=VN)
    data, _ = variables(pe, instance)
    assert (data["han_xu_ly"], data["han_goc"], data["so_lan_gia_han"]) == ("2026-04-30T23:59:59+07:00", deadline, 2)
    assert data["so_lan_tra_lai"] == 0
    _to_review(pe, instance)
    step(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    assert complete(pe, task(pe, instance, "ky_duyet")).status == "completed"
    assert_no_incidents(pe)


def test_giao_nhiem_vu_extension_refused_keeps_the_deadline(pe: ProcessEngine, clock: FrozenClock) -> None:
    instance, deadline = _gnv(pe, clock)
    step(pe, instance, "thuc_hien", {"de_nghi_gia_han": True, "han_de_nghi": "2026-03-31"})
    step(pe, instance, "xem_xet_gia_han", {"quyet_dinh": "tra_lai", "y_kien": "Không đủ lý do"})
    draft = task(pe, instance, "thuc_hien")
    assert draft.due_at == datetime.fromisoformat(deadline)
    data, _ = variables(pe, instance)
    assert (data["han_xu_ly"], data["so_lan_gia_han"], data["de_nghi_gia_han"]) == (deadline, 0, False)
    # The request was answered: the next completion without the field goes to the leader.
    step(pe, instance, "thuc_hien", report("Đúng hạn"))
    task(pe, instance, "duyet_bao_cao")
    assert_no_incidents(pe)


def test_giao_nhiem_vu_lateness_is_recorded_without_interrupting(pe: ProcessEngine, clock: FrozenClock) -> None:
    instance, deadline = _gnv(pe, clock, days=3)
    draft = task(pe, instance, "thuc_hien")
    due = datetime.fromisoformat(deadline)
    assert fire_due_timers(pe, clock.advance(due - clock.now() - timedelta(seconds=1))).fired == 0
    result = fire_due_timers(pe, clock.advance(timedelta(seconds=1)))
    assert (result.instances, result.fired, result.failed) == (1, 1, 0)
    assert task(pe, instance, "thuc_hien").id == draft.id  # still the same open task
    assert variables(pe, instance)[1]["qua_han"] is True
    assert fire_due_timers(pe, clock.advance(timedelta(days=30))).fired == 0  # once only
    # Late, then granted an extension: lateness is judged against the new deadline.
    complete(pe, draft, {"de_nghi_gia_han": True})
    new_deadline = iso(clock.now() + timedelta(days=5))
    step(pe, instance, "xem_xet_gia_han", {"quyet_dinh": "gia_han", "han_moi": new_deadline})
    assert variables(pe, instance)[1]["qua_han"] is False
    assert ("qua_han_xu_ly", "waiting", datetime.fromisoformat(new_deadline)) in timers(pe, instance)
    _to_review(pe, instance)
    step(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    done = complete(pe, task(pe, instance, "ky_duyet"))
    assert done.status == "completed"
    assert variables(pe, instance)[1]["qua_han"] is False
    assert_no_incidents(pe)


def test_giao_nhiem_vu_a_deadline_already_past_is_late_at_once(pe: ProcessEngine, clock: FrozenClock) -> None:
    instance, _ = _gnv(pe, clock, days=-1)
    task(pe, instance, "thuc_hien")
    assert variables(pe, instance)[1]["qua_han"] is True
    assert_no_incidents(pe)


def test_giao_nhiem_vu_starts_without_any_variable(pe: ProcessEngine, clock: FrozenClock) -> None:
    """What the CLI and the demo do: no han_xu_ly, so a default of 7 days from the execution step."""
    deploy_library(pe)
    instance = start(pe, "giao_nhiem_vu")
    receive = task(pe, instance, "tiep_nhan")
    assert receive.name == "Tiếp nhận nhiệm vụ" and timers(pe, instance) == []
    clock.advance(timedelta(hours=2))
    complete(pe, receive)
    draft = task(pe, instance, "thuc_hien")
    assert draft.due_at == clock.now() + timedelta(days=7)
    data, objects = variables(pe, instance)
    assert (data["han_xu_ly"], data["han_goc"], objects["qua_han"]) == (None, None, None)
    assert fire_due_timers(pe, clock.now() + timedelta(days=7)).fired == 1
    assert variables(pe, instance)[1]["qua_han"] is True
    assert_no_incidents(pe)


# --- phoi_hop --------------------------------------------------------------------------------


def test_phoi_hop_contribution_approved_by_the_leader(pe: ProcessEngine, clock: FrozenClock) -> None:
    deploy_library(pe)
    deadline = iso(clock.now() + timedelta(days=5))
    instance = start(pe, "phoi_hop", {"han_xu_ly": deadline, "don_vi_chu_tri": "PHONG_GDTrH"}, unit="PHONG_KHTC")
    step(pe, instance, "tiep_nhan")
    draft = task(pe, instance, "thuc_hien")
    assert draft.due_at == datetime.fromisoformat(deadline)
    complete(pe, draft, {"noi_dung_phoi_hop": "Số liệu kinh phí"})
    approve = task(pe, instance, "duyet_bao_cao")
    assert approve.candidate_unit == "PHONG_KHTC"
    done = complete(pe, approve, {"lanh_dao_duyet": "dong_y"})
    assert done.status == "completed"
    data, objects = variables(pe, instance)
    assert (data["noi_dung_phoi_hop"], data["han_goc"], objects["qua_han"]) == ("Số liệu kinh phí", deadline, None)
    assert_no_incidents(pe)


def test_phoi_hop_leader_returns_the_contribution(pe: ProcessEngine, clock: FrozenClock) -> None:
    deploy_library(pe)
    instance = start(pe, "phoi_hop", {"han_xu_ly": iso(clock.now() + timedelta(days=1))}, unit="PHONG_KHTC")
    step(pe, instance, "tiep_nhan")
    first = step(pe, instance, "thuc_hien", {"noi_dung_phoi_hop": "Bản 1"})
    step(pe, instance, "duyet_bao_cao", {"lanh_dao_duyet": "tra_lai", "y_kien_lanh_dao": "Sai đơn vị tính"})
    again = task(pe, instance, "thuc_hien")
    assert again.id != first.id
    assert fire_due_timers(pe, clock.advance(timedelta(days=2))).fired == 1
    complete(pe, again, {"noi_dung_phoi_hop": "Bản 2"})
    assert complete(pe, task(pe, instance, "duyet_bao_cao"), {"lanh_dao_duyet": "dong_y"}).status == "completed"
    data, objects = variables(pe, instance)
    assert (data["noi_dung_phoi_hop"], objects["qua_han"]) == ("Bản 2", True)
    assert_no_incidents(pe)


# --- bao_cao_dinh_ky -------------------------------------------------------------------------


def test_bao_cao_dinh_ky_one_period_opens_on_schedule_and_goes_up(pe: ProcessEngine, clock: FrozenClock) -> None:
    deploy_library(pe)
    due = datetime(2026, 3, 15, tzinfo=VN)  # "trước ngày 15": late from 00:00 on the 15th
    instance = start(pe, "bao_cao_dinh_ky", {
        "ky_bao_cao": "2026-03", "mo_ky": "2026-03-03", "han_xu_ly": iso(due), "don_vi_cap_tren": "PHONG_GD_X001",
    }, unit="THCS_A", period="2026-03")  # fmt: skip
    assert open_tasks(pe, instance) == []
    assert timers(pe, instance) == [("cho_mo_ky", "waiting", datetime(2026, 3, 3, tzinfo=VN))]
    assert fire_due_timers(pe, clock.advance(timedelta(hours=12))).fired == 0
    clock.set(datetime(2026, 3, 3, tzinfo=VN))
    assert fire_due_timers(pe, clock.now()).fired == 1
    draft = task(pe, instance, "thuc_hien")
    assert draft.due_at == due and draft.period == "2026-03"

    complete(pe, draft, report("Tháng 3"))
    step(pe, instance, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})
    review = task(pe, instance, "tham_dinh_bao_cao")
    assert party(review.lane) == "cap_tren"
    complete(pe, review, {"quyet_dinh": "tra_lai", "y_kien": "Thiếu chỉ tiêu 3"})
    step(pe, instance, "thuc_hien", report("Tháng 3, đủ chỉ tiêu"))
    step(pe, instance, "duyet_bao_cao", {"lanh_dao_duyet": "tra_lai"})
    step(pe, instance, "thuc_hien", report("Tháng 3, bản cuối"))
    step(pe, instance, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})
    done = complete(pe, task(pe, instance, "tham_dinh_bao_cao"), {"quyet_dinh": "dong_y"})
    assert done.status == "completed"
    data, _ = variables(pe, instance)
    assert (data["so_lan_tra_lai"], data["lich_su_y_kien"], data["bao_cao"]) == (1, ["Thiếu chỉ tiêu 3"], {"ket_qua": "Tháng 3, bản cuối"})
    assert_no_incidents(pe)


def test_bao_cao_dinh_ky_parent_consolidates_its_children_then_reports_outside(pe: ProcessEngine, clock: FrozenClock) -> None:
    """A unit with children waits for their reports of the same period (the dispatch layer
    completes its consolidation step); a unit without a parent in the system ends after approval."""
    deploy_library(pe)
    due = iso(clock.now() + timedelta(days=10))
    parent = start(pe, "bao_cao_dinh_ky", {"han_xu_ly": due, "co_don_vi_truc_thuoc": True}, unit="SO_GDDT", period="2026-Q1")
    children = [
        start(pe, "bao_cao_dinh_ky", {"han_xu_ly": due, "don_vi_cap_tren": "SO_GDDT"}, unit=unit, period="2026-Q1", parent_id=parent.id)
        for unit in ("PHONG_A", "PHONG_B")
    ]
    follow = task(pe, parent, "tong_hop_truc_thuoc")
    for child in children:
        step(pe, child, "thuc_hien", report(f"Quý I {child.unit_code}"))
        step(pe, child, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})
        review = task(pe, child, "tham_dinh_bao_cao")
        assert party(review.lane) == "cap_tren"
        assert complete(pe, review, {"quyet_dinh": "dong_y"}).status == "completed"
    assert task(pe, parent, "tong_hop_truc_thuoc").id == follow.id
    complete(pe, follow, {"so_don_vi": 2, "so_don_vi_da_nop": 2, "ket_qua_truc_thuoc": ["PHONG_A", "PHONG_B"]}, actor="dispatch")
    step(pe, parent, "thuc_hien", report("Tổng hợp quý I"))
    done = complete(pe, task(pe, parent, "duyet_bao_cao"), {"lanh_dao_duyet": "dong_y"})
    assert done.status == "completed"  # no don_vi_cap_tren: sent outside the system
    data, objects = variables(pe, parent)
    assert (data["so_don_vi_da_nop"], data["han_goc"], objects["qua_han"]) == (2, due, None)
    assert_no_incidents(pe)


# --- xa_phuong_trien_khai --------------------------------------------------------------------


def test_xa_phuong_reassigns_follows_consolidates_and_reports_to_the_so(pe: ProcessEngine, clock: FrozenClock) -> None:
    deploy_library(pe)
    ward_deadline = iso(clock.now() + timedelta(days=20))
    ward = start(pe, "xa_phuong_trien_khai", {"han_xu_ly": ward_deadline, "don_vi_giao": "SO_GDDT", "tieu_de": "Kiểm tra thư viện"}, unit="X001")
    step(pe, ward, "tiep_nhan")
    assign = task(pe, ward, "giao_cho_truong")
    schools = ["X001.MN01", "X001.TH01", "X001.THCS01"]
    school_deadline = iso(clock.now() + timedelta(days=12))
    # The dispatch layer's side of the contract: complete the step and start one child per school
    # in the same unit of work.
    with pe.unit_of_work("chuyen_vien_xa") as uow:
        complete_task(uow, assign.id, {"cap_hoc": ["MN", "TH", "THCS"], "truong_duoc_giao": schools, "han_cho_truong": school_deadline})
        kids = [
            start_instance(uow, StartInstance("giao_nhiem_vu", {"han_xu_ly": school_deadline, "don_vi_giao": "X001"}, unit_code=school, parent_id=ward.id))
            for school in schools
        ]
    follow = task(pe, ward, "theo_doi_cac_truong")
    assert follow.due_at == datetime.fromisoformat(ward_deadline)
    for kid in kids:
        step(pe, kid, "tiep_nhan")
        _to_review(pe, kid)
        step(pe, kid, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
        assert complete(pe, task(pe, kid, "ky_duyet")).status == "completed"
    with pe.read() as s:
        statuses = s.scalars(select(Instance.status).where(Instance.parent_id == ward.id)).all()
    assert statuses == ["completed"] * 3
    complete(pe, follow, {"so_truong": 3, "so_truong_hoan_thanh": 3, "ket_qua_cac_truong": schools}, actor="dispatch")

    step(pe, ward, "tong_hop_bao_cao", report("Tổng hợp 3 trường"))
    step(pe, ward, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})
    review = task(pe, ward, "tham_dinh_bao_cao")
    assert party(review.lane) == "giao"
    complete(pe, review, {"quyet_dinh": "tra_lai", "y_kien": "Thiếu trường MN02"})
    step(pe, ward, "tong_hop_bao_cao", report("Tổng hợp, bổ sung"))
    step(pe, ward, "duyet_bao_cao", {"lanh_dao_duyet": "tra_lai"})
    step(pe, ward, "tong_hop_bao_cao", report("Tổng hợp, bản cuối"))
    step(pe, ward, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})
    done = complete(pe, task(pe, ward, "tham_dinh_bao_cao"), {"quyet_dinh": "dong_y"})
    assert done.status == "completed"
    data, objects = variables(pe, ward)
    assert (data["so_lan_tra_lai"], data["truong_duoc_giao"], objects["qua_han"]) == (1, schools, None)
    assert_no_incidents(pe)


def test_xa_phuong_lateness_while_waiting_for_the_schools(pe: ProcessEngine, clock: FrozenClock) -> None:
    deploy_library(pe)
    deadline = iso(clock.now() + timedelta(days=3))
    ward = start(pe, "xa_phuong_trien_khai", {"han_xu_ly": deadline, "don_vi_giao": "SO_GDDT"}, unit="X001")
    step(pe, ward, "tiep_nhan")
    step(pe, ward, "giao_cho_truong", {"cap_hoc": ["TH"]})
    follow = task(pe, ward, "theo_doi_cac_truong")
    assert fire_due_timers(pe, datetime.fromisoformat(deadline)).fired == 1
    assert task(pe, ward, "theo_doi_cac_truong").id == follow.id
    assert variables(pe, ward)[1]["qua_han"] is True
    complete(pe, follow, {"so_truong": 4, "so_truong_hoan_thanh": 3, "ghi_chu": "Chốt khi còn 1 trường"})
    consolidate = task(pe, ward, "tong_hop_bao_cao")
    assert consolidate.due_at == datetime.fromisoformat(deadline)
    step(pe, ward, "tong_hop_bao_cao", report("Muộn"))
    task(pe, ward, "duyet_bao_cao")
    assert variables(pe, ward)[1]["qua_han"] is True
    assert_no_incidents(pe)


def test_state_stays_small(pe: ProcessEngine, clock: FrozenClock) -> None:
    """One instance is one unit's small workflow: the stored state stays a few kilobytes."""
    instance, _ = _gnv(pe, clock)
    with pe.read() as s:
        state = s.get(Instance, instance.id).state
    assert len(state) < 8_000 and "spec" not in json.loads(zlib.decompress(state))


def test_a_changed_copy_is_a_new_version_and_running_instances_keep_theirs(pe: ProcessEngine, clock: FrozenClock) -> None:
    """A department head copies a library file, changes it and deploys it: new dispatches use the
    new version, running instances finish on the one they started with."""
    deploy_library(pe)
    old = start(pe, "giao_nhiem_vu")
    changed = library("giao_nhiem_vu").replace(b"P7D", b"P5D")
    changed = changed.replace('name="Ký duyệt"'.encode(), 'name="Ký, đóng dấu"'.encode())
    assert changed.count(b"P5D") >= 1 and "Ký, đóng dấu".encode() in changed
    with pe.unit_of_work("truong_phong") as uow:
        [deployed] = deploy(uow, changed, source_name="giao_nhiem_vu_sua.bpmn")
    assert (deployed.key, deployed.version, deployed.created) == ("giao_nhiem_vu", 2, True)
    new = start(pe, "giao_nhiem_vu")
    for instance, days, sign_off in ((old, 7, "Ký duyệt"), (new, 5, "Ký, đóng dấu")):
        step(pe, instance, "tiep_nhan")
        assert task(pe, instance, "thuc_hien").due_at == clock.now() + timedelta(days=days)
        _to_review(pe, instance)
        step(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
        row = task(pe, instance, "ky_duyet")
        assert row.name == sign_off
        assert complete(pe, row).status == "completed"
    with pe.read() as s:
        versions = dict(s.execute(select(Instance.id, ProcessDefinition.version).join(ProcessDefinition)).all())
    assert (versions[old.id], versions[new.id]) == (1, 2)
    assert_no_incidents(pe)
