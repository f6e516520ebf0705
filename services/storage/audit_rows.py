"""Reading the audit chain for verification: plain rows in big batches, cheap to check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from sqlmodel import Session, select

from services.storage.audit_codes import KindCode, RoleCode
from services.storage.audit_encoding import readable_rows
from services.storage.audit_log import AuditRepository
from services.storage.models import AuditEvent
from workflow.audit_chain import StoredEvent
from workflow.chain_check import INDEXED, ChainRow

# `at` as the chain spells it (format_time of what the ORM reads), or NULL where that is not
# certain, which sends the row to the exact check. SQLite keeps integer microseconds since 1970
# (migration 0025), spelled in Python (audit_encoding.readable_rows), which costs less than
# strftime in SQL; PostgreSQL keeps a time, formatted here as format_time does.
_PG_AT = """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
# `kind` and `role` are stored as numbers (migration 0028) and compared with the payload as
# names, read in Python as each row is rebuilt anyway rather than with a CASE in SQL.
_KIND_NAME = KindCode.names.get
_ROLE_NAME = RoleCode.names.get


# The columns _as_chain_row takes apart, in ChainRow's order; were INDEXED ever to differ, every
# row would go to the slow exact check, still right but unnoticed, so it is refused here.
if INDEXED != ("seq", "case_id", "kind", "transition", "actor_id", "role", "at"):
    raise RuntimeError("audit_rows._as_chain_row no longer matches chain_check.INDEXED")


def _as_chain_row(row: ChainRow, payload: bytes | str, at: Any) -> ChainRow:
    """The SELECT below as ChainRow, a number with no name read as None (so the row goes to
    the exact check). Spelled out, not looped over: it runs once an event."""
    hash_, _, seq, case_id, kind, transition, actor_id, role, _ = row
    return (
        hash_,
        payload,
        seq,
        case_id,
        _KIND_NAME(kind),
        transition,
        actor_id,
        _ROLE_NAME(role),
        at,
    )


class ChainRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def rows(
        self, batch: int = 20000, after: int = 0, upto: int | None = None
    ) -> Iterator[list[ChainRow]]:
        """The events after `after` (to `upto`) in sequence order, as batches of plain DBAPI
        tuples laid out as ChainRow: no ORM objects, and no conversion in Python but the
        payloads' unpacking, the codes' names (and on SQLite the times' spelling), for a cheap
        check of the whole chain."""
        connection = self.session.connection()
        sqlite = connection.dialect.name == "sqlite"
        mark = "?" if sqlite else "%s"
        columns = ", ".join(
            (
                "hash",
                "CAST(payload AS BLOB)" if sqlite else "payload",
                *INDEXED[:-1],
                "at" if sqlite else _PG_AT,
            )
        )
        bound = f" AND seq <= {mark}" if upto is not None else ""
        sql = (
            f"SELECT {columns} FROM audit_event"
            f" WHERE seq > {mark}{bound} ORDER BY seq LIMIT {int(batch)}"
        )
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            last = after
            while True:
                cursor.execute(sql, (last, upto) if upto is not None else (last,))
                rows = cast(list[ChainRow], cursor.fetchall())
                if not rows:
                    return
                yield readable_rows(rows, times_as_integers=sqlite, laid_out=_as_chain_row)
                last = rows[-1][2]
        finally:
            cursor.close()

    def hash_at(self, seq: int) -> str | None:
        """The hash stored with event `seq`, where a check of the events after it starts."""
        query = select(AuditEvent.hash).where(AuditEvent.seq == seq)
        return self.session.exec(query).first()

    def event(self, seq: int) -> StoredEvent:
        """One event read as AuditRepository.chain reads it, for the exact check of a row the
        cheap one stopped at."""
        return next(AuditRepository(self.session).chain(batch=1, after=seq - 1, upto=seq))
