"""The audit chain anchored outside the database: what an attacker who can drop the guards does
(rewrite and re-seal, cut the tail, append a back-dated event), and what only the anchors show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import AuditEvent, AuditSeal, BadData, publish_head, read_anchors, verify
from engine.audit import LONGEST_TRANSACTION
from engine.audit_anchor import MAX_LINE_BYTES, anchor_line
from tests.engine.tamper import insert_event, unguarded
from tests.engine.test_audit import _some_history
from tests.test_cli import run

HASH = "ab" * 32


def _publish(pe, clock, path):
    clock.advance(timedelta(minutes=2))  # past the interval since any earlier anchor
    published = publish_head(pe, path)
    assert published.written
    return published.head


def _verify(pe, path=None):
    with pe.read() as s:
        return verify(s, anchors=read_anchors(path) if path else ())


def test_the_head_is_appended_when_it_has_moved_and_the_interval_has_passed(pe, clock, anchor_file):
    assert publish_head(pe, anchor_file) == (None, False)  # nothing sealed yet: nothing to publish
    _some_history(pe, n=1)
    first = publish_head(pe, anchor_file)
    assert first.written and first.head.published_at == clock.now()
    assert publish_head(pe, anchor_file) == (first.head, False)  # the head has not moved
    _some_history(pe, n=1)
    clock.advance(timedelta(seconds=59))
    assert not publish_head(pe, anchor_file).written  # moved, but within the interval
    clock.advance(timedelta(seconds=1))
    second = publish_head(pe, anchor_file)
    assert second.written and second.head.seq > first.head.seq
    assert anchor_file.read_text() == f"{anchor_line(first.head)}\n{anchor_line(second.head)}\n"
    assert list(read_anchors(anchor_file)) == [(f"{anchor_file}:1", first.head), (f"{anchor_file}:2", second.head)]
    assert _verify(pe, anchor_file).anchors == 2 and _verify(pe, anchor_file).ok


def test_a_rewrite_resealed_behind_restored_guards_is_found_only_against_the_anchor(db_url, pe, clock, anchor_file):
    _some_history(pe, n=4)
    anchor = _publish(pe, clock, anchor_file)
    with pe.read() as s:
        victim_seq, victim = s.execute(select(AuditSeal.seq, AuditSeal.event_id).where(AuditSeal.seq == anchor.seq // 2)).one()
    unguarded(pe.db, "UPDATE audit_event SET actor = 'mallory' WHERE id = :id", "DELETE FROM audit_seal WHERE seq >= :seq",
              id=victim, seq=victim_seq)  # fmt: skip
    pe.seal_audit()  # the altered event and those after it are chained again: the chain is whole
    assert _verify(pe).ok  # nothing inside the database can tell
    [finding] = _verify(pe, anchor_file).findings
    assert (finding.code, finding.params["seal"], finding.params["origin"]) == ("audit_anchor_mismatch", anchor.seq, f"{anchor_file}:1")
    cli = run(db_url, "--lang", "en", "audit", "verify", "--anchor", str(anchor_file), check=False)
    assert cli.returncode == 1 and "was rewritten" in cli.stderr and f"seal #{anchor.seq}" in cli.stderr


def test_a_truncated_tail_is_found_only_against_the_anchor(db_url, pe, clock, anchor_file):
    _some_history(pe, n=3)
    anchor = _publish(pe, clock, anchor_file)
    with pe.read() as s:
        cut = s.scalar(select(AuditSeal.event_id).where(AuditSeal.seq == anchor.seq - 2))
    unguarded(pe.db, "DELETE FROM audit_seal WHERE event_id > :id", "DELETE FROM audit_event WHERE id > :id", id=cut)
    assert _verify(pe).ok
    [finding] = _verify(pe, anchor_file).findings
    assert (finding.code, finding.params["seal"], finding.params["head"]) == ("audit_truncated", anchor.seq, anchor.seq - 2)
    cli = run(db_url, "audit", "verify", "--anchor", str(anchor_file), check=False)
    assert cli.returncode == 1 and "phần cuối nhật ký đã bị xóa" in cli.stderr


def test_an_event_back_dated_behind_an_anchor_is_found(pe, clock, anchor_file):
    _some_history(pe, n=2)  # dated now, sealed before the anchor: in order, however old they get
    clock.advance(timedelta(hours=1))
    anchor = _publish(pe, clock, anchor_file)
    # INSERT is allowed: "task completed" dated before the anchor that should have included it.
    insert_event(pe.db, occurred_at=anchor.published_at - LONGEST_TRANSACTION - timedelta(seconds=1))
    insert_event(pe.db, occurred_at=anchor.published_at - LONGEST_TRANSACTION + timedelta(seconds=1))  # a long transaction
    pe.seal_audit()
    with pe.read() as s:
        backdated, tolerated = s.scalars(select(AuditEvent.id).where(AuditEvent.actor == "mallory").order_by(AuditEvent.id)).all()
    assert _verify(pe).ok
    [finding] = _verify(pe, anchor_file).findings
    assert (finding.code, finding.params["event"], finding.params["minutes"]) == ("audit_backdated", backdated, 15)
    assert "back-dated" in finding.message("en") and "ghi lùi ngày" in finding.message("vi")
    assert tolerated != backdated


def test_anchors_may_come_unordered_from_several_files(pe, clock, tmp_path):
    _some_history(pe, n=1)
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    older = _publish(pe, clock, first)
    _some_history(pe, n=1)
    clock.advance(LONGEST_TRANSACTION)
    newer = _publish(pe, clock, second)
    insert_event(pe.db, occurred_at=older.published_at)  # after both anchors, dated at the older one
    pe.seal_audit()
    both = [*read_anchors(second), *read_anchors(first)]
    with pe.read() as s:
        [finding] = verify(s, anchors=both).findings
    assert finding.code == "audit_backdated" and newer.published_at.isoformat(timespec="seconds") == finding.params["anchored"]


@pytest.mark.parametrize(
    ("line", "detail"),
    [
        (b"2026-03-02T01:00:00+00:00 1", "3 parts, not 2"),
        (f"2026-03-02T01:00:00 1 {HASH}".encode(), "no timezone"),
        (f"hôm qua 1 {HASH}".encode(), "instant"),
        (f"2026-13-02T01:00:00+00:00 1 {HASH}".encode(), "instant"),
        (f"2026-03-02T01:00:00+00:00 0 {HASH}".encode(), "seal number"),
        (f"2026-03-02T01:00:00+00:00 ١ {HASH}".encode(), "seal number"),
        (b"2026-03-02T01:00:00+00:00 1 " + b"AB" * 32, "sha256"),
        (b"2026-03-02T01:00:00+00:00 1 \xff\xfe", "not UTF-8"),
        (b"2026-03-02T01:00:00+00:00 1 " + b"0" * MAX_LINE_BYTES, f"longer than {MAX_LINE_BYTES} bytes"),
    ],
)
def test_a_line_that_is_not_an_anchor_is_refused_by_its_line_number(tmp_path, line, detail):
    path = tmp_path / "anchors.txt"
    path.write_bytes(f"# mốc neo\n\n2026-03-02T01:00:00+00:00 1 {HASH}\n".encode() + line + b"\n")
    anchors = read_anchors(path)
    assert next(anchors)[0] == f"{path}:3"  # comments and blank lines are skipped
    with pytest.raises(BadData) as refused:
        next(anchors)
    assert refused.value.params["origin"] == f"{path}:4" and detail in refused.value.message("en")


def test_the_cli_names_a_bad_anchor_file_and_exits_1(db_url, tmp_path):
    garbage = tmp_path / "not-anchors.bin"
    garbage.write_bytes(b"\x00" * 10_000)
    result = run(db_url, "audit", "verify", "--anchor", str(garbage), check=False)
    assert result.returncode == 1 and f"{garbage}:1" in result.stderr and len(result.stderr.splitlines()) == 1
    missing = run(db_url, "audit", "verify", "--anchor", str(tmp_path / "none.txt"), check=False)
    assert missing.returncode == 1 and "none.txt" in missing.stderr


def test_a_line_cut_short_by_a_crash_stays_on_its_own_line(pe, clock, anchor_file):
    anchor_file.write_text("2026-03-02T01:00:00.000000+00:00 4")  # the write a crash interrupted
    _some_history(pe, n=1)
    head = publish_head(pe, anchor_file).head
    assert anchor_file.read_text() == f"2026-03-02T01:00:00.000000+00:00 4\n{anchor_line(head)}\n"
    with pytest.raises(BadData):  # verify names it; a cleaned copy of the write-once file is checked
        list(read_anchors(anchor_file))
