"""Which province (Sở) a command works in: the one named, or the only one in the database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from engine import BadData
from workflows.org.kinds import UnitKind
from workflows.org.models import OrgUnit


def province(session: Session, code: str | None) -> OrgUnit:
    """The Sở named by ``code``, or the only one in the database."""
    roots = session.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None), OrgUnit.kind == UnitKind.DEPARTMENT.value)).all()
    if code:
        roots = [r for r in roots if r.code == code]
    if len(roots) != 1:
        raise BadData(detail="chọn Sở bằng --province (có " + str(len(roots)) + " Sở trong CSDL; tạo bằng: giaoviec org demo)")
    return roots[0]


def province_if_any(session: Session, code: str | None) -> OrgUnit | None:
    """The province to resolve names against; none yet (or no schema yet) still allows a dry run."""
    try:
        return province(session, code)
    except BadData:
        if code:
            raise
        return None
    except (OperationalError, ProgrammingError):
        session.rollback()
        return None
