"""Cases: create, read, list, move and rebuild them; each change commits with its audit event."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from services import audit
from services.audit import EventKind
from services.errors import (
    CallClosed,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
)
from services.schemas import CasePage, CasePublic, EventPublic, NewCase, Party, TransitionResult
from services.storage.db import Database
from services.storage.models import (
    Agreement,
    AgreementParty,
    AuditEvent,
    BudgetLine,
    Case,
    CaseParty,
    Commitment,
    Deadline,
    Decision,
    Disbursement,
    IdempotencyRecord,
    Organisation,
    Programme,
    ReportLine,
)
from workflow.actors import Actor, Role
from workflow.audit_chain import plain
from workflow.case import (
    AMOUNT_FIELDS,
    PERIOD_FIELDS,
    REPORT_FIELDS,
    AgreementFacts,
    BudgetRecorded,
    CaseFacts,
    CommitmentsMade,
    DeadlineScheduled,
    DecisionConfirmed,
    DecisionProposed,
    DecisionWithdrawn,
    Disbursed,
    PartyFacts,
    PendingDecision,
    PoolFacts,
    Record,
    ReportAssessed,
)
from workflow.catalogue import Catalogue
from workflow.clock import Clock
from workflow.deadlines import rule_due
from workflow.engine import (
    Firing,
    GuardRefused,
    NotAllowedInState,
    RoleNotAllowed,
    TransitionRefused,
)
from workflow.lifecycle import CostLine

Result = TypeVar("Result", bound=BaseModel)

# The case columns the rules read, and that transitions change and events carry.
CASE_FACT_FIELDS = (*AMOUNT_FIELDS, *PERIOD_FIELDS, *REPORT_FIELDS)

# Refusals worth an auditor's attention: someone tried something they may not, or the case was
# not in a state for it. Malformed bodies and stale versions are the client's bookkeeping.
AUDITED_REFUSALS = (RoleNotAllowed, NotAllowedInState, GuardRefused)

CREATE_ROLES = {Role.applicant, Role.caseworker, Role.admin}
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Fired:
    """A transition stored with its audit event, not yet committed."""

    case: Case
    firing: Firing
    event: AuditEvent


@dataclass(frozen=True)
class CaseFilter:
    programme: str | None = None
    state: str | None = None
    organisation_id: int | None = None
    # "Needs me": a case in one of these states, or with a deadline overdue at `overdue_at`.
    needs_states: tuple[str, ...] | None = None
    overdue_at: dt.datetime | None = None


SORTABLE = {
    "id": Case.id,
    "updated_at": Case.updated_at,
    "state": Case.state,
    "title": Case.title,
    "requested_amount": Case.requested_amount,
}


class CaseService:
    def __init__(self, db: Database, catalogue: Catalogue, clock: Clock) -> None:
        self.db = db
        self.catalogue = catalogue
        self.clock = clock
        self._codes: dict[int, str] = {}
        self._ids: dict[str, int] = {}

    # -- programmes ------------------------------------------------------------------------

    def register_programmes(self) -> None:
        """Make sure every programme file has its row, recording each new or changed file."""
        with self.db.writing() as session:
            rows = {p.code: p for p in session.exec(select(Programme)).all()}
            for code, pf in self.catalogue.programmes.items():
                row = rows.get(code)
                if row is not None and row.config_sha256 == pf.sha256:
                    continue
                now = self.clock.now()
                if row is None:
                    row = Programme(
                        code=code,
                        title="",
                        currency="",
                        time_zone="",
                        config_sha256="",
                        loaded_at=now,
                    )
                row.title = pf.programme.title()
                row.currency = pf.programme.currency
                row.time_zone = pf.programme.time_zone
                row.config_sha256 = pf.sha256
                row.loaded_at = now
                session.add(row)
                audit.append(
                    session,
                    kind=EventKind.fact,
                    actor=SYSTEM_LOADER,
                    now=now,
                    transition="programme_registered",
                    details={"programme": code, "file": pf.path.name, "sha256": pf.sha256},
                )
        self._load_programme_ids()
        self._plan_round_deadlines()

    def _plan_round_deadlines(self) -> None:
        """Each call's own deadlines (the lifecycle's `round` kinds), created once."""
        kinds = [k for k in self.catalogue.lifecycle.deadlines.values() if k.round]
        with self.db.writing() as session:
            for code, pf in self.catalogue.programmes.items():
                programme = pf.programme
                for call in programme.calls:
                    anchors = {
                        "now": self.clock.now(),
                        "call.application_deadline": call.application_deadline,
                        "call.decision_expected_by": call.decision_expected_by,
                    }
                    for kind in kinds:
                        due = rule_due(programme, kind.name, anchors)
                        exists_already = session.exec(
                            select(Deadline.id).where(
                                Deadline.programme_id == self._ids[code],
                                Deadline.call_code == call.code,
                                Deadline.kind == kind.name,
                                Deadline.case_id.is_(None),  # type: ignore[union-attr]
                            )
                        ).first()
                        if due is None or exists_already is not None:
                            continue
                        session.add(
                            Deadline(
                                programme_id=self._ids[code],
                                call_code=call.code,
                                kind=kind.name,
                                fires=kind.fires,
                                due_at=due,
                                time_zone=programme.time_zone,
                                rule=f"{code}#deadlines.{kind.name}",
                                created_at=self.clock.now(),
                            )
                        )

    def _load_programme_ids(self) -> None:
        with self.db.reading() as session:
            rows = session.exec(select(Programme)).all()
        self._codes = {p.id: p.code for p in rows if p.code in self.catalogue.programmes}  # type: ignore[misc]
        self._ids = {code: pid for pid, code in self._codes.items()}

    def programme_id(self, code: str) -> int:
        return self._ids.get(code, -1)

    def programme_code(self, programme_id: int | None) -> str:
        """The programme's code; "" for what belongs to no programme (the service's own jobs)."""
        if programme_id is None:
            return ""
        if programme_id not in self._codes:
            self._load_programme_ids()
        return self._codes[programme_id]

    # -- reading ---------------------------------------------------------------------------

    def get(self, actor: Actor, case_id: int) -> CasePublic:
        with self.db.reading() as session:
            return self._public(session, self._visible_case(session, actor, case_id))

    def as_of(self, actor: Actor, case_id: int, when: dt.datetime | dt.date) -> CasePublic:
        """The case as it stood at `when`, rebuilt from its audit events alone.

        A date means the end of that day, and a time without an offset is read, in the
        programme's time zone: "as of 31 December" is what an auditor asks for.
        """
        with self.db.reading() as session:
            case = self._visible_case(session, actor, case_id)
            programme = self.catalogue.programme(self.programme_code(case.programme_id))
            at = resolve_instant(when, programme.zone if programme else dt.UTC)
            events = session.exec(
                select(AuditEvent)
                .where(AuditEvent.case_id == case_id, AuditEvent.at <= at)
                .where(AuditEvent.kind.in_([EventKind.created, EventKind.transition]))  # type: ignore[attr-defined]
                .order_by(AuditEvent.seq)  # type: ignore[arg-type]
            ).all()
        if not events:
            raise NotFound(f"case {case_id} did not exist at {at.isoformat()}", case_id=case_id)
        view: dict[str, Any] = {}
        for event in events:
            body = json.loads(event.payload)
            view.update(body["changes"])
            view.update(state=body["to_state"], version=body["case_version"], updated_at=body["at"])
            if event.kind == EventKind.created:
                view["created_at"] = body["at"]
        view.update(id=case.id, reference=self.reference(case), as_of=at)
        return CasePublic.model_validate(view)

    def history(
        self, actor: Actor, case_id: int, include_refusals: bool = False
    ) -> list[EventPublic]:
        with self.db.reading() as session:
            self._visible_case(session, actor, case_id)
            query = select(AuditEvent).where(AuditEvent.case_id == case_id)
            if not include_refusals:
                query = query.where(AuditEvent.kind != EventKind.refusal)
            events = session.exec(query.order_by(AuditEvent.seq)).all()  # type: ignore[arg-type]
        return [event_public(e) for e in events]

    def list(
        self,
        actor: Actor,
        where: CaseFilter,
        page: int,
        page_size: int,
        sort: str = "id",
        descending: bool = True,
    ) -> CasePage:
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        page = max(1, page)
        query = self._filtered(select(Case), actor, where)
        column = SORTABLE.get(sort, Case.id)
        order = [
            column.desc() if descending else column.asc(),
            Case.id.desc() if descending else Case.id.asc(),
        ]  # type: ignore[union-attr]
        with self.db.reading() as session:
            total = session.exec(select(func.count()).select_from(query.subquery())).one()
            rows = session.exec(
                query.order_by(*order).offset((page - 1) * page_size).limit(page_size)
            ).all()
            parties = _parties_of(session, [c.id for c in rows])  # type: ignore[misc]
            items = [self._public(session, c, parties.get(c.id, [])) for c in rows]  # type: ignore[arg-type]
        return CasePage(items=items, page=page, page_size=page_size, total=total)

    def count_by_state(self, actor: Actor, where: CaseFilter) -> dict[str, int]:
        """How many visible cases are in each state (the `state` filter itself left out)."""
        query = self._filtered(
            select(Case.state, func.count()), actor, dataclasses.replace(where, state=None)
        )
        with self.db.reading() as session:
            return dict(session.exec(query.group_by(Case.state)).all())  # type: ignore[arg-type]

    def _filtered(self, query: Any, actor: Actor, where: CaseFilter) -> Any:
        if where.programme is not None:
            query = query.where(Case.programme_id == self._ids.get(where.programme, -1))
        if where.state is not None:
            query = query.where(Case.state == where.state)
        if where.organisation_id is not None:
            query = query.where(Case.organisation_id == where.organisation_id)
        if where.needs_states is not None:
            needs = Case.state.in_(where.needs_states)  # type: ignore[attr-defined]
            if where.overdue_at is not None:
                overdue = exists().where(
                    Deadline.case_id == Case.id,
                    Deadline.status == "pending",
                    Deadline.due_at <= where.overdue_at,
                )
                needs = or_(needs, overdue)
            query = query.where(needs)
        if actor.role is Role.applicant:
            query = query.where(_party_of(actor.organisation_id))
        return query

    # -- writing ---------------------------------------------------------------------------

    def create(self, actor: Actor, new: NewCase, idempotency_key: str | None = None) -> CasePublic:
        if actor.role not in CREATE_ROLES:
            raise Forbidden(f"a {actor.role} may not create cases")
        programme = self.catalogue.programme(new.programme)
        if programme is None or new.programme not in self._ids:
            raise InvalidRequest(f"there is no programme {new.programme!r}", field="programme")
        lead = new.organisation_id
        if actor.role is Role.applicant:
            if lead not in (None, actor.organisation_id):
                raise Forbidden("an applicant applies for its own organisation only")
            lead = actor.organisation_id
        if lead is None:
            raise InvalidRequest(
                "organisation_id is required: who is the lead applicant?", field="organisation_id"
            )
        partners = list(dict.fromkeys(p for p in new.partner_ids if p != lead))

        def create_in(session: Session) -> CasePublic:
            known = set(
                session.exec(
                    select(Organisation.id).where(Organisation.id.in_([lead, *partners]))
                ).all()
            )  # type: ignore[union-attr]
            missing = sorted({lead, *partners} - known)
            if missing:
                raise InvalidRequest(f"no organisation with id {missing}", field="organisation_id")
            if new.agreement_id is not None and session.get(Agreement, new.agreement_id) is None:
                raise InvalidRequest(
                    f"no agreement with id {new.agreement_id}", field="agreement_id"
                )
            now = self.clock.now()
            call = programme.open_call(now)
            if programme.calls and call is None:
                raise CallClosed(_closed_detail(programme, now), **_calls_closed(programme, now))
            case = Case(
                programme_id=self._ids[new.programme],
                organisation_id=lead,
                title=new.title,
                state=programme.entry,
                version=1,
                call_code=call.code if call else None,
                agreement_id=new.agreement_id,
                created_at=now,
                updated_at=now,
            )
            session.add(case)
            session.flush()
            parties = [CaseParty(case_id=case.id, organisation_id=lead, is_lead=True)]  # type: ignore[arg-type]
            parties += [
                CaseParty(case_id=case.id, organisation_id=p, is_lead=False) for p in partners
            ]  # type: ignore[arg-type]
            session.add_all(parties)
            snapshot = creation_snapshot(self._public(session, case, parties))
            event = audit.append(
                session,
                kind=EventKind.created,
                actor=actor,
                now=now,
                case_id=case.id,
                to_state=case.state,
                case_version=case.version,
                changes=snapshot,
            )
            case.created_at = case.updated_at = event.at
            created = self.catalogue.engine.on_create(self._facts(session, case), actor, now)
            _store_records(session, case, created.records, actor, now)
            return self._public(session, case, parties)

        return self._idempotent(
            actor,
            idempotency_key,
            ("POST", "/cases", new.model_dump(mode="json")),
            CasePublic,
            create_in,
        )

    def fire(
        self,
        actor: Actor,
        case_id: int,
        name: str,
        body: Mapping[str, Any] | None,
        *,
        if_match: int | None = None,
        idempotency_key: str | None = None,
    ) -> TransitionResult:
        """Fire transition `name` on a case: the one way a case changes state."""
        fingerprint = ("POST", f"/cases/{case_id}/transitions/{name}", plain(body or {}), if_match)

        def work(session: Session) -> TransitionResult:
            fired = self.fire_in(session, actor, case_id, name, body, if_match=if_match)
            return TransitionResult(
                case=self._public(session, fired.case),
                transition=fired.firing.transition.name,
                from_state=fired.firing.from_state,
                to_state=fired.firing.to_state,
                event_seq=fired.event.seq,
            )

        try:
            return self._idempotent(
                actor,
                idempotency_key,
                fingerprint,
                TransitionResult,
                work,
                lock=lambda session: self._visible_case(session, actor, case_id, lock=True),
            )
        except AUDITED_REFUSALS as refused:
            self._record_refusal(actor, case_id, refused)
            raise

    def fire_in(
        self,
        session: Session,
        actor: Actor,
        case_id: int,
        name: str,
        body: Mapping[str, Any] | None,
        *,
        if_match: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Fired:
        """Fire inside the caller's transaction: the API's and the scheduler's one shared path."""
        case = self._visible_case(session, actor, case_id, lock=True)
        if if_match is not None and if_match != case.version:
            raise PreconditionFailed(
                f"you sent If-Match {if_match}, the case is at version {case.version}",
                current_version=case.version,
                state=case.state,
            )
        if not acts_on(actor, case.organisation_id):
            raise Forbidden("only the lead applicant acts on a joint application", case_id=case_id)
        now = self.clock.now()
        engine = self.catalogue.engine
        firing = engine.fire(self._facts(session, case, engine.needs(name)), name, actor, body, now)
        return self._apply(session, case, firing, actor, now, details)

    def _apply(
        self,
        session: Session,
        case: Case,
        firing: Firing,
        actor: Actor,
        now: dt.datetime,
        details: Mapping[str, Any] | None = None,
    ) -> Fired:
        for field, value in firing.changes.items():
            setattr(case, field, value)
        case.state = firing.to_state
        case.version += 1
        self._cancel_obsolete_deadlines(session, case, firing, now)
        _store_records(session, case, firing.records, actor, now)
        event = audit.append(
            session,
            kind=EventKind.transition,
            actor=actor,
            now=now,
            case_id=case.id,
            transition=firing.transition.name,
            from_state=firing.from_state,
            to_state=firing.to_state,
            case_version=case.version,
            inputs=firing.inputs,
            changes=firing.changes,
            reason=firing.inputs.get("reason"),
            details={**firing.explanation, **(details or {})},
        )
        case.updated_at = event.at
        session.add(case)
        return Fired(case, firing, event)

    def _cancel_obsolete_deadlines(
        self, session: Session, case: Case, firing: Firing, now: dt.datetime
    ) -> None:
        """Cancel the case's pending deadlines that mean nothing in its new state.

        Rows a scheduler holds are skipped rather than waited for (no lock cycle with a sweep that
        holds a deadline and waits for this case); that scheduler finds the deadline obsolete
        itself once it gets the case, and cancels it with the same kind of reason.
        """
        lifecycle = self.catalogue.lifecycle
        pending = session.exec(
            select(Deadline)
            .where(Deadline.case_id == case.id, Deadline.status == "pending")
            .with_for_update(skip_locked=True, key_share=True)
        ).all()
        for deadline in pending:
            kind = lifecycle.deadlines.get(deadline.kind)
            if kind is None or not lifecycle.deadline_applies(kind, case.state):
                deadline.status = "cancelled"
                deadline.fired_at = now
                deadline.outcome = (
                    f"no longer applies: {firing.transition.name} moved the case to {case.state}"
                )
                session.add(deadline)

    def _record_refusal(self, actor: Actor, case_id: int, refused: TransitionRefused) -> None:
        with self.db.writing() as session:
            audit.append(
                session,
                kind=EventKind.refusal,
                actor=actor,
                now=self.clock.now(),
                case_id=case_id,
                transition=refused.transition,
                from_state=refused.state,
                reason=refused.detail,
                details={"problem": refused.problem, "status": refused.status},
            )

    def _idempotent(
        self,
        actor: Actor,
        key: str | None,
        fingerprint: Any,
        shape: type[Result],
        work: Callable[[Session], Result],
        lock: Callable[[Session], object] | None = None,
    ) -> Result:
        """Run `work` in one write transaction; with a key, a retry gets the first answer back.

        The record is written in the same transaction as the change, so there is never a change
        without its record or a record without its change. `lock` takes the row the work will
        change before the record is looked up, so a retry racing its first attempt waits for it
        and then finds its answer. Two first attempts on different rows meet at the unique
        constraint; the loser reads the winner's answer.
        """
        if key is None:
            with self.db.writing() as session:
                return work(session)
        if not 1 <= len(key) <= 255:
            raise InvalidRequest(
                "Idempotency-Key must be 1 to 255 characters", field="Idempotency-Key"
            )
        digest = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()
        for _attempt in range(2):
            try:
                with self.db.writing() as session:
                    if lock is not None:
                        lock(session)
                    replay = _replay(session, actor, key, digest, shape)
                    if replay is not None:
                        return replay
                    result = work(session)
                    session.add(
                        IdempotencyRecord(
                            user_id=actor.user_id,  # type: ignore[arg-type]
                            key=key,
                            fingerprint=digest,
                            status_code=200,
                            response_body=result.model_dump_json(),
                            created_at=self.clock.now(),
                        )
                    )
                    session.flush()
                    return result
            except IntegrityError:
                # Another request with this key committed first; the next attempt replays its
                # answer. Any other integrity error is not ours to hide.
                with self.db.reading() as session:
                    if _replay_exists(session, actor, key):
                        continue
                raise
        raise IdempotencyKeyReused("the key is in use by a request still in progress", key=key)

    # -- helpers ---------------------------------------------------------------------------

    def _visible_case(
        self, session: Session, actor: Actor, case_id: int, lock: bool = False
    ) -> Case:
        """The case, if this actor may see it; applicants see their organisation's cases only,
        and anything else is "not found" so they cannot learn which cases exist."""
        query = select(Case).where(Case.id == case_id)
        if lock:
            # FOR NO KEY UPDATE: we never change a key, and unlike FOR UPDATE it does not block
            # other transactions' foreign-key checks on this row (which would deadlock with the
            # audit head's lock). The same for every row lock here.
            query = query.with_for_update(key_share=True)
        case = session.exec(query).first()
        if case is not None and actor.role is Role.applicant:
            visible = session.exec(
                select(_party_of(actor.organisation_id).where(Case.id == case_id))
            ).one()
            case = case if visible else None
        if case is None:
            raise NotFound(f"there is no case {case_id}", case_id=case_id)
        return case

    def _facts(
        self, session: Session, case: Case, needs: frozenset[str] = frozenset()
    ) -> CaseFacts:
        """What the rules know of a case: its columns always, and what a transition `needs` of
        the rest (so a transition that checks no pool neither reads nor locks it)."""
        programme = self.catalogue.programme(self.programme_code(case.programme_id))
        assert programme is not None
        extra: dict[str, Any] = {}
        if "pending_decision" in needs and (p := _pending_decision(session, case.id)) is not None:  # type: ignore[arg-type]
            extra["pending_decision"] = PendingDecision(
                p.amount, p.period_start, p.period_end, p.conditions, p.proposed_by
            )
        if "parties" in needs:
            rows = session.exec(
                select(CaseParty, Organisation.kind)
                .join(Organisation, Organisation.id == CaseParty.organisation_id)  # type: ignore[arg-type]
                .where(CaseParty.case_id == case.id)
            ).all()
            extra["parties"] = tuple(
                PartyFacts(p.organisation_id, kind, p.is_lead) for p, kind in rows
            )
        if "agreement" in needs and case.agreement_id is not None:
            extra["agreement"] = _agreement_facts(session, case.agreement_id)
        if "pool" in needs:
            # Locked: two decisions racing for the last of a pool are taken one after the other.
            row = session.exec(
                select(Programme)
                .where(Programme.id == case.programme_id)
                .with_for_update(key_share=True)
            ).one()
            extra["pool"] = PoolFacts(committed=row.committed)
        if "budget" in needs:
            lines = session.exec(select(BudgetLine).where(BudgetLine.case_id == case.id)).all()
            extra["budget_lines"] = tuple(
                CostLine(line=b.line, category=b.category, amount=b.amount) for b in lines
            )
        return CaseFacts(
            id=case.id,  # type: ignore[arg-type]
            programme=programme,
            state=case.state,
            version=case.version,
            organisation_id=case.organisation_id,
            call=programme.call(case.call_code),
            **extra,
            **{f: getattr(case, f) for f in CASE_FACT_FIELDS},
        )

    def reference(self, case: Case) -> str:
        programme = self.catalogue.programme(self.programme_code(case.programme_id))
        return f"{programme.reference_prefix if programme else 'CASE'}-{case.id:05d}"

    def _public(
        self, session: Session, case: Case, parties: list[CaseParty] | None = None
    ) -> CasePublic:
        if parties is None:
            parties = _parties_of(session, [case.id]).get(case.id, [])  # type: ignore[list-item, arg-type]
        code = self.programme_code(case.programme_id)
        programme = self.catalogue.programme(code)
        return CasePublic(
            id=case.id,  # type: ignore[arg-type]
            reference=self.reference(case),
            programme=code,
            title=case.title,
            organisation_id=case.organisation_id,
            parties=[
                Party(organisation_id=p.organisation_id, is_lead=p.is_lead)
                for p in _lead_first(parties)
            ],
            state=case.state,
            version=case.version,
            call=case.call_code,
            currency=programme.currency if programme else "",
            created_at=case.created_at,
            updated_at=case.updated_at,
            agreement_id=case.agreement_id,
            **{f: getattr(case, f) for f in CASE_FACT_FIELDS},
        )


