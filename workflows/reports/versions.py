"""Report versions: created, moved through their statuses, listed and verified.

A version is never edited. A unit writes version 1, 2, 3… of its report for an instance; a new
version may follow a draft or a returned report, never one under review or approved. Statuses
move draft → submitted → returned | approved, on the newest version only; the move is a
conditional UPDATE (``WHERE status = <the status read>``), so of two reviewers acting at once
one wins and the other gets ``ConflictError``.

When a unit's own report is approved its figures become indicator figures
(``workflows.indicators.figures.report_figure``) for the figures that name an indicator of the
plan. A consolidated report's figures are not recorded: they are the sums of its children's,
which are recorded when the children's reports are approved; recording the sum as the ward's own
figure would count every school twice in ``roll_up``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from engine import BadData, ConflictError, Instance, InvalidState, NotFound, UnitOfWork, register
from workflows.indicators.figures import report_figure
from workflows.indicators.models import Indicator
from workflows.org.models import OrgUnit
from workflows.plans.keys import plan_id_of as plan_key_id
from workflows.plans.models import Plan
from workflows.reports.blobs import clean_filename, store_blob
from workflows.reports.inputs import (
    MAX_ATTACHMENTS,
    FigureInput,
    ReportInput,
    content_hash,
    normalise_text,
)
from workflows.reports.models import Blob, Report, ReportAttachment

__all__ = [
    "FigureInput", "ReportInput", "history", "latest", "move_newest", "new_version", "newest_status", "plan_id_of", "plan_indicators", "report_hash",
    "resolve_indicator", "set_status", "verify",
]  # fmt: skip

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("submitted",),
    "submitted": ("returned", "approved"),
}
NEW_VERSION_AFTER = ("draft", "returned")
# One version's files in the query that reads it, not in a second ``selectin`` one: a step that
# reads the newest version (submit, review, sign-off) sends one statement fewer.
_WITH_FILES = joinedload(Report.attachments)
# ``set_status``'s statements, as Core on the session's connection: the ORM's column query and
# bulk UPDATE machinery cost more than the statements themselves (bench/README.md).
_REPORT = Report.__table__
_NEWEST_NUMBER = select(func.max(_REPORT.c.version)).where(_REPORT.c.instance_id == bindparam("w_instance"))
_MOVE = update(_REPORT).where(_REPORT.c.id == bindparam("w_id"), _REPORT.c.status == bindparam("w_status"))  # SET: the parameters' keys
# ``new_version``'s statements, likewise (a school's draft spent ~1.2 ms in the ORM's two-entity
# query and its flush, bench/README.md "Session h18-hooks2"): what a new version needs to know of
# the newest one, with the plan's row outer-joined to it (no row: the plan is gone, or never was).
_NEWEST_COLUMNS = (_REPORT.c.id, _REPORT.c.version, _REPORT.c.status, _REPORT.c.content_hash, _REPORT.c.consolidated_from)
_NEWEST = (select(*_NEWEST_COLUMNS).where(_REPORT.c.instance_id == bindparam("w_instance"))
           .order_by(_REPORT.c.version.desc()).limit(1))  # fmt: skip
_PLAN = Plan.__table__
_NEWEST_AND_PLAN = (
    select(_PLAN.c.id.label("plan_id"), *_NEWEST_COLUMNS)
    .select_from(_PLAN.outerjoin(_REPORT, _REPORT.c.instance_id == bindparam("w_instance")))
    .where(_PLAN.c.id == bindparam("w_plan")).order_by(_REPORT.c.version.desc()).limit(1)
)  # fmt: skip
_NEWEST_STATUS = (select(_REPORT.c.version, _REPORT.c.status).where(_REPORT.c.instance_id == bindparam("w_instance"))
                  .order_by(_REPORT.c.version.desc()).limit(1))  # fmt: skip
_ADD = insert(_REPORT).returning(_REPORT.c.id)  # VALUES: the parameters' keys
# ``move_newest``'s read (a submit, a review): what a move checks, hashes and records of the
# newest version, with its files' sha256 outer-joined (a row per file, or one with NULL), in one
# Core statement instead of the ORM's query and a second one for the newest number: reading the
# newest version is the "only the newest moves" check (bench/README.md "Session h20-reports").
_ATTACHMENT = ReportAttachment.__table__
_NEWER = _REPORT.alias("newer")
_NEWEST_TO_MOVE = (
    select(_REPORT.c.id, _REPORT.c.instance_id, _REPORT.c.version, _REPORT.c.status, _REPORT.c.content_hash,
           _REPORT.c.ket_qua, _REPORT.c.kho_khan, _REPORT.c.kien_nghi, _REPORT.c.figures, _REPORT.c.consolidated_from,
           _REPORT.c.plan_id, _REPORT.c.unit_code, _REPORT.c.period, _ATTACHMENT.c.sha256)
    .select_from(_REPORT.outerjoin(_ATTACHMENT, _ATTACHMENT.c.report_id == _REPORT.c.id))
    .where(_REPORT.c.instance_id == bindparam("w_instance"),
           _REPORT.c.version == select(func.max(_NEWER.c.version)).where(_NEWER.c.instance_id == bindparam("w_instance")).scalar_subquery())
)  # fmt: skip
MAX_NOTE_CHARS = 5_000

register({
    "report_not_found": ("Không tìm thấy báo cáo {id}.", "No report {id}."),
    "report_bad_transition": (
        "Báo cáo phiên bản {version} đang ở trạng thái {current}; không thể chuyển sang {target} (được phép: {allowed}).",
        "Report version {version} is {current}; it cannot become {target} (allowed: {allowed}).",
    ),
    "report_not_latest": (
        "Phiên bản {version} không phải phiên bản mới nhất (phiên bản {latest}); chỉ phiên bản mới nhất được nộp hoặc xem xét.",
        "Version {version} is not the newest (version {latest}); only the newest version can be submitted or reviewed.",
    ),
    "report_locked": (
        "Báo cáo phiên bản {version} đang ở trạng thái {current}; chỉ tạo phiên bản mới sau bản dự thảo hoặc bản bị trả lại.",
        "Report version {version} is {current}; a new version may only follow a draft or a returned report.",
    ),
    "report_hash_mismatch": (
        "Nội dung báo cáo phiên bản {version} không khớp mã băm đã lưu; có thể đã bị sửa ngoài hệ thống.",
        "Report version {version} does not match its stored hash; it may have been altered outside the application.",
    ),
})  # fmt: skip


def latest(
    session: Session, instance_id: uuid.UUID, *, statuses: Iterable[str] | None = None
) -> Report | None:
    """The newest version of the instance's report (among ``statuses`` if given)."""
    query = select(Report).where(Report.instance_id == instance_id).options(_WITH_FILES)
    if statuses is not None:
        query = query.where(Report.status.in_(list(statuses)))
    return session.scalars(query.order_by(Report.version.desc()).limit(1)).unique().first()


