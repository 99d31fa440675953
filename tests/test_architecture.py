"""The layering and the injected clock, enforced."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WALL_CLOCK = re.compile(r"datetime\.(now|utcnow|today)\(|time\.time\(\)|date\.today\(")


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 5 kept, 0 broken" in result.stdout


def test_nothing_but_the_clock_module_reads_the_wall_clock():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in ("engine", "workflows")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "clock.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert offenders == []
