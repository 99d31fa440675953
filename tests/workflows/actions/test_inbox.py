"""A person's inbox on both databases: the scopes (mine, unit, delegated), filters, counts and
keyset pages, by deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine import HumanTask
from tests.workflows.actions.test_tasks import act
from tests.workflows.authz.world import build_world, open_task
from workflows.actions import guard
from workflows.actions.inbox import Filters, inbox
from workflows.actions.tasks import Draft, accept, reassign, request_extension, submit
from workflows.org.models import User


@pytest.fixture
def world(pe):
    built = build_world(pe)
    guard.install(pe)
    return built


def page(pe, username, **kwargs):
    with pe.read() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return inbox(s, user, pe.clock.now(), **kwargs)


def steps(result):
    return [(i["unit"], i["step"]) for i in result.items]


def test_scopes_mine_unit_and_delegated(pe, world):
    assert steps(page(pe, "s1_cv")) == [("T.X1.TH1", "tiep_nhan")]
    assert steps(page(pe, "s2_cv")) == [("T.X1.TH2", "tiep_nhan")]
    assert page(pe, "so_tt").items == [] and page(pe, "q_ld").items == []
    act(pe, "s1_ld", reassign, open_task(pe, world.th1, "tiep_nhan"), "s1_pgd")
    assert page(pe, "s1_cv").items == []  # assigned to someone else: no longer the unit's
    mine = page(pe, "s1_pgd", scope="mine")
    assert steps(mine) == [("T.X1.TH1", "tiep_nhan")] and mine.counts["mine"] == 1
    act(pe, "s1_pgd", accept, open_task(pe, world.th1, "tiep_nhan"))
    act(pe, "s1_cv", submit, open_task(pe, world.th1, "thuc_hien"), Draft("Xong"))
    delegated = page(pe, "s1_pgd", scope="delegated")  # the principal's review, held by delegation
    assert steps(delegated) == [("T.X1.TH1", "duyet_bao_cao")]
    assert (delegated.counts["delegated"], delegated.counts["unit"]) == (1, 0)
    assert steps(page(pe, "s1_ld", scope="unit")) == [("T.X1.TH1", "duyet_bao_cao")]


def test_filters_deadline_order_counts_and_keyset_pages(pe, world):
    for instance, officer in ((world.th1, "s1_cv"), (world.th2, "s2_cv")):
        act(pe, officer, accept, open_task(pe, instance, "tiep_nhan"))
        act(pe, officer, request_extension, open_task(pe, instance, "thuc_hien"), "2026-03-20")
    now = pe.clock.now()
    with pe.db.begin() as conn:
        conn.execute(update(HumanTask).where(HumanTask.instance_id == world.th2, HumanTask.status == "open")
                     .values(due_at=now - timedelta(days=1)))  # fmt: skip
        conn.execute(update(HumanTask).where(HumanTask.instance_id == world.th1, HumanTask.status == "open")
                     .values(due_at=now + timedelta(days=30)))  # fmt: skip
        conn.execute(update(HumanTask).where(HumanTask.instance_id == world.commune, HumanTask.status == "open")
                     .values(due_at=now + timedelta(days=60)))  # fmt: skip
    everything = page(pe, "x_cv")
    assert steps(everything) == [("T.X1", "xem_xet_gia_han"), ("T.X1", "xem_xet_gia_han"), ("T.X1", "theo_doi_cac_truong")]
    assert [i["instance_id"] for i in everything.items[:2]] == [str(world.th2), str(world.th1)]  # by deadline, none last
    assert everything.counts["overdue"] == 1 and everything.counts["unit"] == 3
    overdue = page(pe, "x_cv", filters=Filters(overdue=True))
    assert [i["instance_id"] for i in overdue.items] == [str(world.th2)] and overdue.counts["all"] == 1
    soon = page(pe, "x_cv", filters=Filters(due_within=5))
    assert [i["instance_id"] for i in soon.items] == [str(world.th2)]
    seen, after = [], None
    while True:
        one = page(pe, "x_cv", limit=1, after=after)
        seen += [i["task_id"] for i in one.items]
        after = one.next_after
        if after is None:
            break
    assert seen == [i["task_id"] for i in everything.items]
    assert page(pe, "x_cv", filters=Filters(plan_id=world.plans["P1"])).counts["all"] == 3
    assert page(pe, "x_cv", filters=Filters(plan_id=world.plans["P2"])).items == []
    # "Unit below": the step's unit or the work's (the commune reviews its schools' requests).
    school = page(pe, "x_cv", filters=Filters(unit="T.X1.TH1"))
    assert [(i["instance_id"], i["work_unit_name"]) for i in school.items] == [(str(world.th1), "Trường Tiểu học Một")]
    assert page(pe, "x_cv", filters=Filters(unit="T.X1")).counts["all"] == 3  # its own steps, whoever's work
    assert page(pe, "x_cv", filters=Filters(unit="T.THPT1")).items == []  # not below the commune
