"""Who may read, design, deploy and migrate processes: pure rules, the permission tests' world."""

from __future__ import annotations

import pytest

from tests.workflows.authz.world import DAY, pure_units, pure_user
from workflows.authz.actions import ProcessAction
from workflows.authz.rules import decide_process

READ, DESIGN, DEPLOY, MIGRATE = ProcessAction.READ, ProcessAction.DESIGN, ProcessAction.DEPLOY, ProcessAction.MIGRATE


@pytest.mark.parametrize(
    ("username", "allowed", "refusal"),
    [
        ("so_ld", {READ, DESIGN, DEPLOY, MIGRATE}, None),  # the Sở's leadership
        ("so_cv", {READ, DESIGN, DEPLOY, MIGRATE}, None),
        ("p_ld", {READ, DESIGN, DEPLOY, MIGRATE}, None),  # a phòng's head and officer
        ("p_cv", {READ, DESIGN, DEPLOY, MIGRATE}, None),
        ("so_qt", {READ, DESIGN, DEPLOY, MIGRATE}, None),  # the administrator
        ("p_vt", {READ}, "authz_not_process_staff"),  # a clerk reads
        ("so_tt", {READ}, "authz_read_only"),  # the inspector reads, changes nothing
        ("x_ld", set(), "authz_not_process_staff"),  # a commune
        ("s1_cv", set(), "authz_not_process_staff"),  # a school
        ("t_ld", set(), "authz_not_process_staff"),
        ("q_ld", set(), "authz_not_process_staff"),  # another province's Sở, judged against T
    ],
)
def test_who_may_design_processes(username, allowed, refusal):
    person, province = pure_user(username, DAY), pure_units()["T"]
    decisions = {action: decide_process(person, action, province, DAY) for action in ProcessAction}
    assert {a for a, d in decisions.items() if d.allowed} == allowed
    for decision in decisions.values():
        if not decision.allowed:
            assert decision.refusal == refusal and decision.security_event
            assert decision.message("vi").startswith("Bạn không có quyền") and decision.message("en").startswith("You may not")
