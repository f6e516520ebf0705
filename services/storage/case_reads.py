"""Reading one case to show it: its row and its parties in one statement, without the ORM."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table, bindparam, select
from sqlmodel import Session

from services.numbers import MAX_ID
from services.storage.models import Case, CaseParty

_CASE: Table = Case.__table__  # type: ignore[attr-defined]
_PARTY: Table = CaseParty.__table__  # type: ignore[attr-defined]

# A case's columns as one plain statement reads them, by the names its `Case` fields have.
Columns = Row[Any]

# What GET /cases/{id} shows, in one round trip: the case's columns (named as on `Case`) once per
# party, with that party. Built once, since building a statement costs more than running it;
# read as plain rows, since loading ORM objects that are only shown costs more again.
CASE_WITH_PARTIES = (
    select(
        _CASE,
        _PARTY.c.organisation_id.label("party_organisation_id"),
        _PARTY.c.is_lead.label("party_is_lead"),
        _PARTY.c.confirmed_at.label("party_confirmed_at"),
    )
    .outerjoin(_PARTY, _PARTY.c.case_id == _CASE.c.id)
    .where(_CASE.c.id == bindparam("case_id"))
)


@dataclass(frozen=True, slots=True)
class PartyRow:
    """A party of a case, as the case's view and the access policy read it."""

    organisation_id: int
    is_lead: bool
    confirmed_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class CaseWithParties:
    case: Columns
    parties: list[PartyRow]


class CaseReadRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def with_parties(self, case_id: int) -> CaseWithParties | None:
        """The case and its parties, or None."""
        if not 0 < case_id <= MAX_ID:  # no such id, and SQLite cannot even compare one that big
            return None
        rows = self.session.connection().execute(CASE_WITH_PARTIES, {"case_id": case_id}).all()
        if not rows:
            return None
        parties = [
            PartyRow(r.party_organisation_id, r.party_is_lead, r.party_confirmed_at)
            for r in rows
            if r.party_organisation_id is not None
        ]
        return CaseWithParties(rows[0], parties)
