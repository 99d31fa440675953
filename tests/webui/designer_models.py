"""Versions of the library's giao_nhiem_vu for the designer's tests: edited as the designer's
properties panel writes them (gv:lane, gv:deadline), or with a waiting step removed."""

from __future__ import annotations

from tests.engine.bpmn_samples import LIBRARY

V1 = (LIBRARY / "giao_nhiem_vu.bpmn").read_bytes()
LANE = '<bpmn:lane id="lane_chuyen_vien" name="Chuyên viên">'.encode()
TIEP_NHAN_FORM_END = b'label="H\xe1\xba\xa1n cho c\xc3\xa1c \xc4\x91\xc6\xa1n v\xe1\xbb\x8b ph\xe1\xbb\x91i h\xe1\xbb\xa3p (kh\xc3\xb4ng b\xe1\xba\xaft bu\xe1\xbb\x99c)"/>\n        </gv:form>'


def with_lane_role(xml: bytes, role: str, lane: bytes = LANE) -> bytes:
    """The lane "Chuyên viên" given ``role`` by a gv:lane (as the properties panel writes it)."""
    assert lane in xml
    return xml.replace(lane, lane + f'<bpmn:extensionElements><gv:lane role="{role}" party="own"/></bpmn:extensionElements>'.encode(), 1)


def with_deadline(xml: bytes, working_days: int) -> bytes:
    """The step tiep_nhan given a deadline rule of ``working_days`` working days."""
    assert TIEP_NHAN_FORM_END in xml
    return xml.replace(TIEP_NHAN_FORM_END, TIEP_NHAN_FORM_END + f'<gv:deadline workingDays="{working_days}"/>'.encode(), 1)


def without_step(xml: bytes, element_id: bytes = b"thuc_hien") -> bytes:
    """The step renamed everywhere: instances waiting on it cannot move to this version."""
    return xml.replace(element_id, element_id + b"_moi")


V2 = with_deadline(with_lane_role(V1, "leader"), 5)
