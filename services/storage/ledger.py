"""Queries for the agency's ledger: the payments made on a programme's cases. Every export of
payments reads them here, so a new way of recording a payment has one place to be taught."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from services.storage.models import Case, Disbursement


class LedgerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def payments(self, programme_id: int, until: dt.datetime) -> list[tuple[Disbursement, Case]]:
        """Every payment on a case of the programme made at or before `until`, with its case,
        oldest first."""
        query = (
            select(Disbursement, Case)
            .join(Case, col(Case.id) == Disbursement.case_id)
            .where(Case.programme_id == programme_id, Disbursement.paid_at <= until)
            .order_by(col(Disbursement.paid_at), col(Disbursement.id))
        )
        return [(d, c) for d, c in self.session.exec(query).all()]
