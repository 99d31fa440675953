"""The contract between the library and the domain (issue 10 §2, §3): deploy-time checks of
decisions, conditions and forms, and the checks that run before a step completes, on both
databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine import (
    BadData,
    DeployError,
    FormRejected,
    HumanTask,
    Incident,
    Instance,
    InvalidState,
    ProcessDefinition,
    ProcessEngine,
    StartInstance,
    complete_task,
    deploy,
    start_instance,
)
from engine.bpmn import load_bpmn
from engine.sandbox import Sandbox
from tests.engine.bpmn_samples import LIBRARY
from workflows.cascade.dispatch import LEVEL_KINDS
from workflows.cascade.reporting import REVIEW_OUTCOMES
from workflows.hooks import install
from workflows.process_contract import (
    DECISIONS,
    REVIEW,
    SCHOOL_LEVELS,
    check_definition,
    compared_values,
)
from workflows.reports.models import Report
from workflows.roles import role_catalog

KEYS = ("giao_nhiem_vu", "phoi_hop", "bao_cao_dinh_ky", "xa_phuong_trien_khai")


def library(key: str) -> bytes:
    return (LIBRARY / f"{key}.bpmn").read_bytes()


def changed(key: str, old: str, new: str) -> bytes:
    """A department's copy of a library file with one change (which must apply exactly once)."""
    text = library(key).decode()
    assert text.count(old) == 1, old
    return text.replace(old, new).encode()


# --- the vocabulary ----------------------------------------------------------------------------


def test_the_domain_knows_every_value_the_contract_allows() -> None:
    assert set(REVIEW_OUTCOMES) == DECISIONS[REVIEW].values
    assert tuple(LEVEL_KINDS) == SCHOOL_LEVELS


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('quyet_dinh == "dong_y"', [("quyet_dinh", "dong_y")]),
        ('"tra_lai" != lanh_dao_duyet', [("lanh_dao_duyet", "tra_lai")]),
        ('quyet_dinh in ("dong_y", "gia_han") and x > 1', [("quyet_dinh", "dong_y"), ("quyet_dinh", "gia_han")]),
        ("han_xu_ly is not None", []),
        ("quyet_dinh == (", []),
    ],
)
def test_compared_values_reads_the_values_a_condition_tests(condition: str, expected: list[tuple[str, str]]) -> None:
    assert sorted(compared_values(condition)) == sorted(expected)


@pytest.mark.parametrize("key", KEYS)
def test_the_library_keeps_the_contract(key: str) -> None:
    sandbox = Sandbox()
    try:
        bundle = load_bpmn(library(key), role_catalog(), sandbox)[key]
    finally:
        sandbox.close()
    check_definition(None, bundle)  # type: ignore[arg-type]  # the check reads nothing from the unit of work


# --- a department's copy -----------------------------------------------------------------------

COPIES = {
    "a condition tests an unknown decision": (
        "giao_nhiem_vu", 'quyet_dinh == "dong_y"</bpmn:conditionExpression>', 'quyet_dinh == "tu_choi"</bpmn:conditionExpression>',
        "f_tham_dinh_dong_y", "contract_condition_value",
    ),
    "the form offers an unknown decision": (
        "giao_nhiem_vu", 'values="dong_y tra_lai gia_han"', 'values="dong_y tu_choi gia_han"', "tham_dinh_bao_cao", "contract_choice_values",
    ),
    "the decision is optional": (
        "bao_cao_dinh_ky", 'values="dong_y tra_lai" required="true" label="Kết quả thẩm định"', 'values="dong_y tra_lai" label="Kết quả thẩm định"',
        "tham_dinh_bao_cao", "contract_decision_missing",
    ),
    "the decision step has no form": (
        "phoi_hop", '<gv:field name="lanh_dao_duyet" type="choice" values="dong_y tra_lai" required="true" label="Quyết định của lãnh đạo"/>', "",
        "duyet_bao_cao", "contract_decision_missing",
    ),
    "a form writes what the process sets": (
        "giao_nhiem_vu", '<gv:field name="y_kien_ky_duyet"', '<gv:field name="so_lan_tra_lai" type="integer"/><gv:field name="y_kien_ky_duyet"',
        "ky_duyet", "contract_system_variable",
    ),
    "the report is text": (
        "bao_cao_dinh_ky", 'name="bao_cao" type="object"', 'name="bao_cao" type="text"',
        "thuc_hien", "contract_report_type",
    ),
    "a school level the dispatcher does not know": (
        "xa_phuong_trien_khai", 'values="MN TH THCS"', 'values="MN TH THCS THPT"', "giao_cho_truong", "contract_choice_values",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(COPIES))
def test_a_copy_that_breaks_the_contract_is_refused_naming_the_element(pe: ProcessEngine, case: str) -> None:
    key, old, new, element, code = COPIES[case]
    install(pe, guard=False)
    with pytest.raises(DeployError) as refused, pe.unit_of_work("truong_phong") as uow:
        deploy(uow, changed(key, old, new), source_name=f"{key}_sua.bpmn")
    assert [(p.element_id, p.code) for p in refused.value.problems] == [(element, code)]
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(ProcessDefinition)) == 0


