"""How the audit table stores an event compactly: packed payloads, raw hashes, integer times."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import zstandard
from sqlalchemy import Column, LargeBinary, cast, type_coerce
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


@dataclass(frozen=True)
class Packing:
    """How a stored payload was packed: a method, and the preset dictionary it was packed
    against (a file of this package, pinned by its SHA-256)."""

    method: str
    file: str
    sha256: str


# The preset dictionary the packings share: a file of this package and its pinned SHA-256.
VOCABULARY_1 = (
    "audit_dictionary_1.txt",
    "adef791b486908d7f202e9151483790ca00c702c9eb2896e4943fddcbe527004",
)
# The packings, by the id stored as each payload's first byte. A shipped packing never changes
# (stored payloads name it by id): a better one is added under the next id, and rows packed
# the older way stay readable as they are.
PACKINGS = {
    # Raw DEFLATE (RFC 1951; no zlib header or checksum: the event's SHA-256 covers its text).
    1: Packing("deflate", *VOCABULARY_1),
    # The same dictionary as a Zstandard (RFC 8878) raw-content dictionary, the frame stored
    # without its 4-byte magic number: as small, but unpacked in about half the time, which is
    # what verifying a long chain spends most on (issue 16, bench/verification.py).
    2: Packing("zstd", *VOCABULARY_1),
}
CURRENT_PACKING = 2
WBITS = -15
DEFLATE_LEVEL = 9
# Level 9 packs within a few bytes of level 19 at a tenth of its cost per event.
ZSTD_LEVEL = 9
UNREADABLE = "[stored payload unreadable: {}]"
# Integer microseconds below this are a time from 1970 to 9999, spelled with a four-digit year.
_LAST_MICROSECOND = 253402300800000000


class AuditDictionary(SQLModel, table=True):
    """The packings in the database too, so an auditor can read payloads without us."""

    __tablename__ = "audit_dictionary"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column("bytes", LargeBinary, nullable=False))
    method: str = Field(default="deflate", max_length=16)


@cache
def dictionary(number: int) -> bytes:
    """The dictionary of packing `number` as shipped, refused if it is not the pinned one."""
    if number not in PACKINGS:
        raise KeyError(f"no audit dictionary {number}")
    packing = PACKINGS[number]
    content = resources.files("services.storage").joinpath(packing.file).read_bytes()
    if hashlib.sha256(content).hexdigest() != packing.sha256:
        raise RuntimeError(f"audit dictionary {number} differs from the one shipped")
    return content


@cache
def _zstd_dictionary(number: int) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(
        dictionary(number), dict_type=zstandard.DICT_TYPE_RAWCONTENT
    )


# zstandard's contexts are not to be shared between threads (the API serves requests on many).
_contexts = threading.local()


def _zstd_packer(number: int) -> zstandard.ZstdCompressor:
    packers: dict[int, zstandard.ZstdCompressor] = _contexts.__dict__.setdefault("packers", {})
    if number not in packers:
        parameters = zstandard.ZstdCompressionParameters.from_level(
            ZSTD_LEVEL,
            format=zstandard.FORMAT_ZSTD1_MAGICLESS,
            write_checksum=0,
            write_content_size=1,
            write_dict_id=0,
        )
        packers[number] = zstandard.ZstdCompressor(
            dict_data=_zstd_dictionary(number), compression_params=parameters
        )
    return packers[number]


def _zstd_unpacker(number: int) -> zstandard.ZstdDecompressor:
    unpackers: dict[int, zstandard.ZstdDecompressor] = _contexts.__dict__.setdefault(
        "unpackers", {}
    )
    if number not in unpackers:
        unpackers[number] = zstandard.ZstdDecompressor(
            dict_data=_zstd_dictionary(number), format=zstandard.FORMAT_ZSTD1_MAGICLESS
        )
    return unpackers[number]


def _unzstd(unpacker: zstandard.ZstdDecompressor, frame: memoryview) -> bytes | None:
    """The frame's bytes, or None if it is cut short or followed by more (which a whole-frame
    decompress would pass over: a byte appended to a stored payload is an edit too)."""
    reader = unpacker.decompressobj()
    data = reader.decompress(frame)
    return data if reader.eof and not reader.unused_data else None


def pack(text: str, packing: int = CURRENT_PACKING) -> bytes:
    """`text` packed the way `packing` names (the current one unless a migration asks)."""
    data = text.encode("utf-8")
    if PACKINGS[packing].method == "zstd":
        return bytes((packing,)) + _zstd_packer(packing).compress(data)
    packer = zlib.compressobj(
        DEFLATE_LEVEL, zlib.DEFLATED, WBITS, 9, zlib.Z_DEFAULT_STRATEGY, dictionary(packing)
    )
    return bytes((packing,)) + packer.compress(data) + packer.flush()


def unpack(data: bytes | memoryview | str | None) -> str:
    """The payload's text; bytes that do not decode give a marker, which no hash matches, so
    verification reports the event as altered instead of stopping."""
    if data is None:
        return UNREADABLE.format("no bytes")
    data = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
    try:
        packing = PACKINGS[data[0]]
        if packing.method == "zstd":
            text = _unzstd(_zstd_unpacker(data[0]), memoryview(data)[1:])
            if text is None:
                return UNREADABLE.format("truncated or trailing bytes")
            return text.decode("utf-8")
        unpacker = zlib.decompressobj(WBITS, zdict=dictionary(data[0]))
        text = unpacker.decompress(data[1:]) + unpacker.flush()
        if not unpacker.eof or unpacker.unused_data:
            return UNREADABLE.format("truncated or trailing bytes")
        return text.decode("utf-8")
    except (IndexError, KeyError, zlib.error, zstandard.ZstdError, UnicodeDecodeError) as error:
        return UNREADABLE.format(error)


Row = tuple[Any, ...]


def readable_rows(
    rows: list[Row],
    times_as_integers: bool,
    laid_out: Callable[[Row, bytes | str, Any], Row],
) -> list[Row]:
    """The chain's rows (audit_rows.ChainRepository) made checkable, a batch at a time: the
    payload (column 1) unpacked and, where the database keeps integer microseconds, the time
    (the last column) spelled as the chain spells it, or None where that is not certain; each
    row then `laid_out(row, payload, time)`, which may read other columns too. The common case
    (the current packing, whole bytes) is unpacked inline and left as UTF-8 bytes, which is
    what the check hashes; anything else goes through `unpack`, which names what is wrong, as
    text."""
    current = CURRENT_PACKING
    # Inline only where the current packing is zstd; any other goes through `unpack`, slower.
    inline = _zstd_unpacker(current) if PACKINGS[current].method == "zstd" else None
    spell = _time_speller() if times_as_integers else None
    unpacked = []
    for row in rows:
        data = row[1]
        payload: bytes | str | None = None
        if inline is not None and type(data) is bytes and data and data[0] == current:
            with contextlib.suppress(zstandard.ZstdError):
                payload = _unzstd(inline, memoryview(data)[1:])
        at = row[-1] if spell is None else spell(row[-1])
        unpacked.append(laid_out(row, unpack(data) if payload is None else payload, at))
    return unpacked


def _time_speller() -> Callable[[Any], str | None]:
    """format_time of integer microseconds since 1970; the text of the second is kept from one
    row to the next, as most events share theirs with the one before."""
    last_second, prefix = -1, ""

    def spell(at: Any) -> str | None:
        nonlocal last_second, prefix
        if type(at) is not int or not 0 <= at < _LAST_MICROSECOND:
            return None
        second, micro = divmod(at, 1_000_000)
        if second != last_second:
            last_second = second
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{prefix}.{micro:06d}Z"

    return spell


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
