from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree

from engine import xml_safety
from engine.errors import DeployError
from engine.xml_safety import BPMN_NS, local_name, parse_bpmn
from tests.engine import hostile
from tests.fixtures.shared import MIWG
from tests.work import Work, run_counted

# Parsing runs a fixed, small number of Python statements whatever the input's size (every scan of
# the tree runs in C): a few dozen to a few hundred. A Python loop over the 1.25 million elements
# of the flood would run millions.
MAX_STATEMENTS = 1_000


@pytest.fixture(scope="module", autouse=True)
def _canary() -> Iterator[hostile.Canary]:
    yield hostile.canary()
    hostile.close_canary()


def refusal(data: bytes, **kwargs: Any) -> tuple[DeployError, Work]:
    result, work = run_counted(lambda: parse_bpmn(data, **kwargs))
    assert isinstance(result, DeployError), f"not refused: {result!r}"
    assert len(result.problems) == 1
    return result, work


def assert_no_leak(error: DeployError) -> None:
    canary = hostile.canary()
    texts = [str(error), error.message("en"), repr(error.problems)]
    assert not any(canary.marker in t for t in texts)
    assert not any("root:" in t for t in texts)  # first field of /etc/passwd
    assert canary.hits == 0, canary.requests


@pytest.mark.parametrize("name", sorted(hostile.HOSTILE))
def test_hostile_input_is_refused_with_bounded_work(name: str) -> None:
    data = hostile.HOSTILE[name]()
    error, work = refusal(data)
    assert error.problems[0].code == hostile.EXPECTED[name]
    assert work.statements <= MAX_STATEMENTS, f"{name}: {work.statements} statements"
    assert_no_leak(error)


