"""The form of a human task: the fields a person may submit, typed and bounded (an allowlist).

A step accepts only the fields its form declares. Routing is the engine's and the domain's: a
form may not name a party variable (``don_vi_giao``…), a data object of the process or an
engine name, so a person completing a step can never choose who reviews it (``engine.gv``
refuses such a form at deploy). A step without a form accepts no data at all.

Types (``FIELD_TYPES``), each with its bounds:

* ``text``: a string of at most ``maxLength`` characters (default 5,000); no control characters
  but tab and line ends; ``required`` means not blank.
* ``choice``: one of ``values``.
* ``boolean``: ``true`` or ``false``.
* ``integer``: a whole number (not a boolean) within ``min``/``max`` (default ±(2⁵³ − 1), what a
  browser holds exactly).
* ``decimal``: a number, or a string such as ``"12.5"`` (kept as given), within ``min``/``max``.
* ``date``: ``YYYY-MM-DD``.
* ``datetime``: ISO 8601 with a UTC offset (``2026-04-30T17:00:00+07:00``), or a date alone,
  which the process reads (the library's processes: the end of that day in Việt Nam).
* ``list``: at most ``maxItems`` (default 100) items of the type ``items`` (default ``text``;
  any type but ``list``), each with that type's bounds.
* ``object``: a JSON object at most ``maxLength`` characters long as JSON (default 100,000) and
  ``MAX_OBJECT_DEPTH`` levels deep; its content is the domain's to check (a ``task_completing``
  hook), e.g. the report ``bao_cao``.

``None`` stands for an optional field left empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.errors import BadData
from engine.messages import DEFAULT_LANGUAGE, Problem, register, render

FIELD_TYPES = ("text", "choice", "boolean", "integer", "decimal", "date", "datetime", "list", "object")
# The attributes each type takes besides name, type, required and label ("list" also takes its
# item type's).
TYPE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "text": frozenset({"maxLength"}),
    "choice": frozenset({"values"}),
    "boolean": frozenset(),
    "integer": frozenset({"min", "max"}),
    "decimal": frozenset({"min", "max"}),
    "date": frozenset(),
    "datetime": frozenset(),
    "list": frozenset({"items", "maxItems"}),
    "object": frozenset({"maxLength"}),
}
COMMON_ATTRIBUTES = frozenset({"name", "type", "required", "label"})

DEFAULT_TEXT_LENGTH = 5_000
MAX_TEXT_LENGTH = 100_000
DEFAULT_OBJECT_LENGTH = 100_000
MAX_OBJECT_LENGTH = 1_000_000
MAX_OBJECT_DEPTH = 6  # the report uses 3: bao_cao {…} → chi_so [...] → a figure {…}
DEFAULT_LIST_ITEMS = 100
MAX_LIST_ITEMS = 10_000
MAX_VALUES = 50
MAX_LABEL_LENGTH = 200
MAX_DECIMAL_CHARS = 40
MAX_REPORTED = 10  # problems of one kind named in a refusal (unknown fields, bad list items)
SAFE_INTEGER = 2**53 - 1
# ASCII, because Python reads the names in scripts and conditions NFKC-normalised: a non-ASCII
# field name could differ from the variable a condition tests.
FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
CHOICE_VALUE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

register({
    "form_rejected": (
        "Dữ liệu của bước {element} không hợp lệ: {problems}",
        "The data for step {element} is not valid: {problems}",
    ),
    "form_no_data": (
        "bước này không có biểu mẫu nên không nhận dữ liệu (nhận được: {fields})",
        "this step has no form, so it takes no data (received: {fields})",
    ),
    "form_unknown_field": (
        "trường {field} không có trong biểu mẫu (các trường: {fields})",
        "{field} is not a field of the form (fields: {fields})",
    ),
    "form_required": ("thiếu trường bắt buộc {field} ({label})", "the required field {field} ({label}) is missing"),
    "form_wrong_type": ("{field}: cần {expected}", "{field}: {expected_en} expected"),
    "form_too_long": ("{field}: dài {length} ký tự, tối đa {limit}", "{field}: {length} characters, at most {limit}"),
    "form_control_character": (
        "{field}: có ký tự điều khiển không được phép",
        "{field}: contains a control character that is not allowed",
    ),
    "form_not_a_value": (
        "{field}: \"{value}\" không phải giá trị cho phép ({values})",
        '{field}: "{value}" is not an allowed value ({values})',
    ),
    "form_out_of_range": ("{field}: {value} nằm ngoài [{min}, {max}]", "{field}: {value} is outside [{min}, {max}]"),
    "form_too_many_items": ("{field}: {count} phần tử, tối đa {limit}", "{field}: {count} items, at most {limit}"),
    "form_too_deep": ("{field}: lồng nhau quá {limit} cấp", "{field}: nested more than {limit} levels"),
    # At deploy: what is wrong with a gv:field.
    "form_field_bad_name": (
        "Biểu mẫu: tên trường \"{name}\" không hợp lệ (chữ cái ASCII rồi chữ, số hoặc \"_\", tối đa 64 ký tự).",
        'Form: the field name "{name}" is not valid (an ASCII letter, then letters, digits or "_", at most 64 characters).',
    ),
    "form_field_duplicate": ("Biểu mẫu: trường {field} được khai báo hai lần.", "Form: the field {field} is declared twice."),
    "form_field_bad_type": (
        "Biểu mẫu: trường {field} có kiểu \"{type}\" không hợp lệ (các kiểu: {types}).",
        'Form: the field {field} has the unknown type "{type}" (types: {types}).',
    ),
    "form_field_unknown_attribute": (
        "Biểu mẫu: trường {field} (kiểu {type}) không dùng thuộc tính {attribute} (dùng được: {allowed}).",
        "Form: the field {field} ({type}) takes no attribute {attribute} (it takes: {allowed}).",
    ),
    "form_field_bad_value": (
        "Biểu mẫu: trường {field}, {attribute}=\"{value}\" không hợp lệ: cần {expected}.",
        'Form: the field {field} has {attribute}="{value}", which is not valid: {expected_en} expected.',
    ),
    "form_field_reserved": (
        "Biểu mẫu: trường {field} trùng tên biến do hệ thống hoặc quy trình đặt ({kind}); biểu mẫu không được ghi biến này.",
        "Form: the field {field} is a variable the system or the process sets ({kind_en}); a form may not write it.",
    ),
})  # fmt: skip

# What each type expects, for "cần …" / "… expected".
_EXPECTED: dict[str, tuple[str, str]] = {
    "text": ("văn bản", "text"),
    "choice": ("một giá trị văn bản", "a text value"),
    "boolean": ("true hoặc false", "true or false"),
    "integer": ("số nguyên", "a whole number"),
    "decimal": ("số (vd 12.5)", "a number (e.g. 12.5)"),
    "date": ("ngày dạng YYYY-MM-DD", "a date as YYYY-MM-DD"),
    "datetime": (
        "thời điểm ISO 8601 có múi giờ (vd 2026-04-30T17:00:00+07:00) hoặc ngày YYYY-MM-DD",
        "an ISO 8601 instant with its offset (e.g. 2026-04-30T17:00:00+07:00) or a date YYYY-MM-DD",
    ),
    "list": ("danh sách [...]", "a list [...]"),
    "object": ("đối tượng {...}", "an object {...}"),
}


@dataclass(frozen=True)
class FormField:
    """One field: its name (the process variable it sets), type, bounds and Vietnamese label."""

    name: str
    type: str
    required: bool = False
    label: str = ""
    values: tuple[str, ...] = ()  # choice, or a list of choices
    max_length: int | None = None  # text (characters); object (characters of its JSON)
    minimum: Decimal | None = None  # integer, decimal
    maximum: Decimal | None = None
    items: str | None = None  # list: the type of its items
    max_items: int | None = None  # list

    def as_json(self) -> dict[str, Any]:
        """The field as the web form and the modeler read it (bounds in force, defaults filled in)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required, "label": self.label}
        if self.values:
            out["values"] = list(self.values)
        if (limit := _length_limit(self, self.items or self.type)) is not None:
            out["maxLength"] = limit
        for key, bound in (("min", self.minimum), ("max", self.maximum)):
            if bound is not None:
                out[key] = str(bound)
        if self.type == "list":
            out["items"] = self.items or "text"
            out["maxItems"] = self.max_items or DEFAULT_LIST_ITEMS
        return out


