"""The day's urging on the demo province, day by day with a frozen clock, on both databases.

Task 1 of the Hải Phòng plan, Q1: due 01/04/2026 00:00, so the last allowed day is Tuesday
31/03. Ward HP.X001 has handed it to its schools; HP.THPT001 sits directly under the Sở.
"""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select, update

from engine import AuditEvent, OutboxMessage, verify
from tests.engine.test_concurrency import wait_until_blocked_on_lock
from tests.work import HANG_GUARD
from tests.workflows.cascade.province import act, instances, submit
from tests.workflows.escalation.world import THIRTY_SCHOOLS, at, digest, notices, province, run
from workflows.escalation.models import EscalationRun, Notice
from workflows.escalation.run import URGED_PHASES, RunResult, run_escalations
from workflows.org.models import User
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking

MN_CV, MN_LD, WARD_LD = "hp_x001_mn01_cv", "hp_x001_mn01_ld", "hp_x001_ld"


def _day(month: int, day: int) -> date:
    return date(2026, month, day)


def _lines(message: OutboxMessage) -> list[str]:
    return [line for line in message.payload["text"].splitlines() if line.startswith("- ")]


def _counts(pe) -> tuple[int, ...]:
    with pe.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Notice, OutboxMessage, AuditEvent, EscalationRun))


def test_a_school_is_reminded_then_its_leader_told_then_its_ward_then_the_office(pe, clock):
    cast = province(pe)
    mn, th = cast["schools"]["HP.X001.MN01"], cast["schools"]["HP.X001.TH01"]
    [thpt] = instances(pe, unit_code="HP.THPT001", task_key="1", period="2026-Q1")
    act(pe, th, "tiep_nhan")
    submit(pe, th)  # with the ward for review: not urged any more
    expected = {
        (3, 25): set(),
        (3, 26): {("nhac_truoc_3", MN_CV)},  # Thursday: Friday, Monday, Tuesday left
        (3, 27): set(),
        (3, 30): {("nhac_truoc_1", MN_CV)},
        (3, 31): {("den_han", MN_CV)},
        (4, 1): {("qua_han", MN_LD)},
        (4, 2): {("vuot_cap", WARD_LD)},
        (4, 3): set(),
        (4, 6): {("danh_sach_tuan", "hp_vp_ld"), ("danh_sach_tuan", "hp_vp_cv")},  # Monday
    }
    for (month, day), wanted in expected.items():
        run(pe, clock, at(month, day))
        assert notices(pe, _day(month, day), instance_id=mn.id) == wanted, (month, day)
    assert notices(pe, instance_id=th.id) == set()
    assert notices(pe, _day(4, 2), instance_id=thpt.id) == {("vuot_cap", "hp_ld")}  # under the Sở

    words = {
        (3, 26, MN_CV): "— hạn 31/03/2026 — còn 3 ngày làm việc; chưa tiếp nhận",
        (3, 30, MN_CV): "— hạn 31/03/2026 — còn 1 ngày làm việc; chưa tiếp nhận",
        (3, 31, MN_CV): "— hạn 31/03/2026 — đến hạn hôm nay; chưa tiếp nhận",
        (4, 1, MN_LD): "— hạn 31/03/2026 — quá hạn 1 ngày làm việc; chưa tiếp nhận",
    }
    for (month, day, username), tail in words.items():
        message = digest(pe, username, _day(month, day))
        [line] = _lines(message)
        assert line.startswith("- Trường Mầm non Hồng Bàng: ") and line.endswith(tail)
        assert message.payload["subject"] == f"[Giao việc] Đôn đốc ngày {day:02d}/{month:02d}/2026: 1 việc"
        assert message.payload["link"] == f"https://giaoviec.haiphong.edu.vn/tasks?instance={mn.id}"
        assert message.instance_id == mn.id  # one item: delivery shows in the task's history
    ward_lines = _lines(digest(pe, WARD_LD, _day(4, 2)))
    assert any(line.startswith("- Trường Mầm non Hồng Bàng: ") and line.endswith("quá hạn 2 ngày làm việc, chuyển cấp trên; chưa tiếp nhận") for line in ward_lines)

    # The office's weekly list holds every late, unsubmitted item of the province.
    with pe.read() as s:
        late = s.scalar(select(func.count()).select_from(Tracking).where(Tracking.phase.in_(URGED_PHASES), Tracking.due_at <= at(4, 6)))
    office = digest(pe, "hp_vp_cv", _day(4, 6))
    assert f"Danh sách việc quá hạn toàn tỉnh (hằng tuần) ({late}):" in office.payload["text"]
    assert late > 10 and len(_lines(office)) >= late


