"""The values the rules decide on, and what they decide: plain frozen dataclasses, no session.

``workflows.authz.facts`` builds them from the database; tests build them by hand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from engine import Forbidden, InvalidState, render


@dataclass(frozen=True)
class UnitFacts:
    id: int
    code: str
    name: str
    kind: str
    path: str  # materialised: "/1/7/42/" (the root's id first)
    active: bool = True

    @property
    def root_path(self) -> str:
        """The path of the province root this unit belongs to ("/1/")."""
        return self.path[: self.path.index("/", 1) + 1]

    @property
    def root_id(self) -> int:
        return int(self.root_path.strip("/"))

    def contains(self, other: UnitFacts) -> bool:
        """Whether ``other`` is this unit or lies below it."""
        return other.path.startswith(self.path)

    @property
    def ref(self) -> str:
        return f"unit {self.code}"


@dataclass(frozen=True)
class DelegationFacts:
    """A leader's approvals (``role``) handed to the user holding this, both days included."""

    id: int
    giver_id: int
    giver_username: str
    giver_active: bool
    giver_roles: frozenset[str]
    giver_unit: UnitFacts
    role: str
    starts_on: date
    ends_on: date
    revoked_on: date | None = None  # the local day it was revoked: invalid from that day on

    def valid_on(self, day: date) -> bool:
        """In its period, not revoked by then, and the giver still active and holding the role."""
        return (
            self.starts_on <= day <= self.ends_on
            and (self.revoked_on is None or day < self.revoked_on)
            and self.giver_active
            and self.role in self.giver_roles
        )


@dataclass(frozen=True)
class UserFacts:
    id: int
    username: str
    full_name: str
    active: bool
    unit: UnitFacts
    roles: frozenset[str]
    delegations: tuple[DelegationFacts, ...] = ()  # delegations this user received

    @property
    def ref(self) -> str:
        return f"user {self.username}"


@dataclass(frozen=True)
class TaskFacts:
    """A human task and the work (instance) it belongs to.

    ``unit`` is the unit whose work it is (the instance's); ``candidate_unit`` and
    ``candidate_role`` say who does this step (its BPMN lane: the instance's unit, or the assigning
    unit for a "… đơn vị giao" lane). ``assigners`` are the units that assigned this work or the
    work it belongs to: the unit of the parent instance (a commune for its schools) and the plan's
    issuing unit.
    """

    id: uuid.UUID
    instance_id: uuid.UUID
    process_key: str
    step: str  # the BPMN element id
    name: str
    status: str  # open | completed | cancelled
    unit: UnitFacts | None
    candidate_unit: UnitFacts | None
    candidate_role: str | None
    assignee: str | None = None
    assigners: tuple[UnitFacts, ...] = ()

    @property
    def ref(self) -> str:
        return f"task {self.id}"

    @property
    def root_path(self) -> str | None:
        unit = self.unit or self.candidate_unit
        return unit.root_path if unit is not None else None


@dataclass(frozen=True)
class PlanFacts:
    """A plan, or (``id`` None) a plan about to be imported for ``issuer``."""

    id: int | None
    issuer: UnitFacts
    label: str = ""

    @property
    def ref(self) -> str:
        return f"plan {self.id}" if self.id is not None else f"new plan of {self.issuer.code}"


Target = UnitFacts | UserFacts | TaskFacts | PlanFacts


class Relation(StrEnum):
    """How the user's unit stands to the unit a target belongs to (several may hold at once)."""

    OWN = "own"  # the same unit
    BELOW = "below"  # the target's unit lies below the user's unit
    ASSIGNER = "assigner"  # the user's unit assigned this work or the work it belongs to
    DIVISION = "division"  # the user's unit is a phòng of the target's unit (the Sở)
    PROVINCE = "province"  # the same province, and none of the above
    UNRELATED = "unrelated"  # another province


# Refusals that say the request does not fit the target's state; every other refusal is a
# security event (the person asked for something their roles do not give them).
STATE_REFUSALS = frozenset({"authz_step_has_no_action", "authz_task_not_open", "authz_delegate_receiver", "authz_assignee_not_eligible"})


@dataclass(frozen=True)
class Decision:
    """Allowed (``refusal`` None) or refused with a message code and its parameters.

    ``on_behalf_of`` names the leader whose delegation is what allows the action: the audit trail
    records it (``uow.on_behalf_of``).
    """

    action: str
    user: UserFacts
    target: Target
    refusal: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    on_behalf_of: str | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def security_event(self) -> bool:
        """A refusal an inspector should see (not a mere mismatch with the target's state)."""
        return self.refusal is not None and self.refusal not in STATE_REFUSALS

    def message(self, lang: str = "vi") -> str:
        return render(self.refusal, lang, **self.params) if self.refusal else ""

    def ensure(self) -> Decision:
        """Return the decision if allowed; raise ``NotAllowed`` (security) or ``InvalidState``."""
        if self.refusal is None:
            return self
        if self.security_event:
            raise NotAllowed(self)
        raise InvalidState(self.refusal, **self.params)


class NotAllowed(Forbidden):
    """A refused action: the shell rolls back, then records it (``workflows.authz.refusals``)."""

    def __init__(self, decision: Decision) -> None:
        assert decision.refusal is not None
        super().__init__(decision.refusal, **decision.params)
        self.decision = decision
