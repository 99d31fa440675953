from __future__ import annotations

from engine import StartInstance, complete_task, deploy, start_instance
from engine.queries import inbox
from tests.engine.bpmn_samples import user_task_chain


def test_deploy_start_complete_on_both_databases(pe):
    with pe.unit_of_work("tester") as uow:
        [deployed] = deploy(uow, user_task_chain(fields={"y": "integer"}))
    assert (deployed.key, deployed.version, deployed.created) == ("p", 1, True)
    with pe.unit_of_work("tester") as uow:
        instance = start_instance(uow, StartInstance("p", {"x": 1}, unit_code="U1"))
    with pe.read() as session:
        [task] = inbox(session, unit="U1")
    assert (task.element_id, task.candidate_role) == ("a", "officer")
    with pe.unit_of_work("tester") as uow:
        complete_task(uow, task.id, {"y": 2})
    with pe.read() as session:
        [task] = inbox(session, unit="U1")
    assert task.element_id == "b"
    assert instance.status == "running"
