"""The permission matrix: roles × actions × unit relations, the expected tables written by hand.

Each table is checked twice: through the pure rules on hand-made facts, and through the facts
loader on real rows (both databases). A row is a user (``@after``: on the day after the
delegations' period, otherwise on ``DAY``), the relation of their unit to the target, then one
cell per target: the letters of the actions allowed, "-" for none. A lower-case letter is allowed
only on behalf of the leader named in ``via`` (a delegation).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from tests.workflows.authz.world import (
    AFTER,
    DAY,
    TH1_ASSIGNERS,
    TH1_STEPS,
    THPT_ASSIGNERS,
    THPT_STEPS,
    build_world,
    complete,
    open_task,
    pure_plan,
    pure_task,
    pure_units,
    pure_user,
    task_of,
)
from workflows.authz.facts import load_plan, load_task, load_unit, load_user
from workflows.authz.model import Decision, UserFacts
from workflows.authz.rules import (
    decide_delegation,
    decide_org,
    decide_plan,
    decide_task,
    task_relations,
    unit_relations,
)

# Tasks: V view, C comment, R reassign, A accept, D save_draft, S submit, X request_extension,
# P approve, T return (trả lại), G grant_extension, F refuse_extension, K sign (ký duyệt).
TASK_LETTERS = {"view": "V", "comment": "C", "reassign": "R", "accept": "A", "save_draft": "D", "submit": "S",
                "request_extension": "X", "approve": "P", "return": "T", "grant_extension": "G",
                "refuse_extension": "F", "sign": "K"}  # fmt: skip

# TH1's giao_nhiem_vu: plan P1 of the phòng T.P → the commune T.X1 → the school T.X1.TH1.
# Columns in the order the process reaches them; "done" is the accepted (completed) tiep_nhan.
TH1_MATRIX = """
user          via    relation         tiep_nhan  thuc_hien  xem_xet_gia_han  duyet_bao_cao  tham_dinh_bao_cao  ky_duyet  done
s1_ld         -      own              VCR        VCR        VC               VCRPT          VC                 VC        VC
s1_cv         -      own              VCA        VCDSX      VC               VC             VC                 VC        VC
s1_vt         -      own              VC         VC         VC               VC             VC                 VC        VC
s1_pgd        s1_ld  own              VCA        VCDSX      VC               VCpt           VC                 VC        VC
s1_pgd@after  -      own              VCA        VCDSX      VC               VC             VC                 VC        VC
s1_off        -      own              -          -          -                -              -                  -         -
s2_ld         -      province         -          -          -                -              -                  -         -
s2_cv         -      province         -          -          -                -              -                  -         -
x_ld          -      below,assigner   VC         VC         VCR              VC             VCR                VCRK      VC
x_cv          -      below,assigner   VC         VC         VCGF             VC             VCPTG              VC        VC
p_ld          -      assigner         VC         VC         VC               VC             VC                 VC        VC
p_cv          -      assigner         VC         VC         VC               VC             VC                 VC        VC
p_vt          -      assigner         VC         VC         VC               VC             VC                 VC        VC
so_ld         -      below            VC         VC         VC               VC             VC                 VC        VC
so_cv         -      below            VC         VC         VC               VC             VC                 VC        VC
t_cv          -      province         -          -          -                -              -                  -         -
so_qt         -      below            V          V          V                V              V                  V         V
so_tt         -      below            V          V          V                V              V                  V         V
q_ld          -      unrelated        -          -          -                -              -                  -         -
q_tt          -      unrelated        -          -          -                -              -                  -         -
"""

# THPT1's giao_nhiem_vu: plan P2 of the Sở, led by the THPT; the Sở reviews and signs.
THPT_MATRIX = """
user          via    relation         tiep_nhan  tham_dinh_bao_cao  ky_duyet  done
t_ld          -      own              VCR        VC                 VC        VC
t_cv          -      own              VCA        VC                 VC        VC
so_ld         -      below,assigner   VC         VCR                VCRK      VC
so_cv         -      below,assigner   VC         VCPTG              VC        VC
p_ld          so_ld  province         vc         vc                 vck       vc
p_ld@after    -      province         -          -                  -         -
p_cv          -      province         -          -                  -         -
x_ld          -      province         -          -                  -         -
s1_cv         -      province         -          -                  -         -
so_qt         -      below,assigner   V          V                  V         V
so_tt         -      below,assigner   V          V                  V         V
q_tt          -      unrelated        -          -                  -         -
"""

# Plans: V view, I import, M map_unknown, E mark_external, K recheck (kiểm tra lại),
# X record_exception, D dispatch, A amend. P2 is the Sở's plan, P1 the phòng's.
PLAN_LETTERS = {"view": "V", "import": "I", "map_unknown": "M", "mark_external": "E", "recheck": "K",
                "record_exception": "X", "dispatch": "D", "amend": "A"}  # fmt: skip
PLAN_MATRIX = """
user          via    rel_P2      P2         rel_P1      P1
so_ld         -      own         VIMEKXDA   below       V
so_cv         -      own         VIMEKDA    below       V
so_qt         -      own         V          below       V
so_tt         -      own         V          below       V
p_ld          so_ld  division    VIMEKDAx   own         VIMEKXDA
p_ld@after    -      division    VIMEKDA    own         VIMEKXDA
p_cv          -      division    VIMEKDA    own         VIMEKDA
p_vt          -      division    VIMEKDA    own         VIMEKDA
x_ld          -      province    V          province    V
s1_cv         -      province    V          province    V
s1_off        -      province    -          province    -
q_ld          -      unrelated   -          unrelated   -
q_tt          -      unrelated   -          unrelated   -
"""

# Organisation: D delegate (one's own approvals, to s2_cv), U manage_units and N manage_users (of
# T.X1 / Q), C configure and A read_audit (of the province T / Q).
ORG_LETTERS = {"delegate": "D", "manage_units": "U", "manage_users": "N", "configure": "C", "read_audit": "A"}
ORG_MATRIX = """
user          via    T        Q
so_ld         -      D        -
so_cv         -      -        -
so_qt         -      UNCA     -
so_tt         -      A        -
p_ld          -      D        -
x_ld          -      D        -
s1_ld         -      D        -
s1_cv         -      -        -
s1_off        -      -        -
q_ld          -      -        -
q_tt          -      -        A
"""

Users = Callable[[str, date], UserFacts]
Cell = Callable[[UserFacts, Any, date], list[Decision]]


def _rows(table: str) -> tuple[list[str], list[dict[str, str]]]:
    header, *rows = (line.split() for line in table.strip().splitlines())
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def _who(key: str) -> tuple[str, date]:
    name, _, when = key.partition("@")
    return name, {"": DAY, "after": AFTER}[when]


def _mismatches(table: str, letters: dict[str, str], users: Users, targets: dict[str, Any], cell: Cell,
                relation: Callable[[UserFacts, str], str] | None = None) -> list[str]:  # fmt: skip
    """Every cell of ``table`` whose decisions differ from the written letters, as readable lines."""
    _, rows = _rows(table)
    wrong = []
    for row in rows:
        name, day = _who(row["user"])
        user = users(name, day)
        for column, target in targets.items():
            expected = set(row[column]) - {"-"}
            decisions = cell(user, target, day)
            got = {letters[d.action].lower() if d.on_behalf_of else letters[d.action] for d in decisions if d.allowed}
            via = {d.on_behalf_of for d in decisions if d.allowed and d.on_behalf_of}
            want_via = {row["via"]} if any(c.islower() for c in expected) else set()
            if got != expected or via != want_via:
                wrong.append(f"{row['user']:>13} {column}: expected {''.join(sorted(expected)) or '-'} (via {want_via or '-'}), "
                             f"got {''.join(sorted(got)) or '-'} (via {via or '-'})")  # fmt: skip
        for column, written in row.items():
            if column.startswith(("relation", "rel_")) and relation is not None:
                got_relation = relation(user, column)
                if got_relation != ",".join(sorted(written.split(","))):
                    wrong.append(f"{row['user']:>13} {column}: expected {written}, got {got_relation}")
    return wrong


def _task_cell(user: UserFacts, task: Any, day: date) -> list[Decision]:
    return [decide_task(user, action, task, day) for action in TASK_LETTERS]


def _plan_cell(user: UserFacts, plan: Any, day: date) -> list[Decision]:
    return [decide_plan(user, action, plan, day) for action in PLAN_LETTERS]


def _names(relations: Any) -> str:
    return ",".join(sorted(r.value for r in relations))


def _task_relation(targets: dict[str, Any]) -> Callable[[UserFacts, str], str]:
    first = next(iter(targets.values()))
    return lambda user, _column: _names(task_relations(user.unit, first))


def _plan_relation(targets: dict[str, Any]) -> Callable[[UserFacts, str], str]:
    return lambda user, column: _names(unit_relations(user.unit, targets[column.removeprefix("rel_")].issuer))


def _org_targets(unit: Callable[[str], Any], receiver: UserFacts) -> dict[str, Any]:
    return {"T": (unit("T.X1"), unit("T"), receiver), "Q": (unit("Q"), unit("Q"), None)}


def _org_cell(user: UserFacts, target: Any, day: date) -> list[Decision]:
    member, province, receiver = target
    decisions = [decide_org(user, a, member if a.startswith("manage") else province, day) for a in ORG_LETTERS if a != "delegate"]
    if receiver is not None:
        decisions.append(decide_delegation(user, user, receiver, day))
    return decisions


def _pure_task_targets(steps: dict[str, tuple[str, str]], assigners: tuple[str, ...]) -> dict[str, Any]:
    targets: dict[str, Any] = {step: pure_task(steps, assigners, step) for step in steps}
    targets["done"] = pure_task(steps, assigners, "tiep_nhan", status="completed")
    return targets


# The pure rules -------------------------------------------------------------------------------


def test_th1_task_matrix_through_the_pure_rules():
    targets = _pure_task_targets(TH1_STEPS, TH1_ASSIGNERS)
    assert _mismatches(TH1_MATRIX, TASK_LETTERS, pure_user, targets, _task_cell, _task_relation(targets)) == []


def test_thpt_task_matrix_through_the_pure_rules():
    targets = _pure_task_targets(THPT_STEPS, THPT_ASSIGNERS)
    assert _mismatches(THPT_MATRIX, TASK_LETTERS, pure_user, targets, _task_cell, _task_relation(targets)) == []


def test_plan_matrix_through_the_pure_rules():
    targets = {"P2": pure_plan("P2"), "P1": pure_plan("P1")}
    assert _mismatches(PLAN_MATRIX, PLAN_LETTERS, pure_user, targets, _plan_cell, _plan_relation(targets)) == []


def test_org_matrix_through_the_pure_rules():
    targets = _org_targets(pure_units().__getitem__, pure_user("s2_cv", DAY))
    assert _mismatches(ORG_MATRIX, ORG_LETTERS, pure_user, targets, _org_cell) == []


# The facts loader on real rows ----------------------------------------------------------------

# TH1's way through the process: (the table column to read it as, the open step, the data that
# completes it). The extension is refused, then the report goes all the way to the sign-off.
TH1_PATH = (
    ("tiep_nhan", "tiep_nhan", {}),
    ("thuc_hien", "thuc_hien", {"de_nghi_gia_han": True, "han_de_nghi": "2026-04-30", "ly_do_gia_han": "Chờ số liệu"}),
    ("xem_xet_gia_han", "xem_xet_gia_han", {"quyet_dinh": "tra_lai", "y_kien": "Chưa đủ lý do"}),
    (None, "thuc_hien", {"bao_cao": {"ket_qua": "Đã thực hiện"}}),
    ("duyet_bao_cao", "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"}),
    ("tham_dinh_bao_cao", "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"}),
    ("ky_duyet", "ky_duyet", None),
)
THPT_PATH = (
    ("tiep_nhan", "tiep_nhan", {}),
    (None, "thuc_hien", {"bao_cao": {"ket_qua": "Đã thực hiện"}}),
    (None, "duyet_bao_cao", {"lanh_dao_duyet": "dong_y"}),
    ("tham_dinh_bao_cao", "tham_dinh_bao_cao", {"quyet_dinh": "dong_y"}),
    ("ky_duyet", "ky_duyet", None),
)


def _walk(pe: Any, instance: Any, path: Any, steps: dict[str, tuple[str, str]], assigners: tuple[str, ...]) -> dict[str, Any]:
    """Drive the instance along ``path``, loading the open task's facts where a column reads it."""
    targets = {}
    for column, step, data in path:
        task_id = open_task(pe, instance, step)
        if column is not None:
            with pe.read() as s:
                facts = load_task(s, task_id)
            assert (facts.candidate_unit.code, facts.candidate_role) == steps[step]
            assert tuple(a.code for a in facts.assigners) == assigners
            targets[column] = facts
        if data is not None:
            complete(pe, task_id, data)
    with pe.read() as s:
        targets["done"] = load_task(s, task_of(pe, instance, "tiep_nhan"))
    assert targets["done"].status == "completed"
    return targets


