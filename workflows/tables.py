"""Rows of a CSV or XLSX table keyed by its header row, read with the same defences as plan
files (size, zip bombs, XML entities, sheet size: see workflows.plans.extract_*).
"""

from __future__ import annotations

import csv
import io

from engine import BadData
from workflows.plans.extract_csv import decode_csv
from workflows.plans.extract_errors import Limits, PlanFileRefused
from workflows.plans.extract_sniff import sniff
from workflows.plans.extract_xlsx import read_xlsx
from workflows.plans.extract_zip import scan_xlsx


def read_rows(data: bytes) -> list[dict[str, str]]:
    """The first non-empty sheet (or the CSV), as one dict per row after the header row."""
    limits = Limits()
    try:
        if sniff(data, limits) == "xlsx":
            grids, _hidden = read_xlsx(data, scan_xlsx(data, limits), limits)
            rows = next(([r for r in g.rows if any(c.strip() for c in r)] for g in grids if any(any(c.strip() for c in r) for r in g.rows)), [])
        else:
            if len(data) > limits.max_file_bytes:
                raise BadData(detail=f"tệp quá lớn / file too large ({len(data)} bytes)")
            text, _encoding = decode_csv(data)
            try:
                dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            rows = [r for r in csv.reader(io.StringIO(text, newline=""), dialect) if any(c.strip() for c in r)][: limits.max_rows]
    except PlanFileRefused as refused:
        raise BadData(detail=refused.message_vi) from None
    if not rows:
        raise BadData(detail="tệp không có dòng nào / the file has no rows")
    header = [c.strip() for c in rows[0]]
    return [dict(zip(header, [c.strip() for c in row], strict=False)) for row in rows[1:]]
