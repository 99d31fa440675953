"""Names and codes a person types (units, aliases, people, plan numbers): one rule for all.

A name is NFC, trimmed, its runs of white space collapsed to one space, and no longer than the
column that keeps it. Zero-width characters that copying from Word, PDF or web pages leaves
behind (soft hyphen, zero-width space/joiners, word joiner, BOM) carry no meaning in Vietnamese
and are stripped, as plan cells are (``workflows.plans.extract_text``). Every other invisible
or control character is refused, naming it: bidirectional controls (U+200E/U+200F marks,
embeddings, overrides, isolates) have no use in Vietnamese text and make the text around them
display differently from what is stored ("Trojan Source", CVE-2021-42574), so a code that
looks like "HP.X001" could be another; stripping them would hide the attempt, refusing shows
it. Lone surrogates (bytes that were not UTF-8 on the command line) are refused the same way.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import String

from engine import BadData

_STRIPPED = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
# Cc: controls; Cf: format characters (bidi controls among them); Cs: lone surrogates.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs"}

LABELS: dict[str, tuple[str, str]] = {
    "unit_code": ("Mã đơn vị", "The unit code"),
    "unit_name": ("Tên đơn vị", "The unit name"),
    "short_name": ("Tên viết tắt", "The short name"),
    "alias": ("Tên gọi khác", "The alias"),
    "email": ("Thư điện tử", "The email address"),
    "username": ("Tên đăng nhập", "The username"),
    "full_name": ("Họ và tên", "The full name"),
    "plan_number": ("Số ký hiệu kế hoạch", "The plan number"),
    "plan_title": ("Trích yếu kế hoạch", "The plan title"),
    "authority": ("Cấp phê duyệt", "The approving authority"),
    "process_key": ("Mã quy trình", "The process key"),
}


def column_length(attribute: Any) -> int:
    """The length of a ``String(n)`` column (``OrgUnit.code``): the one place a name's limit is written."""
    kind = attribute.type
    assert isinstance(kind, String) and kind.length, f"{attribute} is not a String(n) column"
    return kind.length


def clean_name(text: str, label: str, max_length: int) -> str:
    """``text`` as it is kept (NFC, trimmed, one space between words); ``BadData`` when it is blank,
    longer than ``max_length`` characters, or holds an invisible or control character."""
    params = {"label_vi": LABELS[label][0], "label_en": LABELS[label][1]}
    for ch in text if not text.isprintable() else ():  # printable text (the usual) holds none of them
        if unicodedata.category(ch) in _REFUSED_CATEGORIES and not _STRIPPED.match(ch) and not ch.isspace():
            raise BadData("name_hidden_character", char=describe(ch), **params)
    cleaned = " ".join(unicodedata.normalize("NFC", _STRIPPED.sub("", text)).split())
    if not cleaned:
        raise BadData("name_blank", **params)
    if len(cleaned) > max_length:
        raise too_long(label, len(cleaned), max_length)
    return cleaned


def too_long(label: str, length: int, limit: int) -> BadData:
    """The refusal of a name of ``length`` characters where ``limit`` fit."""
    return BadData("name_too_long", label_vi=LABELS[label][0], label_en=LABELS[label][1], length=length, limit=limit)


def clean_optional(text: str | None, label: str, max_length: int) -> str | None:
    """``clean_name`` for a field that may be left out: None or blank gives None."""
    if text is None or not _STRIPPED.sub("", text).strip():
        return None
    return clean_name(text, label, max_length)


def describe(ch: str) -> str:
    """A character a person cannot see, as they can look it up: "U+200F RIGHT-TO-LEFT MARK"."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip()
