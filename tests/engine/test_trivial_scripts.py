"""Conditions and scripts answered without the sandbox's child (``engine.trivial_scripts``): the
same answers as the child gives, for every shape the plan accepts, and the child's own errors for
everything else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from engine import trivial_scripts
from engine.errors import ScriptError
from engine.sandbox import Sandbox, _encode_request

LIBRARY = Path(__file__).resolve().parents[2] / "bpmn"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(timeout=2.0)
    yield box
    box.close()


def _in_child(box: Sandbox, op: str, code: str, variables: dict[str, Any]) -> dict[str, Any]:
    """What the child answers, asked directly (the trivial path bypassed)."""
    return box._child().request(_encode_request(op, code, variables))  # type: ignore[arg-type]


def test_the_library_conditions_and_scripts_start_no_child() -> None:
    box = Sandbox(timeout=2.0)
    try:
        assert box.evaluate('lanh_dao_duyet == "dong_y"', {"lanh_dao_duyet": "dong_y"}) is True
        assert box.evaluate("han_xu_ly is not None", {"han_xu_ly": None}) is False
        assert box.evaluate("de_nghi_gia_han == True", {"de_nghi_gia_han": 1}) is True
        cycle = '"R1/" + han_xu_ly + "/P1D" if han_xu_ly else "R1/P7D"'  # the commune's follow-up timer
        assert box.evaluate(cycle, {"han_xu_ly": "2026-06-20"}) == "R1/2026-06-20/P1D"
        data: dict[str, Any] = {"qua_han": False}
        box.execute("qua_han = True", data)
        box.execute("lanh_dao_duyet = None", data)
        assert data == {"qua_han": True, "lanh_dao_duyet": None}
        first: dict[str, Any] = {}
        second: dict[str, Any] = {}
        box.execute("so_lan_tra_lai = 0\nlich_su_y_kien = []\nbien = {}", first)  # khoi_tao's shape
        box.execute("so_lan_tra_lai = 0\nlich_su_y_kien = []\nbien = {}", second)
        assert first == second == {"so_lan_tra_lai": 0, "lich_su_y_kien": [], "bien": {}}
        first["lich_su_y_kien"].append("x")  # each run has its own list: the plan is shared
        assert second["lich_su_y_kien"] == []
        assert getattr(box._local, "child", None) is None
    finally:
        box.close()


def test_only_the_returns_and_extensions_of_the_library_go_to_the_child() -> None:
    """Every condition, timer expression and script of ``bpmn/`` is answered in this process but
    those run when a report is returned or a deadline extended (they add to a count and a list):
    a new script on a hot path (a start, a hand-on, an approval) that needs the child shows here."""
    namespace = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    to_child = set()
    for path in sorted(LIBRARY.glob("*.bpmn")):
        tree = etree.parse(str(path))
        for mode, tag in (("exec", "script"), ("eval", "conditionExpression"), ("eval", "timeCycle"), ("eval", "timeDate"), ("eval", "timeDuration")):
            for node in tree.iterfind(f".//bpmn:{tag}", namespace):
                if trivial_scripts.plan_of(mode, node.text) is None:  # type: ignore[arg-type]
                    to_child.add((path.name, node.getparent().get("id")))
    assert to_child == {("bao_cao_dinh_ky.bpmn", "tra_lai_don_vi"), ("giao_nhiem_vu.bpmn", "tra_lai_don_vi"),
                        ("giao_nhiem_vu.bpmn", "gia_han"), ("xa_phuong_trien_khai.bpmn", "tra_lai_don_vi")}


def test_anything_else_goes_to_the_child_with_its_own_errors(sandbox: Sandbox) -> None:
    with pytest.raises(ScriptError) as missing:
        sandbox.evaluate('quyet_dinh == "dong_y"', {})  # a missing name: the child's words
    assert missing.value.code == "script_failed" and "quyet_dinh" in missing.value.message()
    assert sandbox.evaluate("ds == [1, 2]", {"ds": [1, 2]}) is True  # a list: not trivial
    assert sandbox.evaluate("x < 1000", {"x": 999}) is True  # an order: the child's
    with pytest.raises(ScriptError) as forbidden:
        sandbox.evaluate("_x == 1", {"_x": 1})  # the compile check comes first
    assert forbidden.value.code == "script_forbidden"


def test_plans_only_for_comparisons_and_literal_assignments() -> None:
    for code in ('a == "x"', "a is None", "not a", "a and b or c", "a != 2.5", "True", "a == -1"):
        assert trivial_scripts.plan_of("eval", code) is not None, code
    for code in ("a - 1", "a < 2", "len(a, b)", "len(*a)", "str(a)", "a[0] == 1", "a.b == 1", "a == b == c", "a in ('x',)", "f'{a}'", "-a == 1", "-True == 1"):
        assert trivial_scripts.plan_of("eval", code) is None, code
    cycle = trivial_scripts.plan_of("eval", '"R1/" + a + "/P1D" if a else "R1/P7D"')  # a deadline's cycle
    assert trivial_scripts.evaluate(cycle, {"a": "2026-06-20T17:00:00+07:00"}) == (True, "R1/2026-06-20T17:00:00+07:00/P1D")
    assert trivial_scripts.evaluate(cycle, {"a": None}) == (True, "R1/P7D")
    assert trivial_scripts.evaluate(cycle, {"a": 5}) == (False, None)  # str + int: the child's TypeError
    assert trivial_scripts.evaluate(trivial_scripts.plan_of("eval", "a + 1"), {"a": 1}) == (False, None)
    assert trivial_scripts.plan_of("exec", "a = 1\nb = 'x'") == ("exec", (("set", "a", ("const", 1)), ("set", "b", ("const", "x"))))
    for code in ("a = []\nb = {}", "a = b", "if a: b = 1", "if len(a) == 10:\n    a = a + 'x'\nelse:\n    b = None\nc = a"):
        assert trivial_scripts.plan_of("exec", code) is not None, code
    for code in ("a += 1", "a, b = 1, 2", "a.b = 1", "del a", "a = [1]", "a = {1: 2}", "a = ()", "_a = 1", "for a in b: c = 1",
                 "while a: a = None", "if a: pass", "a = b = 1"):
        assert trivial_scripts.plan_of("exec", code) is None, code
    deadline = trivial_scripts.plan_of("exec", 'if len(han) == 10:\n    han = han + "T23:59:59+07:00"\ngoc = han')  # ghi_nhan_han
    assert trivial_scripts.execute(deadline, {"han": "2026-06-20"}) == (True, {"han": "2026-06-20T23:59:59+07:00", "goc": "2026-06-20T23:59:59+07:00"})
    assert trivial_scripts.execute(deadline, {"han": "2026-06-20T17:00:00+07:00"}) == (True, {"goc": "2026-06-20T17:00:00+07:00"})
    assert trivial_scripts.execute(deadline, {"han": None}) == (False, {})  # len(None): the child's TypeError
    assert trivial_scripts.execute(deadline, {"han": "2026-06-20", "len": 1}) == (False, {})  # len is the data's
    assert trivial_scripts.execute(trivial_scripts.plan_of("exec", "if a:\n    b = 1\nc = b"), {"a": False}) == (False, {})


scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["", "dong_y", "tra_lai"]),
                    st.sampled_from([0.0, 1.0, 2.5]))  # fmt: skip
literal = scalars.map(repr)
name = st.sampled_from(["a", "b", "c"])
atom = st.one_of(name, literal)
comparison = st.builds(lambda left, op, right: f"{left} {op} {right}", atom, st.sampled_from(["==", "!="]), atom) | st.builds(
    lambda left, op, right: f"{left} {op} {right}", name, st.sampled_from(["is", "is not"]), st.sampled_from(["None", "True", "False"])
)  # fmt: skip
measured = st.builds(lambda n, op, k: f"len({n}) {op} {k}", name, st.sampled_from(["==", "!="]), st.integers(0, 7).map(str))
expressions = st.recursive(
    st.one_of(atom, comparison, measured),
    lambda inner: st.one_of(
        inner.map(lambda e: f"not ({e})"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]}) if ({t[1]}) else ({t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]}) + ({t[1]})"),
        st.lists(inner, min_size=2, max_size=3).flatmap(
            lambda parts: st.sampled_from([" and ", " or "]).map(lambda op: op.join(f"({p})" for p in parts))
        ),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expressions, st.dictionaries(name, scalars))
def test_the_same_answer_as_the_child(sandbox: Sandbox, code: str, variables: dict[str, Any]) -> None:
    plan = trivial_scripts.plan_of("eval", code)
    assert plan is not None, code
    done, value = trivial_scripts.evaluate(plan, variables)
    child = _in_child(sandbox, "eval", code, variables)
    if not done:  # a name the data lacks, or + of anything but two strings: the child decides
        assert child["ok"] is False or " + " in code, (code, variables)
        return
    assert child == {"ok": True, "value": value}, (code, variables)
    assert type(child["value"]) is type(value)


# A script: assignments and if/else blocks of them, to the names the data has (a, b, c) or new ones.
target = st.sampled_from(["a", "b", "c", "d"])
assignment = st.builds(lambda n, e: f"{n} = {e}", target, st.one_of(expressions, st.sampled_from(["[]", "{}"])))


def _indented(lines: list[str]) -> str:
    return "\n".join("    " + line for text in lines for line in text.split("\n"))


statements = st.recursive(
    assignment,
    lambda inner: st.builds(lambda test, then, other: f"if {test}:\n{_indented(then)}" + (f"\nelse:\n{_indented(other)}" if other else ""),
                            expressions, st.lists(inner, min_size=1, max_size=2), st.lists(inner, max_size=2)),
    max_leaves=4,
)  # fmt: skip
scripts = st.lists(statements, min_size=1, max_size=3).map("\n".join)
texts = st.sampled_from(["", "2026-06-20", "2026-06-20T17:00:00+07:00"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scripts, st.dictionaries(name, scalars | texts))
def test_a_script_sets_what_the_child_sets(sandbox: Sandbox, code: str, variables: dict[str, Any]) -> None:
    plan = trivial_scripts.plan_of("exec", code)
    assert plan is not None, code
    done, updates = trivial_scripts.execute(plan, variables)
    child = _in_child(sandbox, "exec", code, variables)
    if not done:  # a name not (yet) set or holding a list, len or + of what they do not take:
        return  # the child's answer is the one used, whatever it is
    assert child["ok"] is True and child["deleted"] == [], (code, variables, child)
    mine, theirs = {**variables, **updates}, {**variables, **child["updates"]}
    assert mine == theirs, (code, variables)
    assert [type(v) for v in mine.values()] == [type(theirs[k]) for k in mine], (code, variables)
