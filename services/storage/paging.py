"""Keyset pagination: an opaque cursor that names where the last page ended, and the condition
that continues after it, so page 1 000 costs what page 1 does."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from services.errors import InvalidRequest

# One ordering key: the expression sorted on, and whether it runs from high to low.
Key = tuple[Any, bool]
Row = TypeVar("Row")


def encode_cursor(values: Sequence[Any]) -> str:
    """The row's sort keys as a URL-safe token (not a secret: it only says where a page ended)."""
    text = json.dumps([_tag(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != width:
            raise ValueError
        return [_untag(v) for v in values]
    except (ValueError, TypeError, KeyError):
        raise InvalidRequest(
            "the cursor is not one this list gave out; start again without it", field="cursor"
        ) from None


def after(keys: Sequence[Key], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows that come after `values` in the order `keys` sort them."""
    clauses = []
    for i, (column, descending) in enumerate(keys):
        equal = [keys[j][0] == values[j] for j in range(i)]
        beyond = column < values[i] if descending else column > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def ordering(keys: Sequence[Key]) -> list[Any]:
    return [column.desc() if descending else column.asc() for column, descending in keys]


def page(
    session: Session,
    query: Any,
    keys: Sequence[Key],
    limit: int,
    cursor: str | None,
    key_of: Callable[[Row], Sequence[Any]],
) -> tuple[list[Row], str | None]:
    """Up to `limit` rows of `query` after `cursor` in the order of `keys`, and the cursor that
    goes on from the last of them (None when there is nothing more). `key_of` gives a row's
    values of the keys."""
    if cursor is not None:
        query = query.where(after(keys, decode_cursor(cursor, len(keys))))
    rows: list[Row] = list(session.exec(query.order_by(*ordering(keys)).limit(limit + 1)).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(key_of(rows[-1]))


def _tag(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"t": value.astimezone(dt.UTC).isoformat()}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if value is None or isinstance(value, str | int):
        return value
    raise TypeError(f"cannot page on a {type(value).__name__}")


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if "t" in value:
            return dt.datetime.fromisoformat(value["t"])
        return Decimal(value["d"])
    if value is None or isinstance(value, str | int):
        return value
    raise ValueError("not a cursor value")
