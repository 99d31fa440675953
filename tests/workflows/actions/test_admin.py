"""The admin actions on both databases: an administrator's changes go through the domain's own
commands and are audited; an inspector, a leader, an officer are refused (recorded) and nothing
changes; another province's units and people are not even confirmed; the province's declared days
are the calendar the worker's urging counts with."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine import AuditEvent, NotFound
from tests.workflows.actions.test_tasks import act
from tests.workflows.authz.world import build_world
from tests.workflows.escalation.world import at, notices, province, run
from workflows.actions import admin, guard
from workflows.authz.model import NotAllowed
from workflows.calendar.days import declare_day, province_calendar
from workflows.org.commands import AddUnit, AddUser
from workflows.org.models import OrgUnit, User, UserRole


@pytest.fixture
def world(pe):
    built = build_world(pe)
    guard.install(pe)
    return built


def refused(pe):
    with pe.read() as s:
        return [(e.actor, e.data["action"], e.data["reason"]) for e in s.scalars(select(AuditEvent).where(AuditEvent.event == "action_refused"))]


def test_an_administrator_changes_the_organisation_audited(pe, world):
    act(pe, "so_qt", admin.add_unit, AddUnit("T.X1.MN1", "Trường Mầm non Một", "mn", parent_code="T.X1"))
    act(pe, "so_qt", admin.add_aliases, "T.X1.MN1", ["MN Một"])
    act(pe, "so_qt", admin.create_user, AddUser("mn1_cv", "Lê Thị Mầm", "T.X1.MN1", ("officer",)), "mat-khau-mam-non")
    act(pe, "so_qt", admin.set_roles, "mn1_cv", ["officer", "leader"])
    assert act(pe, "so_qt", admin.set_active, "mn1_cv", False) == 0
    with pe.read() as s:
        person = s.scalars(select(User).where(User.username == "mn1_cv")).one()
        assert not person.active and person.password_hash.startswith("$argon2id$")
        assert set(s.scalars(select(UserRole.role).where(UserRole.user_id == person.id))) == {"officer", "leader"}
        trail = [(e.event, e.actor, e.subject) for e in s.scalars(select(AuditEvent).where(AuditEvent.actor == "so_qt").order_by(AuditEvent.id))]
    assert trail == [("unit_created", "so_qt", "T.X1.MN1"), ("unit_aliases_added", "so_qt", "T.X1.MN1"), ("user_created", "so_qt", "mn1_cv"),
                     ("user_password_set", "so_qt", "mn1_cv"), ("user_roles_set", "so_qt", "mn1_cv"), ("user_deactivated", "so_qt", "mn1_cv"),
                     ("user_sessions_ended", "so_qt", "mn1_cv")]  # fmt: skip


@pytest.mark.parametrize(("username", "reason"), [("so_tt", "authz_read_only"), ("so_ld", "authz_not_admin"), ("s1_cv", "authz_not_admin")])
def test_everyone_else_is_refused_and_recorded(pe, world, username, reason):
    changes = [
        (admin.add_unit, AddUnit("T.X1.MN2", "Trường Mầm non Hai", "mn", parent_code="T.X1")),
        (admin.add_external_body, "Sở Y tế"),
        (admin.set_roles, "s1_cv", ["admin"]),
        (admin.end_sessions, "s1_cv"),
        (admin.declare_day, date(2026, 5, 2), "day_off"),
        (admin.set_escalation_policy, "province", "T", {"digest_hour": 9}),
    ]
    for action, *args in changes:
        with pytest.raises(NotAllowed):
            act(pe, username, action, *args)
    assert refused(pe) == [(username, a, reason) for a in ("manage_units", "manage_units", "manage_users", "manage_users", "configure", "configure")]
    with pe.read() as s:
        assert s.scalars(select(OrgUnit).where(OrgUnit.code.in_(["T.X1.MN2", "T.NGOAI001"]))).all() == []


def test_reads_are_for_administrators_and_inspectors(pe, world):
    assert [r.code for r in act(pe, "so_tt", admin.units_page, "T.X1").children] == ["T.X1.TH1", "T.X1.TH2"]
    assert act(pe, "so_tt", admin.person, "s1_cv").roles == ("officer",)
    with pytest.raises(NotAllowed):
        act(pe, "x_ld", admin.people)
    assert refused(pe) == [("x_ld", "configure", "authz_not_admin")]


def test_another_provinces_units_and_people_are_not_found(pe, world):
    for action, *args in ((admin.units_page, "Q"), (admin.person, "q_ld"), (admin.set_roles, "q_ld", ["admin"]),
                          (admin.add_aliases, "Q", ["Sở khác"]), (admin.record_delegation, "q_ld", "so_cv", date(2026, 3, 2), date(2026, 3, 3))):  # fmt: skip
        with pytest.raises(NotFound):
            act(pe, "so_qt", action, *args)
    assert refused(pe) == []


def test_the_worker_urges_on_the_provinces_own_calendar(pe, clock):
    """The Hải Phòng demo's school MN01 owes task 1 by Tuesday 31/03/2026. With Monday 30/03
    declared a day off, the reminders come a working day earlier than the government's calendar
    alone gives them (Thursday 26/03 and Monday 30/03, ``test_run``)."""
    cast = province(pe)
    mn = cast["schools"]["HP.X001.MN01"]
    with pe.unit_of_work("tester") as uow:
        root = uow.session.scalars(select(OrgUnit).where(OrgUnit.code == "HP")).one()
        declare_day(uow, root.id, date(2026, 3, 30), "day_off", "Nghỉ theo quyết định của UBND thành phố")
    with pe.read() as s:
        assert not province_calendar(s, root.id, [2026]).is_working_day(date(2026, 3, 30))
    expected = {(3, 25): {("nhac_truoc_3", "hp_x001_mn01_cv")}, (3, 26): set(), (3, 27): {("nhac_truoc_1", "hp_x001_mn01_cv")},
                (3, 30): set(), (3, 31): {("den_han", "hp_x001_mn01_cv")}}  # fmt: skip
    for (month, day), wanted in expected.items():
        run(pe, clock, at(month, day))
        assert notices(pe, date(2026, month, day), instance_id=mn.id) == wanted, (month, day)