SYSTEM_LOADER = Actor(user_id=None, name="system", role=Role.system)


# What a case's first event records of it: everything but what the event itself says (its state
# and version) or what is derived (its id, reference, times).
NOT_IN_SNAPSHOT = {"id", "reference", "state", "version", "created_at", "updated_at", "as_of"}


def creation_snapshot(case: CasePublic) -> dict[str, Any]:
    return case.model_dump(mode="json", exclude=NOT_IN_SNAPSHOT)


def event_public(event: AuditEvent) -> EventPublic:
    body = json.loads(event.payload)
    body.update(hash=event.hash, at=event.at)
    return EventPublic.model_validate(body)


def _closed_detail(programme: Any, now: dt.datetime) -> str:
    closed = [
        f"call {c.code} closed {c.application_deadline.strftime('%d-%m-%Y %H:%M')}"
        for c in programme.calls
        if c.application_deadline is not None
        and now >= c.application_deadline.replace(tzinfo=programme.zone)
    ]
    said = "; ".join(closed) or "no call is open yet"
    return f"{programme.title()} takes no applications now: {said} ({programme.time_zone})"


def _calls_closed(programme: Any, now: dt.datetime) -> dict[str, Any]:
    """What a refused applicant needs to know: when each call closed (or opens), in local time."""
    calls = []
    for call in programme.calls:
        entry: dict[str, Any] = {"call": call.code}
        if call.opens is not None:
            entry["opens"] = call.opens.replace(tzinfo=programme.zone).isoformat()
        if call.application_deadline is not None:
            entry["deadline"] = call.application_deadline.replace(tzinfo=programme.zone).isoformat()
        calls.append(entry)
    return {"calls": calls, "time_zone": programme.time_zone, "now": plain(now)}