@dataclass(frozen=True)
class Form:
    """The fields of one human task, in document order."""

    fields: tuple[FormField, ...] = ()

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def problems(self, data: Mapping[str, Any]) -> list[Problem]:
        """Everything wrong with ``data`` for this form (empty when it is acceptable)."""
        # Named as sent, shortened: a hostile payload must not make the refusal itself huge.
        unknown = sorted(str(name)[:64] for name in data if self.field(name) is None)[:MAX_REPORTED]
        if unknown and not self.fields:
            return [Problem("form_no_data", None, {"fields": ", ".join(unknown)})]
        found = [Problem("form_unknown_field", name, {"field": name, "fields": ", ".join(self.names)}) for name in unknown]
        for field in self.fields:
            value = data.get(field.name)
            if _is_empty(value):
                if field.required:
                    found.append(Problem("form_required", field.name, {"field": field.name, "label": field.label or field.name}))
                continue
            found += _check(field, field.type, value, field.name)
        return found

    def check(self, data: Mapping[str, Any], *, element_id: str) -> None:
        """Raise ``FormRejected`` listing every problem of ``data`` for this form."""
        problems = self.problems(data)
        if problems:
            raise FormRejected(element_id, problems)


NO_FORM = Form()


class FormRejected(BadData):
    """A task's data does not fit its form; ``problems`` name each field (``element_id``)."""

    def __init__(self, element_id: str, problems: list[Problem]) -> None:
        self.element_id = element_id
        self.problems = problems
        self.code = "form_rejected"
        self.params = {"element": element_id, "problems": self._joined(DEFAULT_LANGUAGE)}
        Exception.__init__(self, self.message())

    def _joined(self, lang: str) -> str:
        return "; ".join(p.message(lang) for p in self.problems)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return render("form_rejected", lang, element=self.element_id, problems=self._joined(lang))


