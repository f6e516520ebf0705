"""Test helpers: the people of a small agency and its applicants, and an API client that speaks for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, insert, text
from sqlmodel import Session, select

from services import audit
from services.access import add_user, create_token
from services.storage.audit_encoding import pack, unpack
from services.storage.keeping import Deadline
from services.storage.models import Case, CaseParty, Organisation, Programme
from services.storage.unit_of_work import UnitsOfWork
from workflow.actors import Role
from workflow.clock import Clock

ORGANISATIONS = {
    "knivsta": ("Knivsta kommun", "municipality", "SE"),
    "heby": ("Heby kommun", "municipality", "SE"),
    "tierp": ("Tierps kommun", "municipality", "SE"),
    "aarhus": ("Aarhus Kommune", "municipality", "DK"),
    "odense": ("Odense Kommune", "municipality", "DK"),
}

# who -> (role, organisation key)
USERS = {
    "caseworker": (Role.caseworker, None),
    "caseworker2": (Role.caseworker, None),
    "approver": (Role.approver, None),
    "approver2": (Role.approver, None),
    "auditor": (Role.auditor, None),
    "admin": (Role.admin, None),
    "knivsta": (Role.applicant, "knivsta"),
    "heby": (Role.applicant, "heby"),
    "aarhus": (Role.applicant, "aarhus"),
    "odense": (Role.applicant, "odense"),
}


@contextmanager
def tables(app, write: bool = False) -> Iterator[Session]:
    """A test's own look at the tables (or write to them, committed at the end)."""
    units: UnitsOfWork = app.state.services.units
    with units.writing() if write else units.reading() as uow:
        yield uow.session
        if write:
            uow.commit()


def chain_of(app) -> audit.Verification:
    """The whole audit chain, verified."""
    with app.state.services.units.reading() as uow:
        return audit.verify(uow)


@dataclass
class People:
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    org_ids: dict[str, int] = field(default_factory=dict)


def add_user_with_token(app, clock: Clock, api: Api, name: str, role: Role) -> str:
    """One more person (a second administrator, say), known to `api` by `name`."""
    with app.state.services.units.writing() as uow:
        user = add_user(uow, clock, name, role, None)
        api.people.tokens[name] = create_token(uow, clock, user, label="test")
        api.people.user_ids[name] = user.id  # type: ignore[assignment]
        uow.commit()
    return name


def add_people(units: UnitsOfWork, clock: Clock) -> People:
    people = People()
    with units.writing() as uow:
        for key, (name, kind, country) in ORGANISATIONS.items():
            org = uow.organisations.add(Organisation(name=name, kind=kind, country=country))
            people.org_ids[key] = org.id  # type: ignore[assignment]
        for who, (role, org_key) in USERS.items():
            user = add_user(
                uow, clock, f"{who} user", role, people.org_ids[org_key] if org_key else None
            )
            people.user_ids[who] = user.id  # type: ignore[assignment]
            people.tokens[who] = create_token(uow, clock, user, label="test")
        uow.commit()
    return people