def resolve_instant(when: dt.datetime | dt.date, zone: dt.tzinfo) -> dt.datetime:
    """A date as the end of that day, a time without offset as local time, both in `zone`."""
    try:
        if not isinstance(when, dt.datetime):
            next_day = dt.datetime.combine(when + dt.timedelta(days=1), dt.time(), tzinfo=zone)
            return (next_day - dt.timedelta(microseconds=1)).astimezone(dt.UTC)
        if when.tzinfo is None:
            when = when.replace(tzinfo=zone)
        return when.astimezone(dt.UTC)
    except OverflowError:  # the first or last day there is: as early or late as can be
        far = dt.datetime.max if when.year > 1 else dt.datetime.min
        return far.replace(tzinfo=dt.UTC)


def acts_on(actor: Actor, lead_organisation_id: int) -> bool:
    """Whether `actor` may fire transitions on a case led by that organisation: staff on any
    case, an applicant only where its organisation is the lead (partners may read, not act)."""
    return actor.role is not Role.applicant or lead_organisation_id == actor.organisation_id


def _party_of(organisation_id: int | None) -> Any:
    return exists().where(
        CaseParty.case_id == Case.id, CaseParty.organisation_id == organisation_id
    )


def _parties_of(session: Session, case_ids: list[int]) -> dict[int, list[CaseParty]]:
    found: dict[int, list[CaseParty]] = {}
    if case_ids:
        for party in session.exec(select(CaseParty).where(CaseParty.case_id.in_(case_ids))).all():  # type: ignore[attr-defined]
            found.setdefault(party.case_id, []).append(party)
    return found