def _db_users(pe: Any, tables: tuple[str, ...]) -> Users:
    keys = {row["user"] for table in tables for row in _rows(table)[1]}
    with pe.read() as s:
        loaded = {_who(k): load_user(s, *_who(k)) for k in keys | {"s2_cv"}}
    return lambda name, day: loaded[(name, day)]


def test_the_matrices_through_the_facts_loader(pe):
    world = build_world(pe)
    users = _db_users(pe, (TH1_MATRIX, THPT_MATRIX, PLAN_MATRIX, ORG_MATRIX))
    th1 = _walk(pe, world.th1, TH1_PATH, TH1_STEPS, TH1_ASSIGNERS)
    thpt = _walk(pe, world.thpt, THPT_PATH, THPT_STEPS, THPT_ASSIGNERS)
    with pe.read() as s:
        plans = {name: load_plan(s, plan_id) for name, plan_id in world.plans.items()}
        units = {code: load_unit(s, code) for code in ("T", "T.X1", "Q")}
    wrong = [
        *_mismatches(TH1_MATRIX, TASK_LETTERS, users, th1, _task_cell, _task_relation(th1)),
        *_mismatches(THPT_MATRIX, TASK_LETTERS, users, thpt, _task_cell, _task_relation(thpt)),
        *_mismatches(PLAN_MATRIX, PLAN_LETTERS, users, plans, _plan_cell, _plan_relation(plans)),
        *_mismatches(ORG_MATRIX, ORG_LETTERS, users, _org_targets(units.__getitem__, users("s2_cv", DAY)), _org_cell),
    ]
    assert wrong == []
