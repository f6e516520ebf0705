"""Queries on the audit log: its head, its events, and reading it back in order."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, exists, func, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from services.storage.models import AuditEvent, AuditHead, Case, CaseParty
from services.storage.rows import RowInsert, held_until_undone
from workflow.audit_chain import INDEXED_FIELDS, StoredEvent, format_time
from workflow.statuses import EventKind

# What a case's read model is folded from (refusals and facts change no case).
CASE_CHANGES = (EventKind.created, EventKind.transition, EventKind.amended, EventKind.migrated)


@dataclass(frozen=True)
class EventFilter:
    actor_id: int | None = None
    role: str | None = None
    transition: str | None = None
    kind: str | None = None
    programme_id: int | None = None
    case_id: int | None = None
    organisation_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass
class Head:
    """The chain's last link as this transaction knows it: the event after it chains from it."""

    seq: int
    hash: str
    at: dt.datetime | None


# The head this transaction locked, kept in the session's `info` until the transaction ends or a
# part of it is undone; then the next writer reads and locks it again.
HEAD_HELD = "audit head held"
held_until_undone(HEAD_HELD)
_HEAD: Table = AuditHead.__table__  # type: ignore[attr-defined]
_READ_HEAD = core_select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.at).where(_HEAD.c.id == 1)
_LOCK_HEAD = _READ_HEAD.with_for_update()
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"), at=bindparam("new_at"))
)
_EVENT = RowInsert(AuditEvent)


def lock_head(session: Session) -> Head:
    """The chain's head, locked: every writer queues here, which keeps the chain one line even
    with many processes writing. Locked once per transaction; after that the head in hand
    follows each event added (`add`), so further events cost no statement for it."""
    held: Head | None = session.info.get(HEAD_HELD)
    if held is None:
        seq, hash, at = session.connection().execute(_LOCK_HEAD).one()
        held = session.info[HEAD_HELD] = Head(seq, hash, at)
    return held


def head(session: Session) -> Head | None:
    """The chain's head as stored (not locked)."""
    row = session.connection().execute(_READ_HEAD).first()
    return None if row is None else Head(row[0], row[1], row[2])


def add(session: Session, event: Mapping[str, Any], head: Head) -> None:
    """Store `event` (the audit_event columns); the head row follows it in the database (a
    trigger, migration 0023), and `head` in hand follows it here."""
    _EVENT.add(session, event)
    head.seq, head.hash, head.at = event["seq"], event["hash"], event["at"]


