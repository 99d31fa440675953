"""Organisation actions through the one door: a leader delegates their own approvals.

``user`` is the acting person (``workflows.actions.people.person_acting``); ``None`` is the
console operator, who configures the organisation as an administrator does.
"""

from __future__ import annotations

from datetime import date

from engine import UnitOfWork
from workflows.authz.facts import load_user
from workflows.authz.refusals import record_refusal
from workflows.authz.rules import day_of, decide_delegation
from workflows.org import commands
from workflows.org.models import Delegation, User


def delegate(uow: UnitOfWork, user: User | None, from_username: str, to_username: str, starts_on: date, ends_on: date,
             reason: str | None = None) -> Delegation:  # fmt: skip
    """``from_username`` hands their approvals to ``to_username`` for ``starts_on``..``ends_on``:
    only that leader may, for themself (``authz_delegate_for_other`` otherwise, recorded)."""
    if user is not None:
        day = day_of(uow.now)
        facts = load_user(uow.session, user, day)
        giver = load_user(uow.session, commands.user_by_name(uow, from_username), day)
        receiver = load_user(uow.session, commands.user_by_name(uow, to_username), day)
        decision = decide_delegation(facts, giver, receiver, day)
        if not decision.allowed:
            if decision.security_event:
                record_refusal(uow, facts, str(decision.action), receiver, decision)
            decision.ensure()
    return commands.delegate(uow, from_username, to_username, starts_on, ends_on, reason)
