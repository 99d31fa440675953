"""The engine's guard: no human task completes unless the rules allow it.

``install`` adds a ``task_completing`` hook, so that even ``engine.complete_task`` called directly
(a script, a shell that forgot the action layer, an incident retried) passes the same door as the
action layer. A completion goes through when:

* the action layer already decided it (``authorized``: the same decision is not taken twice), or
* the unit of work is an administrator's explicit repair (``repair``: audited as
  ``task_repair_opened``), or
* the unit of work's actor is a user whom the rules allow to end that step by one of its actions
  (``rules.may_complete``); a delegate then acts "on behalf of" the giver.

Anything else is refused as ``NotAllowed`` (an actor that is no user is refused too: the actor
used to be free text never matched to a person). Marks live beside the unit of work, not in it:
the engine knows nothing of users.
"""

from __future__ import annotations

import uuid
from weakref import WeakKeyDictionary

from sqlalchemy import select

from engine import Forbidden, ProcessEngine, TaskCompletion, UnitOfWork, register
from workflows.authz.actions import OrgAction
from workflows.authz.facts import load_task, load_user, unit_facts
from workflows.authz.model import UserFacts
from workflows.authz.rules import day_of, decide_org, may_complete
from workflows.org.models import OrgUnit, User

register({
    "guard_unknown_actor": (
        "Bạn không có quyền hoàn thành bước này: “{actor}” không phải người dùng của hệ thống.",
        "You may not complete this step: “{actor}” is not a user of the application.",
    ),
})  # fmt: skip

_decided: WeakKeyDictionary[UnitOfWork, set[uuid.UUID]] = WeakKeyDictionary()
_repairs: WeakKeyDictionary[UnitOfWork, UserFacts] = WeakKeyDictionary()


def install(pe: ProcessEngine) -> None:
    if check not in pe.hooks.task_completing:
        pe.hooks.task_completing.insert(0, check)  # first: nothing else runs for a refused person


def authorized(uow: UnitOfWork, task_id: uuid.UUID) -> None:
    """The action layer has decided that this unit of work may complete ``task_id``."""
    _decided.setdefault(uow, set()).add(task_id)


def repair(uow: UnitOfWork, user: User | str, reason: str = "") -> UserFacts:
    """Open an administrator's repair in ``uow``: its completions skip the step rules.

    ``user`` must be an active administrator of a province (``configure`` on their root unit);
    the repair is audited with who, and why."""
    day = day_of(uow.now)
    facts = load_user(uow.session, user, day)
    root = uow.session.get(OrgUnit, facts.unit.root_id)
    assert root is not None
    decide_org(facts, OrgAction.CONFIGURE, unit_facts(root), day).ensure()
    _repairs[uow] = facts
    uow.audit("task_repair_opened", on_behalf_of=None, subject=f"user {facts.username}",
              data={"user_id": facts.id, "name": facts.full_name, "reason": reason[:2000]})  # fmt: skip
    return facts


def check(uow: UnitOfWork, completion: TaskCompletion) -> None:
    task_id = completion.task.id
    if task_id in _decided.get(uow, ()):
        return
    admin = _repairs.get(uow)
    if admin is not None:
        uow.audit("task_repaired", task_id=task_id, instance_id=completion.task.instance_id, on_behalf_of=None,
                  subject=completion.task.element_id, data={"user_id": admin.id, "name": admin.full_name,
                                                            "fields": sorted(completion.data)})  # fmt: skip
        return
    day = day_of(uow.now)
    user = uow.session.scalars(select(User).where(User.username == uow.actor)).first()
    if user is None:
        raise Forbidden("guard_unknown_actor", actor=uow.actor[:100])
    decision = may_complete(load_user(uow.session, user, day), load_task(uow.session, task_id), day).ensure()
    uow.on_behalf_of = decision.on_behalf_of
