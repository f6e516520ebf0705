"""WCAG 2.1 AA in the real browser: axe-core finds nothing serious on any page, in Swedish and
English, and a decision can be made with the keyboard alone (EN 301 549; lag 2018:1937)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from services import incidents
from services.storage.privacy import ErasureProposal
from services.web.i18n import LANGUAGES, WORDS
from services.web.i18n_statement import STATEMENT
from services.web.pages_statement import link_to
from tests.browser import sign_in
from tests.route_walk import dead_mail, held_deadline_incident
from tests.support import Api
from tests.test_amendments import granted_delmos

# What fails a page: axe's two highest impacts. "moderate" and "minor" are still worth reading in
# a report, but a rule of thumb at that level must not block a release.
BLOCKING = ("serious", "critical")
# axe's default rules (WCAG 2.0, 2.1 and 2.2 at A and AA, and its best practices; not its
# experimental or AAA ones). The script is the axe-core that axe-playwright-python ships, so
# nothing is fetched at test time.
AXE = Axe()


def violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe-core finds on the page, every folded part opened
    first: axe skips what is hidden, and a closed form is still a form someone will open."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    found = AXE.run(page, options={"resultTypes": ["violations"]}).response["violations"]
    return [v for v in found if v["impact"] in BLOCKING]


def report(where: str, found: list[dict[str, Any]]) -> list[str]:
    """One line per violation: where, the rule, what it asks for and which elements break it."""
    return [
        f"{where}: {v['id']} ({v['impact']}) {v['help']}: "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in found
    ]


def a_case_with_everything_on_it(api: Api) -> dict[str, Any]:
    """A case with forms to fill (a proposal of a grant), a deadline, a file and some history."""
    case = api.create_case("knivsta", "delmos-2018", "Kartläggning av boendesegregation i Knivsta")
    api.move("caseworker", case["id"], "invite", note="Välkommen att ansöka.")
    api.move("knivsta", case["id"], "apply_mapping", requested_amount="400000")
    api.post(
        "knivsta", f"/cases/{case['id']}/attachments", files={"file": ("plan.pdf", b"%PDF plan")}
    )
    assert api.fire("heby", case["id"], "invite").status_code in (403, 404)  # a refused attempt
    return case


def propose_with_a_bad_amount(page: Page) -> None:
    """The case page as it comes back from a refused form: the banner, the field marked."""
    form = page.locator("form[data-transition=propose_mapping_grant]")
    form.locator("input[name=amount]").fill("a lot")
    form.locator("input[name=period_start]").fill("2018-07-01")
    form.locator("input[name=period_end]").fill("2018-12-31")
    form.locator("button[type=submit]").click()
    expect(page.locator(".banner.refused")).to_be_visible()
    amount = page.locator("form[data-transition=propose_mapping_grant] input[name=amount]")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_accessible_description(re.compile(r"decimal|number", re.I))
    expect(page.locator("#propose_mapping_grant-period_end")).to_have_value("2018-12-31")


def dead_mail_incident(app, case_id: int) -> None:  # type: ignore[no-untyped-def]
    """An open incident of a message the sender gave up on: its form differs from a deadline's."""
    services = app.state.services
    mail_id = dead_mail(app, case_id)
    with services.units.writing() as uow:
        mail = uow.mail.get(mail_id)
        assert mail is not None
        incidents.mail_failed(uow, mail, "RCPT TO: 550 no such mailbox", services.clock.now())
        uow.commit()