def _lead_first(parties: list[CaseParty]) -> list[CaseParty]:
    return sorted(parties, key=lambda p: (not p.is_lead, p.organisation_id))


def _agreement_facts(session: Session, agreement_id: int) -> AgreementFacts | None:
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        return None
    parties = session.exec(
        select(AgreementParty.organisation_id).where(AgreementParty.agreement_id == agreement_id)
    ).all()
    return AgreementFacts(
        id=agreement_id,
        title=agreement.title,
        valid_from=agreement.valid_from,
        valid_to=agreement.valid_to,
        party_ids=frozenset(parties),
        local_tracks=len(json.loads(agreement.local_tracks)),
    )


def _pending_decision(session: Session, case_id: int) -> Decision | None:
    return session.exec(
        select(Decision).where(Decision.case_id == case_id, Decision.status == "proposed")
    ).first()


def _replay(
    session: Session, actor: Actor, key: str, digest: str, shape: type[Result]
) -> Result | None:
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == actor.user_id, IdempotencyRecord.key == key
        )
    ).first()
    if record is None:
        return None
    if record.fingerprint != digest:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was first used for a different request; nothing was changed",
            key=key,
        )
    return shape.model_validate_json(record.response_body)


def _replay_exists(session: Session, actor: Actor, key: str) -> bool:
    query = select(IdempotencyRecord.id).where(
        IdempotencyRecord.user_id == actor.user_id, IdempotencyRecord.key == key
    )
    return session.exec(query).first() is not None


