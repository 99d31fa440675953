"""Hostile BPMN/XML inputs, built at test time, for any test that feeds uploads to the engine.

``HOSTILE`` maps a case name to a function returning its bytes; ``EXPECTED`` gives the problem
code ``engine.xml_safety.parse_bpmn`` must refuse it with. Cases that try to reach outside
point at a *canary*: a temporary file holding a unique marker and an HTTP server on 127.0.0.1
that counts requests. Call ``canary()`` to read them (``.marker``, ``.hits``); the canary starts
on first use and is closed by ``close_canary()`` or at interpreter exit.

``VALID`` holds inputs that must be accepted.
"""

from __future__ import annotations

import atexit
import codecs
import http.server
import random
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

MINIMAL_BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="defs" targetNamespace="http://giaoviec.test">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
""".encode()

_OPEN = f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="defs">'
_CLOSE = "</bpmn:definitions>"


class Canary:
    """A marker file and a request-counting HTTP server that no parse may ever touch."""

    def __init__(self) -> None:
        self.marker = f"GIAOVIEC-XXE-MARKER-{uuid.uuid4().hex}"
        self._dir = Path(tempfile.mkdtemp(prefix="giaoviec-canary-"))
        self.path = self._dir / "secret.txt"
        # Also valid DTD text, so a parser that did load it would visibly define an entity.
        self.path.write_text(f'<!ENTITY leak "{self.marker}">{self.marker}\n', encoding="utf-8")
        self.requests: list[str] = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.requests.append(self.path)
                body = f'<!ENTITY leak "{canary.marker}">'.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Keep test output clean: hits are counted, not logged."""

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def hits(self) -> int:
        return len(self.requests)

    @property
    def file_url(self) -> str:
        return self.path.as_uri()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        shutil.rmtree(self._dir, ignore_errors=True)


_canary: Canary | None = None
_canary_lock = threading.Lock()


def canary() -> Canary:
    global _canary
    with _canary_lock:
        if _canary is None:
            _canary = Canary()
            atexit.register(close_canary)
        return _canary


def close_canary() -> None:
    global _canary
    with _canary_lock:
        if _canary is not None:
            _canary.close()
            _canary = None


def _with_doctype(subset: str, body: str = "") -> bytes:
    return f'<?xml version="1.0"?>\n<!DOCTYPE bpmn:definitions [{subset}]>\n{_OPEN}{body}{_CLOSE}'.encode()


def xxe_passwd() -> bytes:
    return _with_doctype(
        '<!ENTITY x SYSTEM "file:///etc/passwd">', "<bpmn:documentation>&x;</bpmn:documentation>"
    )


def xxe_file_marker() -> bytes:
    return _with_doctype(
        f'<!ENTITY x SYSTEM "{canary().file_url}">', "<bpmn:documentation>&x;</bpmn:documentation>"
    )


def xxe_file_in_attribute() -> bytes:
    return _with_doctype(f'<!ENTITY x SYSTEM "{canary().file_url}">', '<bpmn:process id="&x;"/>')


def xxe_http() -> bytes:
    return _with_doctype(
        f'<!ENTITY x SYSTEM "{canary().url}/entity">',
        "<bpmn:documentation>&x;</bpmn:documentation>",
    )


def parameter_entities() -> bytes:
    c = canary()
    subset = (
        f'<!ENTITY % remote SYSTEM "{c.url}/remote.dtd"> %remote;'
        f'<!ENTITY % local SYSTEM "{c.file_url}"> %local;'
    )
    return _with_doctype(subset, "<bpmn:documentation>&leak;</bpmn:documentation>")


def external_dtd() -> bytes:
    return f'<?xml version="1.0"?>\n<!DOCTYPE x SYSTEM "{canary().url}/x.dtd">\n{_OPEN}{_CLOSE}'.encode()


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return _with_doctype("".join(entities), "<bpmn:documentation>&lol9;</bpmn:documentation>")


def quadratic_blowup() -> bytes:
    # One 50 KB entity referenced 50,000 times: 2.5 GB if expanded.
    body = "<bpmn:documentation>" + "&a;" * 50_000 + "</bpmn:documentation>"
    return _with_doctype(f'<!ENTITY a "{"A" * 50_000}">', body)


