"""Saved inbox filters: a person names the inbox's current filters, lists them, applies one (a link
to ``/inbox?…``) and deletes it. Nobody else's: a filter of another person is "not found" (its
existence is not confirmed), whether listed, applied or deleted.

The query is cleaned to the inbox's own parameters (``KEYS``), each a short string: a saved filter
never carries anything the inbox would not read from its URL. Saving and deleting are audited
(``saved_filter_saved``, ``saved_filter_deleted``); none commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import BadData, NotFound, UnitOfWork, register
from workflows.inbox_views.models import SavedFilter
from workflows.org.models import User

KEYS = ("scope", "overdue", "due_within", "plan", "status", "period", "unit")
NAME_CHARS = 100
VALUE_CHARS = 100
MAX_PER_PERSON = 50

register({
    "saved_filter_not_found": ("Không tìm thấy bộ lọc đã lưu số {id}.", "No saved filter number {id}."),
})  # fmt: skip


def clean_query(query: Mapping[str, Any]) -> dict[str, str]:
    """The inbox parameters of ``query`` (others dropped), in ``KEYS`` order, empty ones left out."""
    cleaned = {}
    for key in KEYS:
        value = str(query.get(key) or "").strip()
        if value:
            if len(value) > VALUE_CHARS:
                raise BadData(detail=f"{key}: dài quá {VALUE_CHARS} ký tự / longer than {VALUE_CHARS} characters")
            cleaned[key] = value
    return cleaned


def save_filter(uow: UnitOfWork, user: User, name: str, query: Mapping[str, Any]) -> dict[str, Any]:
    """Keep ``query`` under ``name`` for ``user`` (replacing their filter of that name)."""
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_CHARS:
        raise BadData(detail=f"tên bộ lọc: từ 1 đến {NAME_CHARS} ký tự / a filter's name: 1 to {NAME_CHARS} characters")
    cleaned = clean_query(query)
    session = uow.session
    row = session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.name == name)).first()
    if row is None:
        held = session.scalar(select(func.count()).select_from(SavedFilter).where(SavedFilter.user_id == user.id)) or 0
        if held >= MAX_PER_PERSON:
            raise BadData(detail=f"tối đa {MAX_PER_PERSON} bộ lọc; hãy xóa bớt / at most {MAX_PER_PERSON} filters: delete some first")
        row = SavedFilter(user_id=user.id, name=name, query=cleaned, created_at=uow.now, updated_at=uow.now)
        session.add(row)
    else:
        row.query, row.updated_at = cleaned, uow.now
    session.flush()
    uow.audit("saved_filter_saved", subject=f"user {user.username}", data={"user_id": user.id, "id": row.id, "name": name, "query": cleaned})
    return _shown(row)


def saved_filters(session: Session, user: User) -> list[dict[str, Any]]:
    """``user``'s saved filters by name: ``[{"id", "name", "query"}]``."""
    rows = session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id).order_by(SavedFilter.name, SavedFilter.id))
    return [_shown(row) for row in rows]


def saved_filter(session: Session, user: User, filter_id: int) -> dict[str, Any]:
    """One of ``user``'s filters; another person's is ``NotFound`` like one that does not exist."""
    return _shown(_own(session, user, filter_id))


def delete_filter(uow: UnitOfWork, user: User, filter_id: int) -> None:
    row = _own(uow.session, user, filter_id)
    uow.audit("saved_filter_deleted", subject=f"user {user.username}", data={"user_id": user.id, "id": row.id, "name": row.name})
    uow.session.delete(row)
    uow.session.flush()


def _own(session: Session, user: User, filter_id: int) -> SavedFilter:
    row = session.get(SavedFilter, filter_id)
    if row is None or row.user_id != user.id:
        raise NotFound("saved_filter_not_found", id=filter_id)
    return row


def _shown(row: SavedFilter) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "query": dict(row.query)}
