"""The app's routes and a well-formed request to each, with the things they are asked about:
for the tests that walk every route (the access policy, personal data after erasure)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute
from sqlmodel import select

from services.access import add_user, create_token
from services.programme_proposals import ProgrammeProposals, ProposalRequest
from services.storage.amendments import Amendment
from services.storage.keeping import Deadline, Incident
from services.storage.models import Decision, WebSession
from services.storage.outbox import Mail
from services.storage.privacy import ErasureProposal, LegalHold
from tests.support import Api, tables
from workflow.actors import Actor, Role


def routes(app) -> Iterator[APIRoute]:  # type: ignore[no-untyped-def]
    """Every route of the app, however the routers were included."""

    def walk(found: list[Any]) -> Iterator[APIRoute]:
        for route in found:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)

    yield from walk(app.router.routes)


@dataclass
class Sample:
    """The things the routes are asked about: a joint case knivsta leads and heby is party to."""

    case: int
    attachment: int
    agreement: int
    incident: int
    user: int
    token: int
    orgs: dict[str, int]
    mail: int


def make_sample(api: Api, app) -> Sample:  # type: ignore[no-untyped-def]
    orgs = api.people.org_ids
    case = api.create_case("knivsta", "delmos-2018", "Joint", partner_ids=[orgs["heby"]])
    attachment = api.post(
        "knivsta", f"/cases/{case['id']}/attachments", files={"file": ("a.pdf", b"%PDF a")}
    ).json()["id"]
    agreement = api.post(
        "caseworker",
        "/agreements",
        json={
            "title": "K och H",
            "party_ids": [orgs["knivsta"], orgs["heby"]],
            "valid_from": "2020-01-01",
        },
    ).json()["id"]
    services = app.state.services
    incident = held_deadline_incident(app, case["id"])
    with services.units.writing() as uow:
        spare = add_user(uow, services.clock, "spare user", Role.caseworker)
        create_token(uow, services.clock, spare)
        token = uow.people.tokens_of(spare.id)[0].id
        uow.commit()
    mail = dead_mail(app, case["id"])
    return Sample(case["id"], attachment, agreement, incident, spare.id, token, orgs, mail)


def dead_mail(app, case_id: int) -> int:  # type: ignore[no-untyped-def]
    """A message the sender gave up on, waiting for a person's word."""
    services = app.state.services
    now = services.clock.now()
    with services.units.writing() as uow:
        mail = uow.mail.add(
            Mail(
                case_id=case_id, about="invite", category="decision", to_address="a@example.se",
                language="sv", subject="s", text_body="t", html_body="h", status="dead",
                attempts=6, created_at=now,
            )
        )  # fmt: skip
        uow.commit()
        assert mail.id is not None
        return mail.id


DELMOS = Path(__file__).resolve().parent.parent / "config" / "programmes" / "delmos-2018.toml"
_edits = itertools.count(1)
SOURCE = 'source = "agency practice: final report two months after the period"'


def delmos_changed() -> str:
    """The Delmos file with a rule's source worded as no version has had it yet."""
    text = DELMOS.read_text(encoding="utf-8")
    return text.replace(SOURCE, f'{SOURCE[:-1]}, reworded {next(_edits)}"', 1)


def fresh_proposal(app) -> int:  # type: ignore[no-untyped-def]
    """A proposal by an administrator other than the one the walk signs in as."""
    services = app.state.services
    other = Actor(None, "another admin", Role.admin)
    request = ProposalRequest(content=delmos_changed(), reason="walk")
    with services.units.writing() as uow:
        made = ProgrammeProposals(services.changes, services.clock).propose(
            uow, other, "delmos-2018", request
        )
        uow.commit()
    return made.id


def held_deadline_incident(app, case_id: int) -> int:  # type: ignore[no-untyped-def]
    """An open incident of a deadline that failed too often and waits for a person."""
    services = app.state.services
    now = services.clock.now()
    with services.units.writing() as uow:
        deadline = Deadline(
            case_id=case_id, kind="period_end", fires="end_period", due_at=now,
            time_zone="UTC", rule="test", status="held", attempts=5, created_at=now,
        )  # fmt: skip
        uow.deadlines.save(deadline)
        uow.session.flush()
        incident = uow.incidents.save(
            Incident(
                kind="deadline",
                subject=f"deadline:{deadline.id}",
                deadline_id=deadline.id,
                case_id=case_id,
                error="test",
                first_seen=now,
                last_seen=now,
            )
        )
        uow.commit()
        assert incident.id is not None
        return incident.id


