"""What a unit reports, validated from a task's form, and the hash that pins its content.

Text is kept as NFC with "\\n" line ends (a browser sends "\\r\\n", a Mac keyboard may send
decomposed diacritics): the same visible report always has the same hash. Numbers are
``Decimal`` parsed from text, never floats, and stored as canonical strings ("12.5", "40").
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from engine import BadData

MAX_TEXT_CHARS = 20_000
MAX_FIGURES = 200
MAX_ATTACHMENTS = 10
MAX_CODE_CHARS = 20  # an indicator's STT ("18", "II.3")
# Indicator figures are NUMERIC(18, 4): 14 digits before the point, 4 after.
MAX_DECIMAL_PLACES = 4
MAX_MAGNITUDE = Decimal(10) ** 14
HASH_FORMAT = 1  # bump if the canonical form ever changes; old hashes stay verifiable by format

_SHA256 = re.compile(r"[0-9a-f]{64}")
TEXT_FIELDS = (
    ("ket_qua", "kết quả"),
    ("kho_khan", "khó khăn, vướng mắc"),
    ("kien_nghi", "kiến nghị"),
)
# Everything a report object may hold: a misspelt key ("kien_ngi") is refused, not dropped.
REPORT_KEYS = frozenset({name for name, _ in TEXT_FIELDS} | {"chi_so", "tep_dinh_kem"})


@dataclass(frozen=True)
class FigureInput:
    """One reported figure: an indicator (by id and/or its code) and numerator[/denominator]."""

    indicator_id: int | None
    code: str | None
    numerator: Decimal
    denominator: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "indicator_id": self.indicator_id,
            "code": self.code,
            "numerator": decimal_text(self.numerator),
            "denominator": None if self.denominator is None else decimal_text(self.denominator),
        }

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> FigureInput:
        denominator = row.get("denominator")
        return cls(row.get("indicator_id"), row.get("code"), Decimal(row["numerator"]),
                   None if denominator is None else Decimal(denominator))  # fmt: skip

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (0 if self.indicator_id is not None else 1, self.indicator_id or 0, self.code or "")


@dataclass(frozen=True)
class ReportInput:
    """The content of one report version.

    ``attachments`` items are ``(filename, bytes)`` for a new file, or the sha256 of a file
    already attached to an earlier version of the same instance (kept across versions).
    ``consolidated_from`` lists the child reports a consolidated report was built from.
    """

    ket_qua: str = ""
    kho_khan: str = ""
    kien_nghi: str = ""
    figures: tuple[FigureInput, ...] = ()
    attachments: tuple[tuple[str, bytes] | str, ...] = ()
    consolidated_from: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        # The canonical form, whoever built the input: the same report always hashes the same.
        for name, _ in TEXT_FIELDS:
            object.__setattr__(self, name, normalise_text(getattr(self, name)))
        object.__setattr__(self, "figures", tuple(sorted(self.figures, key=lambda f: f.sort_key)))

    @classmethod
    def from_form(
        cls, form: Mapping[str, Any], files: Sequence[tuple[str, bytes]] = ()
    ) -> ReportInput:
        """Validate ``form["bao_cao"]`` from a task completion; every problem in one ``BadData``.

        ``{"ket_qua": str (required), "kho_khan": str, "kien_nghi": str,
        "chi_so": [{"ma": "18" | "indicator_id": 7, "tu_so": "12", "mau_so": "40"}],
        "tep_dinh_kem": [sha256 of files kept from an earlier version]}``; ``files`` are the
        uploaded files as ``(filename, bytes)``.
        """
        report = form.get("bao_cao")
        if not isinstance(report, Mapping):
            raise BadData(detail="thiếu mục bao_cao (báo cáo) / the form has no bao_cao object")
        problems: list[str] = [
            f"{key}: không phải mục của báo cáo (các mục: {', '.join(sorted(REPORT_KEYS))}) / not a part of a report"
            for key in sorted(map(str, report)) if key not in REPORT_KEYS
        ]
        texts = {
            name: _text(report.get(name), name, label, problems) for name, label in TEXT_FIELDS
        }
        if not texts["ket_qua"] and not problems:
            problems.append("ket_qua: kết quả là bắt buộc / the result (ket_qua) is required")
        figures = _figures(report.get("chi_so"), problems)
        kept = _kept(report.get("tep_dinh_kem"), problems)
        if len(kept) + len(files) > MAX_ATTACHMENTS:
            problems.append(
                f"tep_dinh_kem: tối đa {MAX_ATTACHMENTS} tệp / at most {MAX_ATTACHMENTS} attachments"
            )
        if problems:
            raise BadData(detail="; ".join(problems))
        return cls(
            texts["ket_qua"], texts["kho_khan"], texts["kien_nghi"], tuple(figures), (*kept, *files)
        )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_text(value: str) -> str:
    """NFC, "\\n" line ends, no control characters (invisible, and refused by XLSX), trimmed."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text)).strip()


