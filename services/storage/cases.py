"""Queries on cases and their parties: the stored read model of each case."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, Update, bindparam, exists, func, literal, or_, update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from services.numbers import MAX_ID
from services.storage.keeping import Deadline
from services.storage.models import Case, CaseParty, Decision, Organisation, Programme
from services.storage.paging import Key, page
from services.storage.rows import keep
from workflow.statuses import DeadlineStatus, DecisionStatus

# The fields of a case's read model that its row keeps itself; the rest live elsewhere (the
# programme as programme_id, the parties in case_party) or are derived (reference, currency).
ROW_FIELDS = frozenset(Case.model_fields) - {"id", "programme_id", "organisation_id"}

# Keys in the session's `info` for what a locked case brought along (see CaseRepository.get);
# the unit of work is one request, so nothing read here outlives it.
_PARTIES = "case parties"
PENDING_DECISION = "proposed decision"
POOL_COMMITTED = "pool committed"
PENDING_KINDS = "pending deadline kinds"


def known_parties(session: Session, case_id: int) -> list[tuple[CaseParty, Organisation]] | None:
    """The parties (and their organisations) the locked case brought along, if it did."""
    known: list[tuple[CaseParty, Organisation]] | None = session.info.get((_PARTIES, case_id))
    return known


# What a list may be sorted by; a nullable column sorts as if null were below every amount.
NO_AMOUNT = Decimal("-0.01")
SORTS: dict[str, Any] = {
    "id": col(Case.id),
    "updated_at": col(Case.updated_at),
    "state": col(Case.state),
    "title": col(Case.title),
    "requested_amount": func.coalesce(col(Case.requested_amount), NO_AMOUNT),
}


@dataclass(frozen=True)
class CaseFilter:
    programme_id: int | None = None
    state: str | None = None
    organisation_id: int | None = None
    # "Needs me": a case in one of these states, or with a deadline overdue at `overdue_at`.
    needs_states: tuple[str, ...] | None = None
    overdue_at: dt.datetime | None = None
    # An applicant's view: only cases this organisation is a party to.
    party: int | None = None
    # Words a person types to find a case: part of its title, or its reference.
    text: str | None = None


# A case locked for a change, with what a transition reads next, in one round trip; built once,
# since building a statement this size costs more than running it.
_WITH_WHAT_A_TRANSITION_READS = (
    select(  # type: ignore[call-overload]
        Case,
        CaseParty,
        Organisation,
        Decision,
        col(Programme.committed),
        col(Deadline.kind),
        col(Deadline.id),
    )
    .join(Programme, col(Programme.id) == Case.programme_id)
    .outerjoin(
        Deadline,
        (col(Deadline.case_id) == Case.id) & (Deadline.status == DeadlineStatus.pending),
    )
    .outerjoin(CaseParty, col(CaseParty.case_id) == Case.id)
    .outerjoin(Organisation, col(Organisation.id) == CaseParty.organisation_id)
    .outerjoin(
        Decision,
        (col(Decision.case_id) == Case.id) & (Decision.status == DecisionStatus.proposed),
    )
)
LOCKED_WITH_PARTIES = (
    _WITH_WHAT_A_TRANSITION_READS.where(col(Case.id) == bindparam("case_id"))
    # FOR NO KEY UPDATE of the case alone: we never change a key, and unlike FOR UPDATE it does
    # not block other transactions' foreign-key checks on this row (which would deadlock with the
    # audit head's lock). The same for every row lock here.
    .with_for_update(of=Case, key_share=True)
    .order_by(col(CaseParty.id))
)
# The same for a batch of cases (the deadline keeper's), locked in order of id.
_MANY_LOCKED = _WITH_WHAT_A_TRANSITION_READS.where(
    col(Case.id).in_(bindparam("case_ids", expanding=True))
).order_by(col(Case.id), col(CaseParty.id))
_LOCKED_ALREADY = "case locked with what a transition reads"
_PENDING_OF = "pending deadlines of a case locked in a batch"


def lock_cases(session: Session, case_ids: list[int], *, skip_locked: bool) -> dict[int, Case]:
    """Lock the cases, in order of id, in one round trip, with what a transition reads next (as
    `CaseRepository.get(lock=True)` does for one); a transition on one of them then reads it from
    here, once. `skip_locked` leaves out a case someone else holds instead of waiting for it."""
    query = _MANY_LOCKED.with_for_update(of=Case, key_share=True, skip_locked=skip_locked)
    rows = session.exec(query, params={"case_ids": sorted(set(case_ids))}).all()
    by_case: dict[int, list[Any]] = {}
    for row in rows:
        by_case.setdefault(row[0].id, []).append(row)
    for case_id, of_case in by_case.items():
        _keep(session, case_id, of_case, pool=False)
        session.info[_LOCKED_ALREADY, case_id] = True
        session.info[_PENDING_OF, case_id] = {
            deadline_id: kind for *_, kind, deadline_id in of_case if deadline_id is not None
        }
    return {case_id: of_case[0][0] for case_id, of_case in by_case.items()}


def no_longer_pending(session: Session, case_id: int, deadline_id: int) -> None:
    """A deadline of a case `lock_cases` read is pending no more (its firing claimed it): the
    kinds a transition on the case finds pending follow, without reading them again."""
    pending: dict[int, str] | None = session.info.get((_PENDING_OF, case_id))
    if pending is not None:
        pending.pop(deadline_id, None)
        session.info[PENDING_KINDS, case_id] = set(pending.values())


def forget_locked(session: Session, case_id: int) -> None:
    """Forget what `lock_cases` read with the case (a step on it was undone, and what it read
    may be undone with it): the next transition on it reads it again, under the lock it keeps."""
    for key in (_LOCKED_ALREADY, _PENDING_OF, PENDING_KINDS, _PARTIES, PENDING_DECISION):
        session.info.pop((key, case_id), None)


def _keep(session: Session, case_id: int, rows: list[Any], *, pool: bool) -> None:
    """Keep in the session what the locked read of a case brought along, for the reads after it."""
    _, _, _, decision, committed, _, _ = rows[0]
    info = session.info
    parties = {p.id: (p, o) for _, p, o, *_ in rows if p is not None and o is not None}
    info[_PARTIES, case_id] = list(parties.values())
    info[PENDING_KINDS, case_id] = {kind for *_, kind, _ in rows if kind is not None}
    info[PENDING_DECISION, case_id] = decision
    if pool:
        # Read, not locked: a proposal checks the pool; a confirmation locks it (`committed(lock=True)`).
        info[POOL_COMMITTED, rows[0][0].programme_id] = committed


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, case_id: int, *, lock: bool = False) -> Case | None:
        """The case; locked, it comes in one round trip with its parties (and their kinds of
        organisation) and its proposed decision, which a transition reads next."""
        if not 0 < case_id <= MAX_ID:  # no such id, and SQLite cannot even compare one that big
            return None
        if lock:
            return self._locked_with_parties(case_id)
        return self.session.exec(select(Case).where(Case.id == case_id)).first()

    def _locked_with_parties(self, case_id: int) -> Case | None:
        if self.session.info.pop((_LOCKED_ALREADY, case_id), False):
            # Locked with the rest of a batch (`lock_cases`): read from there, once; a second
            # transition on it in the same unit of work reads it again, as the first changed it.
            # The pool is read again where needed: a step before may have committed from it.
            already = self.session.get(Case, case_id)
            if already is not None:
                self.session.info.pop((POOL_COMMITTED, already.programme_id), None)
                return already
        rows = self.session.exec(LOCKED_WITH_PARTIES, params={"case_id": case_id}).all()
        if not rows:
            return None
        _keep(self.session, case_id, list(rows), pool=True)
        found: Case = rows[0][0]
        return found

    def has_party(self, case_id: int, organisation_id: int | None) -> bool:
        query = select(_party_of(organisation_id).where(Case.id == case_id))
        return bool(self.session.exec(query).one())

    def add(
        self, case: Case, lead: int, partners: Iterable[int], partners_confirmed: bool
    ) -> list[CaseParty]:
        """Store a new case and its parties (the lead confirmed, its partners if they have);
        the case has its id afterwards."""
        self.session.add(case)
        self.session.flush()
        assert case.id is not None
        now = case.created_at
        parties = [CaseParty(case_id=case.id, organisation_id=lead, is_lead=True, confirmed_at=now)]
        parties += [
            CaseParty(
                case_id=case.id,
                organisation_id=p,
                is_lead=False,
                confirmed_at=now if partners_confirmed else None,
            )
            for p in partners
        ]
        self.session.add_all(parties)
        self.session.flush()
        return parties

    def party(self, case_id: int, organisation_id: int) -> CaseParty | None:
        query = select(CaseParty).where(
            CaseParty.case_id == case_id, CaseParty.organisation_id == organisation_id
        )
        return self.session.exec(query.with_for_update(key_share=True)).first()

    def save_party(self, party: CaseParty) -> None:
        self.session.info.pop((_PARTIES, party.case_id), None)
        self.session.add(party)

    def apply(self, case: Case, updates: Mapping[str, Any]) -> None:
        """Write what an event's fold sets on the case into its row: one UPDATE of the fields
        it changes, from the version the case was read at; none matching, someone else changed
        it since (StaleDataError), and the unit of work must not commit."""
        changed = {
            field: value
            for field, value in updates.items()
            if field in ROW_FIELDS and getattr(case, field) != value
        }
        if not changed:
            return
        params = {"case_id_": case.id, "version_was": case.version, **changed}
        done = self.session.connection().execute(_update_of(frozenset(changed)), params)
        if done.rowcount != 1:
            raise StaleDataError(
                f"case {case.id} is no longer at version {case.version}: changed elsewhere"
            )
        keep(self.session, case, changed)

    def parties_of(self, case_ids: list[int]) -> dict[int, list[CaseParty]]:
        found: dict[int, list[CaseParty]] = {}
        unread = []
        for case_id in case_ids:
            if (known := known_parties(self.session, case_id)) is not None:
                found[case_id] = [party for party, _ in known]
            else:
                unread.append(case_id)
        if unread:
            query = select(CaseParty).where(col(CaseParty.case_id).in_(unread))
            for party in self.session.exec(query).all():
                found.setdefault(party.case_id, []).append(party)
        return {case_id: found[case_id] for case_id in case_ids if found.get(case_id)}

    def parties_with_kinds(self, case_id: int) -> list[tuple[CaseParty, str]]:
        """The confirmed parties, with their kind of organisation: the ones eligibility counts."""
        if (known := known_parties(self.session, case_id)) is not None:
            return [(party, org.kind) for party, org in known if party.confirmed_at is not None]
        query = (
            select(CaseParty, Organisation.kind)
            .join(Organisation, col(Organisation.id) == CaseParty.organisation_id)
            .where(CaseParty.case_id == case_id, col(CaseParty.confirmed_at).is_not(None))
        )
        return [(party, kind) for party, kind in self.session.exec(query).all()]

    def page(
        self, where: CaseFilter, sort: str, descending: bool, limit: int, cursor: str | None
    ) -> tuple[list[Case], str | None]:
        """Up to `limit` cases after `cursor` in the order asked for, and the cursor to go on."""
        keys: list[Key] = [(SORTS[sort], descending), (col(Case.id), descending)]
        query = _filtered(select(Case), where)
        return page(
            self.session, query, keys, limit, cursor, lambda c: [_sort_value(c, sort), c.id]
        )

    def count(self, where: CaseFilter, up_to: int | None = None) -> int:
        """How many cases match; with `up_to`, counting stops one beyond it, so a list of a
        million costs what one of a thousand does (an answer above `up_to` means "more")."""
        return int(self.session.exec(select(_counted(where, up_to))).one())

    def count_by_state(
        self, where: CaseFilter, capped: tuple[Iterable[str], int] | None = None
    ) -> dict[str, int]:
        """How many cases match in each state. `capped` = (states, up_to): each of those
        states counted only to one beyond `up_to`, in one statement, each count read from an
        index (a GROUP BY would read every case)."""
        if capped is None:
            query = _filtered(select(Case.state, func.count()), where).group_by(col(Case.state))
            return {state: int(n) for state, n in self.session.exec(query).all()}
        states, up_to = list(capped[0]), capped[1]
        counts = [
            _counted(dataclasses.replace(where, state=state), up_to).label(f"n{i}")
            for i, state in enumerate(states)
        ]
        if not counts:
            return {}
        row = self.session.exec(select(*counts)).one()
        return {state: int(n) for state, n in zip(states, row, strict=True) if n}

    def in_call(self, programme_id: int, call_code: str, states: Iterable[str]) -> list[Case]:
        query = (
            select(Case)
            .where(Case.programme_id == programme_id, Case.call_code == call_code)
            .where(col(Case.state).in_(list(states)))
            .order_by(col(Case.id))
        )
        return list(self.session.exec(query).all())


_CASE: Table = Case.__table__  # type: ignore[attr-defined]
_UPDATES: dict[frozenset[str], Update] = {}


def _update_of(fields: frozenset[str]) -> Update:
    """The UPDATE of these fields of a case at the version it was read at, built once per set:
    a transition changes the same few each time."""
    found = _UPDATES.get(fields)
    if found is None:
        found = _UPDATES[fields] = (
            update(_CASE)
            .where(_CASE.c.id == bindparam("case_id_"), _CASE.c.version == bindparam("version_was"))
            .values({field: bindparam(field) for field in sorted(fields)})
        )
    return found


def _counted(where: CaseFilter, up_to: int | None) -> Any:
    """A scalar subquery counting the matching cases, up to one beyond `up_to`."""
    matching = _filtered(select(literal(1).label("one")).select_from(Case), where)
    if up_to is not None:
        matching = matching.limit(up_to + 1)
    return select(func.count()).select_from(matching.subquery()).scalar_subquery()


def _sort_value(case: Case, sort: str) -> Any:
    value = getattr(case, sort)
    return NO_AMOUNT if value is None and sort == "requested_amount" else value


def _filtered(query: Any, where: CaseFilter) -> Any:
    if where.programme_id is not None:
        query = query.where(Case.programme_id == where.programme_id)
    if where.state is not None:
        query = query.where(Case.state == where.state)
    if where.organisation_id is not None:
        query = query.where(Case.organisation_id == where.organisation_id)
    if where.needs_states is not None:
        needs: Any = col(Case.state).in_(where.needs_states)
        if where.overdue_at is not None:
            # IN, not EXISTS: the few overdue deadlines are found by their index and lead to
            # their cases, rather than each case of a million looking for its deadline.
            overdue = col(Case.id).in_(
                select(Deadline.case_id).where(
                    col(Deadline.case_id).is_not(None),
                    col(Deadline.status) == DeadlineStatus.pending,
                    col(Deadline.due_at) <= where.overdue_at,
                )
            )
            needs = or_(needs, overdue)
        query = query.where(needs)
    if where.party is not None:
        query = query.where(_party_of(where.party))
    if where.text:
        query = query.where(_matching(where.text))
    return query


# A reference ends in the case's number (DELMOS-18-00012): pasting one finds that case.
_REFERENCE = re.compile(r"[A-Za-z][A-Za-z0-9-]*-(\d{5,9})")


def _matching(text: str) -> Any:
    found: Any = func.lower(Case.title).contains(text.strip().lower(), autoescape=True)
    if reference := _REFERENCE.fullmatch(text.strip()):
        found = or_(found, col(Case.id) == int(reference.group(1)))
    return found


def _party_of(organisation_id: int | None) -> Any:
    return exists().where(
        col(CaseParty.case_id) == Case.id, col(CaseParty.organisation_id) == organisation_id
    )
