"""engine.bulk.start_instances: N children from one workflow run, each exactly like start_instance's."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from engine import (
    AuditEvent,
    BadData,
    BulkStartFailed,
    ChildSpec,
    ConflictError,
    HumanTask,
    Incident,
    Instance,
    InvalidState,
    ProcessDefinition,
    StartInstance,
    StepFailed,
    Timer,
    complete_task,
    deploy,
    fire_due_timers,
    start_event,
    start_instance,
    start_instances,
    verify,
)
from engine.bulk import SUMMARY_CHUNK
from engine.commands import latest_definition
from engine.queries import inbox
from tests.engine.bpmn_samples import form, giao_nhiem_vu, process, timer_then_task, user_task_chain
from tests.engine.test_concurrency import RACE_FORM, race, wait_until_blocked_on_lock
from tests.work import HANG_GUARD

DATA = {"tieu_de": "Báo cáo quý", "so_lieu": [1, 2, 3]}


def parallel_start(key: str = "song_song") -> bytes:
    """The first wait state has a task with a deadline (boundary timer), a task without one, and
    an intermediate timer before a third task: every kind of row a start projects."""
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:parallelGateway id="fork"/><bpmn:parallelGateway id="join"/>'
        f'<bpmn:userTask id="a" name="Việc có hạn">{form(ket_qua="text")}</bpmn:userTask>'
        '<bpmn:boundaryEvent id="a_han" attachedToRef="a" cancelActivity="false">'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT48H</bpmn:timeDuration></bpmn:timerEventDefinition>"
        "</bpmn:boundaryEvent>"
        '<bpmn:scriptTask id="ghi_tre"><bpmn:script>tre_han = True</bpmn:script></bpmn:scriptTask>'
        '<bpmn:endEvent id="end_tre"/>'
        f'<bpmn:userTask id="b" name="Việc theo hạn đơn vị">{form(so_lieu="integer")}</bpmn:userTask>'
        '<bpmn:intermediateCatchEvent id="cho"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:userTask id="c" name="Việc sau hẹn giờ"/>'
        f'<bpmn:userTask id="duyet" name="Duyệt">{form(y_kien="text")}</bpmn:userTask>'
        '<bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="a"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="b"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="cho"/>'
        '<bpmn:sequenceFlow id="f4" sourceRef="cho" targetRef="c"/>'
        '<bpmn:sequenceFlow id="f5" sourceRef="a" targetRef="join"/>'
        '<bpmn:sequenceFlow id="f6" sourceRef="b" targetRef="join"/>'
        '<bpmn:sequenceFlow id="f7" sourceRef="c" targetRef="join"/>'
        '<bpmn:sequenceFlow id="f8" sourceRef="join" targetRef="duyet"/>'
        '<bpmn:sequenceFlow id="f9" sourceRef="duyet" targetRef="end"/>'
        '<bpmn:sequenceFlow id="f10" sourceRef="a_han" targetRef="ghi_tre"/>'
        '<bpmn:sequenceFlow id="f11" sourceRef="ghi_tre" targetRef="end_tre"/>'
    )
    return process(body, key=key, lanes={"Chuyên viên": ["a", "b", "c"], "Lãnh đạo đơn vị": ["duyet"]})


def script_only(key: str = "ngay", script: str = "xong = True") -> bytes:
    body = (
        f'<bpmn:startEvent id="start"/><bpmn:scriptTask id="s"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
        '<bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="s"/><bpmn:sequenceFlow id="f2" sourceRef="s" targetRef="end"/>'
    )
    return process(body, key=key)


# --- helpers ----------------------------------------------------------------------------------


def _deploy(pe, *xmls):
    with pe.unit_of_work("tester") as uow:
        for xml in xmls:
            deploy(uow, xml)


def _bulk(pe, key, children, data=None, actor="lanh_dao", **kw):
    with pe.unit_of_work(actor) as uow:
        return start_instances(uow, key, children, data=DATA if data is None else data, **kw)


def _single(pe, key, child, data=None, actor="lanh_dao"):
    cmd = StartInstance(key, DATA if data is None else data, unit_code=child.unit_code, parent_id=child.parent_id,
                        business_key=child.business_key, plan_key=child.plan_key, task_key=child.task_key,
                        period=child.period, due_at=child.due_at)  # fmt: skip
    with pe.unit_of_work(actor) as uow:
        return start_instance(uow, cmd).id


def _open(pe, instance_id, element=None):
    query = select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
    if element:
        query = query.where(HumanTask.element_id == element)
    with pe.read() as s:
        return s.scalars(query.order_by(HumanTask.element_id)).all()


def _complete(pe, instance_id, element, data=None, actor="can_bo"):
    [task] = _open(pe, instance_id, element)
    with pe.unit_of_work(actor) as uow:
        complete_task(uow, task.id, data or {})


def _count(pe, model, *where):
    with pe.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _tree(pe, instance):
    """The workflow as (spec, state, data) in tree order: comparable across instances whose task
    UUIDs differ."""
    with pe.read() as s:
        definition = s.get(ProcessDefinition, instance.definition_id)
    bundle = pe.bundle(definition)
    workflow = pe.codec.load(instance.state, bundle.spec, bundle.subprocess_specs, pe.script_engine)
    return [
        (t.task_spec.name, t.state, json.dumps(t.data, sort_keys=True, default=str),
         json.dumps(t.internal_data, sort_keys=True, default=str))
        for t in workflow.get_tasks()
    ]  # fmt: skip


INSTANCE_FACTS = ("definition_id", "process_key", "parent_id", "status", "business_key", "unit_code", "plan_key",
                  "task_key", "period", "due_at", "serializer_version", "started_at", "started_by", "ended_at")  # fmt: skip
TASK_FACTS = ("element_id", "name", "lane", "candidate_unit", "candidate_role", "assignee", "due_at", "status",
              "plan_key", "task_key", "period", "created_at", "completed_at", "completed_by", "process_key")  # fmt: skip
TIMER_FACTS = ("element_id", "due_at", "status", "created_at", "fired_at")


def _snapshot(pe, instance_id, *, ignore=()):
    """Everything a person, the sweeper or the next step sees of one instance, without its ids."""
    with pe.read() as s:
        instance = s.get(Instance, instance_id)
        tasks = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
        timers = s.scalars(select(Timer).where(Timer.instance_id == instance_id)).all()
        events = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)).all()
        elements = {t.id: t.element_id for t in tasks}
    return {
        "instance": {name: getattr(instance, name) for name in INSTANCE_FACTS if name not in ignore},
        "tasks": sorted(tuple(str(getattr(t, n)) for n in TASK_FACTS) for t in tasks),
        "timers": sorted(tuple(str(getattr(t, n)) for n in TIMER_FACTS) for t in timers),
        "tree": _tree(pe, instance),
        "events": [(e.event, e.actor, e.occurred_at, e.subject, elements.get(e.task_id),
                    json.dumps({k: v for k, v in e.data.items() if k != "timer"}, sort_keys=True))  # a timer row's id
                   for e in events],  # fmt: skip
    }, instance.version


# --- equivalence with start_instance ----------------------------------------------------------


def _comparable(snapshot, per_instance_audit):
    """With the summary audit a bulk child has no per-row start events: drop those on both sides."""
    if not per_instance_audit:
        started = snapshot["instance"]["started_at"]
        snapshot["events"] = [e for e in snapshot["events"] if e[0] not in ("instance_started", "task_created") or e[2] != started]
    return snapshot


def _same(pe, single, bulk, per_instance_audit, before=None):
    """Both instances look the same; each step was one versioned UPDATE of each."""
    (s1, v1), (s2, v2) = _snapshot(pe, single), _snapshot(pe, bulk)
    assert _comparable(s1, per_instance_audit) == _comparable(s2, per_instance_audit)
    if before is not None:
        assert (v1 - before[0], v2 - before[1]) == (1, 1)
    return v1, v2


@pytest.mark.parametrize("per_instance_audit", [True, False], ids=["per-instance-audit", "summary-audit"])
def test_a_bulk_child_behaves_step_by_step_like_a_start_instance_child(pe, clock, per_instance_audit):
    _deploy(pe, parallel_start(), user_task_chain())
    with pe.unit_of_work("tester") as uow:
        parent = start_instance(uow, StartInstance("p", {}, unit_code="SO")).id
    due = clock.now() + timedelta(days=10)
    spec = ChildSpec("THCS_A", parent_id=parent, plan_key="637/KH", task_key="7", period="2026-Q2", due_at=due)
    single = _single(pe, "song_song", spec)
    result = _bulk(pe, "song_song", [spec, ChildSpec("THCS_B", parent_id=parent, due_at=due), spec],
                   per_instance_audit=per_instance_audit)  # fmt: skip
    bulk, sibling, twin = result.instance_ids
    assert (result.created, result.skipped) == (3, 0)

    # The first wait state: a (deadline from its boundary timer), b (the unit's due date), 2 timers.
    versions = _same(pe, single, bulk, per_instance_audit)
    [a], [b] = _open(pe, bulk, "a"), _open(pe, bulk, "b")
    assert (a.due_at, a.candidate_role, a.candidate_unit) == (clock.now() + timedelta(hours=48), "officer", "THCS_A")
    # b has no boundary timer: the parallel branch's intermediate timer is not its deadline.
    assert (b.due_at, b.candidate_unit, b.plan_key, b.period) == (due, "THCS_A", "637/KH", "2026-Q2")
    with pe.read() as s:
        dues = sorted(t.due_at for t in s.scalars(select(Timer).where(Timer.instance_id == bulk)))
    assert dues == [clock.now() + timedelta(hours=1), clock.now() + timedelta(hours=48)]

    # The sweeper fires "cho" of all four children at its due instant: c opens.
    assert fire_due_timers(pe, clock.advance(timedelta(hours=1))).fired == 4
    versions = _same(pe, single, bulk, per_instance_audit, versions)
    for element, data in (("a", {"ket_qua": "xong"}), ("c", {}), ("b", {"so_lieu": 42}), ("duyet", {"y_kien": "ok"})):
        clock.advance(timedelta(minutes=5))
        for instance_id in (single, bulk):
            _complete(pe, instance_id, element, data)
        versions = _same(pe, single, bulk, per_instance_audit, versions)
    with pe.read() as s:
        assert s.get(Instance, bulk).status == "completed"
        assert s.scalars(select(Timer.status).where(Timer.instance_id == bulk, Timer.element_id == "a_han")).all() == ["cancelled"]
    # Siblings sharing the same start state are where the sweeper left them.
    for other in (sibling, twin):
        assert [t.element_id for t in _open(pe, other)] == ["a", "b", "c"]


def test_giao_nhiem_vu_children_follow_the_review_loop_and_the_deadline_timer(pe, clock):
    _deploy(pe, giao_nhiem_vu())
    spec = ChildSpec("THCS_A", plan_key="637/KH", task_key="7", period="2026-Q2")
    single = _single(pe, "giao_nhiem_vu", spec)
    [bulk] = _bulk(pe, "giao_nhiem_vu", [spec], per_instance_audit=True).instance_ids
    versions = _same(pe, single, bulk, True)
    script = [("tiep_nhan", {}), ("thuc_hien", {"bao_cao": "80%"}), ("duyet_bao_cao", {"quyet_dinh": "tra_lai"}),
              ("thuc_hien", {"bao_cao": "100%"})]  # fmt: skip
    for element, data in script:
        clock.advance(timedelta(hours=1))
        for instance_id in (single, bulk):
            _complete(pe, instance_id, element, data)
        versions = _same(pe, single, bulk, True, versions)
    [review] = _open(pe, bulk)
    assert review.element_id == "duyet_bao_cao"
    # No deadline is pending now; go back to a draft and let its P7D boundary fire.
    for instance_id in (single, bulk):
        _complete(pe, instance_id, "duyet_bao_cao", {"quyet_dinh": "tra_lai"})
    versions = _same(pe, single, bulk, True, versions)
    [draft] = _open(pe, bulk)
    assert draft.due_at == clock.now() + timedelta(days=7)
    assert fire_due_timers(pe, draft.due_at).fired == 2
    versions = _same(pe, single, bulk, True, versions)
    for instance_id in (single, bulk):
        _complete(pe, instance_id, "thuc_hien", {"bao_cao": "muộn"})
        _complete(pe, instance_id, "duyet_bao_cao", {"quyet_dinh": "dong_y"})
    (s1, _), (s2, _) = _snapshot(pe, single), _snapshot(pe, bulk)
    assert s1 == s2 and s2["instance"]["status"] == "completed"


def test_a_timer_first_process_gets_its_timer_rows_and_fires_like_a_single_start(pe, clock):
    _deploy(pe, timer_then_task(duration="PT2H"))
    single = _single(pe, "t", ChildSpec("U0"))
    ids = _bulk(pe, "t", [ChildSpec(f"U{i}") for i in range(1, 6)]).instance_ids
    assert _count(pe, HumanTask) == 0
    with pe.read() as s:
        timers = s.scalars(select(Timer).where(Timer.instance_id.in_(ids))).all()
    assert len(timers) == 5 and {t.due_at for t in timers} == {clock.now() + timedelta(hours=2)}
    assert {t.spiff_task_id for t in timers} == {timers[0].spiff_task_id}  # shared state, shared task ids
    assert fire_due_timers(pe, clock.now() + timedelta(hours=2) - timedelta(seconds=1)).fired == 0
    result = fire_due_timers(pe, clock.advance(timedelta(hours=2)))
    assert (result.instances, result.fired, result.failed) == (6, 6, 0)
    assert fire_due_timers(pe, clock.now()).fired == 0
    for i, instance_id in enumerate(ids, 1):
        [task] = _open(pe, instance_id)
        assert (task.element_id, task.candidate_unit) == ("after", f"U{i}")
    (s1, _), (s2, _) = _snapshot(pe, single, ignore=("unit_code",)), _snapshot(pe, ids[0], ignore=("unit_code",))
    assert _comparable(s1, False)["timers"] == _comparable(s2, False)["timers"]
    assert s1["tree"] == s2["tree"]


# --- many children --------------------------------------------------------------------------


def test_a_thousand_children_in_one_call_are_all_in_their_units_inboxes(pe, clock):
    _deploy(pe, giao_nhiem_vu())
    due = clock.now() + timedelta(days=30)
    children = [ChildSpec(f"TRUONG_{i:04d}", business_key=f"637/7/2026-Q2/TRUONG_{i:04d}", plan_key="637/KH",
                          task_key="7", period="2026-Q2", due_at=due) for i in range(1000)]  # fmt: skip
    result = _bulk(pe, "giao_nhiem_vu", children)
    assert (result.created, result.skipped, len(set(result.instance_ids))) == (1000, 0, 1000)
    with pe.read() as s:
        rows = s.execute(
            select(Instance.id, Instance.unit_code, Instance.business_key, Instance.version, HumanTask.candidate_unit,
                   HumanTask.element_id, HumanTask.due_at, HumanTask.status)
            .join(HumanTask, HumanTask.instance_id == Instance.id)
        ).all()  # fmt: skip
        assert len(rows) == 1000
        assert [r.id for r in sorted(rows, key=lambda r: r.unit_code)] == result.instance_ids
        assert all(r.unit_code == r.candidate_unit and r.business_key.endswith(r.unit_code) for r in rows)
        assert {(r.element_id, r.due_at, r.status, r.version) for r in rows} == {("tiep_nhan", due, "open", 1)}
        for unit in ("TRUONG_0000", "TRUONG_0500", "TRUONG_0999"):
            [row] = inbox(s, unit=unit)
            assert (row.candidate_unit, row.element_id, row.plan_key) == (unit, "tiep_nhan", "637/KH")
        assert len(inbox(s, role="officer", limit=5000)) == 1000
        assert s.scalar(select(func.count()).select_from(Timer)) == 0
    # One summarising audit event per 1,000 children, naming every instance and its unit.
    with pe.read() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.event == "instances_started")).all()
        assert (event.actor, event.subject, event.occurred_at) == ("lanh_dao", "giao_nhiem_vu v1", clock.now())
        assert event.data["instances"] == [str(i) for i in result.instance_ids]
        assert event.data["units"] == [c.unit_code for c in children] and event.data["tasks"] == ["tiep_nhan"]
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.instance_id.is_not(None))) == 0


def test_the_audit_trail_says_who_started_which_instance_when(pe, clock):
    _deploy(pe, user_task_chain())
    children = [ChildSpec(f"U{i}") for i in range(SUMMARY_CHUNK + 5)]
    first = _bulk(pe, "p", children, actor="pho_giam_doc").instance_ids
    clock.advance(timedelta(seconds=1))
    second = _bulk(pe, "p", children[:3], actor="giam_doc").instance_ids
    single = _single(pe, "p", ChildSpec("U9"), actor="chuyen_vien")
    with pe.read() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.event == "instances_started")) == 3
        for instance_id, actor in ((first[0], "pho_giam_doc"), (first[-1], "pho_giam_doc"), (second[1], "giam_doc"),
                                   (single, "chuyen_vien")):  # fmt: skip
            instance = s.get(Instance, instance_id)
            event = start_event(s, instance)
            assert (event.actor, event.occurred_at) == (actor, instance.started_at)
        clock.advance(timedelta(seconds=1))
    pe.seal_audit()
    with pe.read() as s:
        result = verify(s)
    assert result.ok and result.unsealed == 0


def test_per_instance_audit_writes_what_start_instance_writes(pe):
    _deploy(pe, user_task_chain())
    single = _single(pe, "p", ChildSpec("U1"))
    [bulk] = _bulk(pe, "p", [ChildSpec("U1")], per_instance_audit=True).instance_ids
    (s1, _), (s2, _) = _snapshot(pe, single), _snapshot(pe, bulk)
    assert [e[0] for e in s2["events"]] == ["instance_started", "task_created"]
    assert s1["events"] == s2["events"]
    assert _count(pe, AuditEvent, AuditEvent.event == "instances_started") == 0


# --- idempotency ----------------------------------------------------------------------------


def test_a_repeated_dispatch_skips_business_keys_already_started(pe):
    _deploy(pe, user_task_chain())
    children = [ChildSpec(f"U{i}", business_key=f"KH/7/U{i}") for i in range(50)]
    first = _bulk(pe, "p", children)
    assert (first.created, first.skipped) == (50, 0)
    again = _bulk(pe, "p", children)
    assert (again.created, again.skipped, again.instance_ids) == (0, 50, [])
    more = _bulk(pe, "p", [*children[:10], ChildSpec("U50", business_key="KH/7/U50"), ChildSpec("U51")])
    assert (more.created, more.skipped) == (2, 10)
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(Instance)) == 52
        assert s.scalar(select(func.count()).select_from(HumanTask)) == 52
        keys = s.scalars(select(Instance.business_key).where(Instance.id.in_(more.instance_ids))).all()
    assert sorted(keys, key=str) == sorted(["KH/7/U50", None], key=str)
    # A key started one by one counts too.
    _single(pe, "p", ChildSpec("U60", business_key="KH/7/U60"))
    assert _bulk(pe, "p", [ChildSpec("U60", business_key="KH/7/U60")]).skipped == 1


def test_two_dispatches_of_the_same_children_at_once_start_each_child_once(pe):
    """The second dispatch waits for the first (PostgreSQL: advisory lock; SQLite: the write lock
    taken at BEGIN), then finds every key started."""
    _deploy(pe, user_task_chain())
    children = [ChildSpec(f"U{i}", business_key=f"KH/7/U{i}") for i in range(200)]
    a_paused, release_a, results = threading.Event(), threading.Event(), {}

    def pause(_uow):
        a_paused.set()
        assert release_a.wait(HANG_GUARD)

    def run(name, hook=None):
        with pe.unit_of_work(name) as uow:
            if hook:
                uow.before_commit.append(hook)
            results[name] = start_instances(uow, "p", children, data={})

    a = threading.Thread(target=run, args=("A", pause))
    a.start()
    assert a_paused.wait(HANG_GUARD)
    b = threading.Thread(target=run, args=("B",))
    b.start()
    if pe.db.dialect.name == "postgresql":
        wait_until_blocked_on_lock(pe)
    else:
        time.sleep(0.2)
    assert "B" not in results
    release_a.set()
    a.join(HANG_GUARD)
    b.join(HANG_GUARD)
    assert (results["A"].created, results["B"].created, results["B"].skipped) == (200, 0, 200)
    assert _count(pe, Instance) == 200


def test_a_parent_started_in_the_same_unit_of_work_and_a_repeat_in_it_are_seen(pe):
    _deploy(pe, user_task_chain())
    with pe.unit_of_work("lanh_dao") as uow:
        parent = start_instance(uow, StartInstance("p", {}, unit_code="SO", business_key="KH/7"))
        children = [ChildSpec(f"U{i}", parent_id=parent.id, business_key=f"KH/7/U{i}") for i in range(3)]
        first = start_instances(uow, "p", children, data={})
        again = start_instances(uow, "p", [*children, ChildSpec("SO", business_key="KH/7")], data={})
    assert (first.created, again.created, again.skipped) == (3, 0, 4)
    with pe.read() as s:
        assert sorted(s.scalars(select(Instance.id).where(Instance.parent_id == parent.id))) == sorted(first.instance_ids)


def test_bad_children_are_refused_before_anything_is_written(pe):
    _deploy(pe, user_task_chain())
    naive = (pe.clock.now() + timedelta(days=1)).replace(tzinfo=None)
    for children in ([ChildSpec("A", business_key="k"), ChildSpec("B", business_key="k")],
                     [ChildSpec("A", due_at=naive)], [ChildSpec("")], ["A"]):  # fmt: skip
        with pytest.raises(BadData):
            _bulk(pe, "p", children)
    with pytest.raises(BadData):
        _bulk(pe, "p", [ChildSpec("A")], data={"bad key": 1})
    assert _count(pe, Instance) == 0
    assert _bulk(pe, "p", []).created == 0


def test_a_bulk_start_can_target_a_version(pe):
    _deploy(pe, user_task_chain(names=("a",)))
    _deploy(pe, user_task_chain(names=("x",)))
    old = _bulk(pe, "p", [ChildSpec("U")], version=1).instance_ids
    new = _bulk(pe, "p", [ChildSpec("U")]).instance_ids
    assert [t.element_id for t in _open(pe, old[0])] == ["a"]
    assert [t.element_id for t in _open(pe, new[0])] == ["x"]


def _definition_queries(pe, action) -> int:
    sent: list[str] = []

    def listen(_conn, _cursor, statement, *_rest) -> None:
        sent.append(statement)

    event.listen(pe.db, "before_cursor_execute", listen)
    try:
        action()
    finally:
        event.remove(pe.db, "before_cursor_execute", listen)
    return sum("FROM process_definition" in s for s in sent)


def test_a_unit_of_work_asks_for_the_latest_version_once(pe):
    _deploy(pe, user_task_chain())

    def dispatch() -> None:
        with pe.unit_of_work("lanh_dao") as uow:
            for n in range(3):
                start_instances(uow, "p", [ChildSpec(f"U{n}")], data={})

    assert _definition_queries(pe, dispatch) == 1
    assert _definition_queries(pe, dispatch) == 1  # a new unit of work asks again


def test_a_deploy_between_two_bulk_starts_is_seen_by_the_second(pe):
    _deploy(pe, user_task_chain(names=("a",)))
    with pe.unit_of_work("lanh_dao") as uow:
        old = start_instances(uow, "p", [ChildSpec("U1")], data={}).instance_ids
        deploy(uow, user_task_chain(names=("x",)))
        new = start_instances(uow, "p", [ChildSpec("U2")], data={}).instance_ids
    later = _bulk(pe, "p", [ChildSpec("U3")], data={}).instance_ids
    assert [t.element_id for t in _open(pe, old[0])] == ["a"]
    assert [t.element_id for t in _open(pe, new[0])] == ["x"]
    assert [t.element_id for t in _open(pe, later[0])] == ["x"]
    # Another unit of work's deploy (another process's, as far as this one knows) too.
    _deploy(pe, user_task_chain(names=("y",)))
    assert [t.element_id for t in _open(pe, _bulk(pe, "p", [ChildSpec("U4")], data={}).instance_ids[0])] == ["y"]


def test_a_version_undone_by_a_rollback_is_not_remembered(pe):
    _deploy(pe, user_task_chain(names=("a",)))
    with pe.unit_of_work("lanh_dao") as uow:
        savepoint = uow.session.begin_nested()
        deploy(uow, user_task_chain(names=("x",)))
        assert latest_definition(uow, "p").version == 2
        savepoint.rollback()
        assert latest_definition(uow, "p").version == 1
        started = start_instances(uow, "p", [ChildSpec("U1")], data={}).instance_ids
    assert [t.element_id for t in _open(pe, started[0])] == ["a"]


# --- failure --------------------------------------------------------------------------------


def test_a_process_whose_first_step_fails_raises_and_writes_nothing(pe):
    _deploy(pe, script_only("hong", "ty_le = tong / so_luong"))
    before = {model: _count(pe, model) for model in (Instance, HumanTask, Timer, Incident, AuditEvent)}
    with pytest.raises(StepFailed) as err:
        _bulk(pe, "hong", [ChildSpec(f"U{i}", business_key=f"k{i}") for i in range(20)], data={"tong": 1, "so_luong": 0})
    assert isinstance(err.value, BulkStartFailed)
    assert (err.value.element_id, err.value.instance_id) == ("s", None)
    assert "ZeroDivision" in err.value.error_code + err.value.detail
    assert "No instance was started" in err.value.message("en") and "Chưa khởi tạo" in str(err.value)
    assert {model: _count(pe, model) for model in before} == before
    # Fixed data: the same dispatch goes through.
    assert _bulk(pe, "hong", [ChildSpec(f"U{i}", business_key=f"k{i}") for i in range(20)], data={"tong": 1, "so_luong": 2}).created == 20


def test_a_process_that_ends_at_once_ends_every_child_and_fires_the_hooks(pe, clock):
    _deploy(pe, script_only())
    ended = []
    pe.hooks.instance_ended.append(lambda uow, instance: ended.append((instance.unit_code, instance.status)))
    single = _single(pe, "ngay", ChildSpec("U0"))
    ids = _bulk(pe, "ngay", [ChildSpec("U0"), ChildSpec("U2")], per_instance_audit=True).instance_ids
    assert ended == [("U0", "completed"), ("U0", "completed"), ("U2", "completed")]
    (s1, _), (s2, _) = _snapshot(pe, single), _snapshot(pe, ids[0])
    assert s1 == s2 and s2["instance"]["ended_at"] == clock.now()


def test_task_created_hooks_see_each_childs_row_and_their_changes_are_kept(pe):
    _deploy(pe, user_task_chain())
    seen = []

    def assign(uow, row):
        seen.append((row.candidate_unit, row.element_id, row.instance_id))
        row.assignee = f"truong_phong_{row.candidate_unit}"

    pe.hooks.task_created.append(assign)
    ids = _bulk(pe, "p", [ChildSpec("U1"), ChildSpec("U2")]).instance_ids
    assert seen == [("U1", "a", ids[0]), ("U2", "a", ids[1])]
    assert [t.assignee for t in _open(pe, ids[0])] == ["truong_phong_U1"]


# --- siblings, locking, no per-child deserialization ------------------------------------------


def test_completing_one_child_leaves_its_siblings_untouched(pe):
    _deploy(pe, user_task_chain())
    ids = _bulk(pe, "p", [ChildSpec(f"U{i}") for i in range(5)]).instance_ids
    with pe.read() as s:
        before = {i: (s.get(Instance, i).version, s.get(Instance, i).state) for i in ids}
    _complete(pe, ids[2], "a")
    with pe.read() as s:
        after = {i: (s.get(Instance, i).version, s.get(Instance, i).state) for i in ids}
    assert [t.element_id for t in _open(pe, ids[2])] == ["b"]
    assert after[ids[2]][0] == before[ids[2]][0] + 1 and after[ids[2]][1] != before[ids[2]][1]
    assert {i: v for i, v in after.items() if i != ids[2]} == {i: v for i, v in before.items() if i != ids[2]}
    for i in ids[:2] + ids[3:]:
        assert [t.element_id for t in _open(pe, i)] == ["a"]


def test_a_bulk_child_is_optimistically_locked(pe):
    _deploy(pe, user_task_chain())
    [child] = _bulk(pe, "p", [ChildSpec("U")]).instance_ids
    [task] = _open(pe, child)

    def another_step_committed(uow, _completion) -> None:
        # Between the load and the write: the loaded version is stale, the UPDATE matches nothing.
        uow.session.execute(update(Instance.__table__).where(Instance.id == child).values(version=Instance.version + 1))

    pe.hooks.add("task_completing", another_step_committed)
    with pytest.raises(ConflictError), pe.unit_of_work("A") as uow:
        complete_task(uow, task.id)
    with pe.read() as s:
        assert s.get(Instance, child).version == 1
    assert [t.element_id for t in _open(pe, child)] == ["a"]


def test_two_people_completing_a_bulk_childs_task_exactly_one_wins(pe):
    _deploy(pe, user_task_chain(fields=RACE_FORM))
    [child] = _bulk(pe, "p", [ChildSpec("U")]).instance_ids
    [task] = _open(pe, child)
    postgres = pe.db.dialect.name == "postgresql"
    outcome = race(pe, task.id, postgres)
    assert outcome["A"] == "won"
    assert isinstance(outcome["B"], ConflictError if postgres else InvalidState), outcome["B"]
    with pe.read() as s:
        assert s.get(Instance, child).version == 2
        assert s.get(HumanTask, task.id).completed_by == "A"


def test_the_bulk_path_serializes_once_and_never_deserializes(pe, monkeypatch):
    _deploy(pe, giao_nhiem_vu())
    calls = {"dump": 0, "load": 0}
    dump, load = pe.codec.dump, pe.codec.load

    def counting_dump(*args, **kwargs):
        calls["dump"] += 1
        return dump(*args, **kwargs)

    def counting_load(*args, **kwargs):
        calls["load"] += 1
        return load(*args, **kwargs)

    monkeypatch.setattr(pe.codec, "dump", counting_dump)
    monkeypatch.setattr(pe.codec, "load", counting_load)
    ids = _bulk(pe, "giao_nhiem_vu", [ChildSpec(f"U{i}", business_key=f"k{i}") for i in range(300)]).instance_ids
    assert calls == {"dump": 1, "load": 0}
    with pe.read() as s:
        states = set(s.scalars(select(Instance.state).where(Instance.id.in_(ids))))
    assert len(states) == 1  # every child stores the same bytes
    _bulk(pe, "giao_nhiem_vu", [ChildSpec(f"U{i}", business_key=f"k{i}") for i in range(300)])  # all skipped
    assert calls == {"dump": 1, "load": 0}
    _complete(pe, ids[0], "tiep_nhan")  # a step loads and dumps one instance, as usual
    assert calls == {"dump": 2, "load": 1}


def test_spiff_task_ids_repeat_across_children_and_nothing_minds(pe):
    _deploy(pe, user_task_chain())
    ids = _bulk(pe, "p", [ChildSpec("U1"), ChildSpec("U2")]).instance_ids
    [t1], [t2] = _open(pe, ids[0]), _open(pe, ids[1])
    assert t1.spiff_task_id == t2.spiff_task_id and t1.id != t2.id
    _complete(pe, ids[1], "a")
    [n1], [n2] = _open(pe, ids[0]), _open(pe, ids[1])
    assert (n1.element_id, n2.element_id) == ("a", "b")
    assert n2.spiff_task_id != t2.spiff_task_id  # tasks created later get fresh UUIDs per instance
    assert uuid.UUID(str(n1.spiff_task_id)) == t1.spiff_task_id


# --- one task-row builder for both paths ------------------------------------------------------


def assigner_first(key: str = "giao_lai") -> bytes:
    """The first task belongs to the assigning unit (lane "Lãnh đạo đơn vị giao": the unit named by
    ``don_vi_giao``, else the parent instance's); the next one to the child's own unit."""
    body = (
        '<bpmn:startEvent id="start"/><bpmn:userTask id="giao" name="Giao việc"/>'
        '<bpmn:userTask id="lam" name="Làm"/><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="giao"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="giao" targetRef="lam"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="lam" targetRef="end"/>'
    )
    return process(body, key=key, lanes={"Lãnh đạo đơn vị giao": ["giao"], "Chuyên viên": ["lam"]})


def first_task_in_a_subprocess(key: str = "trong_sp") -> bytes:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:subProcess id="sp"><bpmn:startEvent id="s0"/>'
        '<bpmn:userTask id="lam" name="Làm"/><bpmn:endEvent id="s1"/>'
        '<bpmn:sequenceFlow id="i1" sourceRef="s0" targetRef="lam"/><bpmn:sequenceFlow id="i2" sourceRef="lam" targetRef="s1"/>'
        '</bpmn:subProcess><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sp"/><bpmn:sequenceFlow id="f2" sourceRef="sp" targetRef="end"/>'
    )
    return process(body, key=key, lanes={"Chuyên viên": ["sp"]})


ROW = ("element_id", "name", "lane", "candidate_unit", "candidate_role", "due_at", "plan_key", "task_key", "period")


def _rows(pe, instance_id):
    return [tuple(getattr(t, n) for n in ROW) for t in _open(pe, instance_id)]


@pytest.mark.parametrize("data", [{}, {"don_vi_giao": "PHONG_GDTH"}], ids=["parent-unit", "named-unit"])
def test_bulk_and_one_by_one_starts_build_the_same_task_rows(pe, clock, data):
    """A "… đơn vị giao" first task went to the child's unit in bulk and to the assigning unit one
    by one; both now build their rows with engine.task_rows."""
    _deploy(pe, assigner_first(), user_task_chain())
    with pe.unit_of_work("tester") as uow:
        parent = start_instance(uow, StartInstance("p", {}, unit_code="SO")).id
    due = clock.now() + timedelta(days=10)
    children = [ChildSpec("THCS_A", parent_id=parent, plan_key="637/KH", task_key="7", period="2026-Q2", due_at=due),
                ChildSpec("THCS_B")]  # fmt: skip
    singles = [_single(pe, "giao_lai", child, data=data) for child in children]
    bulks = _bulk(pe, "giao_lai", children, data=data).instance_ids
    assigner = data.get("don_vi_giao")
    assert _rows(pe, singles[0]) == _rows(pe, bulks[0]) == [
        ("giao", "Giao việc", "Lãnh đạo đơn vị giao", assigner or "SO", "leader", due, "637/KH", "7", "2026-Q2")]
    assert _rows(pe, singles[1]) == _rows(pe, bulks[1]) == [
        ("giao", "Giao việc", "Lãnh đạo đơn vị giao", assigner or "THCS_B", "leader", None, None, None, None)]
    for instance_id in (singles[0], bulks[0]):
        _complete(pe, instance_id, "giao")
    assert [r[3] for r in _rows(pe, singles[0])] == [r[3] for r in _rows(pe, bulks[0])] == ["THCS_A"]


def test_a_first_task_inside_a_subprocess_gets_one_row_in_bulk_too(pe):
    _deploy(pe, first_task_in_a_subprocess())
    single = _single(pe, "trong_sp", ChildSpec("A"))
    [bulk] = _bulk(pe, "trong_sp", [ChildSpec("A")]).instance_ids
    assert _rows(pe, single) == _rows(pe, bulk) == [("lam", "Làm", None, "A", "officer", None, None, None, None)]
    _complete(pe, bulk, "lam")
    with pe.read() as s:
        assert s.get(Instance, bulk).status == "completed"
