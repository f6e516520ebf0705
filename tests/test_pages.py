"""The pages in a real browser (Chromium, driven by Playwright): what a caseworker, an auditor and
an applicant do on Monday. `make screenshots` refreshes the README's pictures from them."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser import sign_in
from tests.support import Api
from tests.test_partners import named_cluster

# Tests write only to temporary folders; `make screenshots` points this at docs/screenshots to
# refresh the README's pictures on purpose.
SCREENSHOTS = os.environ.get("GRANTFLOW_SCREENSHOTS", "")


def test_a_caseworker_finds_a_case_in_the_inbox_fires_a_transition_and_sees_the_new_state_and_history(
    api: Api, live_server: str, page: Page
) -> None:
    case = api.create_case("knivsta", "delmos-2018", "Kartläggning av boendesegregation i Knivsta")
    api.create_case("heby", "delmos-2018", "Trygghet i Heby")
    sign_in(page, live_server, api.people.tokens["caseworker"])

    page.select_option("select[name=programme]", "delmos-2018")
    page.check("input[name=needs_me]")
    page.fill("input[name=q]", "BOENDESEGREGATION")
    page.click("form.filters button")
    expect(page.locator("table.cases tbody tr")).to_have_count(1)
    row = page.locator("table.cases tbody tr", has_text="Knivsta")
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Kartläggning av boendesegregation i Knivsta").click()
    expect(page.locator("#case-state")).to_have_attribute("data-state", "interest_registered")

    form = page.locator("form[data-transition=invite]")
    form.locator("textarea[name=note]").fill("Välkommen att ansöka om medel för kartläggning.")
    form.locator("button[type=submit]").click()
    expect(page.locator("#case-state")).to_have_attribute("data-state", "invited")
    expect(page.locator(".banner.ok")).to_contain_text("Invite to apply")
    expect(page.locator("svg.diagram g.current")).to_have_attribute("data-state", "invited")

    page.click("text=History")
    latest = page.locator("ol.timeline li.event").last
    expect(latest).to_contain_text("Invite to apply")
    expect(latest).to_contain_text("caseworker user")
    assert api.get("auditor", f"/cases/{case['id']}").json()["state"] == "invited"


def test_a_refused_action_shows_the_reason_from_the_rules(
    api: Api, live_server: str, page: Page
) -> None:
    case = api.create_case("knivsta", "delmos-2018")
    api.move("caseworker", case["id"], "invite")
    api.move("knivsta", case["id"], "apply_mapping", requested_amount="100000")
    sign_in(page, live_server, api.people.tokens["caseworker"])
    page.goto(f"{live_server}/ui/cases/{case['id']}")
    form = page.locator("form[data-transition=propose_mapping_grant]")
    form.locator("input[name=amount]").fill("150 000")
    form.locator("input[name=period_start]").fill("2018-07-01")
    form.locator("input[name=period_end]").fill("2018-12-31")
    form.locator("button[type=submit]").click()
    expect(page.locator(".banner.refused")).to_contain_text(
        "is more than the 100000.00 applied for"
    )
    expect(page.locator("#case-state")).to_have_attribute("data-state", "mapping_applied")


def test_an_auditor_sees_the_case_as_it_stood_on_an_earlier_date_and_verifies_the_chain(
    api: Api, live_server: str, page: Page, clock
) -> None:
    case = api.create_case("knivsta", "delmos-2018", "Segregation i Knivsta")
    clock.advance(dt.timedelta(days=3))
    api.move("caseworker", case["id"], "invite")
    clock.advance(dt.timedelta(days=10))
    api.move("knivsta", case["id"], "apply_mapping", requested_amount="400000")
    sign_in(page, live_server, api.people.tokens["auditor"])
    page.goto(f"{live_server}/ui/cases/{case['id']}/history")
    expect(page.locator("ol.timeline li.event")).to_have_count(3)

    # A day after the invitation, before the application: the case was "invited".
    invited_at = api.history("auditor", case["id"])[1]["at"]
    day_after = dt.datetime.fromisoformat(invited_at.replace("Z", "+00:00")) + dt.timedelta(days=1)
    local = day_after.astimezone(
        dt.timezone(dt.timedelta(hours=2 if day_after.month in range(4, 11) else 1))
    )
    page.fill("#as_of", local.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("text=Show")
    expect(page.locator("#as-of-state")).to_have_attribute("data-state", "invited")
    expect(page.locator("#as-of-case")).to_contain_text("v2")

    page.click("#verify")
    expect(page.locator("#verification")).to_contain_text("The audit chain verifies")


def test_an_applicant_cannot_open_another_organisations_case(
    api: Api, live_server: str, page: Page
) -> None:
    theirs = api.create_case("odense", "star-flere-skal-med-2017", "Odense")
    mine = api.create_case("aarhus", "star-flere-skal-med-2017", "Aarhus")
    sign_in(page, live_server, api.people.tokens["aarhus"])
    expect(page.locator("table.cases tbody tr")).to_have_count(1)
    response = page.goto(f"{live_server}/ui/cases/{theirs['id']}")
    assert response is not None and response.status == 404
    expect(page.locator(".banner.refused")).to_contain_text("Not found")
    assert page.goto(f"{live_server}/ui/cases/{mine['id']}").status == 200  # type: ignore[union-attr]


def test_the_programme_dashboard_shows_the_pool_and_cases_per_state(
    api: Api, live_server: str, page: Page
) -> None:
    for who in ("aarhus", "odense"):
        api.create_case(who, "star-flere-skal-med-2017")
    sign_in(page, live_server, api.people.tokens["caseworker"])
    page.goto(f"{live_server}/ui/programmes/star-flere-skal-med-2017?lang=sv")
    expect(page.locator("h2").first).to_have_text("Ram")
    expect(page.locator("table.chart")).to_contain_text("Ansökan påbörjad")
    expect(page.locator("dl.amounts")).to_contain_text("5\u00a0300\u00a0000,00")
    csv = page.request.get(f"{live_server}/ui/programmes/star-flere-skal-med-2017/cases.csv")
    assert csv.ok and csv.text().count("\n") == 3


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(
    api: Api, live_server: str, page: Page
) -> None:
    case = api.create_case("knivsta", "delmos-2018")
    sign_in(page, live_server, api.people.tokens["caseworker"])
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    before = api.history("auditor", case["id"], refusals=True)
    for form in ({"note": "no token"}, {"note": "wrong token", "csrf": "forged"}):
        response = httpx.post(
            f"{live_server}/ui/cases/{case['id']}/transitions/invite",
            data=form,
            cookies=cookies,
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert "nothing was changed" in response.text
    assert api.get("auditor", f"/cases/{case['id']}").json()["state"] == "interest_registered"
    assert api.history("auditor", case["id"], refusals=True) == before
    signin = httpx.post(
        f"{live_server}/ui/signin",
        data={"token": api.people.tokens["caseworker"]},
        follow_redirects=False,
    )
    assert signin.status_code == 403, "the sign-in form carries a token too"


def test_pages_speak_swedish_with_labels_from_the_definitions(
    api: Api, live_server: str, page: Page
) -> None:
    case = api.create_case("knivsta", "delmos-2018")
    sign_in(page, live_server, api.people.tokens["caseworker"])
    page.goto(f"{live_server}/ui/cases/{case['id']}?lang=sv")
    expect(page.locator("#case-state")).to_have_text("Intresseanmälan inkommen")
    expect(page.locator("form[data-transition=invite] button")).to_have_text("Bjud in att ansöka")
    page.goto(f"{live_server}/ui/inbox")  # the choice sticks
    expect(page.locator("h1")).to_contain_text("Inkorg")


def test_screenshots_of_the_demo_for_the_readme(
    app, live_server: str, page: Page, tmp_path: Path
) -> None:
    """The demo's own data, as a newcomer sees it after `make run`, saved for the README."""
    from services.demo import load_demo

    load_demo(app.state.settings.database_url, app.state.services.catalogue, tmp_path)
    shots = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server, "demo-caseworker")
    expect(page.locator("table.cases tbody tr")).to_have_count(7)
    page.screenshot(path=shots / "inbox.png", full_page=True)
    page.click("table.cases >> text=Kartläggning av boendesegregation i Knivsta")
    expect(page.locator("#case-state")).to_have_attribute("data-state", "implementation_applied")
    page.screenshot(path=shots / "case.png", full_page=True)
    page.goto(f"{live_server}/ui/inbox?lang=sv")
    page.click("table.cases >> text=Nya vägar för samverkan")
    page.click("text=Historik")
    page.click("#verify")
    expect(page.locator("#verification")).to_contain_text("Granskningskedjan är obruten")
    page.screenshot(path=shots / "history.png", full_page=True)
    page.goto(f"{live_server}/ui/programmes/star-flere-skal-med-2017?lang=da")
    expect(page.locator("table.chart")).to_contain_text("Afsluttet")
    page.screenshot(path=shots / "dashboard.png", full_page=True)