def test_thirty_late_schools_make_one_digest_with_thirty_lines(pe, clock):
    province(pe, THIRTY_SCHOOLS)
    result = run(pe, clock, at(4, 2))
    assert result.digests >= 2 and result.unreached == 0
    message = digest(pe, WARD_LD, _day(4, 2))
    assert message.recipient == "hp_x001_ld@demo.giaoviec.vn"
    assert message.payload["subject"] == "[Giao việc] Đôn đốc ngày 02/04/2026: 30 việc"
    lines = _lines(message)
    assert len(lines) == 30
    assert all(line.endswith("— hạn 31/03/2026 — quá hạn 2 ngày làm việc, chuyển cấp trên; chưa tiếp nhận") for line in lines)
    assert [line.split(":")[0] for line in lines[:3]] == ["- Trường Mầm non Hồng Bàng 1", "- Trường Mầm non Hồng Bàng 2", "- Trường Mầm non Hồng Bàng 3"]
    assert "Đơn vị cấp dưới quá hạn, chuyển cấp trên đôn đốc (30):" in message.payload["text"]
    assert message.payload["html"].count('<li><a href="https://giaoviec.haiphong.edu.vn/tasks?instance=') == 30
    assert message.payload["link"] == "https://giaoviec.haiphong.edu.vn/tasks"
    with pe.read() as s:
        mine = s.execute(select(Notice.kind, Notice.outbox_id).where(Notice.username == WARD_LD)).all()
        to_ward = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.recipient == message.recipient))
    assert len(mine) == 30 and {tuple(n) for n in mine} == {("vuot_cap", message.id)}
    assert to_ward == 1


def test_each_notice_is_in_its_instances_history(pe, clock):
    province(pe)
    run(pe, clock, at(4, 1))
    run(pe, clock, at(4, 2))
    run(pe, clock, at(4, 6))
    names = {"qua_han": "overdue_notice_queued", "vuot_cap": "escalation_queued", "danh_sach_tuan": "weekly_list_queued"}
    with pe.read() as s:
        rows = s.execute(select(Notice.instance_id, Notice.kind, Notice.username, Notice.day, Notice.outbox_id)).all()
        events = s.execute(select(AuditEvent.instance_id, AuditEvent.event, AuditEvent.subject, AuditEvent.data, AuditEvent.actor, AuditEvent.occurred_at)
                           .where(AuditEvent.event.in_(["reminder_queued", *names.values()]))).all()  # fmt: skip
        assert verify(s).ok  # rows written in bulk are sealed like any other
    assert {r.kind for r in rows} == set(names)
    assert sorted((r.instance_id, names[r.kind], r.username, r.day.isoformat(), str(r.outbox_id)) for r in rows) == sorted(
        (e.instance_id, e.event, e.subject, e.occurred_at.astimezone(LOCAL_TZ).date().isoformat(), e.data["outbox_id"]) for e in events
    )
    assert {e.actor for e in events} == {"worker"}


def test_nothing_before_the_digest_hour_and_nothing_new_on_a_second_run(pe, clock):
    province(pe)
    before = _counts(pe)
    assert run(pe, clock, at(4, 2, 6, 59)) == RunResult(skipped_provinces=("HP",))
    assert _counts(pe) == before
    first = run(pe, clock, at(4, 2, 7))
    assert first.notices > 0 and first.digests > 0 and first.skipped_provinces == ()
    after = _counts(pe)
    assert after[0] == before[0] + first.notices and after[1] == before[1] + first.digests and after[3] == before[3] + 1
    assert run(pe, clock, at(4, 2, 16)) == RunResult(skipped_provinces=("HP",))
    assert _counts(pe) == after
    with pe.read() as s:
        [row] = s.scalars(select(EscalationRun)).all()
    assert (row.day, row.ran_at, row.notices, row.digests) == (_day(4, 2), at(4, 2, 7), first.notices, first.digests)