# --- checking a value ------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _wrong(kind: str, where: str) -> list[Problem]:
    vi, en = _EXPECTED[kind]
    return [Problem("form_wrong_type", where, {"field": where, "expected": vi, "expected_en": en})]


def _length_limit(field: FormField, kind: str) -> int | None:
    if kind == "text":
        return field.max_length or DEFAULT_TEXT_LENGTH
    if kind == "object":
        return field.max_length or DEFAULT_OBJECT_LENGTH
    return None


def _check(field: FormField, kind: str, value: Any, where: str) -> list[Problem]:
    """Problems of ``value`` as a ``kind`` under ``field``'s bounds (``where`` names it)."""
    if kind == "text":
        if not isinstance(value, str):
            return _wrong(kind, where)
        return _check_text(value, _length_limit(field, kind) or DEFAULT_TEXT_LENGTH, where)
    if kind == "choice":
        if not isinstance(value, str):
            return _wrong(kind, where)
        if value not in field.values:
            return [Problem("form_not_a_value", where, {"field": where, "value": value[:64], "values": ", ".join(field.values)})]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else _wrong(kind, where)
    if kind in ("integer", "decimal"):
        number = _number(kind, value)
        return _wrong(kind, where) if number is None else _check_range(field, number, where)
    if kind == "date":
        return [] if isinstance(value, str) and _is_date(value) else _wrong(kind, where)
    if kind == "datetime":
        return [] if isinstance(value, str) and (_is_date(value) or _is_instant(value)) else _wrong(kind, where)
    if kind == "list":
        return _check_list(field, value, where)
    return _check_object(value, _length_limit(field, "object") or DEFAULT_OBJECT_LENGTH, where)


