"""How the audit table stores an event compactly: packed payloads, raw hashes, integer times."""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, LargeBinary, cast, type_coerce
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# The preset dictionaries, by the id stored as each payload's first byte. A shipped dictionary
# never changes (stored payloads name it by id): a better one is added under the next id.
DICTIONARIES = {1: "adef791b486908d7f202e9151483790ca00c702c9eb2896e4943fddcbe527004"}
CURRENT_DICTIONARY = 1
# Raw DEFLATE (no zlib header or checksum: the event's SHA-256 already covers its text).
WBITS = -15
LEVEL = 9
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
UNREADABLE = "[stored payload unreadable: {}]"


class AuditDictionary(SQLModel, table=True):
    """The preset dictionaries in the database too, so an auditor can read payloads without us."""

    __tablename__ = "audit_dictionary"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column("bytes", LargeBinary, nullable=False))


@cache
def dictionary(number: int) -> bytes:
    """Dictionary `number` as shipped, refused if it is not the one its id was pinned to."""
    if number not in DICTIONARIES:
        raise KeyError(f"no audit dictionary {number}")
    data = resources.files("services.storage").joinpath(f"audit_dictionary_{number}.txt")
    content = data.read_bytes()
    if hashlib.sha256(content).hexdigest() != DICTIONARIES[number]:
        raise RuntimeError(f"audit dictionary {number} differs from the one shipped")
    return content


def pack(text: str) -> bytes:
    packer = zlib.compressobj(
        LEVEL, zlib.DEFLATED, WBITS, 9, zlib.Z_DEFAULT_STRATEGY, dictionary(CURRENT_DICTIONARY)
    )
    return bytes((CURRENT_DICTIONARY,)) + packer.compress(text.encode("utf-8")) + packer.flush()


def unpack(data: bytes | memoryview | str | None) -> str:
    """The payload's text; bytes that do not decode give a marker, which no hash matches, so
    verification reports the event as altered instead of stopping."""
    if data is None:
        return UNREADABLE.format("no bytes")
    data = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
    try:
        unpacker = zlib.decompressobj(WBITS, zdict=dictionary(data[0]))
        text = unpacker.decompress(data[1:]) + unpacker.flush()
        if not unpacker.eof or unpacker.unused_data:
            return UNREADABLE.format("truncated or trailing bytes")
        return text.decode("utf-8")
    except (IndexError, KeyError, zlib.error, UnicodeDecodeError) as error:
        return UNREADABLE.format(error)


def unpack_rows(rows: list[tuple[Any, ...]], column: int = 1) -> list[tuple[Any, ...]]:
    """The rows with column `column` unpacked: a batch at a time, for the chain check. The
    common case (the current dictionary, whole bytes) is unpacked inline, which halves the cost
    per row; anything else goes through `unpack`, which names what is wrong."""
    start = zlib.decompressobj
    current, zdict = CURRENT_DICTIONARY, dictionary(CURRENT_DICTIONARY)
    unpacked = []
    for row in rows:
        data = row[column]
        text = None
        if type(data) is bytes and data and data[0] == current:
            unpacker = start(WBITS, zdict=zdict)
            try:
                raw = unpacker.decompress(memoryview(data)[1:])
                if unpacker.eof and not unpacker.unused_data:
                    text = raw.decode("utf-8")
            except (zlib.error, UnicodeDecodeError):
                pass
        unpacked.append((*row[:column], unpack(data) if text is None else text, *row[column + 1 :]))
    return unpacked


def microseconds(at: dt.datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return (at - EPOCH) // dt.timedelta(microseconds=1)


def from_microseconds(value: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=value)


class PackedPayload(TypeDecorator[str]):
    """An event's canonical text: a dictionary id byte, then the text DEFLATEd against it."""

    impl = LargeBinary
    cache_ok = True

    def column_expression(self, column: Any) -> Any:
        # Read as bytes whatever was put there: SQLite would hand back text that someone stored
        # in the column as a str, or fail on it if it is not UTF-8.
        return type_coerce(cast(column, LargeBinary), self)

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else pack(value)

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        return unpack(value)


class RawHash(TypeDecorator[str]):
    """A SHA-256 as its 32 bytes (hex text would take 64), read and written as hex."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else bytes.fromhex(value)

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        return None if value is None else bytes(value).hex()


class AuditTime(TypeDecorator[dt.datetime]):
    """An aware time in UTC: on SQLite integer microseconds since 1970 (8 bytes, not 26 of
    text), on PostgreSQL a timestamptz, which is 8 bytes already."""

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
