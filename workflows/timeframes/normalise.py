"""Normalising what clerks type before anything tries to understand it.

Cells come from PDFs, Word and Excel: decomposed Unicode (NFD), line breaks inside a cell
("Hàng \\nquý", "Quý II-\\nIII"), odd dashes and spacing, "hàng"/"hằng" and "kì"/"kỳ" used
interchangeably, dates written five ways. This module folds all of that into one spelling so that
the grammar in ``parser`` has one form to match. It never changes what a phrase means.
"""

from __future__ import annotations

import re
import unicodedata

_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_SPACE = re.compile(r"\s+")

# (pattern, replacement), applied in order.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"\s*([-/])\s*", r"\1"),
        (r"\s*,\s*", ", "),
        (r"(?:, )+", ", "),
        (r", và ", " và "),
        # Spelling variants with one meaning.
        (r"\bhàng\b", "hằng"),
        (r"\bkì\b", "kỳ"),
        (r"\bquí\b", "quý"),
        (r"\bhk ?(iii|ii|i|[0-9]+)\b", r"học kỳ \1"),
        (r"\bq ?([0-9])\b", r"quý \1"),
        (r"\b(?:06|sáu) tháng\b", "6 tháng"),
        (r"\b(?:03|ba) tháng\b", "3 tháng"),
        (r"\bmười hai tháng\b", "12 tháng"),
        (r"\bmột lần\b", "1 lần"),
        (r"\bngày (\d{1,2}) của tháng\b", r"ngày \1 tháng"),
        # Dates, all to D/M[/Y]: ISO, D-M-Y, D.M.Y, "ngày 15 tháng 3 năm 2026".
        (r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", r"\3/\2/\1"),
        (r"\b(\d{1,2})[-.](\d{1,2})[-.](\d{4})\b", r"\1/\2/\3"),
        (r"\bngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})\b", r"ngày \1/\2/\3"),
        (r"\bngày (\d{1,2}) tháng (\d{1,2})\b", r"ngày \1/\2"),
        # Open-ended yearly work, folded into one form so that its "và" is not read as a list.
        (
            r"\b(?:từ |duy trì từ )?(?:năm )?(\d{4}) (?:và duy trì|và (?:các|những) năm tiếp theo|trở đi|trở về sau)\b",
            r"từ năm \1",
        ),
        # "Học kỳ I (năm học 2026-2027)" is one period, not a list of two.
        (r"\b(học kỳ \S+), (năm học )", r"\1 \2"),
    )
)


def normalise(phrase: str) -> str:
    """One canonical spelling of a timeframe phrase: lower case, NFC, single spaces."""
    # NFKC composes NFD input and folds compatibility forms (full-width digits, "Ⅱ").
    text = unicodedata.normalize("NFKC", phrase).lower()
    text = _DASHES.sub("-", text)
    text = text.replace("(", ",").replace(")", ",").replace(";", ",").replace("+", " và ")
    text = _SPACE.sub(" ", text)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return unicodedata.normalize("NFC", text).strip(" ,.:;")
