"""Column types that keep money exact and times in UTC on every database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

CENTS = Decimal("0.01")
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


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime, stored in UTC; SQLite hands back naive values, which are UTC by construction."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