def fresh_erasure(app, user_id: int) -> int:
    """An erasure proposal waiting for a decision (on a user still active: approving it is
    refused, so the walk erases no one)."""
    services = app.state.services
    with services.units.writing() as uow:
        proposal = ErasureProposal(
            user_id=user_id, status="proposed", grounds="walk", proposed_at=services.clock.now()
        )
        uow.privacy.save(proposal)
        uow.commit()
        return proposal.id


def fresh_hold(app, user_id: int) -> int:
    services = app.state.services
    with services.units.writing() as uow:
        hold = LegalHold(user_id=user_id, reason="walk", placed_at=services.clock.now())
        uow.privacy.save(hold)
        uow.commit()
        return hold.id


def fresh_amendment(app, case_id: int, status: str) -> int:
    """A change request waiting for its assessment or decision, on a decision of the sample case."""
    services = app.state.services
    now = services.clock.now()
    with services.units.writing() as uow:
        decision = Decision(
            case_id=case_id, status="confirmed", amount=Decimal("1000"),
            period_start=dt.date(2018, 1, 1), period_end=dt.date(2018, 12, 31), proposed_at=now,
        )  # fmt: skip
        uow.amendments.save(decision)
        row = Amendment(
            case_id=case_id, decision_id=decision.id, kind="extension",
            request='{"kind": "extension", "period_end": "2019-06-30"}',
            status=status, requested_at=now,
        )  # fmt: skip
        uow.amendments.save(row)
        uow.commit()
        return row.id


