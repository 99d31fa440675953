"""Process ids are xsd:IDs (XML NCNames): Vietnamese letters are letters (issue 10, section 8)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import (
    DeployError,
    HumanTask,
    ProcessDefinition,
    ProcessEngine,
    StartInstance,
    deploy,
    start_instance,
)
from engine.bpmn import PROCESS_KEY, load_bpmn
from engine.sandbox import default_sandbox
from tests.engine.bpmn_samples import process, user_task_chain
from workflows.roles import role_catalog

KEY = "Quy_trình_giao_việc"


@pytest.mark.parametrize("key", [KEY, "Đánh_giá.chuyển-đổi_số_2026", "_riêng", "báo_cáo_định_kỳ"])
def test_a_vietnamese_ncname_is_a_process_key(key: str) -> None:
    assert PROCESS_KEY.fullmatch(key)


@pytest.mark.parametrize(
    "key",
    [
        "quy_tri\u0300nh",  # decomposed (NFD): a combining mark is not typed the way the key is looked up
        "2026_bao_cao",  # an NCName does not start with a digit
        "quy:trinh",  # nor holds a colon
        "quy\u200ftrinh",  # nor an invisible bidi mark
        "ªbc",  # a Latin-1 sign Python counts as a word character, not an NCName letter
        "a" * 101,  # the key column is String(100)
    ],
)
def test_what_is_not_an_ncname_or_too_long_is_refused(key: str) -> None:
    with pytest.raises(DeployError) as caught:
        load_bpmn(process('<bpmn:startEvent id="start"/>', key=key), role_catalog(), default_sandbox())
    assert [p.code for p in caught.value.problems] == ["bpmn_bad_process_id"]


def test_a_vietnamese_key_deploys_starts_and_is_shown_as_written(pe: ProcessEngine) -> None:
    with pe.unit_of_work("test") as uow:
        [deployed] = deploy(uow, user_task_chain(KEY, names=("tiếp_nhận", "thực_hiện")), source_name="vn.bpmn")
    with pe.unit_of_work("test") as uow:
        instance = start_instance(uow, StartInstance(KEY))
    with pe.read() as session:
        stored = session.scalars(select(ProcessDefinition.key)).all()
        opened = session.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == instance.id)).all()
    assert (deployed.key, stored, instance.process_key, opened) == (KEY, [KEY], KEY, ["tiếp_nhận"])