def doctype_after_comment() -> bytes:
    # A naive "does the root come first" check would stop at the '<a>' inside the comment.
    return f'<?xml version="1.0"?><!-- <a> --><?note x?>\n<!doctype x [<!ENTITY e "e">]>{_OPEN}{_CLOSE}'.encode()


def doctype_utf16() -> bytes:
    return codecs.BOM_UTF16_LE + external_dtd().decode().encode("utf-16-le")


def xinclude() -> bytes:
    body = (
        '<bpmn:documentation xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<xi:include href="{canary().file_url}" parse="text"/></bpmn:documentation>'
    )
    return f"{_OPEN}{body}{_CLOSE}".encode()


def too_large_60mb() -> bytes:
    padding = b"<bpmn:documentation>" + b"x" * (60 * 1024 * 1024) + b"</bpmn:documentation>"
    return _OPEN.encode() + padding + _CLOSE.encode()


def deep_100000() -> bytes:
    return _OPEN.encode() + b"<a>" * 100_000 + b"</a>" * 100_000 + _CLOSE.encode()


def deep_250() -> bytes:
    # Under libxml2's own limit (256) but over parse_bpmn's default max_depth (200).
    return _OPEN.encode() + b"<a>" * 249 + b"</a>" * 249 + _CLOSE.encode()


def random_bytes() -> bytes:
    return random.Random(20240601).randbytes(64 * 1024)


def png_header() -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
    )


def nul_in_xml() -> bytes:
    return MINIMAL_BPMN.replace(b'id="p"', b'id="p\x00"')


def empty() -> bytes:
    return b""


def whitespace_only() -> bytes:
    return b" \t\r\n" * 1000


def bom_only() -> bytes:
    return codecs.BOM_UTF8 + b"\n"


def truncated() -> bytes:
    return MINIMAL_BPMN[: MINIMAL_BPMN.index(b"</bpmn:process>")]


def wrong_root_html() -> bytes:
    return b"<html><head><title>x</title></head><body><p>not BPMN</p></body></html>"


def wrong_root_process() -> bytes:
    return f'<bpmn:process xmlns:bpmn="{BPMN_NS}" id="p"><bpmn:startEvent id="s"/></bpmn:process>'.encode()


def wrong_root_no_namespace() -> bytes:
    return b'<definitions id="defs"><process id="p"/></definitions>'


def utf16_without_bom() -> bytes:
    return (
        MINIMAL_BPMN.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode().encode("utf-16-le")
    )


def utf16_declared_but_ascii() -> bytes:
    return MINIMAL_BPMN.replace(b'encoding="UTF-8"', b'encoding="UTF-16"')


def utf32() -> bytes:
    return MINIMAL_BPMN.decode().encode("utf-32")


def utf7_hidden_doctype() -> bytes:
    # "+ADw-" is '<' in UTF-7: a classic way to smuggle a DOCTYPE past byte-level filters.
    decl = b'<?xml version="1.0" encoding="UTF-7"?>'
    return (
        decl
        + b"+ADw-!DOCTYPE x +AFs-+ADw-!ENTITY e SYSTEM +ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-"
        + _OPEN.encode()
        + _CLOSE.encode()
    )


def processing_instruction() -> bytes:
    return MINIMAL_BPMN.replace(
        b"?>\n", b'?>\n<?xml-stylesheet type="text/xsl" href="http://127.0.0.1:1/x.xsl"?>\n', 1
    )


def processing_instruction_inside() -> bytes:
    return MINIMAL_BPMN.replace(b"<bpmn:endEvent", b"<?php system('id'); ?><bpmn:endEvent")


HOSTILE: dict[str, Callable[[], bytes]] = {
    "xxe_passwd": xxe_passwd,
    "xxe_file_marker": xxe_file_marker,
    "xxe_file_in_attribute": xxe_file_in_attribute,
    "xxe_http": xxe_http,
    "parameter_entities": parameter_entities,
    "external_dtd": external_dtd,
    "billion_laughs": billion_laughs,
    "quadratic_blowup": quadratic_blowup,
    "doctype_after_comment": doctype_after_comment,
    "doctype_utf16": doctype_utf16,
    "xinclude": xinclude,
    "too_large_60mb": too_large_60mb,
    "deep_100000": deep_100000,
    "deep_250": deep_250,
    "random_bytes": random_bytes,
    "png_header": png_header,
    "nul_in_xml": nul_in_xml,
    "empty": empty,
    "whitespace_only": whitespace_only,
    "bom_only": bom_only,
    "truncated": truncated,
    "wrong_root_html": wrong_root_html,
    "wrong_root_process": wrong_root_process,
    "wrong_root_no_namespace": wrong_root_no_namespace,
    "utf16_without_bom": utf16_without_bom,
    "utf16_declared_but_ascii": utf16_declared_but_ascii,
    "utf32": utf32,
    "utf7_hidden_doctype": utf7_hidden_doctype,
    "processing_instruction": processing_instruction,
    "processing_instruction_inside": processing_instruction_inside,
}

