"""Cell text as a person means it: wrapped lines joined, and a folded form for matching names.

Pure functions of strings. ``clean_cell`` keeps the words and punctuation as written (NFC,
list separators ";" and "," kept); ``fold`` is only for comparing header names and markers.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
# Excel writes a carriage return inside a cell as the escape _x000D_; PDF converters use \r.
_LINE_BREAK = re.compile(r"_x000[dD]_|\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# A hyphen glued to the word before it at a line end is a wrapped compound ("GDMN-\nGDTH").
_GLUED_HYPHEN = re.compile(r"(?<=\S)[-\u2010\u2011\u2013]$")
_NOT_WORD = re.compile(r"[\W_]+")
_DROP_MARKS = {cp: None for cp in range(0x300, 0x370)} | {ord("đ"): "d", ord("Đ"): "D"}

_ROMAN = re.compile(r"(?=[IVXLC])C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_SECTION_PREFIX = r"(?:(?:PHẦN|Phần|MỤC|Mục|CHƯƠNG|Chương)\s+)?"
_SECTION_CODE = re.compile(rf"{_SECTION_PREFIX}([IVXLC]+|[A-Z])\s*[.):]?")
# "I. Quản trị…", "II - Phát triển…", "A) …", or a roman numeral then a capitalised title.
_SECTION_LINE = re.compile(
    rf"{_SECTION_PREFIX}(?:([IVXLC]+|[A-Z])\s*[.):\-\u2013]\s*|([IVXLC]+)\s+)(\S.*)"
)
_STT = re.compile(
    r"\d{1,5}(?:\.\d{1,3})*\.?"  # 1, 1., 1.2, 11.1
    r"|\(?\d{1,3}\)"  # (1), 1)
    r"|[A-Za-zĐđ][.)]?"  # a, a), A.
    r"|[IVXLC]{1,7}\.?"  # roman
    r"|[-+*\u2022\u2013]"  # bullets
)
_COLUMN_NUMBER = re.compile(r"\(?(?:\d{1,2}|[A-Z])\)?")


def clean_cell(text: str) -> str:
    """NFC text with wrapped lines joined by spaces, wrap hyphens glued, spaces collapsed."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    joined = ""
    for line in _LINE_BREAK.split(text):
        joined = join_text(joined, _SPACES.sub(" ", line).strip())
    return joined


def join_text(before: str, after: str) -> str:
    """``before`` continued by ``after`` as one wrapped line: a space, or none after a glued hyphen."""
    if not before or not after:
        return before or after
    if _GLUED_HYPHEN.search(before):
        return before + after
    return f"{before} {after}"


def fold(text: str) -> str:
    """Lower-case ASCII words for matching: "Đơn vị chủ trì" -> "don vi chu tri"."""
    text = unicodedata.normalize("NFD", text).translate(_DROP_MARKS).lower()
    return _NOT_WORD.sub(" ", text).strip()


def has_phrase(folded: str, *phrases: str) -> bool:
    """Whether ``folded`` contains any of the folded ``phrases`` as whole words."""
    padded = f" {folded} "
    return any(f" {phrase} " in padded for phrase in phrases)


def section_code(stt: str) -> str | None:
    """The section code of an STT cell ("I", "II.", "Phần III", "A"), or None for a task number."""
    match = _SECTION_CODE.fullmatch(stt.strip())
    if match is None:
        return None
    code = match.group(1)
    if len(code) > 1 and not _ROMAN.fullmatch(code):
        return None
    return code


def section_line(text: str) -> tuple[str, str] | None:
    """``(code, title)`` of a one-cell section row such as "II. Phát triển dữ liệu số", else None."""
    match = _SECTION_LINE.fullmatch(text.strip())
    if match is None:
        return None
    code, title = match.group(1) or match.group(2), match.group(3).strip()
    if len(code) > 1 and not _ROMAN.fullmatch(code):
        return None
    if match.group(2) and not title[0].isupper():
        return None
    return code, title


def is_stt(text: str) -> bool:
    """Whether a cell reads as a row number: "1", "1.2", "a)", "II", "-"…"""
    return bool(_STT.fullmatch(text.strip()))


def is_column_number(text: str) -> bool:
    """Whether a cell is a column index under a header: "1", "(2)", "A"."""
    return bool(_COLUMN_NUMBER.fullmatch(text.strip()))