def newest_status(session: Session, instance_id: uuid.UUID) -> Row[Any] | None:
    """The newest version's ``(version, status)``, or ``None``: a Core SELECT, no ORM object."""
    return session.connection().execute(_NEWEST_STATUS, {"w_instance": instance_id}).first()


def history(session: Session, instance_id: uuid.UUID) -> list[Report]:
    """Every version of the instance's report, oldest first."""
    return list(
        session.scalars(
            select(Report).where(Report.instance_id == instance_id).order_by(Report.version)
        )
    )


def report_hash(report: Report) -> str:
    """The hash of the report's content as stored now (compare with ``content_hash``)."""
    return content_hash(report.ket_qua, report.kho_khan, report.kien_nghi, report.figures,
                        [a.sha256 for a in report.attachments])  # fmt: skip


def verify(report: Report, session: Session | None = None) -> bool:
    """Whether the stored content still matches its hash; with a session, the files' bytes too."""
    if report_hash(report) != report.content_hash:
        return False
    if session is None:
        return True
    for attachment in report.attachments:
        data = session.scalar(select(Blob.data).where(Blob.sha256 == attachment.sha256))
        if data is None or hashlib.sha256(data).hexdigest() != attachment.sha256:
            return False
    return True


def new_version(
    uow: UnitOfWork, instance: Instance, report_input: ReportInput, *, status: str = "draft"
) -> Report:
    """Add the next version of the instance's report, as a draft or already submitted.

    A draft identical to the newest version while that is a draft (same content hash) is that
    version: nothing is added."""
    if status not in ("draft", "submitted"):
        raise BadData(
            detail=f"phiên bản mới phải là draft hoặc submitted / a new version is draft or submitted, not {status!r}"
        )
    session = uow.session
    previous, plan_id = _newest_and_plan(session, instance)
    if previous is not None and previous.status not in NEW_VERSION_AFTER:
        raise InvalidState("report_locked", version=previous.version, current=previous.status)
    files = _attachments(uow, instance, report_input.attachments)
    figures = [f.as_json() for f in report_input.figures]
    digest = content_hash(
        report_input.ket_qua,
        report_input.kho_khan,
        report_input.kien_nghi,
        figures,
        [b.sha256 for _, b in files],
    )
    consolidated = (
        list(report_input.consolidated_from) if report_input.consolidated_from is not None else None
    )
    if (previous is not None and status == "draft" and previous.status == "draft" and previous.content_hash == digest
            and previous.consolidated_from == consolidated):  # fmt: skip
        # The draft just saved is the report being sent (a submit with files saves them as a draft
        # first; "Lưu dự thảo" then "Gửi" unchanged): that draft moves on, rather than a copy that
        # would stay "dự thảo" for ever beside the submitted one and read as unsent.
        found = session.get(Report, previous.id, options=[_WITH_FILES])
        assert found is not None  # read in this transaction; versions are never deleted
        return found
    submitted = (uow.now, uow.actor) if status == "submitted" else (None, None)
    values = dict(
        instance_id=instance.id, version=previous.version + 1 if previous else 1, unit_code=instance.unit_code or "",
        plan_id=plan_id, task_key=instance.task_key, period=instance.period,
        ket_qua=report_input.ket_qua, kho_khan=report_input.kho_khan, kien_nghi=report_input.kien_nghi,
        figures=figures, content_hash=digest, status=status, created_at=uow.now, created_by=uow.actor,
        submitted_at=submitted[0], submitted_by=submitted[1], reviewed_at=None, reviewed_by=None, review_note=None,
        consolidated_from=consolidated,
    )  # fmt: skip
    # A concurrent version with the same number fails at once (the unique (instance, version)
    # index): ConflictError at commit.
    report = _add_with_files(session, values, files) if files else _add(session, values)
    uow.audit("report_version_created", instance_id=instance.id, subject=f"report {report.id}",
              data={"version": report.version, "hash": digest, "status": status,
                    "attachments": [b.sha256 for _, b in files], "consolidated_from": consolidated})  # fmt: skip
    return report


