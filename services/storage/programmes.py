"""Queries on the programmes registered from config/programmes/."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from services.storage.cases import POOL_COMMITTED
from services.storage.models import (
    Case,
    Disbursement,
    Programme,
    ProgrammeProposal,
    ProgrammeVersion,
)

# The advisory lock that programme registration holds: any constant no other lock uses.
REGISTRATION = 0x6772616E74666C6F  # "grantflo"


class ProgrammeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_registration(self) -> None:
        """Hold registration to this transaction (PostgreSQL: an advisory lock; SQLite's
        writers take turns already)."""
        if self.session.get_bind().dialect.name != "sqlite":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": REGISTRATION})

    def all(self) -> list[Programme]:
        return list(self.session.exec(select(Programme)).all())

    def by_code(self, code: str) -> Programme | None:
        return self.session.exec(select(Programme).where(Programme.code == code)).first()

    def save(self, programme: Programme) -> None:
        self.session.add(programme)
        self.session.flush()

    def versions(self, programme_id: int | None = None) -> list[ProgrammeVersion]:
        """Every recorded version (of one programme), oldest first."""
        query = select(ProgrammeVersion)
        if programme_id is not None:
            query = query.where(ProgrammeVersion.programme_id == programme_id)
        order = (col(ProgrammeVersion.programme_id), col(ProgrammeVersion.version))
        return list(self.session.exec(query.order_by(*order)).all())

    def version(self, programme_id: int, number: int) -> ProgrammeVersion | None:
        query = select(ProgrammeVersion).where(
            ProgrammeVersion.programme_id == programme_id, ProgrammeVersion.version == number
        )
        return self.session.exec(query).first()

    def add_version(self, version: ProgrammeVersion) -> None:
        self.session.add(version)
        self.session.flush()

    def add_proposal(self, proposal: ProgrammeProposal) -> None:
        self.session.add(proposal)
        self.session.flush()

    def proposal(self, proposal_id: int, *, lock: bool = False) -> ProgrammeProposal | None:
        query = select(ProgrammeProposal).where(ProgrammeProposal.id == proposal_id)
        return self.session.exec(query.with_for_update() if lock else query).first()

    def committed(self, programme_id: int, *, lock: bool) -> Decimal:
        """What the pool has committed. Locked, two decisions racing for the last of a pool
        are taken one after the other; unlocked, it is the figure the locked case brought
        along, if it did."""
        if lock:
            query = (
                select(Programme)
                .where(Programme.id == programme_id)
                .with_for_update(key_share=True)
            )
            return self.session.exec(query).one().committed
        known = self.session.info.get((POOL_COMMITTED, programme_id))
        if known is not None:
            return Decimal(known)
        return Decimal(
            self.session.exec(
                select(col(Programme.committed)).where(Programme.id == programme_id)
            ).one()
        )

    def commit_amount(self, programme_id: int, amount: Decimal) -> None:
        programme = self.session.get(Programme, programme_id)
        assert programme is not None
        programme.committed += amount
        self.session.add(programme)

    def disbursed(self, programme_id: int) -> Decimal:
        query = (
            select(func.coalesce(func.sum(Disbursement.amount), 0))
            .join(Case, col(Case.id) == Disbursement.case_id)
            .where(Case.programme_id == programme_id)
        )
        return Decimal(self.session.exec(query).one() or 0)
