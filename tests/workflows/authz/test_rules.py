"""The pure rules beyond the matrix: why a refusal happens, what it says, delegations' days,
assignees, reassignment, closed steps, and the step table against the process library."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from lxml import etree

from engine import Forbidden, InvalidState
from engine.messages import CATALOG
from tests.engine.bpmn_samples import LIBRARY
from tests.workflows.authz.world import (
    DAY,
    TH1_ASSIGNERS,
    TH1_STEPS,
    THPT_ASSIGNERS,
    THPT_STEPS,
    USERS,
    pure_plan,
    pure_task,
    pure_units,
    pure_user,
)
from workflows.authz.actions import LABELS, OrgAction, PlanAction, ProcessAction, TaskAction
from workflows.authz.messages import MESSAGES
from workflows.authz.model import STATE_REFUSALS, DelegationFacts, NotAllowed, PlanFacts, Relation
from workflows.authz.rules import (
    decide_delegation,
    decide_org,
    decide_plan,
    decide_process,
    decide_reassign,
    decide_task,
    may_complete,
    read_scope,
    unit_relations,
)
from workflows.authz.scope import allowed_actions
from workflows.authz.steps import EXTENSION_PROCESSES, STEP_ACTIONS, completes

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def th1(step: str, **kwargs):
    return pure_task(TH1_STEPS, TH1_ASSIGNERS, step, **kwargs)


def user(name: str, day: date = DAY):
    return pure_user(name, day)


@pytest.mark.parametrize(
    ("name", "action", "step", "reason"),
    [
        ("so_tt", "sign", "ky_duyet", "authz_read_only"),  # the inspector sees, changes nothing
        ("so_tt", "comment", "tiep_nhan", "authz_read_only"),
        ("so_qt", "approve", "duyet_bao_cao", "authz_admin_not_party"),  # the admin configures, never approves
        ("so_qt", "sign", "ky_duyet", "authz_admin_not_party"),
        ("s2_cv", "sign", "ky_duyet", "authz_not_visible"),  # another school's sign-off (issue 12's first line)
        ("p_vt", "sign", "ky_duyet", "authz_not_candidate"),  # the phòng sees the work it assigned, not the commune's step
        ("s1_cv", "sign", "ky_duyet", "authz_not_candidate"),
        ("s1_cv", "approve", "duyet_bao_cao", "authz_not_candidate"),  # an officer at the leader's step
        ("x_cv", "sign", "ky_duyet", "authz_not_candidate"),  # a revoked delegation
        ("s1_off", "accept", "tiep_nhan", "authz_user_inactive"),
        ("s1_off", "view", "tiep_nhan", "authz_user_inactive"),
        ("q_tt", "view", "tiep_nhan", "authz_not_visible"),  # another province's inspector
        ("s1_vt", "reassign", "thuc_hien", "authz_not_unit_leader"),
        ("s1_pgd", "reassign", "duyet_bao_cao", "authz_not_unit_leader"),  # a delegation hands approvals only
        ("s1_cv", "sign", "thuc_hien", "authz_step_has_no_action"),
    ],
)
def test_why_a_task_action_is_refused(name, action, step, reason):
    decision = decide_task(user(name), action, th1(step), DAY)
    assert (decision.allowed, decision.refusal) == (False, reason)
    assert decision.security_event is (reason not in STATE_REFUSALS)


def test_a_refusal_reads_in_vietnamese_first_then_english():
    decision = decide_task(user("s1_cv"), "sign", th1("ky_duyet"), DAY)
    assert decision.message() == "Bạn không có quyền ký duyệt: bước «ky_duyet» do lãnh đạo của UBND Phường Một thực hiện."
    assert decision.message("en") == "You may not sign off: the step “ky_duyet” is done by a leader (approver) of UBND Phường Một."
    hidden = decide_task(user("s2_cv"), "view", th1("tiep_nhan"), DAY)
    assert hidden.message() == f"Bạn không có quyền xem: task {th1('tiep_nhan').id} nằm ngoài phạm vi công việc đơn vị bạn được xem."
    assert "tiep_nhan" not in hidden.message()  # a task one may not see is not described


def test_every_refusal_message_is_registered_in_both_languages():
    for code, (vi, en) in MESSAGES.items():
        assert code.startswith("authz_") and CATALOG[code] == (vi, en)
        if code not in STATE_REFUSALS:
            assert vi.startswith("Bạn không có quyền") and en.startswith("You may not"), code
    assert set(LABELS) == {a.value for family in (TaskAction, PlanAction, OrgAction, ProcessAction) for a in family}


def test_every_refusal_of_the_whole_world_renders_in_both_languages():
    """Every user × every action × every target: each refusal's parameters fill its messages."""
    units = pure_units()
    targets = [*(th1(s) for s in TH1_STEPS), *(pure_task(THPT_STEPS, THPT_ASSIGNERS, s) for s in THPT_STEPS)]
    seen = set()
    for name, *_ in USERS:
        person = user(name)
        decisions = [decide_task(person, a, t, DAY) for a in TaskAction for t in targets]
        decisions += [decide_plan(person, a, pure_plan(p), DAY) for a in PlanAction for p in ("P1", "P2")]
        decisions += [decide_org(person, a, units[u], DAY) for a in OrgAction if a != "delegate" for u in ("T.X1", "Q")]
        decisions += [decide_delegation(person, person, user(other), DAY) for other in ("s2_cv", "q_ld", name)]
        decisions += [decide_process(person, a, units["T"], DAY) for a in ProcessAction]
        for d in decisions:
            if not d.allowed:
                assert d.message("vi") and d.message("en")
                seen.add(d.refusal)
    assert seen == set(MESSAGES) - {"authz_unit_inactive", "authz_no_role", "authz_assigned_to_other",
                                    "authz_assignee_not_eligible", "authz_delegate_for_other", "authz_task_not_open"}  # fmt: skip


