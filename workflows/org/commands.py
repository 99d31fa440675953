"""Changing the organisation: units, aliases, people, roles, delegations. Each is a command in
the caller's unit of work, audited, never committing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from engine import BadData, InvalidState, NotFound, UnitOfWork
from workflows.names import clean_name, clean_optional, column_length, too_long
from workflows.org.kinds import LABELS, PARENT_KINDS, UnitKind, parse_kind
from workflows.org.models import Delegation, OrgUnit, UnitAlias, User, UserRole
from workflows.org.queries import find_unit
from workflows.org.resolve import aliases_for
from workflows.roles import ROLE_NAMES


def unit_by_code(uow: UnitOfWork, code: str) -> OrgUnit:
    """The unit with this code; a blank code or one with hidden characters is refused as such."""
    return find_unit(uow.session, clean_name(code, "unit_code", column_length(OrgUnit.code)))


def user_by_name(uow: UnitOfWork, username: str) -> User:
    username = clean_name(username, "username", column_length(User.username))
    user = uow.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound("user_not_found", username=username)
    return user


@dataclass(frozen=True)
class AddUnit:
    code: str
    name: str
    kind: str
    parent_code: str | None = None
    short_name: str | None = None
    aliases: tuple[str, ...] = ()
    email: str | None = None


def add_unit(uow: UnitOfWork, cmd: AddUnit, *, parent: OrgUnit | None = None) -> OrgUnit:
    """Add a unit under its parent (a Sở is a root); its code, name and aliases become names."""
    code = clean_name(cmd.code, "unit_code", column_length(OrgUnit.code))
    name = clean_name(cmd.name, "unit_name", column_length(OrgUnit.name))
    short_name = clean_optional(cmd.short_name, "short_name", column_length(OrgUnit.short_name))
    email = clean_optional(cmd.email, "email", column_length(OrgUnit.email))
    try:
        kind = parse_kind(cmd.kind)
    except ValueError:
        raise BadData("unit_bad_kind", kind=cmd.kind, kinds=", ".join(k.value for k in UnitKind)) from None
    if uow.session.scalars(select(OrgUnit.id).where(OrgUnit.code == code)).first() is not None:
        raise InvalidState("unit_exists", code=code)
    if parent is None and cmd.parent_code:
        parent = unit_by_code(uow, cmd.parent_code)
    allowed = PARENT_KINDS[kind]
    if (parent is None) != (not allowed) or (parent is not None and UnitKind(parent.kind) not in allowed):
        raise BadData(
            "unit_bad_parent", kind=LABELS[kind], parent=parent.code if parent else "-",
            parent_kind=LABELS[UnitKind(parent.kind)] if parent else "gốc / root",
        )  # fmt: skip
    unit = OrgUnit(code=code, name=name, short_name=short_name, kind=kind.value,
                   parent_id=parent.id if parent else None, email=email, active=True)  # fmt: skip
    uow.session.add(unit)
    uow.session.flush()
    unit.root_id = parent.root_id if parent else unit.id
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    add_aliases(uow, unit, (name, short_name or "", code, *cmd.aliases), audit=False)
    uow.audit("unit_created", subject=unit.code, data={"name": unit.name, "kind": unit.kind, "parent": parent.code if parent else None})
    return unit


def add_aliases(uow: UnitOfWork, unit: OrgUnit, names: Iterable[str], *, audit: bool = True) -> None:
    """Give the unit more names; blank ones are skipped, a name another unit has is refused."""
    assert unit.root_id is not None
    limit = min(column_length(UnitAlias.alias), column_length(UnitAlias.key))
    pairs = aliases_for(cleaned for name in names if (cleaned := clean_optional(name, "alias", limit)))
    for _, key in pairs:
        if len(key) > limit:  # the folded key can outgrow its name ("ß" -> "ss")
            raise too_long("alias", len(key), limit)
    existing = {
        a.key: a.unit_id for a in uow.session.scalars(select(UnitAlias).where(UnitAlias.root_id == unit.root_id, UnitAlias.key.in_([k for _, k in pairs])))
    }
    added = []
    for alias, key in pairs:
        owner = existing.get(key)
        if owner == unit.id:
            continue
        if owner is not None:
            other = uow.session.get(OrgUnit, owner)
            raise InvalidState("unit_alias_taken", alias=alias, other=other.code if other else owner)
        uow.session.add(UnitAlias(unit_id=unit.id, root_id=unit.root_id, alias=alias, key=key))
        added.append(alias)
    uow.session.flush()  # later lookups in this unit of work must see the new names
    if audit and added:
        uow.audit("unit_aliases_added", subject=unit.code, data={"aliases": added})


@dataclass(frozen=True)
class AddUser:
    username: str
    full_name: str
    unit_code: str
    roles: tuple[str, ...]
    email: str | None = None


def add_user(uow: UnitOfWork, cmd: AddUser, *, unit: OrgUnit | None = None) -> User:
    username = clean_name(cmd.username, "username", column_length(User.username))
    full_name = clean_name(cmd.full_name, "full_name", column_length(User.full_name))
    email = clean_optional(cmd.email, "email", column_length(User.email))
    unit = unit or unit_by_code(uow, cmd.unit_code)
    for role in cmd.roles:
        if role not in ROLE_NAMES:
            raise BadData("role_unknown", role=role, roles=", ".join(ROLE_NAMES))
    if uow.session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise InvalidState("user_exists", username=username)
    user = User(username=username, full_name=full_name, email=email, unit_id=unit.id, active=True)
    uow.session.add(user)
    uow.session.flush()
    uow.session.add_all(UserRole(user_id=user.id, role=role) for role in dict.fromkeys(cmd.roles))
    uow.audit("user_created", subject=user.username, data={"unit": unit.code, "roles": list(cmd.roles)})
    return user


def roles_of(uow: UnitOfWork, user: User) -> set[str]:
    return set(uow.session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))


def delegate(uow: UnitOfWork, from_username: str, to_username: str, starts_on: date, ends_on: date, reason: str | None = None) -> Delegation:
    """A leader hands their approvals to another user for ``starts_on``..``ends_on``."""
    giver, receiver = user_by_name(uow, from_username), user_by_name(uow, to_username)
    if "leader" not in roles_of(uow, giver):
        raise InvalidState("delegation_not_leader", username=giver.username)
    if starts_on > ends_on or giver.id == receiver.id:
        raise BadData("delegation_bad_period", starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    delegation = Delegation(from_user_id=giver.id, to_user_id=receiver.id, role="leader", starts_on=starts_on,
                            ends_on=ends_on, reason=reason, created_at=uow.now, created_by=uow.actor)  # fmt: skip
    uow.session.add(delegation)
    uow.session.flush()
    uow.audit("delegation_granted", subject=f"{giver.username} → {receiver.username}",
              data={"delegation": delegation.id, "from": giver.username, "to": receiver.username,
                    "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})  # fmt: skip
    return delegation


def revoke_delegation(uow: UnitOfWork, delegation_id: int) -> None:
    delegation = uow.session.get(Delegation, delegation_id)
    if delegation is None:
        raise NotFound("bad_data", detail=f"delegation {delegation_id}")
    delegation.revoked_at = uow.now
    uow.audit("delegation_revoked", subject=str(delegation_id), data={"delegation": delegation_id})
