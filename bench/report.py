"""Small helpers for the benchmark: statistics over samples and aligned text tables."""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Sequence
from typing import Any


def stats_ms(samples: Sequence[float]) -> dict[str, float]:
    """Median, p95 (nearest rank), mean and min of ``samples`` (seconds), in milliseconds."""
    if not samples:
        return {"n": 0, "median_ms": math.nan, "p95_ms": math.nan, "mean_ms": math.nan, "min_ms": math.nan}
    ordered = sorted(samples)
    rank = max(0, math.ceil(0.95 * len(ordered)) - 1)
    return {
        "n": len(ordered),
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[rank] * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
        "min_ms": ordered[0] * 1000,
    }


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 100:
            return f"{value:.1f}"
        return f"{value:.{digits}f}"
    return str(value)


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], notes: Sequence[str] = ()) -> str:
    """An aligned text table: first column left-aligned, the others right-aligned."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(values: Sequence[str]) -> str:
        parts = [values[0].ljust(widths[0])] + [v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    out = [f"\n== {title} ==", line(list(headers)), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    out += [f"  * {note}" for note in notes]
    return "\n".join(out)


def emit(text: str) -> None:
    print(text, flush=True)


def progress(text: str) -> None:
    print(f"  .. {text}", file=sys.stderr, flush=True)


def rounded(value: Any, digits: int = 3) -> Any:
    """``value`` with every float rounded (NaN -> None), for the JSON blob."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return value


def run_on_databases(
    kinds: Sequence[str], args: Any, prefix: str, run: Any, report: Any, summary: Any, begun: float
) -> int:
    """The shared driver of the benches: ``run(kind, workdir, args)`` per database (PostgreSQL
    skipped with a note when its throwaway server cannot start), then each ``report``, the
    ``summary``, the total time and the optional ``--json`` file."""
    import json
    import os
    import shutil
    import tempfile
    import time
    from pathlib import Path

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    results: dict[str, dict[str, Any]] = {}
    try:
        for kind in kinds:
            if kind == "postgresql":
                from tests.fixtures.postgres import PostgresUnavailable

                try:
                    results[kind] = run(kind, workdir, args)
                except PostgresUnavailable as exc:
                    emit(f"\n######## postgresql: skipped, the throwaway server did not start: {exc}")
                    continue
            else:
                results[kind] = run(kind, workdir, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for kind, r in results.items():
        emit(f"\n######## {kind}")
        report(kind, r)
    if results:
        summary(results)
    elapsed = time.perf_counter() - begun
    emit(f"\ntotal {elapsed:.0f} s; load average at the end {os.getloadavg()[0]:.2f}")
    if args.json:
        blob = rounded({"quick": args.quick, "elapsed_s": elapsed, **results})
        args.json.write_text(json.dumps(blob, ensure_ascii=False, indent=1, default=str) + "\n")
    return 0
