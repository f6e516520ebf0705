"""Rows written without the ORM: prebuilt inserts, and objects in hand kept in step with them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

# Objects whose rows a Core statement changed in this transaction (see `keep`).
_KEPT = "objects kept in step with core statements"
# Keys of `session.info` whose values hold only while nothing of the transaction is undone.
_HELD_UNTIL_UNDONE = {_KEPT}


class RowInsert:
    """A prebuilt INSERT of one table, with the columns' Python-side defaults (ids aside) filled
    here: every row then carries every column, so the statement is compiled once, and the ORM's
    unit of work, which costs more than the INSERT, is not involved."""

    def __init__(self, model: type[SQLModel]) -> None:
        table: Table = model.__table__  # type: ignore[attr-defined]
        self.table = table
        self.statement = table.insert()
        key = [c for c in table.primary_key.columns if c.autoincrement is True or c.key == "id"]
        self.id_column = key[0].key if len(key) == 1 else None
        self._defaults: dict[str, Callable[[], Any]] = {}
        for column in table.columns:
            if column.key == self.id_column:
                continue
            default: Any = column.default
            if default is None:
                self._defaults[column.key] = _none
            elif default.is_callable:
                self._defaults[column.key] = _called(default.arg)
            elif default.is_scalar:
                self._defaults[column.key] = _constant(default.arg)

    def row(self, mapping: Mapping[str, Any]) -> dict[str, Any]:
        """`mapping` with every column the INSERT names: the rest at their defaults."""
        row = {name: make() for name, make in self._defaults.items() if name not in mapping}
        row.update(mapping)
        return row

    def add(self, session: Session, mapping: Mapping[str, Any]) -> None:
        session.connection().execute(self.statement, self.row(mapping))

    def add_many(self, session: Session, mappings: Iterable[Mapping[str, Any]]) -> None:
        rows = [self.row(mapping) for mapping in mappings]
        if rows:
            session.connection().execute(self.statement, rows)

    def add_with_id(self, session: Session, mapping: Mapping[str, Any]) -> int:
        """Insert one row and answer the id the database gave it."""
        assert self.id_column is not None, f"{self.table.name} has no generated id"
        key = session.connection().execute(self.statement, self.row(mapping)).inserted_primary_key
        assert key is not None
        return int(key[0])


def keep(session: Session, thing: Any, values: Mapping[str, Any]) -> None:
    """Make `thing` in hand say what a Core statement just wrote to its row, as committed: the
    ORM writes it no second time. Should the step be undone, `thing` is expired with it (the
    ORM does that only for what it wrote itself), so it is read again as it stands."""
    for name, value in values.items():
        set_committed_value(thing, name, value)
    session.info.setdefault(_KEPT, []).append(thing)


def _none() -> None:
    return None


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _called(factory: Any) -> Callable[[], Any]:
    # SQLAlchemy wraps a default with no arguments into one taking the execution context.
    return lambda: factory(None)


def held_until_undone(key: str) -> None:
    """Forget `session.info[key]` when any part of the transaction is undone (a savepoint's
    rollback included) and when the transaction ends: what it holds was read inside it."""
    _HELD_UNTIL_UNDONE.add(key)


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_on_undo(session: OrmSession, previous: SessionTransaction) -> None:
    for thing in session.info.pop(_KEPT, ()):
        if thing in session:
            session.expire(thing)
    for key in _HELD_UNTIL_UNDONE:
        session.info.pop(key, None)


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_at_end(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # a savepoint's release leaves its rows to the whole to keep
        for key in _HELD_UNTIL_UNDONE:
            session.info.pop(key, None)
