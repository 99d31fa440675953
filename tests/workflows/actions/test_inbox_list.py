"""The inbox list's action layer on both databases: counts per filter (facets, due soon), plan
numbers and titles in the rows without a query per row, the export (same list, every page,
bounded), saved filters (a person's own only, audited), bulk accept and remind (each row on its
own, refusals reported and recorded, the urging email in the outbox)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from engine import AuditEvent, BadData, HumanTask, NotFound, OutboxMessage
from tests.workflows.actions.test_tasks import act
from tests.workflows.authz.world import build_world, open_task
from workflows.actions import guard
from workflows.actions.bulk import bulk
from workflows.actions.inbox import Filters, export, inbox
from workflows.actions.saved_filters import delete_filter, save_filter, saved_filter, saved_filters
from workflows.actions.tasks import accept, request_extension
from workflows.actions.urging import remind
from workflows.org.models import User

BASE = "https://giaoviec.example.vn"


@pytest.fixture
def world(pe):
    built = build_world(pe)
    guard.install(pe)
    with pe.db.begin() as conn:  # the world's people have no address; urging needs one
        for name in ("s1_cv", "s1_pgd", "s2_cv", "x_cv", "s1_off"):
            conn.execute(update(User).where(User.username == name).values(email=f"{name}@truong.edu.vn"))
    return built


def person(session, username):
    return session.scalars(select(User).where(User.username == username)).one()


def page(pe, username, **kwargs):
    with pe.read() as s:
        return inbox(s, person(s, username), pe.clock.now(), **kwargs)


def events(pe, *names):
    with pe.read() as s:
        return s.scalars(select(AuditEvent).where(AuditEvent.event.in_(names)).order_by(AuditEvent.id)).all()


def test_rows_carry_plan_number_title_and_the_works_unit_in_a_fixed_number_of_queries(pe, world):
    for instance, officer in ((world.th1, "s1_cv"), (world.th2, "s2_cv")):
        act(pe, officer, accept, open_task(pe, instance, "tiep_nhan"))
        act(pe, officer, request_extension, open_task(pe, instance, "thuc_hien"), "2026-03-20")
    statements: list[str] = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    counted = []
    with pe.read() as s:
        me = person(s, "x_cv")
        inbox(s, me, pe.clock.now(), facets=True)  # warm: the session's first loads are not the page's
        event.listen(s.get_bind(), "before_cursor_execute", listen)
        try:
            for limit in (1, 3):  # one row or three: the same statements (no query per row)
                statements.clear()
                result = inbox(s, me, pe.clock.now(), facets=True, limit=limit)
                counted.append(len(statements))
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", listen)
    assert counted[0] == counted[1] and len(result.items) == 3
    rows = {i["work_unit"]: i for i in result.items}
    assert rows["T.X1.TH1"]["plan_number"] == "P1/KH" and rows["T.X1.TH1"]["plan_title"] == "Kế hoạch P1"
    assert rows["T.X1.TH2"]["work_unit_name"] == "Trường Tiểu học Hai" and rows["T.X1.TH2"]["unit_name"] == "UBND Phường Một"
    facets = result.facets
    assert facets["plan"] == [{"value": world.plans["P1"], "label": "P1/KH — Kế hoạch P1", "count": 3}]
    assert facets["period"] == [{"value": "2026", "label": "2026", "count": 3}]
    assert [(u["label"], u["count"]) for u in facets["unit"]] == [("Trường Tiểu học Hai", 1), ("Trường Tiểu học Một", 1), ("UBND Phường Một", 1)]
    assert {s["value"]: s["count"] for s in facets["status"]}["open"] == 3
    # A facet counts under the other filters, not its own: picking one school keeps the others listed.
    one = page(pe, "x_cv", filters=Filters(unit="T.X1.TH1"), facets=True)
    assert one.counts["all"] == 1 and len(one.facets["unit"]) == 3 and one.facets["plan"][0]["count"] == 1


def test_due_soon_and_overdue_counts_follow_the_scope(pe, world):
    now = pe.clock.now()
    with pe.db.begin() as conn:
        conn.execute(update(HumanTask).where(HumanTask.instance_id == world.th1, HumanTask.status == "open").values(due_at=now + timedelta(days=1)))
    counts = page(pe, "s1_cv").counts
    assert (counts["overdue"], counts["due_soon"]) == (0, 1)
    assert page(pe, "s1_cv", filters=Filters(due_within=0)).counts["due_soon"] == 0
    done = page(pe, "s1_cv", filters=Filters(status="completed"), facets=True)
    assert done.items == [] and {s["value"]: s["count"] for s in done.facets["status"]} == {"open": 1, "completed": 0, "cancelled": 0}


def test_export_is_the_same_list_every_page_and_says_when_it_was_cut(pe, world):
    for instance, officer in ((world.th1, "s1_cv"), (world.th2, "s2_cv")):
        act(pe, officer, accept, open_task(pe, instance, "tiep_nhan"))
        act(pe, officer, request_extension, open_task(pe, instance, "thuc_hien"), "2026-03-20")
    with pe.read() as s:
        me, now = person(s, "x_cv"), pe.clock.now()
        whole = export(s, me, now, scope="unit")
        assert [i["task_id"] for i in whole.items] == [i["task_id"] for i in inbox(s, me, now, scope="unit").items]
        assert not whole.truncated and whole.items[0]["plan_number"] == "P1/KH"
        cut = export(s, me, now, scope="unit", cap=2)
        assert len(cut.items) == 2 and cut.truncated
        assert export(s, me, now, filters=Filters(unit="T.X1.TH2")).items[0]["work_unit"] == "T.X1.TH2"


def test_saved_filters_are_each_persons_own_and_audited(pe, world):
    with pe.unit_of_work("s1_cv") as uow:
        mine = save_filter(uow, person(uow.session, "s1_cv"), "  Quá hạn   kế hoạch P1 ", {"scope": "unit", "overdue": "1", "plan": "1", "csrf_token": "x", "after": "z"})
    assert mine["name"] == "Quá hạn kế hoạch P1" and mine["query"] == {"scope": "unit", "overdue": "1", "plan": "1"}
    with pe.unit_of_work("s1_cv") as uow:  # the same name again replaces the query
        again = save_filter(uow, person(uow.session, "s1_cv"), "Quá hạn kế hoạch P1", {"scope": "mine"})
        with pytest.raises(BadData):
            save_filter(uow, person(uow.session, "s1_cv"), "   ", {"scope": "mine"})
    assert again["id"] == mine["id"]
    with pe.read() as s:
        assert saved_filters(s, person(s, "s1_cv")) == [{"id": mine["id"], "name": "Quá hạn kế hoạch P1", "query": {"scope": "mine"}}]
        assert saved_filters(s, person(s, "s2_cv")) == []
        with pytest.raises(NotFound):
            saved_filter(s, person(s, "s2_cv"), mine["id"])
    with pytest.raises(NotFound), pe.unit_of_work("s2_cv") as uow:
        delete_filter(uow, person(uow.session, "s2_cv"), mine["id"])
    with pe.unit_of_work("s1_cv") as uow:
        delete_filter(uow, person(uow.session, "s1_cv"), mine["id"])
    with pe.read() as s:
        assert saved_filters(s, person(s, "s1_cv")) == []
    assert [(e.event, e.actor, e.data["name"]) for e in events(pe, "saved_filter_saved", "saved_filter_deleted")] == [
        ("saved_filter_saved", "s1_cv", "Quá hạn kế hoạch P1"), ("saved_filter_saved", "s1_cv", "Quá hạn kế hoạch P1"),
        ("saved_filter_deleted", "s1_cv", "Quá hạn kế hoạch P1"),
    ]  # fmt: skip


def test_bulk_accept_does_each_row_it_may_and_reports_and_records_the_refused_one(pe, world):
    mine, theirs = open_task(pe, world.th1, "tiep_nhan"), open_task(pe, world.th2, "tiep_nhan")
    with pe.unit_of_work("s1_cv") as uow:
        outcome = bulk(uow, person(uow.session, "s1_cv"), "accept", [theirs, mine, mine], base_url=BASE)
    assert [tid for tid, _ in outcome.done] == [mine]
    [refused] = outcome.refused
    assert refused.task_id == theirs and refused.name is None  # another school's: not even its name
    assert refused.error.message("vi").startswith("Bạn không có quyền")
    assert open_task(pe, world.th1, "thuc_hien") and open_task(pe, world.th2, "tiep_nhan") == theirs
    assert [(e.actor, e.data["action"], e.task_id) for e in events(pe, "action_refused")] == [("s1_cv", "accept", theirs)]
    assert [e.task_id for e in events(pe, "task_action_taken")] == [mine]
    with pe.unit_of_work("s1_cv") as uow:  # a step that takes no "accept": refused, not a security event
        work = open_task(pe, world.th1, "thuc_hien")
        outcome = bulk(uow, person(uow.session, "s1_cv"), "accept", [work], base_url=BASE)
    assert outcome.done == [] and outcome.refused[0].name == "Thực hiện và dự thảo báo cáo"
    assert len(events(pe, "action_refused")) == 1


def test_remind_queues_one_urging_email_per_person_and_day(pe, world):
    task_id = open_task(pe, world.th1, "tiep_nhan")
    with pe.db.begin() as conn:
        conn.execute(update(HumanTask).where(HumanTask.id == task_id).values(due_at=pe.clock.now() - timedelta(days=3)))
    with pe.unit_of_work("x_cv") as uow:  # the commune that assigned it urges the school's officers
        urged = remind(uow, person(uow.session, "x_cv"), task_id, base_url=BASE)
    assert urged.recipients == ("s1_cv", "s1_pgd")  # not the officer who left (inactive)
    with pe.read() as s:
        sent = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "urge").order_by(OutboxMessage.recipient)).all()
    assert [m.recipient for m in sent] == ["s1_cv@truong.edu.vn", "s1_pgd@truong.edu.vn"]
    text = sent[0].payload["text"]
    assert "x_cv (UBND Phường Một) đôn đốc việc sau:" in text and "Trường Tiểu học Một: Tiếp nhận nhiệm vụ" in text
    assert "quá hạn" in text and f"{BASE}/tasks/{task_id}" in text
    [urging] = events(pe, "task_urged")
    assert (urging.actor, urging.task_id, urging.data["recipients"]) == ("x_cv", task_id, ["s1_cv", "s1_pgd"])
    with pe.unit_of_work("s1_cv") as uow:
        outcome = bulk(uow, person(uow.session, "s1_cv"), "remind", [task_id], base_url=BASE)
    assert outcome.done == [] and "đã đôn đốc" in outcome.refused[0].error.message("vi")  # s1_pgd had it today
    with pe.unit_of_work("s2_cv") as uow:
        outcome = bulk(uow, person(uow.session, "s2_cv"), "remind", [task_id], base_url=BASE)
    assert outcome.refused[0].name is None and events(pe, "action_refused")[-1].data["action"] == "remind"
