"""Demo organisations, users and cases for `make run`: enough to click through every step."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from services.access import actor_of, add_user, create_token, token_digest
from services.allocation import AllocationTerms
from services.container import Services, build_services
from services.deadlines.keeper import DeadlineKeeper
from services.organisations import NewAgreement, add_agreement
from services.schemas import NewCase
from services.storage.models import Organisation
from workflow.actors import Actor, Role
from workflow.catalogue import Catalogue
from workflow.clock import SettableClock

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
    digest: bool = False  # one mail each morning instead of one an event


def demo_address(who: str, where: str) -> str:
    """An address under `.example` (RFC 2606): the demo can never mail a real agency."""
    slug = "".join(c for c in unicodedata.normalize("NFKD", where.lower()) if c.isalnum())
    local = ".".join(
        "".join(c for c in unicodedata.normalize("NFKD", part) if c.isalnum())
        for part in who.lower().split()
        if part.isalpha()
    )
    return f"{local}@{slug}.example"


# Well-known tokens, for a demo on one's own machine only (settings refuse them in production).
USERS = [
    DemoUser("Anna Lind", Role.caseworker, "demo-caseworker", digest=True),
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


def load_demo(database_url: str, catalogue: Catalogue, data_dir: Path) -> list[DemoUser]:
    """Create the demo data once; later calls change nothing and return the same users.

    The demo is a timeline: each step happens at its own date, from the STAR call of 2017 to
    today, and before each step the deadline keeper fires whatever fell due, exactly as the
    scheduler would have. So drafts lapse at the call's deadline, grant periods end on their day,
    and the audit log reads like a history rather than a script run in one second.
    """
    clock = SettableClock(TIMELINE_START)
    services = build_services(database_url, catalogue, clock, data_dir)
    units = services.units
    with units.writing() as uow:
        services.programmes.register(uow)
        uow.commit()
        if uow.people.token_exists(token_digest(USERS[0].token)):
            return USERS
        orgs: dict[str, int] = {}
        for name, kind, country, number in ORGANISATIONS:
            org = uow.organisations.by_name(name) or uow.organisations.add(
                Organisation(
                    name=name,
                    kind=kind,
                    country=country,
                    org_number=number,
                    email=demo_address("registrator", name),
                )
            )
            assert org.id is not None
            orgs[name] = org.id
        actors: dict[str, Actor] = {}
        for u in USERS:
            user = uow.people.user_named(u.name) or add_user(
                uow, clock, u.name, u.role, orgs[u.organisation] if u.organisation else None
            )
            user.email = demo_address(u.name, "grantflow")
            user.mail_digest = u.digest
            create_token(uow, clock, user, label="demo", token=u.token)
            actors[u.token] = actor_of(user)
        for name in ("Arbetsförmedlingen", "Aalborg Kommune"):
            user = add_user(uow, clock, f"{name} (sökande)", Role.applicant, orgs[name])
            actors[name] = actor_of(user)
        uow.commit()
    _timeline(services, DeadlineKeeper(services, worker="demo-loader"), clock, orgs, actors)
    units.dispose()
    return USERS


TIMELINE_START = dt.datetime(2017, 9, 1, 8, 0, tzinfo=dt.UTC)
STAR_BUDGET = [
    {"line": "Kurser og workshops", "category": "activities", "amount": "150000"},
    {"line": "Lokaler og forplejning", "category": "premises_and_catering", "amount": "30000"},
]
CPH, STO = ZoneInfo("Europe/Copenhagen"), ZoneInfo("Europe/Stockholm")


def _timeline(
    services: Services,
    keeper: DeadlineKeeper,
    clock: SettableClock,
    orgs: dict[str, int],
    actors: dict[str, Actor],
) -> None:
    cw, cw2, ap = actors["demo-caseworker"], actors["demo-caseworker-2"], actors["demo-approver"]
    knivsta, botkyrka = actors["demo-applicant-knivsta"], actors["demo-applicant-botkyrka"]
    falun, aarhus, odense = (
        actors["demo-applicant-falun"],
        actors["demo-applicant-aarhus"],
        actors["demo-applicant-odense"],
    )
    af, aalborg = actors["Arbetsförmedlingen"], actors["Aalborg Kommune"]
    made: dict[str, int] = {}

    def at(when: dt.datetime) -> None:
        """Move the demo's clock to `when`, firing each deadline at its own time on the way,
        as a scheduler that never stopped would have."""
        while (due := keeper.next_due_at()) is not None and due <= when:
            clock.set(max(due, clock.now()))
            keeper.sweep()
        clock.set(when)
        keeper.sweep()

    units = services.units

    def new(key: str, actor: Actor, case: NewCase) -> None:
        with units.writing() as uow:
            made[key] = services.opening.open(uow, actor, case).id
            uow.commit()

    def move(key: str, actor: Actor, name: str, **body: Any) -> None:
        with units.writing() as uow:
            services.transitions.fire(uow, actor, made[key], name, body)
            uow.commit()

    def decision(amount: str, start: str, end: str, conditions: str = "") -> dict[str, Any]:
        return {
            "amount": amount,
            "period_start": start,
            "period_end": end,
            "conditions": conditions,
        }

    star = "star-flere-skal-med-2017"
    # STAR 2017 (seeds/002): three municipalities open applications; one never submits.
    at(dt.datetime(2017, 10, 2, 9, 0, tzinfo=CPH))
    new("aarhus", aarhus, NewCase(programme=star, title="Opkvalificering i Jobcenter Aarhus"))
    new("odense", odense, NewCase(programme=star, title="Opkvalificering i Jobcenter Odense"))
    new("aalborg", aalborg, NewCase(programme=star, title="Opkvalificering i Jobcenter Aalborg"))
    at(dt.datetime(2017, 10, 30, 14, 0, tzinfo=CPH))
    move(
        "odense",
        odense,
        "apply_implementation",
        requested_amount="180000",
        description="Workshops om virksomhedsrettet indsats",
        target_group_size=2100,
        budget=STAR_BUDGET,
    )
    at(dt.datetime(2017, 10, 31, 11, 40, tzinfo=CPH))
    move(
        "aarhus",
        aarhus,
        "apply_implementation",
        requested_amount="240000",
        description="Kurser i jobmål og cv",
        target_group_size=3400,
        budget=STAR_BUDGET,
    )
    # 12:00: the call closes, Aalborg's draft lapses (the keeper does it in the next step).
    # After the deadline the pool is shared (floor first, the rest by target group): here the
    # two applications ask for less than the pool, so each is proposed at what it asked for.
    at(dt.datetime(2017, 11, 6, 10, 0, tzinfo=CPH))
    with units.writing() as uow:
        terms = AllocationTerms(period_start=dt.date(2017, 11, 1), period_end=dt.date(2018, 12, 31))
        services.allocations.confirm(uow, cw, star, "2017", terms)
        uow.commit()
    at(dt.datetime(2017, 11, 20, 10, 0, tzinfo=CPH))
    move(
        "odense", ap, "grant_implementation"
    )  # Aarhus waits for its approver: flagged on 1 December

    # Delmos 2018 (seeds/004): one interest waiting, one through step 2 and applying for step 3.
    at(dt.datetime(2018, 3, 1, 10, 0, tzinfo=STO))
    new(
        "botkyrka",
        botkyrka,
        NewCase(programme="delmos-2018", title="Sektorsövergripande samverkan i norra Botkyrka"),
    )
    new(
        "knivsta",
        knivsta,
        NewCase(programme="delmos-2018", title="Kartläggning av boendesegregation i Knivsta"),
    )
    at(dt.datetime(2018, 4, 10, 13, 0, tzinfo=STO))
    move("knivsta", cw, "invite", note="Intresseanmälan ligger i linje med statsbidragets syfte.")
    at(dt.datetime(2018, 5, 2, 9, 0, tzinfo=STO))
    move(
        "knivsta",
        knivsta,
        "apply_mapping",
        requested_amount="400000",
        description="Kartläggning och behovsanalys",
    )
    at(dt.datetime(2018, 6, 1, 9, 0, tzinfo=STO))
    move("knivsta", cw, "propose_mapping_grant", **decision("350000", "2018-07-01", "2018-12-31"))
    at(dt.datetime(2018, 6, 8, 15, 0, tzinfo=STO))
    move("knivsta", ap, "grant_mapping")

    # STAR, continued: Odense's period ended on 31 December 2018; it reports and is paid in arrears.
    at(dt.datetime(2019, 2, 15, 11, 0, tzinfo=CPH))
    move(
        "odense",
        odense,
        "submit_final_report",
        certification="management",
        cost_lines=[
            {"line": "Kurser og workshops", "category": "activities", "amount": "121000"},
            {
                "line": "Lokaler og forplejning",
                "category": "premises_and_catering",
                "amount": "20000",
            },
            {"line": "Administration", "category": "overhead", "amount": "8200"},
        ],
        summary="Workshops og kurser afholdt for 42 medarbejdere",
    )
    at(dt.datetime(2019, 3, 1, 10, 0, tzinfo=CPH))
    move("odense", cw, "accept_final_report")  # the overhead line does not count: 141 000
    move("odense", cw, "settle")

    at(dt.datetime(2019, 3, 4, 9, 0, tzinfo=STO))
    move("knivsta", knivsta, "submit_plan", summary="Behovsanalys och plan för fortsatt arbete")
    at(dt.datetime(2019, 3, 20, 9, 0, tzinfo=STO))
    move(
        "knivsta",
        knivsta,
        "apply_implementation",
        requested_amount="1800000",
        description="Genomförande av planen 2019–2021",
    )

    # Samordningsförbundet (seeds/001): the board's decision, with its conditions; the report
    # comes in, less was eligible than was paid, and the rest is claimed back.
    at(dt.datetime(2020, 9, 1, 9, 0, tzinfo=STO))
    partners = (
        "Knivsta kommun",
        "Heby kommun",
        "Tierps kommun",
        "Östhammars kommun",
        "Älvkarleby kommun",
    )
    new(
        "nya_vagar",
        cw2,
        NewCase(
            programme="sf-uppsala-nya-vagar",
            title="Nya vägar för samverkan",
            organisation_id=orgs["Arbetsförmedlingen"],
            partner_ids=[orgs[m] for m in partners],
        ),
    )
    move(
        "nya_vagar",
        af,
        "apply_implementation",
        requested_amount="1050000",
        description="Förstudie 50 % och operativ resurs 100 %",
    )
    at(dt.datetime(2020, 9, 22, 9, 0, tzinfo=STO))
    move(
        "nya_vagar",
        cw2,
        "propose_implementation_grant",
        **decision(
            "1050000",
            "2020-10-01",
            "2021-12-31",
            "Finansieringen gäller under förutsättning att förbundet beviljas medel från "
            "medlemsorganisationerna framöver, och att insatsen följer aktuell ansökan, gällande "
            "lagstiftning och av förbundet antagna styrdokument.",
        ),
    )
    at(dt.datetime(2020, 9, 24, 16, 0, tzinfo=STO))
    move("nya_vagar", ap, "grant_implementation")

    # Dua 2021 (seeds/000): a cluster of three municipalities with one agreement, still drafting.
    at(dt.datetime(2021, 5, 3, 9, 0, tzinfo=STO))
    cluster = [orgs["Falu kommun"], orgs["Borlänge kommun"], orgs["Gagnefs kommun"]]
    with units.writing() as uow:
        overenskommelse = add_agreement(
            uow,
            clock,
            cw,
            NewAgreement(
                title="Lokal överenskommelse om unga och nyanlända i södra Dalarna",
                employment_service_id=orgs["Arbetsförmedlingen"],
                party_ids=cluster,
                valid_from=dt.date(2020, 3, 1),
                valid_to=dt.date(2022, 12, 31),
                local_tracks=["Vård och omsorg", "Industri och teknik", "Handel och logistik"],
            ),
        )
        uow.commit()
    new(
        "dalarna",
        falun,
        NewCase(
            programme="dua-2021",
            title="Lokala jobbspår i Dalarna",
            partner_ids=cluster[1:],
            agreement_id=overenskommelse.id,
        ),
    )

    at(dt.datetime(2022, 2, 21, 10, 0, tzinfo=STO))
    move(
        "nya_vagar",
        af,
        "submit_final_report",
        reported_costs="1012000",
        summary="Förstudien klar; operativ resurs på plats i fem kommuner",
    )
    at(dt.datetime(2022, 3, 10, 14, 0, tzinfo=STO))
    move("nya_vagar", cw2, "accept_final_report", eligible_spent="980000")
    move("nya_vagar", cw2, "claim_repayment")

    # And today: whatever else fell due since has fallen due.
    at(max(dt.datetime.now(dt.UTC), clock.now()))
