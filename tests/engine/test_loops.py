"""Instances that loop for years. SpiffWorkflow unrolls every round of a loop below the last one;
before ``engine.task_tree`` a ``phoi_hop`` instance failed at its 245th return (and every retry
the same way) and a script loop of ~340 rounds left its instance completed with its user task
never opened. Thousands of rounds here, through a review with a deadline, a parallel join, a
loop beside a waiting branch, a sub-process and ``phoi_hop`` itself; every step goes through the
stored bytes (load, run, dump), as the engine's steps do.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import (
    HumanTask,
    Incident,
    Instance,
    StartInstance,
    StepFailed,
    complete_task,
    deploy,
    fire_due_timers,
    start_instance,
    steps,
    task_tree,
)
from engine.bpmn import reparse
from engine.sandbox import SandboxEnvironment, default_sandbox
from engine.state import StateCodec
from tests.engine import bpmn_samples
from tests.fixtures.plugin import T0
from workflows.roles import role_catalog

# Deepest tree any step may reach: compaction keeps it near the frontier, however many rounds.
DEPTH_BOUND = task_tree.COMPACT_DEPTH + 20


class StoredInstance:
    """One instance driven the way ``engine.steps`` drives it, with no database: each step loads
    the stored bytes (compacting a deep tree), completes a user task, runs to the next wait state
    and stores the bytes again (compacting)."""

    def __init__(self, xml: bytes, key: str, data: dict[str, Any] | None = None) -> None:
        sandbox = default_sandbox()
        self.bundle = reparse(xml, role_catalog(), sandbox, key)
        engine = SimpleNamespace(codec=StateCodec(), script_engine=PythonScriptEngine(environment=SandboxEnvironment(sandbox)))
        self.uow: Any = SimpleNamespace(engine=engine, now=T0)
        self.instance = Instance(id=uuid.uuid4())
        self.deepest = 0
        workflow = steps.new_workflow(self.uow, self.bundle, data or {})
        self._run(workflow, None)

    def ready(self) -> list[str]:
        workflow = steps.load(self.uow, self.instance, self.bundle)
        return sorted(t.task_spec.bpmn_id for t in steps.tasks_in(workflow, state=TaskState.READY, manual=True))

    def complete(self, element_id: str, **data: Any) -> Any:
        workflow = steps.load(self.uow, self.instance, self.bundle)
        [task] = [t for t in steps.tasks_in(workflow, state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == element_id]

        def action() -> None:
            task.data.update(data)
            task.run()

        return self._run(workflow, action)

    def fire_timers(self, now: Any) -> Any:
        workflow = steps.load(self.uow, self.instance, self.bundle)
        return self._run(workflow, workflow.refresh_timers, now=now)

    def _run(self, workflow: Any, action: Any, now: Any = None) -> Any:
        steps.run(self.uow, self.instance, workflow, {"kind": "test"}, action, now=now)
        self.deepest = max(self.deepest, *(task_tree.depth(each) for each in steps.all_workflows(workflow)))
        self.completed = workflow.is_completed()
        self.instance.state = steps.dump(self.uow, self.instance, workflow)
        return workflow


@pytest.mark.slow
def test_a_review_loop_returns_2000_times_then_ends():
    run = StoredInstance(bpmn_samples.review_loop(), "review")
    for round_ in range(1, 2001):
        assert run.ready() == ["lam"], round_
        run.complete("lam", ghi_chu=f"lần {round_}")
        workflow = run.complete("duyet", ket_qua="tra_lai")
        if round_ % 400 == 0:  # the deadline passes now and then: its branch runs and ends
            run.fire_timers(T0 + timedelta(days=8 * round_))
    assert run.ready() == ["lam"] and not run.completed
    run.complete("lam", ghi_chu="xong")
    workflow = run.complete("duyet", ket_qua="dong_y")
    assert run.completed and workflow.data["vong"] == 2001 and workflow.data["ghi_chu"] == "xong"
    assert workflow.data["tre_o_vong"] == 2000  # the deadline's last branch, merged at the end
    assert run.deepest <= DEPTH_BOUND
    assert len(run.instance.state) < 20_000  # the stored state stays small (bytes, compressed)


@pytest.mark.slow
def test_phoi_hop_returns_1000_times_then_is_approved():
    run = StoredInstance((bpmn_samples.LIBRARY / "phoi_hop.bpmn").read_bytes(), "phoi_hop", {"tieu_de": "t"})
    run.complete("tiep_nhan")
    for round_ in range(1, 1001):
        assert run.ready() == ["thuc_hien"], round_
        run.complete("thuc_hien", noi_dung_phoi_hop=f"bản {round_}")
        run.complete("duyet_bao_cao", lanh_dao_duyet="tra_lai")
    run.complete("thuc_hien", noi_dung_phoi_hop="bản cuối")
    workflow = run.complete("duyet_bao_cao", lanh_dao_duyet="dong_y")
    assert run.completed and workflow.data["noi_dung_phoi_hop"] == "bản cuối"
    assert run.deepest <= DEPTH_BOUND


def test_a_parallel_join_in_a_loop_waits_for_both_branches_every_round():
    run = StoredInstance(bpmn_samples.parallel_review_loop(), "parallel_review")
    for round_ in range(1, 201):
        assert run.ready() == ["a", "b"], round_
        first, second = ("a", "b") if round_ % 2 else ("b", "a")
        run.complete(first, lan=round_)
        assert run.ready() == [second], round_  # the join waits for the other branch, every round
        run.complete(second, lan=round_)
        assert run.ready() == ["duyet"], round_
        run.complete("duyet", ket_qua="tra_lai")
    # Both branches' data reaches the review (for names only one branch writes: of a name both
    # carry, SpiffWorkflow keeps one branch's value, see ../shared/peers.md).
    run.complete("b", phan_b="B")
    workflow = run.complete("a", phan_a="A")
    [review] = [t for t in steps.tasks_in(workflow, state=TaskState.READY, manual=True)]
    assert (review.data["phan_a"], review.data["phan_b"]) == ("A", "B")
    run.complete("duyet", ket_qua="dong_y")
    assert run.completed and run.deepest <= DEPTH_BOUND


def test_a_branch_loops_600_times_while_the_other_waits_at_the_join():
    run = StoredInstance(bpmn_samples.loop_beside_a_waiting_branch(), "loop_beside")
    run.complete("cho", cho="đã xong")  # this branch arrives at the join first and waits there
    for round_ in range(1, 601):
        assert run.ready() == ["sua"], round_
        run.complete("sua", xong=False, lan_sua=round_)
    assert not run.completed
    workflow = run.complete("sua", xong=True)
    assert run.completed and (workflow.data["cho"], workflow.data["lan_sua"]) == ("đã xong", 600)
    assert run.deepest <= DEPTH_BOUND


def test_loops_inside_and_around_a_subprocess():
    run = StoredInstance(bpmn_samples.subprocess_loops(), "sub_loops")
    for outer in range(1, 61):
        for _ in range(4):
            assert run.ready() == ["lam"]
            run.complete("lam", xong=False)
        workflow = run.complete("lam", xong=True, het=False, vong_ngoai=outer)
        assert len(workflow.subprocesses) < 20  # finished sub-processes go with their compacted tasks
    assert run.ready() == ["lam"]
    run.complete("lam", xong=True, het=True)
    assert run.ready() == ["sau"]
    workflow = run.complete("sau")
    assert run.completed and workflow.data["vong_ngoai"] == 60 and workflow.data["lan"] == 301
    assert run.deepest <= DEPTH_BOUND


def test_a_script_loop_within_the_step_bound_opens_its_user_task():
    run = StoredInstance(bpmn_samples.script_loop(), "script_loop", {"n": 0, "limit": 200})
    assert run.ready() == ["u"] and not run.completed


def test_a_script_loop_that_never_waits_is_a_step_failure_never_a_completion():
    with pytest.raises(StepFailed) as failed:
        StoredInstance(bpmn_samples.script_loop(), "script_loop", {"n": 0, "limit": 10**9})
    assert failed.value.error_code == "engine_steps_exceeded" and failed.value.element_id in {"inc", "g"}


def test_an_instance_too_deep_to_run_before_compaction_runs_again(monkeypatch):
    """Before this change a looping instance reached SpiffWorkflow's depth limit and every retry
    failed the same way; loaded now, it is compacted and goes on."""
    run = StoredInstance(bpmn_samples.review_loop(), "review")
    monkeypatch.setattr(task_tree, "COMPACT_DEPTH", 10**9)  # as before: never compacted
    workflow = steps.load(run.uow, run.instance, run.bundle)
    while task_tree.depth(workflow) < task_tree.MAX_DEPTH - 10:  # ~150 returns, in memory (cheap)
        [task] = steps.tasks_in(workflow, state=TaskState.READY, manual=True)
        steps.run(run.uow, run.instance, workflow, {"kind": "test"}, lambda t=task: (t.data.update(ket_qua="tra_lai"), t.run()))
    run.instance.state = steps.dump(run.uow, run.instance, workflow)  # what such an instance stored
    with pytest.raises(StepFailed) as failed:
        for _ in range(10):
            stuck = run.ready()
            run.complete(stuck[0], ket_qua="tra_lai")
    assert failed.value.error_code in {"task_tree_too_deep", "RecursionError"}
    with pytest.raises(StepFailed):  # the same step again: the same failure, for ever
        run.complete(stuck[0], ket_qua="tra_lai")
    monkeypatch.undo()
    run.complete(stuck[0], ket_qua="tra_lai")
    if run.ready() == ["lam"]:
        run.complete("lam")
    run.complete("duyet", ket_qua="dong_y")
    assert run.completed


def test_compaction_keeps_what_a_boundary_event_join_reads():
    """A deadline that fired (its branch done) and the activity still open: the split above keeps
    both children, so completing the activity later still finds them."""
    run = StoredInstance(bpmn_samples.review_loop(), "review")
    for _ in range(60):
        run.complete("lam")
        run.complete("duyet", ket_qua="tra_lai")
    run.fire_timers(T0 + timedelta(days=30))
    workflow = steps.load(run.uow, run.instance, run.bundle)
    [lam] = [t for t in steps.tasks_in(workflow, state=TaskState.READY, manual=True)]
    split = lam.parent
    assert [c.task_spec.bpmn_id for c in split.children] == ["lam", "han"] and split.children[1].state == TaskState.COMPLETED
    run.complete("lam")
    assert run.ready() == ["duyet"]


# --- the same through the database, on both ----------------------------------------------


def _open(pe, instance_id) -> list[HumanTask]:
    with pe.read() as s:
        return s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")).all()


def _complete_only(pe, instance_id, element_id: str, data: dict[str, Any] | None = None) -> None:
    [task] = _open(pe, instance_id)
    assert task.element_id == element_id
    with pe.unit_of_work("tester") as uow:
        complete_task(uow, task.id, data or {})


def test_phoi_hop_passes_the_old_limit_of_245_returns(pe, clock):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, (bpmn_samples.LIBRARY / "phoi_hop.bpmn").read_bytes())
        instance = start_instance(uow, StartInstance("phoi_hop", {"tieu_de": "t"}, unit_code="U"))
    _complete_only(pe, instance.id, "tiep_nhan")
    for round_ in range(1, 261):
        _complete_only(pe, instance.id, "thuc_hien", {"noi_dung_phoi_hop": f"bản {round_}"})
        _complete_only(pe, instance.id, "duyet_bao_cao", {"lanh_dao_duyet": "tra_lai"})
        if round_ == 250:  # the deadline (7 days after the round started) passes: marked overdue
            assert fire_due_timers(pe, clock.now() + timedelta(days=8)).fired == 1
    _complete_only(pe, instance.id, "thuc_hien", {"noi_dung_phoi_hop": "bản cuối"})
    _complete_only(pe, instance.id, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})
    with pe.read() as s:
        done = s.get(Instance, instance.id)
        incidents = s.scalars(select(Incident)).all()
    assert done.status == "completed" and incidents == []
    assert len(done.state) < 20_000


def test_a_runaway_script_loop_is_an_incident_and_the_instance_is_not_completed(pe):
    with pe.unit_of_work("tester") as uow:
        deploy(uow, bpmn_samples.script_loop())
    with pytest.raises(StepFailed), pe.unit_of_work("tester") as uow:
        start_instance(uow, StartInstance("script_loop", {"n": 0, "limit": 600}, unit_code="U"))
    with pe.read() as s:
        [incident] = s.scalars(select(Incident)).all()
        instance = s.get(Instance, incident.instance_id)
    assert incident.error_code == "engine_steps_exceeded" and "500" in incident.message
    assert instance.status == "running" and _open(pe, instance.id) == []


def test_a_deep_stored_state_is_compacted_when_next_loaded(pe, monkeypatch):
    """An instance stored before this change has a tree that was never compacted."""
    with pe.unit_of_work("tester") as uow:
        deploy(uow, bpmn_samples.review_loop())
        instance = start_instance(uow, StartInstance("review", {}, unit_code="U"))
    monkeypatch.setattr(task_tree, "COMPACT_DEPTH", 10**9)  # as before: never compacted
    for _ in range(12):
        _complete_only(pe, instance.id, "lam")
        _complete_only(pe, instance.id, "duyet", {"ket_qua": "tra_lai"})
    monkeypatch.undo()
    before = _stored_tree(pe, instance.id)
    _complete_only(pe, instance.id, "lam")
    after = _stored_tree(pe, instance.id)
    assert task_tree.depth(before) > 4 * task_tree.COMPACT_DEPTH and task_tree.depth(after) <= task_tree.COMPACT_DEPTH
    assert len(after.tasks) < len(before.tasks) / 3
    _complete_only(pe, instance.id, "duyet", {"ket_qua": "dong_y"})
    with pe.read() as s:
        assert s.get(Instance, instance.id).status == "completed"


def _stored_tree(pe, instance_id) -> Any:
    with pe.read() as s:
        instance = s.get(Instance, instance_id)
        bundle = pe.bundle_by_id(s, instance.definition_id)
    return pe.codec.load(instance.state, bundle.spec, bundle.subprocess_specs, pe.script_engine)