def save_a_bad_address(page: Page) -> None:
    """The mail page as it comes back refused: the banner, the field marked."""
    page.locator("#mail-email").evaluate(
        "field => field.type = 'text'"
    )  # past the browser's own check
    page.fill("#mail-email", "not an address")
    page.locator("form.mail-settings button[type=submit]").click()
    expect(page.locator(".banner.refused")).to_be_visible()
    expect(page.locator("#mail-email")).to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_page_has_no_serious_axe_violation(
    api: Api, app, live_server: str, page: Page, lang: str
) -> None:
    case = a_case_with_everything_on_it(api)
    held_deadline_incident(app, case["id"])
    dead_mail_incident(app, case["id"])
    base = live_server
    pages = {
        "sign-in": f"/ui/signin?lang={lang}",
        "sign-in, wrong token": f"/ui/signin?lang={lang}&error=1",
        "accessibility statement": f"/ui/accessibility?lang={lang}",
    }
    signed_in = {
        "inbox": f"/ui/inbox?lang={lang}",
        "case": f"/ui/cases/{case['id']}?lang={lang}",
        "history": f"/ui/cases/{case['id']}/history?lang={lang}&as_of=2030-01-01T00:00:00&verify_chain=true",
        "history with refusals": f"/ui/cases/{case['id']}/history?lang={lang}&refusals=true",
        "programme dashboard": f"/ui/programmes/delmos-2018?lang={lang}",
        "lifecycle": f"/ui/lifecycle?lang={lang}",
        "incidents": f"/ui/incidents?lang={lang}",
        "my mail": f"/ui/mail?lang={lang}",
        "accessibility statement, signed in": f"/ui/accessibility?lang={lang}",
    }
    problems: list[str] = []
    for name, path in pages.items():
        page.goto(base + path)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("footer a[href='/ui/accessibility']")).to_be_visible()
        problems += report(name, violations(page))
    sign_in(page, base, api.people.tokens["caseworker"])
    for name, path in signed_in.items():
        response = page.goto(base + path)
        assert response is not None and response.ok, f"{name}: {response and response.status}"
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("footer a[href='/ui/accessibility']")).to_be_visible()
        problems += report(name, violations(page))
    page.goto(f"{base}/ui/cases/{case['id']}?lang={lang}")
    propose_with_a_bad_amount(page)
    problems += report("case, a form refused", violations(page))
    page.goto(f"{base}/ui/mail?lang={lang}")
    save_a_bad_address(page)
    problems += report("my mail, refused", violations(page))
    assert problems == [], "axe-core found:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_accessibility_statement_is_public_and_names_the_standard_and_the_supervisors(
    client: TestClient, lang: str
) -> None:
    client.cookies.clear()
    response = client.get(f"/ui/accessibility?lang={lang}", follow_redirects=False)
    assert response.status_code == 200, "no sign-in: the law asks that anyone can read it"
    html = response.text
    assert f'<html lang="{lang}">' in html
    assert WORDS["accessibility"][lang] in html and STATEMENT["st_limits"][lang] in html
    for fact in ("WCAG 2.1", "EN 301 549", "https://www.digg.se", "https://digst.dk"):
        assert fact in html, fact
    assert ("Digitaliseringsstyrelsen" in html) and ("Digg" in html)
    assert STATEMENT["st_no_contact"][lang] in html, (
        "without a configured contact, says whom to ask"
    )


def test_the_statement_links_the_agencys_contact_and_nothing_but_web_and_mail(
    app, client: TestClient
) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"accessibility_contact": "tillganglighet@myndigheten.se"}
    )
    html = client.get("/ui/accessibility?lang=sv").text
    assert 'href="mailto:tillganglighet@myndigheten.se"' in html
    assert link_to("https://myndigheten.se/kontakt") == "https://myndigheten.se/kontakt"
    assert link_to("myndigheten.se/kontakt") == "https://myndigheten.se/kontakt"
    assert link_to("javascript:alert(1)").startswith("https://")
    assert link_to("javascript://%0aalert(1)").startswith("https://")


def test_every_word_on_the_pages_is_in_english_swedish_and_danish() -> None:
    missing = [
        f"{key}: {lang}"
        for key, texts in WORDS.items()
        for lang in LANGUAGES
        if not texts.get(lang)
    ]
    assert missing == []


def tab_to(page: Page, selector: str, most: int = 150) -> None:
    """Press Tab until the focused element matches `selector`, as someone without a mouse would;
    fails after `most` presses rather than waiting on anything."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    focused = page.evaluate("document.activeElement?.outerHTML.slice(0, 200)")
    raise AssertionError(f"{most} presses of Tab never reached {selector}; focus is on {focused}")


def focus_ring(page: Page) -> tuple[str, float]:
    """The focused element's outline: its style and its width in pixels."""
    style, width = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    return style, width