def _add(session: Session, values: dict[str, Any]) -> Report:
    """A version without files: a Core INSERT on the session's connection, and the object the
    ORM's INSERT would have left in the session (persistent, every column loaded, no files), so
    that a later read of it in this unit of work (``session.get``, ``latest``) finds it as stored."""
    report_id = session.connection().execute(_ADD, values).scalar_one()
    report = Report(id=report_id, **values)
    make_transient_to_detached(report)  # loaded as it is stored, with no change pending
    set_committed_value(report, "attachments", [])
    session.add(report)
    return report


def _add_with_files(session: Session, values: dict[str, Any], files: list[tuple[str, Blob]]) -> Report:
    """A version with files, through the ORM (the files' rows need the version's id)."""
    report = Report(**values, attachments=[
        ReportAttachment(sha256=blob.sha256, filename=name, media_type=blob.media_type, size=blob.size) for name, blob in files
    ])  # fmt: skip
    session.add(report)
    session.flush()
    return report


@dataclass(frozen=True)
class _Version:
    """What a move reads of one version: its checks, its hash, the figures it records, its files."""

    id: int
    instance_id: uuid.UUID
    version: int
    status: str
    content_hash: str
    ket_qua: str
    kho_khan: str
    kien_nghi: str
    figures: list[dict[str, Any]]
    consolidated_from: list[int] | None
    plan_id: int | None
    unit_code: str
    period: str | None
    attachments: tuple[str, ...]  # their sha256

    @classmethod
    def of(cls, report: Report) -> _Version:
        return cls(report.id, report.instance_id, report.version, report.status, report.content_hash, report.ket_qua,
                   report.kho_khan, report.kien_nghi, report.figures, report.consolidated_from, report.plan_id,
                   report.unit_code, report.period, tuple(a.sha256 for a in report.attachments))  # fmt: skip

    @classmethod
    def from_rows(cls, rows: Sequence[Row[Any]]) -> _Version:
        """The version of ``_NEWEST_TO_MOVE``'s rows: one per file, each with the version's columns
        in this class's order of fields and the file's sha256 last (NULL: the version has none)."""
        first = rows[0]
        return cls(*first[:-1], tuple(row.sha256 for row in rows if row.sha256 is not None))

    def matches_its_hash(self) -> bool:
        return content_hash(self.ket_qua, self.kho_khan, self.kien_nghi, self.figures, self.attachments) == self.content_hash