@pytest.mark.parametrize(
    ("day", "revoked_on", "giver_active", "giver_roles", "valid"),
    [
        (date(2026, 3, 1), None, True, {"leader"}, True),  # its first day
        (date(2026, 3, 10), None, True, {"leader"}, True),  # its last day
        (date(2026, 2, 28), None, True, {"leader"}, False),
        (date(2026, 3, 11), None, True, {"leader"}, False),
        (date(2026, 3, 4), date(2026, 3, 5), True, {"leader"}, True),  # the day before it was revoked
        (date(2026, 3, 5), date(2026, 3, 5), True, {"leader"}, False),  # revoked that day
        (date(2026, 3, 5), None, False, {"leader"}, False),  # the giver left
        (date(2026, 3, 5), None, True, {"officer"}, False),  # the giver is no longer a leader
    ],
)
def test_a_delegation_counts_on_the_days_of_its_period_while_its_giver_still_leads(day, revoked_on, giver_active, giver_roles, valid):
    units = pure_units()
    delegation = DelegationFacts(1, 10, "s1_ld", giver_active, frozenset(giver_roles), units["T.X1.TH1"], "leader",
                                 date(2026, 3, 1), date(2026, 3, 10), revoked_on)  # fmt: skip
    assert delegation.valid_on(day) is valid
    deputy = replace(user("s1_pgd"), delegations=(delegation,))
    approve = decide_task(deputy, "approve", th1("duyet_bao_cao"), day)
    assert (approve.allowed, approve.on_behalf_of) == ((True, "s1_ld") if valid else (False, None))


def test_an_assigned_step_is_for_its_assignee_or_for_whoever_acts_on_their_behalf():
    work = th1("thuc_hien", assignee="s1_cv")
    assert decide_task(user("s1_cv"), "submit", work, DAY).allowed
    assert decide_task(user("s1_pgd"), "submit", work, DAY).refusal == "authz_assigned_to_other"
    assert decide_task(user("s1_pgd"), "view", work, DAY).allowed  # still seen by the unit
    review = th1("duyet_bao_cao", assignee="s1_ld")
    approve = decide_task(user("s1_pgd"), "approve", review, DAY)
    assert (approve.allowed, approve.on_behalf_of) == (True, "s1_ld")


@pytest.mark.parametrize(("person", "allowed"), [("s1_pgd", True), ("s1_off", False), ("s1_vt", False), ("s2_cv", False)])
def test_reassign_goes_to_an_active_person_of_the_unit_holding_the_steps_role(person, allowed):
    decision = decide_reassign(user("s1_ld"), th1("thuc_hien"), user(person), DAY)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.refusal == "authz_assignee_not_eligible" and not decision.security_event
    assert decide_reassign(user("s1_cv"), th1("thuc_hien"), user(person), DAY).refusal == "authz_not_unit_leader"


def test_a_closed_step_refuses_its_own_people_as_state_and_strangers_as_security():
    done = th1("tiep_nhan", status="completed")
    late = decide_task(user("s1_cv"), "accept", done, DAY)
    assert (late.refusal, late.security_event) == ("authz_task_not_open", False)
    assert decide_task(user("s1_ld"), "reassign", done, DAY).refusal == "authz_task_not_open"
    stranger = decide_task(user("x_cv"), "accept", done, DAY)
    assert (stranger.refusal, stranger.security_event) == ("authz_not_candidate", True)


def test_ensure_raises_not_allowed_for_security_refusals_and_invalid_state_for_the_rest():
    with pytest.raises(NotAllowed) as refused:
        decide_task(user("s2_cv"), "sign", th1("ky_duyet"), DAY).ensure()
    assert isinstance(refused.value, Forbidden) and refused.value.decision.action == "sign"
    assert str(refused.value).startswith("Bạn không có quyền ký duyệt:")
    assert refused.value.message("en").startswith("You may not sign off:")
    with pytest.raises(InvalidState):
        decide_task(user("s1_cv"), "accept", th1("tiep_nhan", status="completed"), DAY).ensure()
    allowed = decide_task(user("s1_cv"), "accept", th1("tiep_nhan"), DAY)
    assert allowed.ensure() is allowed


