"""CSV as every export gives it: a header of the named fields, then one row per record."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def csv_text(fields: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """`rows` as CSV with `fields` as its columns; keys not among them are left out."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
