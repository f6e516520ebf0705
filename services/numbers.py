"""Whole numbers that come in as text (a header, a form field, a query string): ASCII digits in
range, or nothing. `str.isdigit` alone admits "²" and "٣", which `int` then refuses."""

from __future__ import annotations

# The largest id a table hands out: a 32-bit signed integer, on SQLite and PostgreSQL alike.
MAX_ID = 2**31 - 1


def whole_number(text: object, upper: int = MAX_ID) -> int | None:
    """`text` as a whole number from 0 to `upper`, or None if it is not one."""
    value = str(text or "").strip()
    if not value or not value.isascii() or not value.isdigit() or len(value) > len(str(upper)):
        return None
    number = int(value)
    return number if number <= upper else None
