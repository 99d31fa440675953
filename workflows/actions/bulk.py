"""Bulk actions on rows a person picked in their inbox: each row through the same action function
as one task's page (``tasks.accept``, ``urging.remind``), so each is authorized on its own.

Rows are independent: each runs in a savepoint of the request's unit of work, and a row that is
refused or fails is rolled back alone (its audit events with it) while the others stand. Nothing
is hidden: the outcome lists every row done and every row refused with the error that says why.
A refusal the rules count as a security event (``NotAllowed``) is recorded as ``action_refused``,
as on the task page. A task the person may not see is reported by its id only (never its name).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from engine import (
    BadData,
    ConflictError,
    EngineError,
    HumanTask,
    InvalidState,
    NotFound,
    UnitOfWork,
)
from workflows.actions import tasks, urging
from workflows.authz.model import NotAllowed
from workflows.authz.refusals import record_refusal
from workflows.org.models import User

ACTIONS = ("accept", "remind")
MAX_ROWS = 500  # a page holds 50; a forged form cannot make one request do unbounded work


@dataclass(frozen=True)
class Refused:
    task_id: uuid.UUID
    name: str | None  # the step's name, when the person may see the task
    error: EngineError


@dataclass
class Outcome:
    action: str
    done: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # (task, step name)
    refused: list[Refused] = field(default_factory=list)


def bulk(uow: UnitOfWork, user: User, action: str, task_ids: Sequence[uuid.UUID], *, base_url: str) -> Outcome:
    """Take ``action`` ("accept" or "remind") on each task, row by row; flushes, never commits."""
    if action not in ACTIONS:
        raise BadData(detail=f"thao tác: {', '.join(ACTIONS)} / action: one of {', '.join(ACTIONS)}")
    ids = list(dict.fromkeys(task_ids))
    if len(ids) > MAX_ROWS:
        raise BadData(detail=f"tối đa {MAX_ROWS} dòng một lần / at most {MAX_ROWS} rows at once")
    step: Callable[[uuid.UUID], Any] = (
        (lambda tid: tasks.accept(uow, user, tid)) if action == "accept"
        else (lambda tid: urging.remind(uow, user, tid, base_url=base_url))
    )  # fmt: skip
    outcome = Outcome(action)
    for task_id in ids:
        events, behalf = len(uow.events), uow.on_behalf_of
        try:
            with uow.session.begin_nested():
                step(task_id)
        except NotAllowed as refused:
            del uow.events[events:]
            d = refused.decision
            record_refusal(uow, d.user, action, d.target, d)
            outcome.refused.append(Refused(task_id, _name(uow, task_id) if d.refusal != "authz_not_visible" else None, refused))
        except (InvalidState, NotFound, BadData, ConflictError) as error:
            del uow.events[events:]
            outcome.refused.append(Refused(task_id, None if isinstance(error, NotFound) else _name(uow, task_id), error))
        except (StaleDataError, IntegrityError):  # someone else changed the row meanwhile
            del uow.events[events:]
            outcome.refused.append(Refused(task_id, _name(uow, task_id), ConflictError("conflict")))
        else:
            outcome.done.append((task_id, _name(uow, task_id) or ""))
        finally:
            uow.on_behalf_of = behalf
    return outcome


def _name(uow: UnitOfWork, task_id: uuid.UUID) -> str | None:
    row = uow.session.get(HumanTask, task_id)
    return row.name if row is not None else None
