"""Extensions, the process side: asked for before the deadline, granted only later than it, the
first deadline kept; both databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine import BadData, InvalidState
from tests.bpmn.test_library import variables
from tests.workflows.cascade.province import (
    act,
    dispatch,
    instances,
    open_task,
    setup_province,
    submit,
)
from workflows.hooks import install
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking

LEAD_DUE = datetime(2026, 4, 1, tzinfo=LOCAL_TZ)  # task 1, Quý I, led by the Văn phòng


@pytest.fixture
def lead(pe):
    install(pe, guard=False)  # the harness drives the steps as "tester"; the guard is tested in tests/workflows/actions
    plan_id = setup_province(pe)
    dispatch(pe, plan_id)
    [lead] = [i for i in instances(pe, task_key="1") if i.parent_id is None]
    act(pe, lead, "tiep_nhan")
    return lead


def _ask(pe, lead, **fields):
    return act(pe, lead, "thuc_hien", {"de_nghi_gia_han": True, "ly_do_gia_han": "Chờ số liệu các trường", **fields})


def test_a_request_after_the_deadline_is_refused(pe, clock, lead):
    clock.set(LEAD_DUE + timedelta(minutes=1))
    with pytest.raises(InvalidState) as refused:
        _ask(pe, lead, han_de_nghi="2026-04-15")
    assert refused.value.code == "extension_request_late"
    assert "00:00 01/04/2026" in str(refused.value) and "đã qua" in str(refused.value)
    assert open_task(pe, lead).element_id == "thuc_hien"  # nothing ran; the unit reports, late
    submit(pe, lead)
    assert open_task(pe, lead).element_id == "tham_dinh_bao_cao"
    with pe.read() as s:
        assert s.get(Tracking, lead.id).late is True


def test_a_request_at_the_deadline_itself_is_late(pe, clock, lead):
    clock.set(LEAD_DUE)
    with pytest.raises(InvalidState):
        _ask(pe, lead)


def test_a_request_must_ask_for_more_time(pe, clock, lead):
    with pytest.raises(BadData) as refused:
        _ask(pe, lead, han_de_nghi="2026-03-20")
    assert refused.value.code == "extension_request_not_later"
    assert open_task(pe, lead).element_id == "thuc_hien"


def test_a_grant_must_be_later_than_the_deadline_and_the_first_one_stays(pe, clock, lead):
    _ask(pe, lead, han_de_nghi="2026-04-15")
    assert open_task(pe, lead).element_id == "xem_xet_gia_han"
    for earlier in ("2026-03-30", "2026-03-31", LEAD_DUE.isoformat()):  # before, or exactly, the deadline in force
        with pytest.raises(BadData) as refused:
            act(pe, lead, "xem_xet_gia_han", {"quyet_dinh": "gia_han", "han_moi": earlier, "y_kien": "Đồng ý"})
        assert refused.value.code == "extension_not_later" and "phải sau hạn xử lý hiện tại (00:00 01/04/2026)" in str(refused.value)
    assert open_task(pe, lead).element_id == "xem_xet_gia_han"

    act(pe, lead, "xem_xet_gia_han", {"quyet_dinh": "gia_han", "han_moi": "2026-04-15T23:59:59+07:00", "y_kien": "Đồng ý"})
    draft = open_task(pe, lead)
    assert (draft.element_id, draft.due_at) == ("thuc_hien", datetime(2026, 4, 15, 23, 59, 59, tzinfo=LOCAL_TZ))
    data, _ = variables(pe, lead)
    assert (data["han_goc"], data["han_xu_ly"], data["so_lan_gia_han"]) == (LEAD_DUE.isoformat(), "2026-04-15T23:59:59+07:00", 1)
    with pe.read() as s:
        row = s.get(Tracking, lead.id)
        assert (row.original_due_at, row.due_at) == (LEAD_DUE, draft.due_at)

    # The review may grant more time too, but again only beyond the deadline now in force.
    submit(pe, lead)
    with pytest.raises(BadData) as refused:
        act(pe, lead, "tham_dinh_bao_cao", {"quyet_dinh": "gia_han", "han_moi": "2026-04-10", "y_kien": "Làm lại"})
    assert refused.value.code == "extension_not_later"
    act(pe, lead, "tham_dinh_bao_cao", {"quyet_dinh": "gia_han", "han_moi": "2026-04-30", "y_kien": "Làm lại"})
    data, _ = variables(pe, lead)
    assert (data["han_goc"], data["han_xu_ly"], data["so_lan_gia_han"]) == (LEAD_DUE.isoformat(), "2026-04-30T23:59:59+07:00", 2)
    with pe.read() as s:
        assert s.get(Tracking, lead.id).original_due_at == LEAD_DUE