def _text(value: Any, name: str, label: str, problems: list[str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f"{name}: {label} phải là văn bản / must be text")
        return ""
    text = normalise_text(value)
    if len(text) > MAX_TEXT_CHARS:
        problems.append(f"{name}: {label} dài {len(text)} ký tự, tối đa {MAX_TEXT_CHARS} / "
                        f"{len(text)} characters, at most {MAX_TEXT_CHARS}")  # fmt: skip
    return text


def parse_decimal(value: Any) -> Decimal:
    """An exact decimal from an int or a string ("12", "12.5"); ``ValueError`` saying why not.

    A float is read through its shortest repr (what the JSON said). A comma is refused rather
    than guessed: "1,000" is a thousand to some and one to others.
    """
    if isinstance(value, bool) or not isinstance(value, int | str | float | Decimal):
        raise ValueError("không phải số / not a number")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    if "," in text:
        raise ValueError(
            "dùng dấu chấm cho phần thập phân, không dùng dấu phẩy / use a dot for decimals, no commas"
        )
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} không phải số / is not a number") from None
    if not number.is_finite():
        raise ValueError("không phải số hữu hạn / not a finite number")
    if abs(number) >= MAX_MAGNITUDE:
        raise ValueError("số quá lớn / the number is too large")
    if number != number.quantize(Decimal(1).scaleb(-MAX_DECIMAL_PLACES)):  # "12.50000" is fine
        raise ValueError(
            f"tối đa {MAX_DECIMAL_PLACES} chữ số thập phân / at most {MAX_DECIMAL_PLACES} decimal places"
        )
    return number


def decimal_text(number: Decimal) -> str:
    """The one spelling of a value: "40" for 40, 40.0 and 4E+1; "12.5" for 12.50."""
    text = format(number.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def check_fraction(numerator: Decimal, denominator: Decimal | None) -> str | None:
    """Why a numerator/denominator pair is not a figure, or ``None`` when it is."""
    if numerator < 0:
        return f"tử số {decimal_text(numerator)} phải ≥ 0 / the numerator must be ≥ 0"
    if denominator is not None and denominator <= 0:
        return f"mẫu số {decimal_text(denominator)} phải > 0 / the denominator must be > 0"
    if denominator is not None and numerator > denominator:
        return (f"tử số {decimal_text(numerator)} lớn hơn mẫu số {decimal_text(denominator)} / "
                "the numerator exceeds the denominator")  # fmt: skip
    return None


def _figures(value: Any, problems: list[str]) -> list[FigureInput]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append("chi_so: phải là danh sách / must be a list")
        return []
    if len(value) > MAX_FIGURES:
        problems.append(f"chi_so: tối đa {MAX_FIGURES} chỉ tiêu / at most {MAX_FIGURES} figures")
        return []
    figures: list[FigureInput] = []
    seen: dict[tuple[str, object], int] = {}
    for i, row in enumerate(value):
        where = f"chi_so[{i}]"
        if not isinstance(row, Mapping):
            problems.append(f"{where}: phải là một đối tượng / must be an object")
            continue
        figure = _figure(row, where, problems)
        if figure is None:
            continue
        key = (
            ("id", figure.indicator_id)
            if figure.indicator_id is not None
            else ("code", figure.code)
        )
        if key in seen:
            problems.append(
                f"{where}: chỉ tiêu đã có ở chi_so[{seen[key]}] / the indicator is already in chi_so[{seen[key]}]"
            )
            continue
        seen[key] = i
        figures.append(figure)
    return figures


def _figure(row: Mapping[str, Any], where: str, problems: list[str]) -> FigureInput | None:
    before = len(problems)
    indicator_id, raw_code = row.get("indicator_id"), row.get("ma")
    if indicator_id is not None and (
        isinstance(indicator_id, bool) or not isinstance(indicator_id, int) or indicator_id <= 0
    ):
        problems.append(
            f"{where}.indicator_id: phải là số nguyên dương / must be a positive integer"
        )
    code = None
    if raw_code is not None:
        code = (
            str(raw_code).strip()
            if isinstance(raw_code, str | int) and not isinstance(raw_code, bool)
            else ""
        )
        if not code or len(code) > MAX_CODE_CHARS:
            problems.append(
                f"{where}.ma: mã chỉ tiêu không hợp lệ / invalid indicator code: {str(raw_code)[:40]!r}"
            )
    elif indicator_id is None:
        problems.append(f"{where}: thiếu ma hoặc indicator_id / needs ma or indicator_id")
    numbers: dict[str, Decimal | None] = {}
    for name, label in (("tu_so", "tử số"), ("mau_so", "mẫu số")):
        raw = row.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            numbers[name] = None  # no denominator: a count
            if name == "tu_so":
                problems.append(f"{where}.tu_so: thiếu tử số / the numerator is missing")
            continue
        try:
            numbers[name] = parse_decimal(raw)
        except ValueError as exc:
            problems.append(f"{where}.{name}: {label} {exc}")
    if len(problems) > before or numbers["tu_so"] is None:
        return None
    why = check_fraction(numbers["tu_so"], numbers["mau_so"])
    if why is not None:
        problems.append(f"{where}: {why}")
        return None
    return FigureInput(indicator_id, code, numbers["tu_so"], numbers["mau_so"])


def _kept(value: Any, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append("tep_dinh_kem: phải là danh sách mã tệp / must be a list of file hashes")
        return []
    kept: list[str] = []
    for i, digest in enumerate(value):
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest.strip().lower()):
            problems.append(f"tep_dinh_kem[{i}]: mã tệp không hợp lệ / not a sha256 hash")
            continue
        kept.append(digest.strip().lower())
    return list(dict.fromkeys(kept))


def content_hash(ket_qua: str, kho_khan: str, kien_nghi: str, figures: Iterable[Mapping[str, Any]],
                 attachment_hashes: Iterable[str]) -> str:  # fmt: skip
    """sha256 hex of the canonical JSON of a report's content (attachments as a sorted set)."""
    document = {
        "format": HASH_FORMAT,
        "ket_qua": ket_qua,
        "kho_khan": kho_khan,
        "kien_nghi": kien_nghi,
        "figures": [dict(f) for f in figures],
        "attachments": sorted(set(attachment_hashes)),
    }
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