def request_for(route: APIRoute, method: str, sample: Sample, api: Api, who: str) -> dict[str, Any]:
    """A well-formed request to `route`: real ids, a body it accepts. POSTs that change a case
    get a case of their own, so one role's answer never depends on another's."""
    path, case, incident = route.path, sample.case, sample.incident
    if method == "POST" and "{incident_id}" in path:
        incident = held_deadline_incident(api.client.app, sample.case)  # type: ignore[attr-defined]
    if method in ("POST", "PUT") and "{case_id}" in path:
        # A checklist is answered on a programme that declares one (Finsam Falun's).
        programme = "finsam-falun-2018" if "/checklist/" in path else "delmos-2018"
        case = api.create_case("knivsta", programme, "Joint", partner_ids=[sample.orgs["heby"]])[
            "id"
        ]
    proposal = fresh_proposal(api.client.app) if "{proposal_id}" in path else 0  # type: ignore[attr-defined]
    erasure = fresh_erasure(api.client.app, sample.user) if "{erasure_id}" in path else 0  # type: ignore[attr-defined]
    hold = fresh_hold(api.client.app, sample.user) if "{hold_id}" in path else 0  # type: ignore[attr-defined]
    amendment = (
        fresh_amendment(
            api.client.app, sample.case, "assessed" if path.endswith("decide") else "requested"
        )
        if "{amendment_id}" in path
        else 0
    )  # type: ignore[attr-defined]
    mail = sample.mail
    if method == "POST" and "{mail_id}" in path:
        mail = dead_mail(api.client.app, sample.case)  # type: ignore[attr-defined]
    values = {
        "proposal_id": proposal,
        "erasure_id": erasure,
        "hold_id": hold,
        "amendment_id": amendment,
        "mail_id": mail,
        "word": "cancel",
        "key": "local_tracks",
        "case_id": case,
        "name": "invite",
        "attachment_id": sample.attachment,
        "agreement_id": sample.agreement,
        "incident_id": incident,
        "user_id": sample.user,
        "token_id": sample.token,
        "programme": (
            "star-flere-skal-med-2017"
            if "calls" in path
            else "dua-2021"
            if path.endswith("/retire")
            else "delmos-2018"
        ),
        "call": "2017",
        "code": "delmos-2018",
        "slug": "not-found",
        "organisation_id": sample.orgs["heby"],
        "number": 1,
        "other": 1,
    }
    kw: dict[str, Any] = {"url": path.format(**values)}
    if path.endswith("/snapshot"):
        kw["params"] = {"as_of": "2030-01-01"}
    if "/accounting." in path:
        kw["params"] = {"from": "2018-01-01", "to": "2018-12-31"}
    if path == "/audit/proofs/inclusion":
        kw["params"] = {"seq": 1}
    if path == "/audit/proofs/consistency":
        kw["params"] = {"first": 1}
    if method in ("POST", "PATCH", "PUT"):
        later = (dt.datetime(2030, 1, 1, tzinfo=dt.UTC)).isoformat()
        kw["json"] = {
            "/cases": {"programme": "delmos-2018", "title": "New", "organisation_id": sample.orgs["knivsta"]},
            "/organisations": {"name": f"Org {who}", "kind": "municipality", "country": "SE"},
            "/agreements": {"title": "A", "party_ids": [sample.orgs["tierp"]], "valid_from": "2020-01-01"},
            "/programmes/{programme}/calls/{call}/allocation": {"period_start": "2018-01-01", "period_end": "2018-12-31"},
            "/incidents/{incident_id}/retry": {"reason": "again"},
            "/incidents/{incident_id}/cancel": {"reason": "never"},
            "/incidents/{incident_id}/move": {"reason": "later", "due_at": later},
            "/programmes/{programme}/retire": {"reason": "wound down"},
            "/programmes/{programme}/proposals": {"content": delmos_changed(), "reason": "walk"},
            "/programmes/{programme}/extensions": {"kind": "final_report", "to": later, "reason": "portal down"},
            "/cases/{case_id}/transitions/{name}": {},
            "/cases/{case_id}/checklist/{key}": {"answer": ["A", "B", "C"], "note": "walk"},
            "/ui/cases/{case_id}/checklist/{key}": {"answer": "A\nB\nC", "note": "walk"},
            "/cases/{case_id}/tranches/{number}/payments": {"amount": "1", "paid_on": "2019-02-01"},
            "/ui/incidents/{incident_id}": {"action": "retry", "reason": "again"},
            "/ui/mail": {"email": "", "language": "sv", "digest": "1"},
            "/ui/privacy": {"action": "hold", "on": "user", "id": str(sample.user), "reason": "walk"},
            "/mail/{mail_id}/{word}": {"reason": "walk"},
            "/organisations/{organisation_id}/contact": {"language": "sv"},
            "/users/{user_id}/mail": {"digest": True},
            "/me/mail": {"reminders": True},
            "/users/{user_id}/erasure": {"reason": "asked to be forgotten"},
            "/privacy/erasure-proposals/{erasure_id}/approve": {"reason": "retention ended"},
            "/privacy/erasure-proposals/{erasure_id}/refuse": {"reason": "still needed"},
            "/privacy/legal-holds": {"user_id": sample.user, "reason": "a dispute"},
            "/privacy/legal-holds/{hold_id}/lift": {"reason": "settled"},
            "/cases/{case_id}/amendments": {"kind": "contact", "email": "a@b.example", "reason": "new"},
            "/amendments/{amendment_id}/assess": {"recommendation": "approve", "note": "fine"},
            "/amendments/{amendment_id}/decide": {"approve": False, "reason": "walk"},
            "/ui/cases/{case_id}/amendments": {"kind": "contact", "email": "a@b.example", "reason": "new"},
            "/ui/amendments/{amendment_id}/assess": {"case_id": str(case), "recommendation": "approve", "note": "fine"},
            "/ui/amendments/{amendment_id}/decide": {"case_id": str(case), "action": "refuse", "reason": "walk"},
        }.get(route.path)  # fmt: skip
        if route.path.endswith("/attachments"):
            kw = {"url": kw["url"], "files": {"file": ("b.pdf", b"%PDF b")}}
    return kw


def signed_in(api: Api, who: str) -> tuple[str, str]:
    """A browser session for `who`: (the session cookie, its CSRF token)."""
    api.client.cookies.clear()
    api.client.get("/ui/signin")
    api.client.post(
        "/ui/signin",
        data={"token": api.people.tokens[who], "csrf": api.client.cookies.get("gf_login_csrf")},
        follow_redirects=False,
    )
    session_id = api.client.cookies.get("gf_session")
    assert session_id, who
    with tables(api.client.app) as session:  # type: ignore[attr-defined]
        row = session.exec(select(WebSession).where(WebSession.id == session_id)).one()
    return session_id, row.csrf_token