class Api:
    """Calls the API as a named person: api.post("caseworker", "/cases", json=...)."""

    def __init__(self, client: TestClient | httpx.Client, people: People) -> None:
        self.client = client
        self.people = people

    def headers(self, who: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.people.tokens[who]}", **(extra or {})}

    def get(self, who: str, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers(who, kw.pop("headers", None)), **kw)

    def post(self, who: str, path: str, **kw: Any) -> httpx.Response:
        return self.client.post(path, headers=self.headers(who, kw.pop("headers", None)), **kw)

    def patch(self, who: str, path: str, **kw: Any) -> httpx.Response:
        return self.client.patch(path, headers=self.headers(who, kw.pop("headers", None)), **kw)

    def create_case(
        self, who: str, programme: str, title: str = "A case", **fields: Any
    ) -> dict[str, Any]:
        response = self.post(who, "/cases", json={"programme": programme, "title": title, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def confirm_partner(self, who: str, case_id: int, organisation_id: int) -> dict[str, Any]:
        """`who` confirms that `organisation_id` applies jointly on the case; must succeed."""
        response = self.post(who, f"/cases/{case_id}/partners/{organisation_id}/confirm")
        assert response.status_code == 200, response.text
        return response.json()

    def fire(
        self,
        who: str,
        case_id: int,
        name: str,
        headers: dict[str, str] | None = None,
        **inputs: Any,
    ) -> httpx.Response:
        return self.post(who, f"/cases/{case_id}/transitions/{name}", json=inputs, headers=headers)

    def move(self, who: str, case_id: int, name: str, **inputs: Any) -> dict[str, Any]:
        """Fire a transition that must succeed; returns the case after it."""
        response = self.fire(who, case_id, name, **inputs)
        assert response.status_code == 200, f"{name}: {response.status_code} {response.text}"
        return response.json()["case"]

    def history(self, who: str, case_id: int, refusals: bool = False) -> list[dict[str, Any]]:
        response = self.get(who, f"/cases/{case_id}/history", params={"include_refusals": refusals})
        assert response.status_code == 200, response.text
        return response.json()


def seed_granted_cases(
    units: UnitsOfWork, count: int, programme: str, due_at: dt.datetime
) -> list[int]:
    """`count` granted cases whose grant period ends at `due_at`, each with its pending
    `period_end` deadline: written straight to the tables, because making 10 000 through the
    API would take minutes and test nothing these tests are about."""
    with units.writing() as uow:
        session = uow.session
        programme_id = session.exec(select(Programme.id).where(Programme.code == programme)).one()
        org = Organisation(name=f"Seed kommun {count}", kind="municipality", country="SE")
        session.add(org)
        session.flush()
        now = due_at - dt.timedelta(days=400)
        first = session.exec(select(func.coalesce(func.max(Case.id), 0))).one() + 1
        ids = list(range(first, first + count))
        session.execute(
            insert(Case),
            [
                {
                    "id": i,
                    "programme_id": programme_id,
                    "organisation_id": org.id,
                    "title": f"Seeded case {i}",
                    "state": "implementation_granted",
                    "version": 1,
                    "granted_amount": Decimal("100000"),
                    "disbursed_amount": Decimal("100000"),
                    "period_start": (due_at - dt.timedelta(days=365)).date(),
                    "period_end": due_at.date(),
                    "created_at": now,
                    "updated_at": now,
                }
                for i in ids
            ],
        )
        session.execute(
            insert(CaseParty),
            [{"case_id": i, "organisation_id": org.id, "is_lead": True} for i in ids],
        )
        session.execute(
            insert(Deadline),
            [
                {
                    "case_id": i,
                    "programme_id": programme_id,
                    "kind": "period_end",
                    "fires": "end_period",
                    "due_at": due_at,
                    "time_zone": "Europe/Stockholm",
                    "rule": f"{programme}#deadlines.period_end",
                    "status": "pending",
                    "created_at": now,
                }
                for i in ids
            ],
        )
        uow.commit()
    return ids


def stored_payload(conn: Connection, seq: int) -> str:
    """Event `seq`'s payload as stored, unpacked (the table keeps it packed, migration 0025)."""
    query = text("SELECT payload FROM audit_event WHERE seq = :s")
    return unpack(conn.execute(query, {"s": seq}).scalar_one())


def edit_stored_payload(conn: Connection, seq: int, change: Callable[[str], str]) -> None:
    """Change event `seq`'s stored payload to `change` of it, packed again, as someone with the
    database but not the service could (its append-only guard already out of the way)."""
    edited = pack(change(stored_payload(conn, seq)))
    conn.execute(
        text("UPDATE audit_event SET payload = :p WHERE seq = :s"), {"p": edited, "s": seq}
    )
