"""The process designer's actions, one door for every shell (the web app's designer and
``/processes`` pages, ``giaoviec process migrate``); no Flask.

Read the processes and their versions (who deployed each, when, how many instances run on it),
one version's XML, a library process to start from; validate a model exactly as deploy would
(``engine.validate_bpmn``); deploy it as a new version; move running instances from one version
to another (a dry run first: ``engine.plan_move``, then ``engine.move_instances``).

Each action asks ``workflows.authz.rules.decide_process`` first; a refusal is recorded
(``action_refused``) in the caller's unit of work and raised as ``NotAllowed``. ``user=None`` is
the operator at the console (the command line's ``--actor`` names them in the audit trail).
Nothing commits here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

import engine
from engine import NotFound, ProcessDefinition, UnitOfWork
from workflows.authz.actions import ProcessAction
from workflows.authz.facts import load_user, unit_facts
from workflows.authz.model import NotAllowed
from workflows.authz.refusals import record_refusal
from workflows.authz.rules import PROVINCE_READERS, WORK_ROLES, day_of, decide_process
from workflows.org.kinds import UnitKind
from workflows.org.models import OrgUnit, User

LIBRARY = Path(__file__).resolve().parents[2] / "bpmn"

__all__ = [
    "LIBRARY", "NotAllowed", "ProcessVersion", "ProcessSummary", "Validation", "acting_user", "check", "deploy_model",
    "library_keys", "library_xml", "may", "migrate", "processes", "validate", "version_xml",
]  # fmt: skip


# --- who acts -----------------------------------------------------------------------------------


def acting_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", username=str(user_id))
    return user


def _province(session: Session, user: User) -> OrgUnit:
    unit = session.get(OrgUnit, user.unit_id)
    assert unit is not None and unit.root_id is not None
    root = session.get(OrgUnit, unit.root_id)
    assert root is not None
    return root


def check(uow: UnitOfWork, user: User | None, action: ProcessAction) -> None:
    """Allow, or record the refusal and raise it (``NotAllowed``). The console operator passes."""
    if user is None:
        return
    day = day_of(uow.now)
    facts = load_user(uow.session, user, day)
    root = unit_facts(_province(uow.session, user))
    decision = decide_process(facts, action, root, day)
    if decision.allowed:
        return
    if decision.security_event:
        record_refusal(uow, facts, action.value, root, decision)
    decision.ensure()


def may(session: Session, user: User, now: datetime, action: ProcessAction) -> bool:
    """Whether ``user`` may ``action`` (to show or hide a button; nothing recorded)."""
    day = day_of(now)
    return decide_process(load_user(session, user, day), action, unit_facts(_province(session, user)), day).allowed


def in_menu(roles: Iterable[str], unit_kind: str) -> bool:
    """Whether the menu offers the processes, from the person's own profile (a page costs no query
    more): staff of the Sở and its phòng, administrators, inspectors. The pages themselves ask
    ``decide_process``, which also weighs a locked account or unit."""
    held = set(roles)
    staff = unit_kind in (UnitKind.DEPARTMENT, UnitKind.DIVISION) and bool(held & WORK_ROLES)
    return staff or bool(held & PROVINCE_READERS)


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessVersion:
    key: str
    version: int
    name: str
    deployed_at: datetime
    deployed_by: str
    source_name: str
    running: int  # instances running on this version
    total: int  # instances ever started on it


@dataclass(frozen=True)
class ProcessSummary:
    key: str
    name: str  # the latest version's
    versions: tuple[ProcessVersion, ...]  # newest first

    @property
    def latest(self) -> ProcessVersion:
        return self.versions[0]


def processes(uow: UnitOfWork, user: User | None) -> list[ProcessSummary]:
    """Every deployed process with its versions, newest first, and their instance counts."""
    check(uow, user, ProcessAction.READ)
    session = uow.session
    counts: dict[int, tuple[int, int]] = {}
    running = func.sum(case((engine.Instance.status == "running", 1), else_=0))
    for definition_id, total, live in session.execute(
        select(engine.Instance.definition_id, func.count(), running).group_by(engine.Instance.definition_id)
    ):
        counts[definition_id] = (int(total), int(live or 0))
    by_key: dict[str, list[ProcessVersion]] = {}
    rows = session.execute(select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name,
                                  ProcessDefinition.deployed_at, ProcessDefinition.deployed_by, ProcessDefinition.source_name)
                           .order_by(ProcessDefinition.key, ProcessDefinition.version.desc()))  # fmt: skip
    for definition_id, key, version, name, at, by, source in rows:
        total, live = counts.get(definition_id, (0, 0))
        by_key.setdefault(key, []).append(ProcessVersion(key, version, name, at, by, source, live, total))
    return [ProcessSummary(key, versions[0].name, tuple(versions)) for key, versions in by_key.items()]


def version_xml(uow: UnitOfWork, user: User | None, key: str, version: int) -> bytes:
    """The XML of one deployed version, exactly as deployed."""
    check(uow, user, ProcessAction.READ)
    xml = uow.session.scalars(select(ProcessDefinition.xml).where(ProcessDefinition.key == key, ProcessDefinition.version == version)).first()
    if xml is None:
        raise NotFound("definition_not_found", key=f"{key} v{version}")
    return bytes(xml)


def library_keys() -> list[str]:
    """The processes of the library (``bpmn/``) a new design may start from."""
    return sorted(path.stem for path in LIBRARY.glob("*.bpmn"))


def library_xml(uow: UnitOfWork, user: User | None, key: str) -> bytes:
    check(uow, user, ProcessAction.DESIGN)
    if key not in library_keys():
        raise NotFound("definition_not_found", key=key)
    return (LIBRARY / f"{key}.bpmn").read_bytes()


# --- validate, deploy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """The designer's answer: the processes the model would deploy, or every problem found."""

    keys: tuple[str, ...]
    problems: tuple[engine.Problem, ...]
    warnings: tuple[engine.Problem, ...] = ()  # shown on their elements; they never stop a deploy

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self, lang: str = "vi") -> dict[str, Any]:
        return {"ok": self.ok, "keys": list(self.keys), "problems": [p.as_dict(lang) for p in self.problems],
                "warnings": [w.as_dict(lang) for w in self.warnings]}  # fmt: skip