def test_an_approver_confirms_a_grant_with_the_keyboard_alone(
    api: Api, live_server: str, page: Page
) -> None:
    case = api.create_case("knivsta", "delmos-2018", "Kartläggning av boendesegregation i Knivsta")
    api.move("caseworker", case["id"], "invite")
    api.move("knivsta", case["id"], "apply_mapping", requested_amount="400000")
    decision = {"amount": "350000", "period_start": "2018-09-01", "period_end": "2019-06-30"}
    api.move("caseworker", case["id"], "propose_mapping_grant", **decision)

    page.goto(f"{live_server}/ui/signin?lang=sv")
    tab_to(page, "#token")
    page.keyboard.type(api.people.tokens["approver"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/ui/inbox")

    # The first press reaches the skip link, and the link passes the header by.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Hoppa till innehållet")
    assert focus_ring(page)[0] == "solid" and focus_ring(page)[1] >= 2, "focus must be seen"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    tab_to(page, f"table.cases a[href='/ui/cases/{case['id']}']")
    assert focus_ring(page)[0] == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("#case-state")).to_have_attribute("data-state", "mapping_proposed")

    action = page.locator("details.action", has=page.locator("form[data-transition=grant_mapping]"))
    if action.get_attribute("open") is None:  # a folded action opens from its summary
        tab_to(page, "details.action:has(form[data-transition=grant_mapping]) > summary")
        page.keyboard.press("Enter")
        expect(action).to_have_attribute("open", "")
    tab_to(page, "form[data-transition=grant_mapping] button[type=submit]")
    assert focus_ring(page)[0] == "solid"
    page.keyboard.press("Enter")

    expect(page.locator("#case-state")).to_have_attribute("data-state", "mapping_granted")
    expect(page.locator(".banner.ok")).to_contain_text("Fatta beslut (kartläggning)")
    assert api.get("auditor", f"/cases/{case['id']}").json()["state"] == "mapping_granted"
    granted = api.history("auditor", case["id"])[-1]
    assert (granted["transition"], granted["actor_name"]) == ("grant_mapping", "approver user")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_pages_for_change_requests_checklists_and_personal_data_have_no_serious_axe_violation(
    api: Api, app, live_server: str, page: Page, lang: str
) -> None:
    """The case page with a change request and its forms open (to the applicant who asks, the
    caseworker who assesses, the approver who decides), a Finsam case's checklist, and the
    personal-data page with a proposal and a hold, as each person sees them."""
    case = granted_delmos(api)
    api.post(
        "knivsta",
        f"/cases/{case}/amendments",
        json={"kind": "extension", "period_end": "2019-09-30", "reason": "Sjukskrivning"},
    )
    finsam = api.create_case("knivsta", "finsam-falun-2018", "Lokala spår i Falun")["id"]
    with app.state.services.units.writing() as uow:
        uow.privacy.save(
            ErasureProposal(
                user_id=api.people.user_ids["caseworker2"],
                status="proposed",
                grounds="disabled; the 2 cases they acted on are closed",
                proposed_at=app.state.services.clock.now(),
            )
        )
        uow.commit()
    api.post("admin", "/privacy/legal-holds", json={"case_id": case, "reason": "Överklagande"})
    seen = {
        "knivsta": [f"/ui/cases/{case}"],
        "caseworker": [f"/ui/cases/{case}", f"/ui/cases/{finsam}"],
        "admin": ["/ui/privacy"],
    }
    problems: list[str] = []
    for who, paths in seen.items():
        page.context.clear_cookies()
        sign_in(page, live_server, api.people.tokens[who])
        for path in paths:
            response = page.goto(f"{live_server}{path}?lang={lang}")
            assert response is not None and response.ok, f"{who} {path}"
            problems += report(f"{path} as {who}", violations(page))
    api.post(
        "caseworker",
        f"/amendments/{api.get('caseworker', f'/cases/{case}/amendments').json()[0]['id']}/assess",
        json={"recommendation": "approve", "note": "Rimligt"},
    )
    page.context.clear_cookies()
    sign_in(page, live_server, api.people.tokens["approver"])
    page.goto(f"{live_server}/ui/cases/{case}?lang={lang}")
    problems += report("case with a change to decide, as approver", violations(page))
    assert problems == [], "axe-core found:\n" + "\n".join(problems)