def _check_text(value: str, limit: int, where: str) -> list[Problem]:
    if len(value) > limit:
        return [Problem("form_too_long", where, {"field": where, "length": len(value), "limit": limit})]
    if _CONTROL.search(value):
        return [Problem("form_control_character", where, {"field": where})]
    return []


def _number(kind: str, value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if kind == "integer":
        return None
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str) and len(value) <= MAX_DECIMAL_CHARS and _DECIMAL.fullmatch(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _check_range(field: FormField, number: Decimal, where: str) -> list[Problem]:
    low = field.minimum if field.minimum is not None else Decimal(-SAFE_INTEGER)
    high = field.maximum if field.maximum is not None else Decimal(SAFE_INTEGER)
    if low <= number <= high:
        return []
    return [Problem("form_out_of_range", where, {"field": where, "value": str(number)[:40], "min": low, "max": high})]


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_instant(value: str) -> bool:
    if not _DATETIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_list(field: FormField, value: Any, where: str) -> list[Problem]:
    if not isinstance(value, list):
        return _wrong("list", where)
    limit = field.max_items or DEFAULT_LIST_ITEMS
    if len(value) > limit:
        return [Problem("form_too_many_items", where, {"field": where, "count": len(value), "limit": limit})]
    kind = field.items or "text"
    found: list[Problem] = []
    for i, item in enumerate(value):
        found += _wrong(kind, f"{where}[{i}]") if item is None else _check(field, kind, item, f"{where}[{i}]")
        if len(found) >= MAX_REPORTED:  # enough to say what is wrong; a list may hold thousands of items
            break
    return found


def _check_object(value: Any, limit: int, where: str) -> list[Problem]:
    if not isinstance(value, dict):
        return _wrong("object", where)
    # Depth first, without recursion: a value nested thousands deep must be refused, not crash
    # the checker (or json.dumps below).
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_OBJECT_DEPTH:
            return [Problem("form_too_deep", where, {"field": where, "limit": MAX_OBJECT_DEPTH})]
        children = node.values() if isinstance(node, dict) else node
        todo += [(child, depth + 1) for child in children if isinstance(child, dict | list)]
    try:
        length = len(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError):
        return _wrong("object", where)
    if length > limit:
        return [Problem("form_too_long", where, {"field": where, "length": length, "limit": limit})]
    return []


# --- reading a field's declaration (the attributes of a gv:field) ----------------------------

_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})  # xsd:boolean


def parse_field(attributes: Mapping[str, str]) -> tuple[FormField | None, list[Problem]]:
    """The field declared by ``attributes`` (``None`` if it is unusable) and what is wrong with
    them. Problems carry no element id: the caller knows the task."""
    name = (attributes.get("name") or "").strip()
    kind = (attributes.get("type") or "").strip()
    if not FIELD_NAME.fullmatch(name):
        return None, [Problem("form_field_bad_name", None, {"name": name[:80]})]
    if kind not in FIELD_TYPES:
        return None, [Problem("form_field_bad_type", None, {"field": name, "type": kind[:40], "types": ", ".join(FIELD_TYPES)})]
    reader = _FieldReader(name, kind, attributes)
    field = reader.read()
    return (field if not reader.problems else None), reader.problems


