"""The action layer on both databases: each action by the right person, refusals that change
nothing and are recorded, a delegate acting "on behalf of", and the engine's guard."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import AuditEvent, BadData, Forbidden, HumanTask, complete_task
from tests.workflows.authz.world import build_world, open_task
from workflows.actions import guard
from workflows.actions.tasks import (
    Draft,
    accept,
    allowed_actions,
    approve,
    comment,
    grant_extension,
    reassign,
    refuse_extension,
    request_extension,
    return_,
    save_draft,
    sign_off,
    submit,
)
from workflows.authz.model import NotAllowed
from workflows.authz.refusals import refusals_recorded
from workflows.org.models import User
from workflows.reports.models import Report


def act(pe, username, action, *args, **kwargs):
    """What a shell does: one unit of work as ``username``, refusals recorded."""
    with refusals_recorded(pe, username) as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).one()
        return action(uow, user, *args, **kwargs)


@pytest.fixture
def world(pe):
    built = build_world(pe)
    guard.install(pe)
    return built


def events(pe, *names):
    with pe.read() as s:
        return s.scalars(select(AuditEvent).where(AuditEvent.event.in_(names)).order_by(AuditEvent.id)).all()


def reports(pe, instance_id):
    with pe.read() as s:
        return [(r.version, r.status) for r in s.scalars(select(Report).where(Report.instance_id == instance_id).order_by(Report.version))]


def to_leader_review(pe, world):
    act(pe, "s1_cv", accept, open_task(pe, world.th1, "tiep_nhan"))
    act(pe, "s1_cv", submit, open_task(pe, world.th1, "thuc_hien"), Draft("Đã hoàn thành 12/12 lớp.", files=[("bien_ban.txt", b"bien ban hop\n")]))
    return open_task(pe, world.th1, "duyet_bao_cao")


def test_the_school_does_the_work_the_leader_approves_and_the_assigning_leader_signs(pe, world):
    task_id = open_task(pe, world.th1, "tiep_nhan")
    with pe.read() as s:
        officer = s.scalars(select(User).where(User.username == "s1_cv")).one()
        assert allowed_actions(s, officer, task_id, now=pe.clock.now()) == ["view", "comment", "accept"]
    done = act(pe, "s1_cv", accept, task_id)
    assert done.instance.id == world.th1
    work = open_task(pe, world.th1, "thuc_hien")
    act(pe, "s1_cv", save_draft, work, Draft("Dự thảo", chi_so=[{"ma": "1", "tu_so": "3", "mau_so": "4"}]))
    assert open_task(pe, world.th1, "thuc_hien") == work and reports(pe, world.th1) == [(1, "draft")]
    act(pe, "s1_cv", submit, work, Draft("Đã hoàn thành 12/12 lớp.", files=[("bien_ban.txt", b"bien ban hop\n")]))
    # The files are saved with a draft, which is the version sent (no copy left behind as a draft).
    assert reports(pe, world.th1) == [(1, "draft"), (2, "draft")]
    with pe.read() as s:
        sent = s.scalars(select(Report).where(Report.instance_id == world.th1, Report.version == 2)).one()
        assert [a.filename for a in sent.attachments] == ["bien_ban.txt"] and sent.ket_qua == "Đã hoàn thành 12/12 lớp."
    act(pe, "s1_ld", approve, open_task(pe, world.th1, "duyet_bao_cao"), "Đồng ý gửi")
    assert reports(pe, world.th1) == [(1, "draft"), (2, "submitted")]
    act(pe, "x_cv", approve, open_task(pe, world.th1, "tham_dinh_bao_cao"))
    sign = open_task(pe, world.th1, "ky_duyet")
    with pytest.raises(NotAllowed, match="^Bạn không có quyền ký duyệt"):
        act(pe, "s1_ld", sign_off, sign)  # the school's own leader is not the assigning unit's
    act(pe, "x_ld", sign_off, sign, "Ký")
    with pe.read() as s:
        assert s.get(HumanTask, sign).status == "completed"
    taken = events(pe, "task_action_taken")
    assert [(e.actor, e.data["action"], e.subject) for e in taken] == [
        ("s1_cv", "accept", "tiep_nhan"), ("s1_cv", "save_draft", "thuc_hien"), ("s1_cv", "save_draft", "thuc_hien"),
        ("s1_cv", "submit", "thuc_hien"), ("s1_ld", "approve", "duyet_bao_cao"), ("x_cv", "approve", "tham_dinh_bao_cao"),
        ("x_ld", "sign", "ky_duyet"),
    ]  # fmt: skip
    assert all(e.data["name"] == e.actor and e.data["user_id"] for e in taken)
    [refused] = events(pe, "action_refused")
    assert (refused.actor, refused.data["action"], refused.task_id) == ("s1_ld", "sign", sign)
    assert [e.data["hash"] for e in events(pe, "report_signed")]


def test_another_schools_officer_is_refused_nothing_changes_and_it_is_recorded(pe, world):
    task_id = open_task(pe, world.th1, "tiep_nhan")
    with pe.read() as s:
        stranger = s.scalars(select(User).where(User.username == "s2_cv")).one()
        assert allowed_actions(s, stranger, task_id, now=pe.clock.now()) == []
    with pytest.raises(NotAllowed) as refused:
        act(pe, "s2_cv", accept, task_id)
    assert refused.value.message("vi").startswith("Bạn không có quyền tiếp nhận nhiệm vụ")
    assert open_task(pe, world.th1, "tiep_nhan") == task_id
    assert events(pe, "task_action_taken", "task_completed")[-1].event == "task_completed"  # only the setup's
    assert not [e for e in events(pe, "task_action_taken")]
    [event] = events(pe, "action_refused")
    assert (event.actor, event.task_id, event.data["action"]) == ("s2_cv", task_id, "accept")
    with pytest.raises(NotAllowed):
        act(pe, "so_tt", comment, task_id, "thanh tra chỉ xem")  # an inspector changes nothing
    act(pe, "x_cv", comment, task_id, "Nhắc trường tiếp nhận")  # the assigning commune may comment
    assert [e.data["comment"] for e in events(pe, "task_action_taken")] == ["Nhắc trường tiếp nhận"]


def test_return_needs_a_comment_and_sends_the_report_back(pe, world):
    review = to_leader_review(pe, world)
    with pytest.raises(BadData):
        act(pe, "s1_ld", return_, review, "  ")
    assert open_task(pe, world.th1, "duyet_bao_cao") == review
    act(pe, "s1_ld", return_, review, "Bổ sung số liệu")
    assert open_task(pe, world.th1, "thuc_hien")
    assert events(pe, "task_action_taken")[-1].data["fields"] == ["_comment"]


def test_a_delegate_approves_on_behalf_of_the_leader(pe, world):
    review = to_leader_review(pe, world)
    done = act(pe, "s1_pgd", approve, review)
    assert done.on_behalf_of == "s1_ld"
    last = events(pe, "task_action_taken")[-1]
    assert (last.actor, last.on_behalf_of, last.data["on_behalf_of"]) == ("s1_pgd", "s1_ld", "s1_ld")
    [completed] = [e for e in events(pe, "task_completed") if e.task_id == review]
    assert completed.on_behalf_of == "s1_ld"


def test_extension_requested_then_granted_or_refused(pe, world):
    act(pe, "s1_cv", accept, open_task(pe, world.th1, "tiep_nhan"))
    act(pe, "s1_cv", request_extension, open_task(pe, world.th1, "thuc_hien"), "2026-03-20", "Chờ số liệu")
    decision = open_task(pe, world.th1, "xem_xet_gia_han")
    with pytest.raises(NotAllowed):
        act(pe, "s1_ld", grant_extension, decision, "2026-03-20")  # the school cannot extend itself
    act(pe, "x_cv", refuse_extension, decision, "Không đủ lý do")
    act(pe, "s1_cv", request_extension, open_task(pe, world.th1, "thuc_hien"), "2026-03-25")
    act(pe, "x_cv", grant_extension, open_task(pe, world.th1, "xem_xet_gia_han"), "2026-03-25")
    assert open_task(pe, world.th1, "thuc_hien")
    actions = [e.data["action"] for e in events(pe, "task_action_taken")]
    assert actions == ["accept", "request_extension", "refuse_extension", "request_extension", "grant_extension"]


def test_reassign_inside_the_unit_to_a_person_holding_the_role(pe, world):
    task_id = open_task(pe, world.th1, "tiep_nhan")
    with pytest.raises(NotAllowed):
        act(pe, "s1_cv", reassign, task_id, "s1_pgd")  # only the leader reassigns
    with pytest.raises(Exception, match="s2_cv"):
        act(pe, "s1_ld", reassign, task_id, "s2_cv")  # not of the unit
    act(pe, "s1_ld", reassign, task_id, "s1_pgd")
    with pytest.raises(NotAllowed):
        act(pe, "s1_cv", accept, task_id)  # now someone else's
    act(pe, "s1_pgd", accept, task_id)


def test_the_guard_refuses_a_direct_completion_unless_allowed_or_an_admin_repair(pe, world):
    task_id = open_task(pe, world.th1, "tiep_nhan")
    with pytest.raises(NotAllowed), refusals_recorded(pe, "s2_cv") as uow:
        complete_task(uow, task_id, {})
    with pytest.raises(Forbidden, match="không phải người dùng"), pe.unit_of_work("cli:root") as uow:
        complete_task(uow, task_id, {})
    with pytest.raises(NotAllowed), pe.unit_of_work("s1_cv") as uow:
        guard.repair(uow, "s1_cv", "not an admin")
    assert open_task(pe, world.th1, "tiep_nhan") == task_id
    with pe.unit_of_work("so_qt") as uow:
        guard.repair(uow, "so_qt", "kẹt ở bước tiếp nhận")
        complete_task(uow, task_id, {})
    work = open_task(pe, world.th1, "thuc_hien")
    [repaired] = events(pe, "task_repaired")
    assert (repaired.actor, repaired.task_id, repaired.data["name"]) == ("so_qt", task_id, "so_qt")
    with pe.unit_of_work("s1_cv") as uow:  # the rules allow her: a direct call is fine
        complete_task(uow, work, {"de_nghi_gia_han": True, "han_de_nghi": "2026-03-20"})
    assert open_task(pe, world.th1, "xem_xet_gia_han")
