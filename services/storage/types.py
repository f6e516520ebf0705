"""Column types that keep money exact and times in UTC on every database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

CENTS = Decimal("0.01")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# The audit log's sequence: on SQLite an INTEGER key is the table's rowid, so the table keeps no
# second key and no index from one to the other (migration 0024).
SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class MoneyAmount(TypeDecorator[Decimal]):
    """A Decimal stored as a whole number of öre/øre, so neither SQLite nor float ever rounds it."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        minor = Decimal(value) * 100
        if minor != minor.to_integral_value():
            raise ValueError(f"{value} has more than two decimals")
        return int(minor)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(CENTS)


def microseconds(at: dt.datetime) -> int:
    """An aware time as whole microseconds since 1970 in UTC, as SQLite stores it."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return (at - EPOCH) // dt.timedelta(microseconds=1)


def from_microseconds(value: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=value)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware time in UTC: on SQLite whole microseconds since 1970 (8 bytes, where text took
    26, in every row and index that holds it: migrations 0025 and 0027), on PostgreSQL a
    timestamptz, which is 8 bytes already. Either sorts and compares as the time does."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return microseconds(value)
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, int):
            return from_microseconds(value)
        at: dt.datetime = value
        return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
