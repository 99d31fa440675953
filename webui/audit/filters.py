"""Reading the audit search's query string, and days typed as dd/mm/yyyy (also used by the admin
pages): a text field, as the browser's date picker follows the browser's locale, not the page's."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date

from flask_babel import gettext as _

from workflows.actions.audit_search import AuditFilters

_DAY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def parse_day(text: str) -> date:
    """``dd/mm/yyyy`` (also d/m/yyyy) as a date; ValueError with the person's words otherwise."""
    match = _DAY.match(text or "")
    if not match:
        raise ValueError(_("Ngày phải có dạng ngày/tháng/năm, ví dụ 02/03/2026."))
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(_("Ngày %(text)s không có trên lịch.", text=text.strip()[:20])) from None


def read_filters(args: Mapping[str, str]) -> tuple[AuditFilters, dict[str, str]]:
    """The filters of the query string, and an error per field that could not be read (that
    field is then left out, never guessed)."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    for name in ("person", "unit", "action"):
        text = " ".join((args.get(name) or "").split())[:200]
        values[name] = text or None
    task = (args.get("task") or "").strip()
    if task:
        try:
            values["task"] = uuid.UUID(task)
        except ValueError:
            errors["task"] = _("Mã việc phải là một mã UUID, ví dụ 1f0e…-….")
    plan = (args.get("plan") or "").strip()
    if plan:
        if plan.isdigit() and len(plan) < 12:
            values["plan"] = int(plan)
        else:
            errors["plan"] = _("Mã kế hoạch phải là một số.")
    for name, key in (("since", "since"), ("until", "until")):
        text = (args.get(key) or "").strip()
        if text:
            try:
                values[name] = parse_day(text)
            except ValueError as exc:
                errors[name] = str(exc)
    values["refused_only"] = args.get("refused") == "1"
    return AuditFilters(**values), errors  # type: ignore[arg-type]
