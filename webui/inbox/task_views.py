"""The parts of the report form that WTForms does not declare: one numerator/denominator pair per
indicator of the task's plan (``report-chi_so-<indicator id>-tu_so`` / ``-mau_so``), and a
"keep" box per file of the newest version (``report-giu_tep`` = its sha256).

Their number depends on the plan, so they are read from the request here and checked by the
domain (``workflows.reports.inputs``: decimals with a dot, numerator ≤ denominator, files of this
report only); a refused figure comes back on the form with what was typed.
"""

from __future__ import annotations

from typing import Any

from flask import request

PREFIX = "report-chi_so"
KEEP = "report-giu_tep"


def field_name(indicator_id: int, part: str) -> str:
    return f"{PREFIX}-{indicator_id}-{part}"


def typed_figures(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures typed in the form, as the action layer's ``Draft.chi_so``; blank rows skipped."""
    figures = []
    for indicator in detail.get("indicators", []):
        numerator = request.form.get(field_name(indicator["id"], "tu_so"), "").strip()
        denominator = request.form.get(field_name(indicator["id"], "mau_so"), "").strip()
        if numerator or denominator:  # a denominator alone is refused by the domain, with its words
            figures.append({"indicator_id": indicator["id"], "ma": indicator["code"], "tu_so": numerator,
                            "mau_so": denominator or None})  # fmt: skip
    return figures


def own_newest(detail: dict[str, Any]) -> dict[str, Any] | None:
    """The newest version to start the form from, unless it was consolidated from the schools':
    sent back as typed, it would become the commune's own report (its sums then counted twice);
    a blank form consolidates again."""
    newest = detail["reports"][-1] if detail.get("reports") else None
    return newest if newest is not None and not newest["consolidated"] else None


def kept_files(detail: dict[str, Any]) -> list[str]:
    """The files of the newest version the person kept (ticked), by sha256."""
    newest = own_newest(detail)
    offered = {f["sha256"] for f in (newest["files"] if newest else [])}
    return [sha for sha in request.form.getlist(KEEP) if sha in offered]


def report_fields(detail: dict[str, Any], *, typed: bool) -> dict[str, Any]:
    """What the template needs beyond the WTForms fields: a row per indicator with its values
    (as typed when the form comes back with an error, else the newest version's) and the newest
    version's files with whether each is kept."""
    newest = own_newest(detail)
    reported = {f["indicator_id"]: f for f in (newest["figures"] if newest else [])}
    rows = []
    for indicator in detail.get("indicators", []):
        names = {part: field_name(indicator["id"], part) for part in ("tu_so", "mau_so")}
        if typed:
            values = {part: request.form.get(name, "") for part, name in names.items()}
        else:
            figure = reported.get(indicator["id"], {})
            values = {"tu_so": figure.get("numerator") or "", "mau_so": figure.get("denominator") or ""}
        rows.append({**indicator, "names": names, "shown": values})
    kept = set(request.form.getlist(KEEP)) if typed else None
    files = [{**f, "kept": kept is None or f["sha256"] in kept} for f in (newest["files"] if newest else [])]
    return {"indicators": rows, "files": files, "keep_name": KEEP}