def test_a_copy_that_keeps_the_contract_deploys(pe: ProcessEngine) -> None:
    install(pe, guard=False)
    copy = changed("giao_nhiem_vu", 'name="Ký duyệt"', 'name="Ký, đóng dấu"')
    with pe.unit_of_work("truong_phong") as uow:
        for key in KEYS:
            deploy(uow, library(key))
        [deployed] = deploy(uow, copy, source_name="giao_nhiem_vu_sua.bpmn")
    assert (deployed.version, deployed.created) == (2, True)


# --- completing steps --------------------------------------------------------------------------


def _open(pe: ProcessEngine, instance: Instance) -> HumanTask:
    with pe.read() as s:
        [row] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")).all()
    return row


def _act(pe: ProcessEngine, instance: Instance, element: str, data: dict[str, Any] | None = None) -> HumanTask:
    row = _open(pe, instance)
    assert row.element_id == element
    with pe.unit_of_work("nguoi_dung") as uow:
        complete_task(uow, row.id, data or {})
    return row


def _reports(pe: ProcessEngine, instance: Instance) -> list[tuple[int, str]]:
    with pe.read() as s:
        return [(r.version, r.status) for r in s.scalars(select(Report).where(Report.instance_id == instance.id).order_by(Report.version))]


def _state(pe: ProcessEngine, instance: Instance) -> tuple[int, int]:
    with pe.read() as s:
        row = s.get(Instance, instance.id)
        assert row is not None
        return row.version, s.scalar(select(func.count()).select_from(Incident))


def _under_review(pe: ProcessEngine, *, deployed: bool = False) -> Instance:
    """A school's giao_nhiem_vu (the library's, unless ``deployed`` already) with its report
    submitted to the assigning unit."""
    with pe.unit_of_work("admin") as uow:
        if not deployed:
            deploy(uow, library("giao_nhiem_vu"))
        instance = start_instance(uow, StartInstance("giao_nhiem_vu", {"don_vi_giao": "HP.X001"}, unit_code="HP.X001.THCS01"))
    _act(pe, instance, "tiep_nhan")
    _act(pe, instance, "thuc_hien", {"bao_cao": {"ket_qua": "Đã triển khai"}})
    _act(pe, instance, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"})
    assert _open(pe, instance).element_id == "tham_dinh_bao_cao" and _reports(pe, instance) == [(1, "submitted")]
    return instance


def test_an_unknown_review_decision_is_refused_and_the_unit_is_not_stuck(pe: ProcessEngine) -> None:
    """Issue 10 §3: ``tu_choi`` took the default path (returned) while the report stayed
    submitted, and the unit's next draft was refused with report_locked."""
    install(pe, guard=False)
    instance = _under_review(pe)
    before = _state(pe, instance)
    with pytest.raises(FormRejected) as refused:
        _act(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "tu_choi", "y_kien": "Không đạt"})
    assert [p.element_id for p in refused.value.problems] == ["quyet_dinh"]
    assert _state(pe, instance) == before and _reports(pe, instance) == [(1, "submitted")]
    with pytest.raises(BadData) as no_reason:  # returning needs a reason, checked before the step runs
        _act(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "tra_lai"})
    assert no_reason.value.code == "report_return_needs_reason" and _state(pe, instance) == before
    _act(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "tra_lai", "y_kien": "Không đạt"})
    _act(pe, instance, "thuc_hien", {"bao_cao": {"ket_qua": "Đã triển khai, bổ sung"}})
    assert _reports(pe, instance) == [(1, "returned"), (2, "draft")]


