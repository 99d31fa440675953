"""A draft identical to the newest draft is that draft: saving it again, or sending it (a submit
with files saves them with a draft first), adds no version; both databases."""

from __future__ import annotations

from sqlalchemy import select

from engine import AuditEvent
from tests.workflows.reports.world import HIGH_SCHOOL, instance, simple_input
from workflows.reports.versions import history, new_version, set_status

PDF = b"%PDF-1.7\nbao cao"


def _new(pe, target, report_input, **kwargs):
    with pe.unit_of_work("thpt001_cv") as uow:
        return new_version(uow, instance(uow, target), report_input, **kwargs).version


def _versions(pe, target):
    with pe.read() as s:
        return [(r.version, r.status) for r in history(s, target)]


def test_the_same_draft_again_is_the_same_version(pe, world):
    target = world.instances[HIGH_SCHOOL]
    first = simple_input("Bản 1", attachments=(("bc.pdf", PDF),))
    assert _new(pe, target, first) == 1
    assert _new(pe, target, first) == 1  # nothing new: no copy left behind as a draft
    with pe.read() as s:
        sha = history(s, target)[0].attachments[0].sha256
        created = s.scalars(select(AuditEvent).where(AuditEvent.event == "report_version_created")).all()
    assert _new(pe, target, simple_input("Bản 1", attachments=(sha,))) == 1  # the file kept by its hash: the same
    assert len(created) == 1 and _versions(pe, target) == [(1, "draft")]
    assert _new(pe, target, simple_input("Bản 1 sửa", attachments=(sha,))) == 2  # a change is a new version
    assert _new(pe, target, simple_input("Bản 1 sửa", attachments=(sha,)), status="submitted") == 3  # sent directly


def test_after_a_return_the_same_content_is_a_new_version(pe, world):
    target = world.instances[HIGH_SCHOOL]
    _new(pe, target, simple_input("Bản 1"), status="submitted")
    with pe.unit_of_work("so_cv") as uow:
        set_status(uow, history(uow.session, target)[0], "returned", note="Bổ sung")
    assert _new(pe, target, simple_input("Bản 1")) == 2
    assert _versions(pe, target) == [(1, "returned"), (2, "draft")]