def test_a_caseworker_sees_an_invited_partner_and_confirms_it_from_the_case_page(
    api: Api, live_server: str, page: Page
) -> None:
    case_id, heby, _tierp = named_cluster(api)
    sign_in(page, live_server, api.people.tokens["caseworker"])
    page.goto(f"{live_server}/ui/cases/{case_id}")
    invited = page.locator("ul.invited li", has_text="Heby")
    expect(invited).to_have_count(1)
    invited.get_by_role("button", name="Confirm").click()
    expect(page.locator(".banner.ok")).to_contain_text("Partner confirmed the joint application")
    expect(page.locator("ul.invited li", has_text="Heby")).to_have_count(0)
    confirmed = api.get("caseworker", f"/cases/{case_id}").json()
    assert heby in [p["organisation_id"] for p in confirmed["parties"]]


def test_a_caseworker_chooses_a_morning_digest_on_the_mail_page(
    api: Api, live_server: str, page: Page
) -> None:
    sign_in(page, live_server, api.people.tokens["caseworker"])
    page.goto(f"{live_server}/ui/inbox?lang=sv")
    page.get_by_role("link", name="Min e-post").click()
    page.fill("#mail-email", "anna.lind@forbundet.example")
    page.check("#mail-digest")
    page.uncheck("#mail-reminders")
    page.locator("form.mail-settings button[type=submit]").click()
    expect(page.locator(".banner.ok")).to_have_text("Sparat.")
    mine = api.get("caseworker", "/me/mail").json()
    assert (mine["email"], mine["digest"], mine["reminders"]) == (
        "anna.lind@forbundet.example",
        True,
        False,
    )
    expect(page.locator("#mail-digest")).to_be_checked()
