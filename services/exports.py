"""CSV as every export gives it: a header of the named fields, then one row per record, with no
cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# OWASP's CSV injection rules: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def csv_text(fields: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """`rows` as CSV with `fields` as its columns; keys not among them are left out."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: inert(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def inert(value: Any) -> Any:
    """A cell as text a spreadsheet shows and never runs: a leading quote before a formula
    (`=HYPERLINK(...)` is shown as written); numbers, negative ones too, stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.match(value):
        return "'" + value
    return value