def set_status(uow: UnitOfWork, report: Report, status: str, *, note: str | None = None) -> Report:
    """Submit, return (a reason is required) or approve the newest version; returns it, updated."""
    session = uow.session
    current = session.get(Report, report.id)
    if current is None:
        raise NotFound("report_not_found", id=report.id)
    _check_transition(current.version, current.status, status)
    newest = session.connection().execute(_NEWEST_NUMBER, {"w_instance": current.instance_id}).scalar()
    if newest != current.version:
        raise InvalidState("report_not_latest", version=current.version, latest=newest)
    _move(uow, _Version.of(current), status, note, held=current)
    return current


def move_newest(uow: UnitOfWork, instance_id: uuid.UUID, status: str, *, when: str, note: str | None = None) -> bool:
    """Move the instance's newest version to ``status`` if it is ``when`` (``set_status``'s rules
    and errors); whether it moved. One SELECT (``_NEWEST_TO_MOVE``) and the conditional UPDATE:
    no ORM query. A ``Report`` of that version held by the session shows the move."""
    rows = uow.session.connection().execute(_NEWEST_TO_MOVE, {"w_instance": instance_id}).all()
    if not rows or rows[0].status != when:
        return False
    newest = _Version.from_rows(rows)
    _check_transition(newest.version, newest.status, status)
    held = uow.session.identity_map.get(identity_key(Report, newest.id))  # no statement
    _move(uow, newest, status, note, held=held if isinstance(held, Report) else None)
    return True


def _check_transition(version: int, current: str, target: str) -> None:
    allowed = TRANSITIONS.get(current, ())
    if target not in allowed:
        raise InvalidState("report_bad_transition", version=version, current=current, target=target,
                           allowed=", ".join(allowed) or "—")  # fmt: skip


def _move(uow: UnitOfWork, current: _Version, status: str, note: str | None, *, held: Report | None) -> None:
    """Move the newest version ``current`` (its transition checked) to ``status``: its hash, the
    note's rules, the conditional UPDATE (``ConflictError`` if another transaction moved it
    first), ``held`` kept as stored, the figures of an approval, the audit event."""
    if not current.matches_its_hash():
        raise InvalidState("report_hash_mismatch", version=current.version)
    note = normalise_text(note) if note else None
    if status == "returned" and not note:
        raise BadData(detail="cần nêu lý do trả lại / a reason is required to return a report")
    if note and len(note) > MAX_NOTE_CHARS:
        raise BadData(
            detail=f"ý kiến dài {len(note)} ký tự, tối đa {MAX_NOTE_CHARS} / the note is too long"
        )
    if status == "submitted":
        values = {"submitted_at": uow.now, "submitted_by": uow.actor}
    else:
        values = {"reviewed_at": uow.now, "reviewed_by": uow.actor, "review_note": note}
    values["status"] = status
    changed = uow.session.connection().execute(_MOVE, {"w_id": current.id, "w_status": current.status, **values})
    if changed.rowcount != 1:
        raise ConflictError(id=f"báo cáo {current.id}")
    if held is not None:
        for name, value in values.items():  # what the ORM's "evaluate" synchronisation did
            set_committed_value(held, name, value)
    recorded = (
        _record_figures(uow, current)
        if status == "approved" and current.consolidated_from is None
        else 0
    )
    uow.audit(f"report_{status}", instance_id=current.instance_id, subject=f"report {current.id}",
              data={"version": current.version, "hash": current.content_hash, "note": note, "figures_recorded": recorded})  # fmt: skip


def plan_indicators(
    session: Session, plan_id: int | None
) -> tuple[dict[int, Indicator], dict[str, Indicator]]:
    """The plan's indicators by id and by code (their STT)."""
    if plan_id is None:
        return {}, {}
    indicators = session.scalars(select(Indicator).where(Indicator.plan_id == plan_id)).all()
    return {i.id: i for i in indicators}, {i.stt.strip(): i for i in indicators}