def test_nobody_of_an_inactive_unit_acts_or_reads():
    member = user("s1_cv")
    closed = replace(member, unit=replace(member.unit, active=False))
    assert decide_task(closed, "view", th1("tiep_nhan"), DAY).refusal == "authz_unit_inactive"
    assert read_scope(closed, DAY) == read_scope(user("s1_off"), DAY) == read_scope(replace(member, active=False), DAY)
    assert read_scope(closed, DAY).subtrees == ()


def test_extension_actions_only_where_the_process_has_the_path():
    assert "request_extension" in allowed_actions(user("s1_cv"), th1("thuc_hien"), DAY)
    coordinating = th1("thuc_hien", process_key="phoi_hop")
    assert allowed_actions(user("s1_cv"), coordinating, DAY) == ["view", "comment", "save_draft", "submit"]
    assert decide_task(user("s1_cv"), "request_extension", coordinating, DAY).refusal == "authz_step_has_no_action"


def test_may_complete_tells_a_guard_whether_this_person_may_end_the_step():
    assert may_complete(user("s1_cv"), th1("thuc_hien"), DAY).action == "submit"
    deputy = may_complete(user("s1_pgd"), th1("duyet_bao_cao"), DAY)
    assert (deputy.allowed, deputy.on_behalf_of) == (True, "s1_ld")
    assert may_complete(user("so_tt"), th1("ky_duyet"), DAY).refusal == "authz_read_only"
    assert may_complete(user("s1_cv"), replace(th1("thuc_hien"), step="buoc_moi"), DAY).refusal == "authz_step_has_no_action"


def test_who_may_prepare_a_plan_and_who_may_waive_its_6_ro():
    new_plan = PlanFacts(id=None, issuer=pure_units()["T"])
    assert decide_plan(user("p_vt"), "import", new_plan, DAY).allowed  # a phòng's clerk, for the Sở
    assert decide_plan(user("x_ld"), "import", new_plan, DAY).refusal == "authz_not_plan_staff"
    assert decide_plan(user("so_tt"), "dispatch", new_plan, DAY).refusal == "authz_read_only"
    assert decide_plan(user("so_qt"), "amend", new_plan, DAY).refusal == "authz_admin_not_party"
    waiver = decide_plan(user("p_cv"), "record_exception", new_plan, DAY)
    assert waiver.message() == "Bạn không có quyền ghi nhận ngoại lệ “6 rõ”: chỉ lãnh đạo Sở GDĐT Thử (đơn vị ban hành kế hoạch) hoặc người được lãnh đạo ủy quyền."
    assert decide_plan(user("q_ld"), "view", new_plan, DAY).refusal == "authz_other_province"


def test_a_leader_delegates_only_their_own_approvals_to_another_active_person_of_the_province():
    assert decide_delegation(user("so_ld"), user("so_ld"), user("p_ld"), DAY).allowed
    assert decide_delegation(user("so_qt"), user("so_ld"), user("p_ld"), DAY).refusal == "authz_delegate_for_other"
    assert decide_delegation(user("s1_cv"), user("s1_cv"), user("s1_pgd"), DAY).refusal == "authz_delegate_not_leader"
    assert decide_delegation(user("so_tt"), user("so_tt"), user("so_cv"), DAY).refusal == "authz_read_only"
    for receiver in ("s1_off", "s1_ld", "q_ld"):  # inactive, oneself, another province
        refused = decide_delegation(user("s1_ld"), user("s1_ld"), user(receiver), DAY)
        assert (refused.refusal, refused.security_event) == ("authz_delegate_receiver", False)
    with pytest.raises(ValueError):
        decide_org(user("so_ld"), "delegate", pure_units()["T"], DAY)


def test_relations_by_the_tree():
    u = pure_units()
    assert unit_relations(u["T"], u["T.X1.TH1"]) == {Relation.BELOW}
    assert unit_relations(u["T.P"], u["T"]) == {Relation.DIVISION}
    assert unit_relations(u["T.X1"], u["T.P"]) == {Relation.PROVINCE}
    assert unit_relations(u["T.X1.TH1"], u["T.X1"]) == {Relation.PROVINCE}  # a school does not see up
    assert unit_relations(u["Q"], u["T"]) == {Relation.UNRELATED}


def test_the_step_table_covers_every_user_task_of_the_library():
    for path in sorted(LIBRARY.glob("*.bpmn")):
        steps = {e.get("id") for e in etree.parse(str(path)).iter(f"{BPMN}userTask")}
        assert steps and steps <= set(STEP_ACTIONS), f"{path.name}: {sorted(steps - set(STEP_ACTIONS))}"
    assert completes("thuc_hien", TaskAction.SUBMIT) and not completes("thuc_hien", TaskAction.SAVE_DRAFT)
    assert not completes("buoc_moi", TaskAction.SUBMIT)


def test_extension_processes_are_those_whose_diagram_has_the_extension_path():
    with_path = {p.stem for p in LIBRARY.glob("*.bpmn") if "de_nghi_gia_han == True" in p.read_text(encoding="utf-8")}
    assert with_path == EXTENSION_PROCESSES