_DOCTYPE_CASES = [
    "xxe_passwd",
    "xxe_file_marker",
    "xxe_file_in_attribute",
    "xxe_http",
    "parameter_entities",
    "external_dtd",
    "billion_laughs",
    "quadratic_blowup",
    "doctype_after_comment",
    "doctype_utf16",
]

EXPECTED: dict[str, str] = {
    **dict.fromkeys(_DOCTYPE_CASES, "xml_doctype"),
    "xinclude": "xml_xinclude",
    "too_large_60mb": "xml_too_large",
    "deep_100000": "xml_too_deep",
    "deep_250": "xml_too_deep",
    "random_bytes": "xml_not_text",
    "png_header": "xml_not_text",
    "nul_in_xml": "xml_not_text",
    "empty": "xml_empty",
    "whitespace_only": "xml_empty",
    "bom_only": "xml_empty",
    "truncated": "xml_malformed",
    "wrong_root_html": "xml_wrong_root",
    "wrong_root_process": "xml_wrong_root",
    "wrong_root_no_namespace": "xml_wrong_root",
    "utf16_without_bom": "xml_not_text",
    "utf16_declared_but_ascii": "xml_not_text",
    "utf32": "xml_not_text",
    "utf7_hidden_doctype": "xml_not_text",
    "processing_instruction": "xml_processing_instruction",
    "processing_instruction_inside": "xml_processing_instruction",
}

# Cases whose DOCTYPE tries to reach the canary; used to test the parser-level guard.
REACHING_OUT = [
    "xxe_file_marker",
    "xxe_file_in_attribute",
    "xxe_http",
    "parameter_entities",
    "external_dtd",
]


def utf8_bom() -> bytes:
    return codecs.BOM_UTF8 + MINIMAL_BPMN


def utf16_bom() -> bytes:
    text = MINIMAL_BPMN.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return text.encode("utf-16")  # Python writes the BOM


def utf16_be_bom() -> bytes:
    return codecs.BOM_UTF16_BE + MINIMAL_BPMN.decode().replace("UTF-8", "UTF-16").encode(
        "utf-16-be"
    )


def windows1258_declared() -> bytes:
    # Vietnamese legacy code page; cp1258 writes tones as combining marks.
    text = MINIMAL_BPMN.decode().replace('encoding="UTF-8"', 'encoding="windows-1258"')
    return text.replace('id="end"', 'id="end" name="\u0110\u01b0\u01a1\u0300ng"').encode("cp1258")


def latin1_declared() -> bytes:
    text = MINIMAL_BPMN.decode().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    return text.replace('id="start"', 'id="start" name="Café Noël"').encode("latin-1")


def cdata_mentioning_doctype() -> bytes:
    # Documentation may quote HTML; a DOCTYPE inside CDATA or a comment is harmless text.
    doc = "<bpmn:documentation><![CDATA[<!DOCTYPE html><html/>]]></bpmn:documentation><!-- <!DOCTYPE x> -->"
    return MINIMAL_BPMN.replace(b"<bpmn:startEvent", doc.encode() + b"<bpmn:startEvent")


def element_flood() -> bytes:
    """Valid but costly: about 1.25 million empty elements in just under 5 MB."""
    return MINIMAL_BPMN.replace(b"<bpmn:endEvent", b"<a/>" * 1_240_000 + b"<bpmn:endEvent")


VALID: dict[str, Callable[[], bytes]] = {
    "minimal": lambda: MINIMAL_BPMN,
    "utf8_bom": utf8_bom,
    "utf16_bom": utf16_bom,
    "utf16_be_bom": utf16_be_bom,
    "windows1258_declared": windows1258_declared,
    "latin1_declared": latin1_declared,
    "cdata_mentioning_doctype": cdata_mentioning_doctype,
}

assert set(HOSTILE) == set(EXPECTED)