def validate(uow: UnitOfWork, user: User | None, xml: bytes) -> Validation:
    """Check a model as deploy would; nothing is stored."""
    check(uow, user, ProcessAction.DESIGN)
    try:
        checked = engine.validate_bpmn(uow, xml)
    except engine.BadData as refused:  # too large, or not XML at all
        return Validation((), (engine.Problem(refused.code, None, refused.params),))
    return Validation(checked.keys, checked.problems, checked.warnings)


def deploy_model(uow: UnitOfWork, user: User | None, xml: bytes, *, source_name: str = "designer.bpmn") -> list[engine.Deployed]:
    """Deploy the model as a new version of each process in it (identical XML: no new version).
    Refused models raise ``DeployError`` with every problem."""
    check(uow, user, ProcessAction.DEPLOY)
    return engine.deploy(uow, xml, source_name=source_name)


# --- migrate --------------------------------------------------------------------------------------


def migrate(uow: UnitOfWork, user: User | None, key: str, from_version: int, to_version: int, *, dry_run: bool,
            instance_ids: Iterable[uuid.UUID] | None = None) -> engine.MoveResult:  # fmt: skip
    """Move the running instances of ``key`` v``from_version`` that can move to v``to_version``
    (``dry_run``: only say which can and which cannot, and why). Audited as a whole
    (``instances_migrated``, with the counts) besides each instance's own event."""
    check(uow, user, ProcessAction.MIGRATE)
    if dry_run:
        plan = engine.plan_move(uow, key, from_version, to_version, instance_ids)
        return engine.MoveResult(plan, ())
    result = engine.move_instances(uow, key, from_version, to_version, instance_ids)
    uow.audit("instances_migrated", subject=f"{key} v{from_version} -> v{to_version}",
              data={"key": key, "from": from_version, "to": to_version, "moved": len(result.moved),
                    "blocked": len(result.plan.blocked)})  # fmt: skip
    return result