def _store_records(
    session: Session, case: Case, records: list[Record], actor: Actor, now: dt.datetime
) -> None:
    """Persist what the effects asked for beside the case's own columns."""
    decision = None
    for record in records:
        if isinstance(record, DeadlineScheduled):
            session.add(
                Deadline(
                    case_id=case.id,
                    programme_id=case.programme_id,
                    call_code=case.call_code,
                    kind=record.kind,
                    fires=record.fires,
                    due_at=record.due_at,
                    time_zone=record.time_zone,
                    rule=record.rule,
                    created_at=now,
                )
            )
        elif isinstance(record, DecisionProposed):
            session.add(
                Decision(
                    case_id=case.id,  # type: ignore[arg-type]
                    status="proposed",
                    amount=record.amount,
                    period_start=record.period_start,
                    period_end=record.period_end,
                    conditions=record.conditions,
                    proposed_by=actor.user_id,
                    proposed_at=now,
                )
            )
        elif isinstance(record, DecisionConfirmed | DecisionWithdrawn):
            decision = _pending_decision(session, case.id)  # type: ignore[arg-type]
            if decision is None:
                continue
            decision.settled_by, decision.settled_at = actor.user_id, now
            if isinstance(record, DecisionConfirmed):
                decision.status = "confirmed"
                programme = session.get(Programme, case.programme_id)
                assert programme is not None
                programme.committed += decision.amount
                session.add(programme)
            else:
                decision.status, decision.withdrawn_reason = "withdrawn", record.reason
            session.add(decision)
        elif isinstance(record, CommitmentsMade):
            assert decision is not None, "commitments follow the decision they split"
            session.flush()  # the decision's id
            session.add_all(
                Commitment(
                    case_id=case.id, decision_id=decision.id, fiscal_year=year, amount=amount
                )  # type: ignore[arg-type]
                for year, amount in record.by_year
            )
        elif isinstance(record, Disbursed):
            session.add(
                Disbursement(case_id=case.id, amount=record.amount, kind=record.kind, paid_at=now)
            )  # type: ignore[arg-type]
        elif isinstance(record, BudgetRecorded):
            for old in session.exec(select(BudgetLine).where(BudgetLine.case_id == case.id)).all():
                session.delete(old)  # a new application brings a new budget
            session.add_all(
                BudgetLine(case_id=case.id, line=b.line, category=b.category, amount=b.amount)  # type: ignore[arg-type]
                for b in record.lines
            )
        elif isinstance(record, ReportAssessed):
            previous = session.exec(
                select(func.max(ReportLine.report_no)).where(ReportLine.case_id == case.id)
            ).one()
            session.add_all(
                ReportLine(
                    case_id=case.id,  # type: ignore[arg-type]
                    report_no=(previous or 0) + 1,
                    line=a.line,
                    category=a.category,
                    amount=a.amount,
                    eligible=a.eligible,
                    reason=a.reason,
                )
                for a in record.lines
            )
