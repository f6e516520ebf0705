"""Signing in the way agencies do: a real OpenID Connect provider (panva's oidc-provider on
Node, tests/oidc/provider.mjs) and a real browser, through the authorization code flow."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from config.settings import Settings
from services.access import add_user
from services.api.app import create_app
from services.identities import link
from services.privacy.sealing import open_bodies
from services.storage.models import AuditEvent, Organisation, User
from tests.mail_server import free_port
from tests.support import Api, add_people, tables
from workflow.actors import SYSTEM, Role
from workflow.clock import SettableClock

PROVIDER = Path(__file__).parent / "oidc"
SECRET = "a-client-secret-for-the-tests-only"
MFA = "https://grantflow.example/acr/mfa"
PASSWORD = "https://grantflow.example/acr/password"
ROLES = {
    "grantflow-caseworkers": "caseworker",
    "grantflow-approvers": "approver",
    "grantflow-applicants": "applicant",
}


@dataclass
class Agency:
    base: str
    issuer: str
    app: FastAPI
    api: Api

    def link(self, name: str, role: Role, subject: str) -> None:
        """An administrator says which person at the provider this user is."""
        services = self.app.state.services
        with services.units.writing() as uow:
            user = add_user(uow, services.clock, name, role)
            link(uow, services.clock, SYSTEM, user, self.issuer, subject)
            uow.commit()


def start_provider(port: int, base: str) -> subprocess.Popen[str]:
    node = subprocess.Popen(
        ["node", "provider.mjs", str(port), "grantflow", SECRET,
         f"{base}/ui/oidc/callback", f"{base}/ui/signin"],
        cwd=PROVIDER, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert node.stdout is not None
    for line in node.stdout:  # it says so when it listens; its warnings come first
        if line.startswith("listening"):
            return node
    raise AssertionError(f"the identity provider did not start: exit {node.wait()}")


@pytest.fixture
def agency(
    database_url: str, tmp_path: Path, clock: SettableClock, request: pytest.FixtureRequest
) -> Iterator[Agency]:
    assert (PROVIDER / "node_modules" / "oidc-provider").exists(), "run `make test` (npm ci)"
    port, provider_port = free_port(), free_port()
    base, issuer = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{provider_port}"
    node = start_provider(provider_port, base)
    extra = getattr(request, "param", {})
    settings = Settings(
        environment="test", database_url=database_url, data_dir=tmp_path, run_scheduler=False,
        public_url=base, oidc_issuer=issuer, oidc_client_id="grantflow",
        oidc_client_secret=SECRET, oidc_scopes="openid profile email groups organisation",
        oidc_roles=ROLES, oidc_organisation_claim="org_number", oidc_assurance={"approver": [MFA]}, oidc_acr_values=f"{MFA} {PASSWORD}",
        **extra,
    )  # fmt: skip
    app = create_app(settings, clock)
    try:
        with TestClient(app) as client:
            api = Api(client, add_people(app.state.services.units, clock))
            server = uvicorn.Server(
                uvicorn.Config(
                    app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
                )
            )
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            while not server.started:
                threading.Event().wait(0.01)
            yield Agency(base, issuer, app, api)
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        node.terminate()
        node.wait(timeout=10)


def sign_in_at_the_agency(page: Page, agency: Agency, login: str, *, mfa: bool = False) -> None:
    page.goto(f"{agency.base}/ui/signin")
    page.click("#sign-in-agency")
    expect(page.locator("h1")).to_have_text("Agency sign-in")  # the provider's own page
    page.fill("#login", login)
    if mfa:
        page.check("#mfa")
    page.click("#sign-in")


def events(agency: Agency, what: str) -> list[AuditEvent]:
    with tables(agency.app) as session:
        query = select(AuditEvent).where(AuditEvent.transition == what)
        return list(session.exec(query.order_by(col(AuditEvent.seq))))


def test_a_caseworker_signs_in_through_the_agency_and_lands_in_the_inbox_as_a_caseworker(
    agency: Agency, page: Page
) -> None:
    agency.link("Eva Ström", Role.caseworker, "eva")
    sign_in_at_the_agency(page, agency, "eva")
    expect(page).to_have_url(f"{agency.base}/ui/inbox")
    expect(page.locator(".who")).to_contain_text("Eva Ström")
    expect(page.locator(".who")).to_contain_text("caseworker")
    (signed,) = events(agency, "signed_in")
    assert (signed.role, signed.actor_id is not None) == ("caseworker", True)
    assert f'"issuer":"{agency.issuer}"' in signed.payload
    # Who the provider says she is, and from where, are hers: sealed under her key, read opened.
    assert '"subject":"eva"' not in signed.payload and '"source":"127' not in signed.payload
    with agency.app.state.services.units.reading() as uow:
        (opened,) = open_bodies(uow, [json.loads(signed.payload)])
    assert (opened["details"]["subject"], opened["details"]["source"]) == ("eva", "127.0.0.1")


def test_a_person_whose_groups_map_to_no_role_is_refused_on_a_page_that_says_why_and_on_record(
    agency: Agency, page: Page
) -> None:
    agency.link("Kim Lund", Role.caseworker, "kim")
    sign_in_at_the_agency(page, agency, "kim")
    expect(page.locator(".banner.refused")).to_contain_text("(payroll) give no role in grantflow")
    assert page.context.cookies(agency.base) == [] or all(
        c["name"] != "gf_session" for c in page.context.cookies(agency.base)
    )
    (refused,) = events(agency, "sign_in")
    assert refused.kind == "refusal" and '"subject":"kim"' in refused.payload
    assert page.goto(f"{agency.base}/ui/inbox") and "/ui/signin" in page.url


def test_a_person_not_linked_here_is_refused_unless_provisioning_is_on(
    agency: Agency, page: Page
) -> None:
    sign_in_at_the_agency(page, agency, "eva")
    expect(page.locator(".banner.refused")).to_contain_text("is not known here")
    assert "grantflow users link" in page.locator(".banner.refused").inner_text()


@pytest.mark.parametrize("agency", [{"oidc_provision": True}], indirect=True)
def test_an_applicant_is_provisioned_into_its_organisation_by_its_organisation_number(
    agency: Agency, page: Page
) -> None:
    with tables(agency.app, write=True) as session:
        knivsta = session.get(Organisation, agency.api.people.org_ids["knivsta"])
        assert knivsta is not None
        knivsta.org_number = "212000 2965"  # written differently from the claim's 212000-2965
        session.add(knivsta)
        session.commit()
    sign_in_at_the_agency(page, agency, "karin")
    expect(page).to_have_url(f"{agency.base}/ui/inbox")
    with tables(agency.app) as session:
        karin = session.exec(select(User).where(User.name == "Karin Knivsta")).one()
        org = session.get(Organisation, karin.organisation_id)
    assert karin.role == "applicant" and org is not None and org.name == "Knivsta kommun"
    assert karin.email == "karin@knivsta.example"


def decision_waiting(agency: Agency) -> int:
    api = agency.api
    case = api.create_case("knivsta", "delmos-2018", "Kartläggning i Knivsta")
    api.move("caseworker", case["id"], "invite")
    api.move("knivsta", case["id"], "apply_mapping", requested_amount="400000")
    api.move(
        "caseworker", case["id"], "propose_mapping_grant",
        amount="300000", period_start="2018-01-01", period_end="2018-12-31",
    )  # fmt: skip
    return int(case["id"])


def confirm(page: Page, agency: Agency, case_id: int) -> None:
    page.goto(f"{agency.base}/ui/cases/{case_id}")
    page.locator("form[data-transition=grant_mapping] button[type=submit]").click()


def test_an_approver_without_multi_factor_cannot_decide_a_grant_and_with_it_can(
    agency: Agency, page: Page
) -> None:
    case_id = decision_waiting(agency)
    agency.link("Björn Berg", Role.approver, "bjorn")
    sign_in_at_the_agency(page, agency, "bjorn", mfa=False)
    expect(page).to_have_url(f"{agency.base}/ui/inbox")
    confirm(page, agency, case_id)
    expect(page.locator(".banner.refused")).to_contain_text("needs a stronger sign-in")
    case = agency.api.get("caseworker", f"/cases/{case_id}").json()
    assert case["state"] == "mapping_proposed"
    # An API token has no assurance at all: machines do not decide grants.
    token = agency.api.fire("approver", case_id, "grant_mapping")
    assert token.status_code == 403 and "stronger sign-in" in token.json()["detail"]

    page.context.clear_cookies()
    sign_in_at_the_agency(page, agency, "bjorn", mfa=True)
    confirm(page, agency, case_id)
    expect(page.locator("#case-state")).to_have_attribute("data-state", "mapping_granted")
    (signed_weak, signed_strong) = events(agency, "signed_in")
    assert f'"acr":"{MFA}"' in signed_strong.payload and MFA not in signed_weak.payload


def test_signing_out_ends_the_session_here_and_at_the_provider(agency: Agency, page: Page) -> None:
    agency.link("Eva Ström", Role.caseworker, "eva")
    sign_in_at_the_agency(page, agency, "eva")
    expect(page).to_have_url(f"{agency.base}/ui/inbox")
    page.locator("form[action='/ui/signout'] button").click()
    expect(page).to_have_url(f"{agency.base}/ui/signin")
    assert events(agency, "signed_out")
    page.goto(f"{agency.base}/ui/inbox")
    expect(page).to_have_url(f"{agency.base}/ui/signin?next=%2Fui%2Finbox")
    # The provider's session ended too: it asks who you are again rather than waving you in.
    page.click("#sign-in-agency")
    expect(page.locator("h1")).to_have_text("Agency sign-in")


def test_a_user_disabled_here_is_out_on_the_next_request(agency: Agency, page: Page) -> None:
    agency.link("Eva Ström", Role.caseworker, "eva")
    sign_in_at_the_agency(page, agency, "eva")
    expect(page).to_have_url(f"{agency.base}/ui/inbox")
    with tables(agency.app) as session:
        eva_id = session.exec(select(User.id).where(User.name == "Eva Ström")).one()
    disabled = agency.api.post("admin", f"/admin/users/{eva_id}/disable")
    assert disabled.status_code == 204
    page.goto(f"{agency.base}/ui/inbox")
    expect(page).to_have_url(f"{agency.base}/ui/signin?next=%2Fui%2Finbox")
    # The provider still knows her (its session goes on), but grantflow does not let her in.
    page.click("#sign-in-agency")
    expect(page.locator(".banner.refused")).to_contain_text("Eva Ström is disabled in grantflow")


def test_in_production_the_token_form_answers_404_unless_turned_on(
    settings: Settings, clock: SettableClock
) -> None:
    key = "3q2+78r+/ty6vb6+3q2+78r+/ty6vb6+3q2+78r+/tw="
    production = Settings(
        **{**settings.model_dump(), "environment": "production", "allow_demo_data": False,
           "audit_signing_key": key, "smtp_host": "smtp.agency.example"},
    )  # fmt: skip
    with TestClient(create_app(production, clock)) as client:
        assert 'name="token"' not in client.get("/ui/signin").text
        assert client.post("/ui/signin", data={"token": "x", "csrf": "x"}).status_code == 404
    allowed = production.model_copy(update={"token_signin": True})
    with TestClient(create_app(allowed, clock)) as client:
        assert 'name="token"' in client.get("/ui/signin").text
        assert client.post("/ui/signin", data={"token": "x", "csrf": "x"}).status_code != 404