def resolve_indicator(
    figure: FigureInput, by_id: dict[int, Indicator], by_code: dict[str, Indicator]
) -> Indicator | None:
    """The plan's indicator a figure names (by id first, then by code), or ``None``."""
    if figure.indicator_id is not None:
        return by_id.get(figure.indicator_id)
    return by_code.get(figure.code.strip()) if figure.code else None


def _newest_and_plan(session: Session, instance: Instance) -> tuple[Row[Any] | None, int | None]:
    """The newest version's (id, version, status, content_hash, consolidated_from) and the plan's
    id if its row exists, in one query (``_NEWEST_AND_PLAN``)."""
    connection = session.connection()
    plan_id = plan_key_id(instance.plan_key)
    found = None
    if plan_id is not None:
        found = connection.execute(_NEWEST_AND_PLAN, {"w_instance": instance.id, "w_plan": plan_id}).first()
    if found is None:
        return connection.execute(_NEWEST, {"w_instance": instance.id}).first(), None
    return (found if found.id is not None else None), plan_id


def plan_id_of(session: Session, instance: Instance) -> int | None:
    """The plan an instance was dispatched from (``plan_key`` "plan:<id>"), if it still exists."""
    plan_id = plan_key_id(instance.plan_key)
    return plan_id if plan_id is not None and session.get(Plan, plan_id) is not None else None


def _attachments(
    uow: UnitOfWork, instance: Instance, items: Sequence[tuple[str, bytes] | str]
) -> list[tuple[str, Blob]]:
    """Store new files and find kept ones: ``(filename, blob)``, one per content."""
    chosen: dict[str, tuple[str, Blob]] = {}
    earlier: dict[str, str] | None = None
    for item in items:
        if isinstance(item, str):
            # Only a file of this instance's own earlier versions: a hash alone must never reach
            # another unit's files.
            if earlier is None:
                earlier = _earlier_attachments(uow.session, instance.id)
            name = earlier.get(item)
            blob = uow.session.get(Blob, item) if name is not None else None
            if name is None or blob is None:
                raise BadData(detail=f"tệp {item[:12]}… không thuộc phiên bản trước nào của báo cáo này / "
                                     f"file {item[:12]}… is not attached to an earlier version of this report")  # fmt: skip
            chosen.setdefault(item, (name, blob))
        else:
            filename, content = item
            name = clean_filename(filename)
            blob = store_blob(uow.session, content, filename=name, now=uow.now)
            chosen.setdefault(blob.sha256, (name, blob))
    if len(chosen) > MAX_ATTACHMENTS:
        raise BadData(
            detail=f"tối đa {MAX_ATTACHMENTS} tệp đính kèm / at most {MAX_ATTACHMENTS} attachments"
        )
    return list(chosen.values())


def _earlier_attachments(session: Session, instance_id: uuid.UUID) -> dict[str, str]:
    """sha256 → the file's name in the newest version that has it."""
    rows = session.execute(
        select(ReportAttachment.sha256, ReportAttachment.filename)
        .join(Report, Report.id == ReportAttachment.report_id)
        .where(Report.instance_id == instance_id)
        .order_by(Report.version)
    )
    return {sha: name for sha, name in rows}


def _record_figures(uow: UnitOfWork, report: _Version) -> int:
    """Record the approved report's figures that name an indicator of its plan; how many."""
    if not report.figures:
        return 0  # nothing to name an indicator: no need to read the plan's
    by_id, by_code = plan_indicators(uow.session, report.plan_id)
    named: list[tuple[FigureInput, Indicator]] = []
    for figure in map(FigureInput.from_json, report.figures):
        indicator = resolve_indicator(figure, by_id, by_code)
        if indicator is not None:
            named.append((figure, indicator))
    if not named:
        return 0
    unit = uow.session.scalars(select(OrgUnit).where(OrgUnit.code == report.unit_code)).first()
    if unit is None:
        raise NotFound("unit_not_found", code=report.unit_code)
    plan = uow.session.get(Plan, report.plan_id)
    period = report.period or str(plan.year if plan else "")
    for figure, indicator in named:
        report_figure(uow, indicator.id, unit.id, period, figure.numerator, figure.denominator,
                      note=f"báo cáo {report.id}, phiên bản {report.version}")  # fmt: skip
    return len(named)