@pytest.mark.parametrize("name", hostile.REACHING_OUT + ["billion_laughs", "quadratic_blowup"])
def test_parser_alone_never_expands_or_fetches(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Switch off the pre-scan: the parser and the docinfo check must hold on their own.
    monkeypatch.setattr(xml_safety, "_prolog_declares_dtd", lambda text: False)
    parsed: list[int] = []
    parse = etree.fromstring
    monkeypatch.setattr(etree, "fromstring", lambda data, parser: parsed.append(len(data)) or parse(data, parser))
    data = hostile.HOSTILE[name]()
    error, work = refusal(data)
    assert error.problems[0].code == "xml_doctype"
    assert parsed == [len(data)] and work.statements <= MAX_STATEMENTS  # one pass of libxml2, no expansion in Python
    assert_no_leak(error)


# libxml2 refuses entity references in attributes without ever loading them.
@pytest.mark.parametrize("name", [n for n in hostile.REACHING_OUT if n != "xxe_file_in_attribute"])
def test_resolver_refuses_loads_even_from_an_unsafe_parser(name: str) -> None:
    # Insurance against a future flag change: DTD and entity loads go through our resolver.
    parser = etree.XMLParser(load_dtd=True, resolve_entities=True, no_network=False)
    parser.resolvers.add(xml_safety._RefuseAll())
    with pytest.raises(xml_safety._ResolverCalled):
        etree.fromstring(hostile.HOSTILE[name](), parser)
    assert hostile.canary().hits == 0


def test_too_large_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(data: bytes) -> str:
        raise AssertionError("decoded a file that was already too large")

    monkeypatch.setattr(xml_safety, "_decode", boom)
    error, _ = refusal(b"x" * 101, max_bytes=100)
    assert error.problems[0].params == {"size": 101, "limit": 100}


def test_depth_limit_is_configurable() -> None:
    data = hostile.deep_250()  # 250 levels including the root
    error, _ = refusal(data)
    assert error.problems[0].params == {"limit": 200}
    assert parse_bpmn(data, max_depth=250).tag == f"{{{BPMN_NS}}}definitions"
    error, _ = refusal(data, max_depth=249)
    assert error.problems[0].params == {"limit": 249}


def test_depth_beyond_libxml2_reports_the_effective_limit() -> None:
    error, _ = refusal(hostile.deep_100000(), max_depth=10_000)
    assert error.problems[0].code == "xml_too_deep"
    assert error.problems[0].params == {"limit": 256}


def test_malformed_detail_is_one_short_line() -> None:
    error, _ = refusal(hostile.truncated())
    detail = error.problems[0].params["detail"]
    assert "\n" not in detail and len(detail) <= 200
    assert "<string>" not in detail and "/" not in detail
    assert "line" in detail


def test_malformed_detail_for_control_free_garbage() -> None:
    error, _ = refusal(b"<a><b></a>")
    assert error.problems[0].code == "xml_malformed"
    assert error.problems[0].params["detail"].startswith("Opening and ending tag mismatch")


def test_unknown_declared_encoding_is_malformed() -> None:
    error, _ = refusal(b'<?xml version="1.0" encoding="x-no-such"?><a/>')
    assert error.problems[0].code == "xml_malformed"


@pytest.mark.parametrize(
    ("name", "root"),
    [
        ("wrong_root_html", "html"),
        ("wrong_root_process", "bpmn:process"),
        ("wrong_root_no_namespace", "definitions"),
    ],
)
def test_wrong_root_names_the_root(name: str, root: str) -> None:
    error, _ = refusal(hostile.HOSTILE[name]())
    assert error.problems[0].params == {"root": root}


@pytest.mark.parametrize(
    ("name", "target"),
    [("processing_instruction", "xml-stylesheet"), ("processing_instruction_inside", "php")],
)
def test_processing_instruction_names_its_target(name: str, target: str) -> None:
    error, _ = refusal(hostile.HOSTILE[name]())
    assert error.problems[0].params == {"target": target}


@pytest.mark.parametrize("name", sorted(hostile.VALID))
def test_valid_input_parses(name: str) -> None:
    root = parse_bpmn(hostile.VALID[name]())
    assert root.tag == f"{{{BPMN_NS}}}definitions"
    assert local_name(root) == "definitions"
    assert [local_name(el) for el in root.iter(f"{{{BPMN_NS}}}*")][:2] == ["definitions", "process"]


def test_element_flood_costs_no_more_python_work_than_the_smallest_file() -> None:
    data = hostile.element_flood()
    assert len(data) <= 5 * 1024 * 1024
    root, work = run_counted(lambda: parse_bpmn(data))
    assert isinstance(root, etree._Element), root
    _, smallest = run_counted(lambda: parse_bpmn(hostile.MINIMAL_BPMN))
    assert work.statements <= smallest.statements + 10, f"{work.statements} statements vs {smallest.statements}"


def test_depth_counts_the_root_as_level_one() -> None:
    data = hostile.MINIMAL_BPMN  # definitions > process > startEvent
    assert parse_bpmn(data, max_depth=3) is not None
    error, _ = refusal(data, max_depth=2)
    assert error.problems[0].params == {"limit": 2}


def test_latin1_text_is_read_as_declared() -> None:
    root = parse_bpmn(hostile.latin1_declared())
    start = root.find(f".//{{{BPMN_NS}}}startEvent")
    assert start is not None and start.get("name") == "Café Noël"


def test_windows1258_text_is_read_as_declared() -> None:
    end = parse_bpmn(hostile.windows1258_declared()).find(f".//{{{BPMN_NS}}}endEvent")
    # libxml2's iconv composes cp1258's combining tone marks; Python's codec does not.
    assert end is not None and end.get("name") == unicodedata.normalize("NFC", "Đường")


def test_comments_are_dropped() -> None:
    root = parse_bpmn(hostile.cdata_mentioning_doctype())
    assert not [el for el in root.iter() if isinstance(el, etree._Comment)]


def test_local_name() -> None:
    assert local_name(etree.Element(f"{{{BPMN_NS}}}task")) == "task"
    assert local_name(etree.Element("plain")) == "plain"
    assert local_name(etree.Comment("c")) == ""


def test_all_miwg_reference_files_parse() -> None:
    files = sorted(MIWG.glob("*.bpmn"))
    assert len(files) == 21
    for path in files:
        root, work = run_counted(lambda p=path: parse_bpmn(p.read_bytes()))
        assert isinstance(root, etree._Element), f"{path.name}: {root!r}"
        assert root.tag == f"{{{BPMN_NS}}}definitions"
        assert work.statements <= MAX_STATEMENTS, f"{path.name}: {work.statements} statements"


def test_doctype_past_the_prescan_window_is_still_refused() -> None:
    body = hostile.MINIMAL_BPMN.split(b"?>", 1)[1]
    data = b"<!--c-->" * 1500 + b'<!DOCTYPE x [<!ENTITY a "b">]>' + body
    error, _ = refusal(data)
    assert error.problems[0].code == "xml_doctype"
