"""Reads scoped by the rules, on both databases: what each person's lists hold (written by hand),
the SQL filters agreeing with ``decide_task(view)`` row by row, and the loaders' statement counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from engine import HumanTask
from tests.workflows.authz.test_matrix import _who
from tests.workflows.authz.world import AFTER, DAY, USERS, build_world, complete, open_task
from workflows.authz.facts import load_plan, load_task, load_user
from workflows.authz.rules import decide_task
from workflows.authz.scope import visible_tasks, visible_units, visible_work
from workflows.org.models import OrgUnit
from workflows.tracking.models import Tracking

PROVINCE_T = {"T", "T.P", "T.X1", "T.X1.TH1", "T.X1.TH2", "T.THPT1"}
ALL_WORK = {"T.X1", "T.X1.TH1", "T.X1.TH2", "T.THPT1"}

# user@day → (units whose work they read, the units of the dispatched work they see)
EXPECTED = {
    "s1_cv": ({"T.X1.TH1"}, {"T.X1.TH1"}),
    "s1_pgd": ({"T.X1.TH1"}, {"T.X1.TH1"}),  # a delegation from the same school adds nothing
    "s2_cv": ({"T.X1.TH2"}, {"T.X1.TH2"}),
    "x_cv": ({"T.X1", "T.X1.TH1", "T.X1.TH2"}, {"T.X1", "T.X1.TH1", "T.X1.TH2"}),
    "p_cv": ({"T.P"}, {"T.X1", "T.X1.TH1", "T.X1.TH2"}),  # what the phòng assigned, and below it
    "p_ld": (PROVINCE_T, ALL_WORK),  # holds the Sở leader's delegation today
    "p_ld@after": ({"T.P"}, {"T.X1", "T.X1.TH1", "T.X1.TH2"}),
    "t_cv": ({"T.THPT1"}, {"T.THPT1"}),
    "so_cv": (PROVINCE_T, ALL_WORK),
    "so_tt": (PROVINCE_T, ALL_WORK),
    "so_qt": (PROVINCE_T, ALL_WORK),
    "q_tt": ({"Q"}, set()),
    "s1_off": (set(), set()),
}


@pytest.fixture
def world(pe):
    built = build_world(pe)
    # Spread the open tasks over several inboxes: TH1's report is with the commune, THPT1's with the Sở.
    for instance in (built.th1, built.thpt):
        complete(pe, open_task(pe, instance, "tiep_nhan"))
        complete(pe, open_task(pe, instance, "thuc_hien"), {"bao_cao": {"ket_qua": "Đã thực hiện"}})
        complete(pe, open_task(pe, instance, "duyet_bao_cao"), {"lanh_dao_duyet": "dong_y"})
    return built


def test_what_each_person_reads(pe, world):
    wrong = []
    with pe.read() as s:
        for key, expected in EXPECTED.items():
            name, day = _who(key)
            user = load_user(s, name, day)
            units = set(s.scalars(visible_units(s, user, day, column=OrgUnit.code)))
            work = set(s.scalars(select(Tracking.unit_code).where(visible_work(s, user, day))))
            if (units, work) != expected:
                wrong.append(f"{key}: units {sorted(units)}, work {sorted(work)}")
    assert wrong == []


def test_the_list_filters_agree_with_the_rule_for_every_person_and_task(pe, world):
    with pe.read() as s:
        tasks = {t: load_task(s, t) for t in s.scalars(select(HumanTask.id))}
        firsts = {f.instance_id: f for f in tasks.values() if f.step == "tiep_nhan"}  # a step of the unit's own lane
        disagreements = []
        for name, *_ in USERS:
            for day in (DAY, AFTER):
                user = load_user(s, name, day)
                listed = set(s.scalars(select(HumanTask.id).where(visible_tasks(s, user, day))))
                allowed = {t for t, facts in tasks.items() if decide_task(user, "view", facts, day).allowed}
                work = set(s.scalars(select(Tracking.instance_id).where(visible_work(s, user, day))))
                seen = {i for i, facts in firsts.items() if decide_task(user, "view", facts, day).allowed}
                if listed != allowed or work != seen:
                    disagreements.append(f"{name}@{day}: tasks {len(listed)} listed / {len(allowed)} allowed, work {len(work)} / {len(seen)}")
    assert len(tasks) == 12 and len(firsts) == 4
    assert disagreements == []


@contextmanager
def _statements(pe) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(pe.db, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(pe.db, "before_cursor_execute", count)


def test_the_loaders_read_in_few_statements(pe, world):
    task_id = open_task(pe, world.th1, "tham_dinh_bao_cao")
    with pe.read() as s:
        s.execute(select(1))  # the connection's own set-up is not the loaders'
        with _statements(pe) as user_statements:
            deputy = load_user(s, "p_ld", DAY)
        with _statements(pe) as task_statements:
            task = load_task(s, task_id)
        with _statements(pe) as plan_statements:
            load_plan(s, world.plans["P1"])
    assert len(deputy.delegations) == 1 and len(user_statements) == 3  # user+unit, delegations+givers, roles
    assert task.candidate_unit.code == "T.X1" and len(task_statements) == 2  # task+instance+parent+plan, units
    assert len(plan_statements) == 1
