"""Queries on the registry: drawing the next number under a lock, and reading the diarium."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from services.storage.paging import Key, page
from services.storage.registry_tables import RegistryCounter, RegistryEntry


@dataclass(frozen=True)
class RegistryFilter:
    series: str | None = None
    year: int | None = None
    case_id: int | None = None
    direction: str | None = None


class RegistryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def draw(self, series: str, year: int, case_number: int = 0) -> int:
        """The next number of a counter (made at 0 when first used), locked until the
        transaction ends: a rollback gives it back, and a concurrent drawer waits for it.
        PostgreSQL: INSERT ... ON CONFLICT DO NOTHING, then SELECT ... FOR UPDATE; SQLite's
        writers already take turns."""
        values = {"series": series, "year": year, "case_number": case_number, "last_number": 0}
        table = RegistryCounter.__table__  # type: ignore[attr-defined]
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.session.execute(
            insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["series", "year", "case_number"])
        )
        counter = self.session.exec(
            select(RegistryCounter)
            .where(
                RegistryCounter.series == series,
                RegistryCounter.year == year,
                RegistryCounter.case_number == case_number,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        counter.last_number += 1
        self.session.add(counter)
        self.session.flush()
        return counter.last_number

    def add(self, entry: RegistryEntry) -> RegistryEntry:
        self.session.add(entry)
        self.session.flush()
        return entry

    def of_case(self, case_id: int) -> list[RegistryEntry]:
        query = (
            select(RegistryEntry)
            .where(RegistryEntry.case_id == case_id)
            .order_by(col(RegistryEntry.document))
        )
        return list(self.session.exec(query).all())

    def page(
        self, where: RegistryFilter, limit: int, cursor: str | None
    ) -> tuple[list[RegistryEntry], str | None]:
        """The diarium in the order of registration, series by series and year by year."""
        keys: list[Key] = [
            (col(RegistryEntry.series), False),
            (col(RegistryEntry.year), False),
            (col(RegistryEntry.number), False),
            (col(RegistryEntry.document), False),
        ]
        query = select(RegistryEntry)
        if where.series is not None:
            query = query.where(RegistryEntry.series == where.series)
        if where.year is not None:
            query = query.where(RegistryEntry.year == where.year)
        if where.case_id is not None:
            query = query.where(RegistryEntry.case_id == where.case_id)
        if where.direction is not None:
            query = query.where(RegistryEntry.direction == where.direction)
        return page(
            self.session,
            query,
            keys,
            limit,
            cursor,
            lambda e: [e.series, e.year, e.number, e.document],
        )

    def of_decisions(self, decision_ids: list[int]) -> dict[int, str]:
        """The registry number each grant decision was sent out under."""
        if not decision_ids:
            return {}
        query = select(RegistryEntry.decision_id, RegistryEntry.registry_number).where(
            col(RegistryEntry.decision_id).in_(decision_ids)
        )
        return {d: number for d, number in self.session.exec(query).all() if d is not None}
