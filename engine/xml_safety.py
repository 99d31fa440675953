"""Turn uploaded bytes into a BPMN element tree, refusing hostile XML before it can do harm.

Every refusal is a ``DeployError`` with exactly one ``Problem``. Checks run cheapest first so
that oversized, binary or DTD-bearing input is refused without ever reaching the parser.

Encodings: UTF-8 (with or without BOM) and UTF-16 *with* BOM are accepted, as are the
ASCII-compatible single-byte encodings BPMN tools declare (US-ASCII, ISO-8859-*, windows-125*;
the MIWG reference files use ISO-8859-1). UTF-16 without a BOM, UTF-32 and anything else are
refused as ``xml_not_text``: we decode the bytes ourselves for the DOCTYPE pre-scan, so we only
accept encodings where Python and libxml2 are sure to agree on every markup (ASCII) character.
"""

from __future__ import annotations

import codecs
import functools
import re
from typing import Any, NoReturn

from lxml import etree

from engine.errors import DeployError
from engine.messages import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_DEFINITIONS = f"{{{BPMN_NS}}}definitions"
# libxml2 still honours the 2003 draft namespace, so both must be refused.
_XINCLUDE_TAGS = ("{http://www.w3.org/2001/XInclude}*", "{http://www.w3.org/2003/XInclude}*")
# libxml2's nesting limit without XML_PARSE_HUGE; deeper input fails inside the parser.
_LIBXML_MAX_DEPTH = 256
_XML_WHITESPACE = " \t\r\n"

_DECLARED_ENCODING = re.compile(
    rb"""<\?xml[ \t\r\n][^>]{0,200}?encoding[ \t\r\n]*=[ \t\r\n]*["']([A-Za-z][A-Za-z0-9._-]{0,40})["']"""
)
# C0 controls are never legal in XML 1.0; finding one means binary data, not a typo.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_PROLOG_TOKEN = re.compile(r"[ \t\r\n]+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
# The pre-scan is only a fast path; the parser-level docinfo check is the real guard.
_PROLOG_SCAN_LIMIT = 1000


def local_name(el: Any) -> str:
    """The tag without its namespace (``{ns}task`` -> ``task``); '' for comments and PIs."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def parse_bpmn(
    data: bytes, *, max_bytes: int = 5 * 1024 * 1024, max_depth: int = 200
) -> etree._Element:
    """Parse ``data`` and return its ``bpmn:definitions`` root, or raise ``DeployError``."""
    if len(data) > max_bytes:
        _refuse("xml_too_large", size=len(data), limit=max_bytes)
    if not data.strip(b" \t\r\n"):
        _refuse("xml_empty")
    text = _decode(data)
    if not text.strip(_XML_WHITESPACE):
        _refuse("xml_empty")
    if _prolog_declares_dtd(text):
        _refuse("xml_doctype")

    limit = min(max_depth, _LIBXML_MAX_DEPTH)
    try:
        root = etree.fromstring(data, _parser())
    except _ResolverCalled:
        _refuse("xml_doctype")
    except etree.XMLSyntaxError as exc:
        _refuse_syntax_error(exc, limit)

    tree = root.getroottree()
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        _refuse("xml_doctype")
    _check_content(root, limit)
    if root.tag != _DEFINITIONS:
        _refuse("xml_wrong_root", root=_display_tag(root))
    return root


class _ResolverCalled(Exception):
    """Raised by our resolver: nothing we accept needs an outside resource."""


class _RefuseAll(etree.Resolver):
    # Insurance against a future flag change: a DTD or entity load through this parser fails
    # instead of falling back to libxml2's loader. It does not cover xinclude(), whose text
    # targets libxml2 reads directly; that is why XInclude is refused and never processed.
    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        raise _ResolverCalled()


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not meant to be shared across threads.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_pis=False,
        remove_comments=True,
        collect_ids=False,
    )
    parser.resolvers.add(_RefuseAll())
    return parser


def _refuse(code: str, **params: Any) -> NoReturn:
    raise DeployError([Problem(code, params=params)])


def _decode(data: bytes) -> str:
    """Decode strictly so the pre-scan sees the characters libxml2 will see."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8", data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data  # the utf-16 codec consumes the BOM itself
    else:
        encoding, body = "utf-8", data
        declared = _DECLARED_ENCODING.match(data, 0, 300)
        if declared:
            encoding = _allowed_encoding(declared.group(1).decode("ascii"))
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        _refuse("xml_not_text")
    if _CONTROL_CHARS.search(text):
        _refuse("xml_not_text")
    return text


def _allowed_encoding(name: str) -> str:
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        _refuse("xml_malformed", detail=f"Unsupported encoding: {name}")
    if canonical in ("utf-8", "ascii") or canonical.startswith(("iso8859-", "cp125")):
        return canonical
    # Includes a declared UTF-16 without BOM: the declaration was readable as ASCII, so the
    # bytes cannot really be UTF-16.
    _refuse("xml_not_text")


def _prolog_declares_dtd(text: str) -> bool:
    """Look past whitespace, the declaration, PIs and comments for ``<!DOCTYPE``/``<!ENTITY``."""
    pos = 1 if text.startswith("\ufeff") else 0
    for _ in range(_PROLOG_SCAN_LIMIT):
        token = _PROLOG_TOKEN.match(text, pos)
        if token is None:
            break
        pos = token.end()
    return text[pos : pos + 9].upper().startswith(("<!DOCTYPE", "<!ENTITY"))


def _refuse_syntax_error(exc: etree.XMLSyntaxError, depth_limit: int) -> NoReturn:
    message = exc.msg or "?"
    if "Excessive depth" in message:
        _refuse("xml_too_deep", limit=depth_limit)
    # Entity blow-ups and external entities can only come from a DTD the pre-scan missed.
    if "amplification" in message or exc.code == etree.ErrorTypes.ERR_ENTITY_IS_EXTERNAL:
        _refuse("xml_doctype")
    # One short line; we never pass a base URL, so libxml2 has no file path to mention.
    detail = " ".join(message.split()).replace(" ,", ",")
    _refuse("xml_malformed", detail=detail[:200])


def _check_content(root: etree._Element, depth_limit: int) -> None:
    """Depth, then XInclude, then stray PIs; all scans run in C (a Python walk over a 5 MB flood
    of empty elements takes seconds)."""
    if depth_limit < _LIBXML_MAX_DEPTH and _deeper_than(depth_limit)(root):
        _refuse("xml_too_deep", limit=depth_limit)
    if next(root.iter(*_XINCLUDE_TAGS), None) is not None:
        _refuse("xml_xinclude")
    before = reversed(list(root.itersiblings(preceding=True)))
    for node in (*before, *root.iter(etree.PI), *root.itersiblings()):
        if isinstance(node, etree._ProcessingInstruction):
            _refuse("xml_processing_instruction", target=node.target)


@functools.lru_cache(maxsize=8)
def _deeper_than(limit: int) -> etree.XPath:
    # "/*" repeated n times selects the elements at depth n; each step only visits the previous
    # step's children, so the whole test touches every element once.
    return etree.XPath("boolean(" + "/*" * (limit + 1) + ")")


def _display_tag(el: etree._Element) -> str:
    qname = etree.QName(el)
    if qname.namespace == BPMN_NS:
        return f"bpmn:{qname.localname}"
    return qname.text
