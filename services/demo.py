"""Demo organisations, users and cases for `make run`: enough to click through every step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from services.access import actor_of, add_user, create_token, token_digest
from services.cases import CaseService
from services.schemas import NewCase
from services.storage.models import ApiToken, Organisation, User
from workflow.actors import Actor, Role

# Public bodies named in the seed texts, and a few more to make clusters and pools of.
ORGANISATIONS = [
    ("Knivsta kommun", "municipality", "SE", "212000-2965"),
    ("Heby kommun", "municipality", "SE", "212000-0324"),
    ("Tierps kommun", "municipality", "SE", "212000-0290"),
    ("Östhammars kommun", "municipality", "SE", "212000-0308"),
    ("Älvkarleby kommun", "municipality", "SE", "212000-0316"),
    ("Arbetsförmedlingen", "agency", "SE", "202100-2114"),
    ("Falu kommun", "municipality", "SE", "212000-2171"),
    ("Borlänge kommun", "municipality", "SE", "212000-2197"),
    ("Gagnefs kommun", "municipality", "SE", "212000-2122"),
    ("Botkyrka kommun", "municipality", "SE", "212000-2882"),
    ("Region Uppsala", "region", "SE", "232100-0024"),
    ("Aarhus Kommune", "municipality", "DK", "55133018"),
    ("Odense Kommune", "municipality", "DK", "35209115"),
    ("Aalborg Kommune", "municipality", "DK", "29189420"),
]


@dataclass(frozen=True)
class DemoUser:
    name: str
    role: Role
    token: str
    organisation: str | None = None


# Well-known tokens, for a demo on one's own machine only (settings refuse them in production).
USERS = [
    DemoUser("Anna Lind", Role.caseworker, "demo-caseworker"),
    DemoUser("David Holm", Role.caseworker, "demo-caseworker-2"),
    DemoUser("Björn Berg", Role.approver, "demo-approver"),
    DemoUser("Cecilia Ek", Role.auditor, "demo-auditor"),
    DemoUser("Admin", Role.admin, "demo-admin"),
    DemoUser(
        "Knivsta kommun (sökande)", Role.applicant, "demo-applicant-knivsta", "Knivsta kommun"
    ),
    DemoUser(
        "Botkyrka kommun (sökande)", Role.applicant, "demo-applicant-botkyrka", "Botkyrka kommun"
    ),
    DemoUser("Falu kommun (sökande)", Role.applicant, "demo-applicant-falun", "Falu kommun"),
    DemoUser("Aarhus Kommune (ansøger)", Role.applicant, "demo-applicant-aarhus", "Aarhus Kommune"),
    DemoUser("Odense Kommune (ansøger)", Role.applicant, "demo-applicant-odense", "Odense Kommune"),
]


def load_demo(cases: CaseService) -> list[DemoUser]:
    """Create the demo data once; later calls change nothing and return the same users."""
    db, clock = cases.db, cases.clock
    with db.writing() as session:
        if session.exec(
            select(ApiToken).where(ApiToken.token_sha256 == token_digest(USERS[0].token))
        ).first():
            return USERS
        orgs: dict[str, int] = {}
        for name, kind, country, number in ORGANISATIONS:
            org = session.exec(select(Organisation).where(Organisation.name == name)).first()
            if org is None:
                org = Organisation(name=name, kind=kind, country=country, org_number=number)
                session.add(org)
                session.flush()
            orgs[name] = org.id  # type: ignore[assignment]
        actors: dict[str, Actor] = {}
        for u in USERS:
            user = session.exec(select(User).where(User.name == u.name)).first()
            if user is None:
                user = add_user(
                    session, clock, u.name, u.role, orgs[u.organisation] if u.organisation else None
                )
            create_token(session, clock, user, label="demo", token=u.token)
            actors[u.token] = actor_of(user)
    _demo_cases(cases, orgs, actors)
    return USERS


def _demo_cases(cases: CaseService, orgs: dict[str, int], actors: dict[str, Actor]) -> None:
    cw, cw2, ap = actors["demo-caseworker"], actors["demo-caseworker-2"], actors["demo-approver"]
    knivsta, botkyrka = actors["demo-applicant-knivsta"], actors["demo-applicant-botkyrka"]
    falun, aarhus, odense = (
        actors["demo-applicant-falun"],
        actors["demo-applicant-aarhus"],
        actors["demo-applicant-odense"],
    )

    def run(case_id: int, steps: list[tuple[Actor, str, dict[str, Any]]]) -> None:
        for actor, name, body in steps:
            cases.fire(actor, case_id, name, body)

    def decision(amount: str, start: str, end: str, conditions: str = "") -> dict[str, Any]:
        return {
            "amount": amount,
            "period_start": start,
            "period_end": end,
            "conditions": conditions,
        }

    # Delmos: one interest waiting for assessment, one through step 2 and into step 3.
    cases.create(
        botkyrka,
        NewCase(programme="delmos-2018", title="Sektorsövergripande samverkan i norra Botkyrka"),
    )
    knivsta_delmos = cases.create(
        knivsta,
        NewCase(programme="delmos-2018", title="Kartläggning av boendesegregation i Knivsta"),
    )
    run(
        knivsta_delmos.id,
        [
            (cw, "invite", {"note": "Intresseanmälan ligger i linje med statsbidragets syfte."}),
            (
                knivsta,
                "apply_mapping",
                {"requested_amount": "400000", "description": "Kartläggning och behovsanalys"},
            ),
            (cw, "propose_mapping_grant", decision("350000", "2018-09-01", "2019-06-30")),
            (ap, "grant_mapping", {}),
            (knivsta, "submit_plan", {"summary": "Behovsanalys och plan för fortsatt arbete"}),
            (knivsta, "apply_implementation", {"requested_amount": "1800000"}),
        ],
    )

    # Dua: a cluster of three municipalities with one agreement, the application still a draft.
    cases.create(
        falun,
        NewCase(
            programme="dua-2021",
            title="Lokala jobbspår i Dalarna",
            partner_ids=[orgs["Borlänge kommun"], orgs["Gagnefs kommun"]],
        ),
    )

    # Samordningsförbundet: the board's decision of seeds/001, granted with its conditions.
    nya_vagar = cases.create(
        cw,
        NewCase(
            programme="sf-uppsala-nya-vagar",
            title="Nya vägar för samverkan",
            organisation_id=orgs["Arbetsförmedlingen"],
            partner_ids=[
                orgs[m]
                for m in (
                    "Knivsta kommun",
                    "Heby kommun",
                    "Tierps kommun",
                    "Östhammars kommun",
                    "Älvkarleby kommun",
                )
            ],
        ),
    )
    af = _applicant_for(cases, orgs["Arbetsförmedlingen"])
    run(
        nya_vagar.id,
        [
            (
                af,
                "apply_implementation",
                {
                    "requested_amount": "1050000",
                    "description": "Förstudie 50 % och operativ resurs 100 %",
                },
            ),
            (
                cw2,
                "propose_implementation_grant",
                decision(
                    "1050000",
                    "2020-10-01",
                    "2021-12-31",
                    "Finansieringen gäller under förutsättning att förbundet beviljas medel från medlemsorganisationerna "
                    "framöver, och att insatsen följer aktuell ansökan, gällande lagstiftning och förbundets styrdokument.",
                ),
            ),
            (ap, "grant_implementation", {}),
        ],
    )

    # STAR: one application waiting, one paid in arrears and closed.
    cases.create(
        aarhus,
        NewCase(programme="star-flere-skal-med-2017", title="Opkvalificering i Jobcenter Aarhus"),
    )
    odense_case = cases.create(
        odense,
        NewCase(programme="star-flere-skal-med-2017", title="Opkvalificering i Jobcenter Odense"),
    )
    run(
        odense_case.id,
        [
            (odense, "apply_implementation", {"requested_amount": "180000"}),
            (cw, "propose_implementation_grant", decision("150000", "2017-11-01", "2018-12-31")),
            (ap, "grant_implementation", {}),
            (cw, "end_period", {}),
            (
                odense,
                "submit_final_report",
                {"reported_costs": "149200", "summary": "Workshops og kurser afholdt"},
            ),
            (cw, "accept_final_report", {"eligible_spent": "141000"}),
            (cw, "settle", {}),
        ],
    )


def _applicant_for(cases: CaseService, organisation_id: int) -> Actor:
    """An applicant user for an organisation that has none in the demo list."""
    with cases.db.writing() as session:
        name = f"Applicant {organisation_id}"
        user = session.exec(select(User).where(User.name == name)).first()
        if user is None:
            user = add_user(session, cases.clock, name, Role.applicant, organisation_id)
        return actor_of(user)