def move_head(session: Session, head: Head, seq: int, hash: str, at: dt.datetime) -> None:
    """Move the head to events written without `add` (generated ones, say)."""
    session.connection().execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": hash, "new_at": at})
    head.seq, head.hash, head.at = seq, hash, at


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_head(self) -> Head:
        return lock_head(self.session)

    def head(self) -> Head | None:
        return head(self.session)

    def add(self, event: Mapping[str, Any], head: Head) -> None:
        add(self.session, event, head)

    def move_head(self, head: Head, seq: int, hash: str, at: dt.datetime) -> None:
        move_head(self.session, head, seq, hash, at)

    def of_case(self, case_id: int, include_refusals: bool = False) -> list[AuditEvent]:
        query = select(AuditEvent).where(AuditEvent.case_id == case_id)
        if not include_refusals:
            query = query.where(AuditEvent.kind != EventKind.refusal)
        return list(self.session.exec(query.order_by(col(AuditEvent.seq))).all())

    def changes_of_case(self, case_id: int, until: dt.datetime) -> list[str]:
        """The payloads that made the case what it was at `until`, in order."""
        query = (
            select(AuditEvent.payload)
            .where(AuditEvent.case_id == case_id, AuditEvent.at <= until)
            .where(col(AuditEvent.kind).in_(CASE_CHANGES))
            .order_by(col(AuditEvent.seq))
        )
        return list(self.session.exec(query).all())

    def changes_in_programme(self, programme_id: int, until: dt.datetime) -> list[tuple[int, str]]:
        """(case id, payload) of every change to a case of the programme up to `until`, by case."""
        query = (
            select(AuditEvent.case_id, AuditEvent.payload)
            .join(Case, col(Case.id) == AuditEvent.case_id)
            .where(Case.programme_id == programme_id, AuditEvent.at <= until)
            .where(col(AuditEvent.kind).in_(CASE_CHANGES))
            .order_by(col(AuditEvent.case_id), col(AuditEvent.seq))
        )
        return [(int(case_id or 0), payload) for case_id, payload in self.session.exec(query).all()]

    def search(self, where: EventFilter, after_seq: int, limit: int) -> list[AuditEvent]:
        query = select(AuditEvent).where(AuditEvent.seq > after_seq)
        for column, value in (
            (AuditEvent.actor_id, where.actor_id),
            (AuditEvent.role, where.role),
            (AuditEvent.transition, where.transition),
            (AuditEvent.kind, where.kind),
            (AuditEvent.case_id, where.case_id),
        ):
            if value is not None:
                query = query.where(column == value)
        # Bounds of the key, not of `at`: the table keeps no index on it (migration 0025).
        if where.since is not None:
            query = query.where(AuditEvent.seq >= self._first_at_or_after(where.since))
        if where.until is not None:
            query = query.where(AuditEvent.seq < self._first_at_or_after(where.until))
        if where.programme_id is not None:
            query = query.where(
                exists().where(
                    col(Case.id) == AuditEvent.case_id,
                    col(Case.programme_id) == where.programme_id,
                )
            )
        if where.organisation_id is not None:
            query = query.where(
                exists().where(
                    col(CaseParty.case_id) == AuditEvent.case_id,
                    col(CaseParty.organisation_id) == where.organisation_id,
                )
            )
        return list(self.session.exec(query.order_by(col(AuditEvent.seq)).limit(limit)).all())

    def _first_at_or_after(self, at: dt.datetime) -> int:
        """The least seq bound such that every event from it on is at or after `at`, and every
        one before it earlier. Events are stored in time order (each a microsecond at least
        after the one before, services/audit.py), so a binary search on the key finds it."""
        low = 0  # every event at or below it is before `at`
        high = int(self.session.exec(select(func.max(AuditEvent.seq))).one() or 0) + 1
        while high - low > 1:
            middle = (low + high) // 2
            query = select(AuditEvent.seq, AuditEvent.at).where(AuditEvent.seq >= middle)
            row = self.session.exec(query.order_by(col(AuditEvent.seq)).limit(1)).first()
            if row is None or row[0] >= high:
                high = middle  # no event from `middle` to `high`: either bounds alike
            elif row[1] >= at:
                high = row[0]
            else:
                low = row[0]
        return high

    def last_of(self, transition: str) -> AuditEvent | None:
        """The latest event of one transition or fact (the last signed head, say)."""
        query = select(AuditEvent).where(AuditEvent.transition == transition)
        return self.session.exec(query.order_by(col(AuditEvent.seq).desc()).limit(1)).first()

    def chain(
        self, batch: int = 5000, after: int = 0, upto: int | None = None
    ) -> Iterator[StoredEvent]:
        """Every event after `after` (to `upto`), in sequence order, read in batches as plain
        rows: the ORM's bookkeeping would cost more than checking the hashes."""
        columns = [getattr(AuditEvent, name) for name in (*INDEXED_FIELDS, "hash", "payload")]
        last = after
        while True:
            query = select(*columns).where(AuditEvent.seq > last)
            if upto is not None:
                query = query.where(AuditEvent.seq <= upto)
            rows = self.session.exec(query.order_by(AuditEvent.seq).limit(batch)).all()
            if not rows:
                return
            for row in rows:
                values = dict(zip(INDEXED_FIELDS, row, strict=False))
                values["at"] = format_time(values["at"])
                yield StoredEvent(seq=row.seq, hash=row.hash, payload=row.payload, columns=values)
            last = rows[-1].seq

    def payloads(self, first: int, last: int | None, batch: int = 5000) -> Iterator[str]:
        """Each event's canonical text from `first` to `last`, in order."""
        after = first - 1
        while True:
            query = select(AuditEvent.seq, AuditEvent.payload).where(AuditEvent.seq > after)
            if last is not None:
                query = query.where(AuditEvent.seq <= last)
            rows = self.session.exec(query.order_by(col(AuditEvent.seq)).limit(batch)).all()
            if not rows:
                return
            for _seq, payload in rows:
                yield payload
            after = rows[-1][0]

    def bounds(
        self, first: int, last: int | None
    ) -> tuple[tuple[int, str], tuple[int, str]] | None:
        """((first seq, its prev_hash), (last seq, its hash)) of the events in the range."""
        query = select(AuditEvent.seq, AuditEvent.payload, AuditEvent.hash).where(
            AuditEvent.seq >= first
        )
        if last is not None:
            query = query.where(AuditEvent.seq <= last)
        start = self.session.exec(query.order_by(col(AuditEvent.seq)).limit(1)).first()
        end = self.session.exec(query.order_by(col(AuditEvent.seq).desc()).limit(1)).first()
        if start is None or end is None:
            return None
        # The previous hash as the first event's own hashed text states it (no column repeats it).
        return (start[0], str(json.loads(start[1])["prev_hash"])), (end[0], end[2])