def test_missed_days_are_caught_up_on_the_next_run(pe, clock):
    cast = province(pe)
    mn = cast["schools"]["HP.X001.MN01"]
    run(pe, clock, at(3, 31))
    run(pe, clock, at(4, 3))  # no run on 1 and 2 April
    assert notices(pe, _day(4, 3), instance_id=mn.id) == {("qua_han", MN_LD), ("vuot_cap", WARD_LD)}
    with pe.read() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.event == "urging_run_completed", AuditEvent.occurred_at == at(4, 3))).all()
    assert (event.subject, event.data["since"], event.data["day"]) == ("HP", "2026-03-31", "2026-04-03")


def test_a_leader_without_email_is_replaced_by_the_officer_and_nobody_is_counted(pe, clock):
    cast = province(pe)
    mn, th = cast["schools"]["HP.X001.MN01"], cast["schools"]["HP.X001.TH01"]
    with pe.unit_of_work("tester") as uow:
        uow.session.execute(update(User).where(User.username.in_([MN_LD, "hp_x001_th01_ld", "hp_x001_th01_cv"])).values(email=None))
    result = run(pe, clock, at(4, 1))
    assert notices(pe, instance_id=mn.id) == {("qua_han", MN_CV)}
    assert notices(pe, instance_id=th.id) == set()
    assert result.unreached == 1
    with pe.read() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.event == "urging_run_completed")).all()
    assert event.data["unreached_items"] == ["HP.X001.TH01:qua_han"]


def test_after_the_may_holidays_the_reminder_comes_before_them(pe, clock):
    # 30/04 and 01/05/2026 are off: a deadline on Monday 04/05 is reminded on Wednesday 29/04.
    cast = province(pe)
    mn = cast["schools"]["HP.X001.MN01"]
    with pe.unit_of_work("tester") as uow:
        uow.session.execute(update(Tracking).where(Tracking.instance_id == mn.id).values(due_at=at(5, 5, 0)))
    for day in (24, 28, 29):
        run(pe, clock, at(4, day))
    assert notices(pe, instance_id=mn.id) == {("nhac_truoc_3", MN_CV), ("nhac_truoc_1", MN_CV)}
    assert notices(pe, _day(4, 29), instance_id=mn.id) == {("nhac_truoc_1", MN_CV)}
    [line] = [line for line in _lines(digest(pe, MN_CV, _day(4, 29))) if "04/05/2026" in line]
    assert line.endswith("— hạn 04/05/2026 — còn 1 ngày làm việc; chưa tiếp nhận")


def test_two_workers_on_the_same_day_send_once(pe, clock):
    """A pauses before COMMIT with the day claimed; B runs the same day; A resumes. On PostgreSQL
    B waits on the unique index, then skips the province; on SQLite it waits at BEGIN and finds
    A's run. Either way B sends nothing and does not fail."""
    province(pe)
    when = at(4, 2)
    clock.set(when)
    a_paused, release_a = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def pause(_uow):
        a_paused.set()
        assert release_a.wait(HANG_GUARD)

    def worker(name, hook=None):
        try:
            with pe.unit_of_work(name, now=when) as uow:
                if hook:
                    uow.before_commit.append(hook)
                outcome[name] = run_escalations(uow, when)
        except Exception as exc:  # noqa: BLE001 — the assertion below shows it
            outcome[name] = exc

    a = threading.Thread(target=worker, args=("A", pause))
    a.start()
    assert a_paused.wait(HANG_GUARD)
    b = threading.Thread(target=worker, args=("B",))
    b.start()
    if pe.db.dialect.name == "postgresql":
        wait_until_blocked_on_lock(pe)
    release_a.set()
    a.join(HANG_GUARD)
    b.join(HANG_GUARD)
    assert isinstance(outcome["A"], RunResult) and outcome["A"].digests > 0
    assert outcome["B"] == RunResult(skipped_provinces=("HP",))
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == outcome["A"].digests

