"""How long refusing hostile input takes: the times the tests no longer assert.

The tests bound the work (Python statements, bytes inflated: ``tests/work.py``), which does not
change with the machine's load; this measures the time that work takes here.

    .venv/bin/python -m bench.inputs_bench [--repeat 5]

1. ``parse_bpmn`` of each hostile upload of ``tests/engine/hostile.py``, of the element flood
   (1.25 million empty elements in 5 MB) and of each MIWG reference model.
2. ``extract_plan`` of each hostile plan file of ``tests/workflows/plans/test_extract.py``, and of
   a ZIP bomb.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from typing import Any

from bench.report import emit, stats_ms, table
from engine.xml_safety import parse_bpmn
from tests.engine import hostile
from tests.fixtures.shared import MIWG
from tests.workflows.plans import sample_files
from tests.workflows.plans.test_extract import HOSTILE as HOSTILE_PLANS
from workflows.plans.extract import extract_plan


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.suppress(Exception):  # refusals are what is measured
            fn()
        samples.append(time.perf_counter() - start)
    return stats_ms(samples)


def row(name: str, size: int, fn: Callable[[], Any], repeat: int) -> list[Any]:
    figures = timed(fn, repeat)
    return [name, size, figures["median_ms"], figures["p95_ms"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    headers = ["input", "bytes", "median ms", "p95 ms"]

    bpmn = {name: build() for name, build in sorted(hostile.HOSTILE.items())}
    bpmn["element_flood"] = hostile.element_flood()
    bpmn |= {f"MIWG {path.name}": path.read_bytes() for path in sorted(MIWG.glob("*.bpmn"))}
    rows = [row(name, len(data), lambda d=data: parse_bpmn(d), repeat) for name, data in bpmn.items()]
    emit(table("parse_bpmn: hostile uploads, the element flood, the MIWG set", headers, rows))

    plans = {name: build() for name, (build, _) in HOSTILE_PLANS.items()}
    plans["zip bomb"] = sample_files.zip_bomb()
    rows = [row(name, len(data), lambda d=data: extract_plan(d, "ke-hoach.xlsx"), repeat) for name, data in plans.items()]
    emit(table("extract_plan: hostile plan files", headers, rows))


if __name__ == "__main__":
    main()