class _FieldReader:
    def __init__(self, name: str, kind: str, attributes: Mapping[str, str]) -> None:
        self.name, self.kind, self.attributes = name, kind, attributes
        self.problems: list[Problem] = []

    def bad(self, attribute: str, expected: tuple[str, str]) -> None:
        value = str(self.attributes.get(attribute, ""))[:80]
        self.problems.append(Problem("form_field_bad_value", None, {
            "field": self.name, "attribute": attribute, "value": value, "expected": expected[0], "expected_en": expected[1],
        }))  # fmt: skip

    def read(self) -> FormField:
        items = self.attributes.get("items", "text").strip() if self.kind == "list" else None
        if items is not None and (items not in FIELD_TYPES or items == "list"):
            self.bad("items", ("một kiểu khác list", "a type other than list"))
            items = "text"
        allowed = COMMON_ATTRIBUTES | TYPE_ATTRIBUTES[self.kind] | (TYPE_ATTRIBUTES[items] if items else frozenset())
        for attribute in self.attributes:
            if attribute not in allowed:
                self.problems.append(Problem("form_field_unknown_attribute", None, {
                    "field": self.name, "type": self.kind, "attribute": attribute[:80], "allowed": ", ".join(sorted(allowed)),
                }))  # fmt: skip
        element_kind = items or self.kind
        minimum, maximum = self.bound("min", element_kind), self.bound("max", element_kind)
        if minimum is not None and maximum is not None and minimum > maximum:
            self.bad("max", ("không nhỏ hơn min", "not less than min"))
        return FormField(
            name=self.name, type=self.kind, required=self.boolean("required"), label=self.label(),
            values=self.values(element_kind == "choice"), max_length=self.max_length(element_kind),
            minimum=minimum, maximum=maximum, items=items,
            max_items=self.count("maxItems", MAX_LIST_ITEMS) if items else None,
        )  # fmt: skip

    def boolean(self, attribute: str) -> bool:
        raw = self.attributes.get(attribute, "false").strip()
        if raw not in _TRUE | _FALSE:
            self.bad(attribute, ("true hoặc false", "true or false"))
        return raw in _TRUE

    def label(self) -> str:
        label = " ".join(self.attributes.get("label", "").split())
        if len(label) > MAX_LABEL_LENGTH:
            self.bad("label", (f"tối đa {MAX_LABEL_LENGTH} ký tự", f"at most {MAX_LABEL_LENGTH} characters"))
        return label

    def values(self, needed: bool) -> tuple[str, ...]:
        if "values" not in self.attributes:
            if needed:
                self.bad("values", ("danh sách giá trị cách nhau bởi dấu cách", "values separated by spaces"))
            return ()
        if not needed:
            return ()
        values = tuple(self.attributes["values"].split())
        if not values or len(values) > MAX_VALUES or len(set(values)) != len(values) or not all(CHOICE_VALUE.fullmatch(v) for v in values):
            self.bad("values", (
                f"1–{MAX_VALUES} giá trị khác nhau (chữ, số, _ . -) cách nhau bởi dấu cách",
                f"1 to {MAX_VALUES} distinct values (letters, digits, _ . -) separated by spaces",
            ))  # fmt: skip
        return values

    def max_length(self, kind: str) -> int | None:
        if kind not in ("text", "object"):
            return None
        cap = MAX_OBJECT_LENGTH if kind == "object" else MAX_TEXT_LENGTH
        return self.count("maxLength", cap)

    def count(self, attribute: str, cap: int) -> int | None:
        if attribute not in self.attributes:
            return None
        raw = self.attributes[attribute].strip()
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= cap:
            self.bad(attribute, (f"số nguyên từ 1 đến {cap}", f"a whole number from 1 to {cap}"))
            return None
        return int(raw)

    def bound(self, attribute: str, kind: str) -> Decimal | None:
        if attribute not in self.attributes or kind not in ("integer", "decimal"):
            return None
        number = _number(kind, _literal(self.attributes[attribute].strip(), kind))
        if number is None or abs(number) > SAFE_INTEGER:
            self.bad(attribute, _EXPECTED[kind])
            return None
        return number


def _literal(raw: str, kind: str) -> Any:
    """An attribute's text as the value a form would carry (an integer's digits as an int)."""
    if kind == "integer":
        return int(raw) if re.fullmatch(r"[+-]?\d{1,16}", raw) else None
    return raw
