"""Chart.js configurations for the dashboard's canvases (``data-gv-chart``, drawn by the vendored
charts bundle with no page script). Each chart repeats a table of the page, which a screen
reader reads instead (the canvas is an image labelled by its title)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from workflows.actions.dashboard import Dashboard, PeriodLine
from workflows.tracking.status import STATUSES

BLUE, GREEN, AMBER, RED, GREY = "#0b4f8a", "#1d6b2f", "#b45309", "#8a1414", "#4a5565"
STATUS_COLOURS = {
    "chua_tiep_nhan": GREY, "dang_thuc_hien_trong_han": BLUE, "dang_thuc_hien_qua_han": AMBER, "cho_duyet": "#6d28d9",
    "bi_tra_lai": "#9d174d", "hoan_thanh_dung_han": GREEN, "hoan_thanh_qua_han": RED, "da_huy": "#94a3b8",
}  # fmt: skip


def _pct(value: Decimal | None) -> float | None:
    return None if value is None else float(value * 100)


def _title(text: str) -> dict[str, Any]:
    return {"display": True, "text": text}


def _percent_axis() -> dict[str, Any]:
    return {"min": 0, "max": 100, "title": {"display": True, "text": "%"}}


def units_chart(page: Dashboard, title: str, on_time: str, completed: str) -> dict[str, Any]:
    lines = [line for line in page.lines if line.summary.counted]  # units with a rate (something due)
    return {
        "type": "bar",
        "data": {
            "labels": [line.name for line in lines],
            "datasets": [
                {"label": on_time, "data": [_pct(line.summary.on_time_rate) for line in lines], "backgroundColor": GREEN},
                {"label": completed, "data": [_pct(line.summary.completion_rate) for line in lines], "backgroundColor": BLUE},
            ],
        },
        "options": {"indexAxis": "y", "maintainAspectRatio": False, "plugins": {"title": _title(title)},
                    "scales": {"x": _percent_axis()}},
    }  # fmt: skip


def statuses_chart(page: Dashboard, title: str, language: str) -> dict[str, Any]:
    codes = list(STATUSES)
    return {
        "type": "bar",
        "data": {
            "labels": [STATUSES[c][0] if language == "vi" else STATUSES[c][1] for c in codes],
            "datasets": [{"label": title, "data": [page.summary.statuses[c] for c in codes],
                          "backgroundColor": [STATUS_COLOURS[c] for c in codes]}],
        },
        "options": {"maintainAspectRatio": False, "plugins": {"title": _title(title), "legend": {"display": False}},
                    "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}}},
    }  # fmt: skip


def trend_chart(lines: list[PeriodLine], title: str, on_time: str, completed: str, due: str) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {
            "labels": [p.label for p in lines],
            "datasets": [
                {"type": "line", "label": on_time, "data": [_pct(p.summary.on_time_rate) for p in lines], "borderColor": GREEN,
                 "backgroundColor": GREEN, "yAxisID": "rate", "spanGaps": True},
                {"type": "line", "label": completed, "data": [_pct(p.summary.completion_rate) for p in lines], "borderColor": BLUE,
                 "backgroundColor": BLUE, "yAxisID": "rate", "spanGaps": True},
                {"type": "bar", "label": due, "data": [p.summary.total - p.summary.cancelled for p in lines],
                 "backgroundColor": "#c9d1dc", "yAxisID": "count"},
            ],
        },
        "options": {"maintainAspectRatio": False, "plugins": {"title": _title(title)},
                    "scales": {"rate": {**_percent_axis(), "position": "left"},
                               "count": {"beginAtZero": True, "position": "right", "grid": {"drawOnChartArea": False},
                                         "ticks": {"precision": 0}}}},
    }  # fmt: skip