def test_a_version_deployed_without_the_check_still_cannot_take_an_unknown_decision(pe: ProcessEngine) -> None:
    """A version deployed by an engine without the domain's deploy check (a script, an older
    release): the completion guard refuses what the domain does not know."""
    lax = changed("giao_nhiem_vu", 'values="dong_y tra_lai gia_han"', 'values="dong_y tu_choi tra_lai gia_han"')
    with ProcessEngine(pe.db, clock=pe.clock, roles=role_catalog()).unit_of_work("script") as uow:
        deploy(uow, lax)  # no domain hook on that engine: nothing checks the copy
    install(pe, guard=False)
    instance = _under_review(pe, deployed=True)
    before = _state(pe, instance)
    with pytest.raises(BadData) as refused:
        _act(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "tu_choi", "y_kien": "Không đạt"})
    assert refused.value.code == "decision_unknown" and "tu_choi" in str(refused.value)
    assert _state(pe, instance) == before and _open(pe, instance).element_id == "tham_dinh_bao_cao"


@pytest.mark.parametrize("new_deadline", [None, "2026-03-01", "2026-03-02T07:59:00+07:00"])
def test_an_extension_needs_a_new_deadline_after_now(pe: ProcessEngine, new_deadline: str | None) -> None:
    install(pe, guard=False)
    instance = _under_review(pe)
    before = _state(pe, instance)
    with pytest.raises(BadData) as refused:
        _act(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "gia_han", "han_moi": new_deadline})
    assert refused.value.code == "extension_needs_deadline" and _state(pe, instance) == before
    _act(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "gia_han", "han_moi": "2026-03-09T08:00:01+07:00"})  # after now and the deadline
    assert _reports(pe, instance) == [(1, "returned")]


def test_the_report_is_checked_before_the_step_runs(pe: ProcessEngine) -> None:
    install(pe, guard=False)
    with pe.unit_of_work("admin") as uow:
        deploy(uow, library("giao_nhiem_vu"))
        instance = start_instance(uow, StartInstance("giao_nhiem_vu", {"don_vi_giao": "HP.X001"}, unit_code="HP.X001.THCS01"))
    _act(pe, instance, "tiep_nhan")
    before = _state(pe, instance)
    for bad, code in (
        ({"bao_cao": {"ket_qua": "  "}}, "bad_data"), ({"bao_cao": {"ket_qua": "x", "kien_ngi": "y"}}, "bad_data"),
        ({}, "report_required"), ({"de_nghi_gia_han": False}, "report_required"),
    ):  # fmt: skip
        with pytest.raises(BadData) as refused:
            _act(pe, instance, "thuc_hien", bad)
        assert refused.value.code == code
    assert _state(pe, instance) == before and _reports(pe, instance) == []
    _act(pe, instance, "thuc_hien", {"de_nghi_gia_han": True, "ly_do_gia_han": "Chờ số liệu"})  # more time instead
    assert _open(pe, instance).element_id == "xem_xet_gia_han" and _reports(pe, instance) == []


def test_a_review_decides_on_a_submitted_report(pe: ProcessEngine) -> None:
    """A department's copy that skips the leader's approval: the reviewer would decide on a draft
    nobody submitted (the process moving on, the report left behind); refused before anything
    changes."""
    install(pe, guard=False)
    copy = changed("giao_nhiem_vu", 'sourceRef="co_de_nghi_gia_han" targetRef="duyet_bao_cao"', 'sourceRef="co_de_nghi_gia_han" targetRef="tham_dinh_bao_cao"')
    with pe.unit_of_work("admin") as uow:
        deploy(uow, copy)
        instance = start_instance(uow, StartInstance("giao_nhiem_vu", {"don_vi_giao": "HP.X001"}, unit_code="HP.X001.THCS01"))
    _act(pe, instance, "tiep_nhan")
    _act(pe, instance, "thuc_hien", {"bao_cao": {"ket_qua": "Bản nháp"}})
    before = _state(pe, instance)
    with pytest.raises(InvalidState) as refused:
        _act(pe, instance, "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"})
    assert refused.value.code == "report_not_under_review" and _state(pe, instance) == before
    assert _reports(pe, instance) == [(1, "draft")]
