"""Personal data apart from the record: a person's name and words are sealed under their own key,
erasure destroys the key, the chain still verifies, and nothing the service answers shows them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import event
from sqlmodel import select

from services.storage.models import AuditEvent
from services.storage.outbox import Mail
from services.storage.privacy import ErasureProposal
from tests.browser import sign_in
from tests.route_walk import Sample, make_sample, request_for, routes, signed_in
from tests.support import Api, add_user_with_token, chain_of, tables
from tests.test_auditing import export_log, run_verifier
from workflow.actors import Role
from workflow.clock import SettableClock

NAME = "Ingrid Raderasdotter"
ADDRESS = "ingrid.raderasdotter@knivsta.example"
NOTE = "Ring mig på 070-123 45 67 efter lunch"
REASON = "Sökanden har inte svarat på tre brev från mig"
THEIRS = (NAME, ADDRESS, NOTE, REASON)


def ingrid_acts(api: Api, app, clock: SettableClock) -> tuple[int, list[int]]:
    """A caseworker with an address who invites one applicant with a note, declines another's
    interest with a reason, and hears by mail of a withdrawal; then she leaves and is disabled."""
    add_user_with_token(app, clock, api, NAME, Role.caseworker)
    user_id = api.get(NAME, "/me").json()["id"]
    assert api.patch("admin", f"/users/{user_id}/mail", json={"email": ADDRESS}).status_code == 200
    invited = api.create_case("knivsta", "delmos-2018", "Kartläggning i Knivsta")
    api.move(NAME, invited["id"], "invite", note=NOTE)
    declined = api.create_case("heby", "delmos-2018", "Kartläggning i Heby")
    api.move(NAME, declined["id"], "decline_interest", reason=REASON)
    withdrawn = api.create_case("heby", "delmos-2018", "Andra försöket i Heby")
    api.move(NAME, withdrawn["id"], "invite")
    api.move("heby", withdrawn["id"], "withdraw", reason="Vi avstår")  # she is told, by mail
    clock.advance(dt.timedelta(days=1))
    assert api.post("admin", f"/admin/users/{user_id}/disable").status_code == 204
    return user_id, [invited["id"], declined["id"]]


def everything_shown(api: Api, app, sample: Sample, case_id: int, user_id: int) -> str:
    """Every answer the service gives (API routes, pages, exports) on the case and the person,
    to an administrator, an auditor and a caseworker, run together."""
    sample = dataclasses.replace(sample, case=case_id, user=user_id)
    shown = []
    for who in ("admin", "auditor", "caseworker"):
        session = signed_in(api, who)[0]
        for route in routes(app):
            if "GET" not in route.methods or route.path.startswith("/ui/oidc"):
                continue
            kw = request_for(route, "GET", sample, api, who)
            api.client.cookies.clear()
            if route.path == "/" or route.path.startswith("/ui/"):
                api.client.cookies.set("gf_session", session)
                answer = api.client.get(follow_redirects=False, **kw)
            else:
                answer = api.client.get(headers=api.headers(who), **kw)
            assert answer.status_code != 500, route.path  # /health is 503: the sample has incidents
            shown.append(answer.text)
        for query in ("?as_of=2030-01-01T00:00:00Z", "/history?format=csv"):
            shown.append(api.get(who, f"/cases/{case_id}{query}").text)
        shown.append(api.get(who, "/audit/events?format=csv").text)
    api.client.cookies.clear()
    return "\n".join(shown)


def archived(api: Api, case_id: int) -> str:
    """Every file of the case's archive package, as text."""
    answer = api.get("auditor", f"/cases/{case_id}/archive")
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as package:
        return "\n".join(
            package.read(name).decode("utf-8", "replace") for name in package.namelist()
        )


def test_a_persons_name_and_words_are_stored_sealed_and_read_in_the_clear(
    api: Api, app, clock: SettableClock
) -> None:
    _, (invited, _) = ingrid_acts(api, app, clock)
    with tables(app) as session:
        payloads = "\n".join(session.exec(select(AuditEvent.payload)).all())
    for text in THEIRS:
        assert text not in payloads
    invite = next(e for e in api.history("auditor", invited) if e["transition"] == "invite")
    assert invite["actor_name"] == NAME
    assert invite["inputs"]["note"] == NOTE


def test_erasing_a_person_keeps_the_chain_and_leaves_their_data_nowhere(
    api: Api, app, clock: SettableClock, tmp_path: Path
) -> None:
    user_id, (invited, declined) = ingrid_acts(api, app, clock)
    with tables(app) as session:
        mails = "\n".join(m.text_body + m.html_body for m in session.exec(select(Mail)).all())
    assert NOTE in mails  # the notice to Knivsta quotes her note
    sample = make_sample(api, app)
    before = everything_shown(api, app, sample, invited, user_id)
    for text in (NAME, ADDRESS, NOTE):
        assert text in before, text  # the crawl does reach what it checks below

    erased = api.post(
        "admin", f"/users/{user_id}/erasure", json={"reason": "begäran enligt art. 17"}
    )
    assert erased.status_code == 201, erased.text

    shown = everything_shown(api, app, sample, invited, user_id) + everything_shown(
        api, app, sample, declined, user_id
    )
    for text in THEIRS:
        assert text not in shown, text
    assert "[erased]" in shown
    package = archived(api, declined)
    for text in THEIRS:
        assert text not in package, text
    invite = next(e for e in api.history("auditor", invited) if e["transition"] == "invite")
    assert (invite["actor_name"], invite["inputs"]["note"]) == ("[erased]", "[erased]")
    assert invite["actor_id"] == user_id  # who acted is still known, as a number

    assert chain_of(app).ok
    assert api.get("auditor", "/audit/verify").json()["ok"] is True
    export = tmp_path / "export"
    export_log(app, export)
    verified = run_verifier(export)
    assert verified.returncode == 0, verified.stdout
    exported = (export / "events.jsonl").read_text(encoding="utf-8")
    for text in THEIRS:
        assert text not in exported
    events = [json.loads(line) for line in exported.splitlines()]
    (erasure,) = [e for e in events if e["transition"] == "personal_data_erased"]
    assert erasure["details"]["user"] == user_id


def test_a_legal_hold_refuses_the_erasure_and_changes_nothing(
    api: Api, app, clock: SettableClock
) -> None:
    user_id, (invited, _) = ingrid_acts(api, app, clock)
    on_case = api.post(
        "admin", "/privacy/legal-holds", json={"case_id": invited, "reason": "överklagat beslut"}
    )
    assert on_case.status_code == 201, on_case.text
    events = len(api.get("auditor", "/audit/events?limit=1000").json()["items"])

    refused = api.post("admin", f"/users/{user_id}/erasure", json={"reason": "art. 17"})
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert f"hold {on_case.json()['id']} on case {invited}" in refused.json()["detail"]
    assert len(api.get("auditor", "/audit/events?limit=1000").json()["items"]) == events
    invite = next(e for e in api.history("auditor", invited) if e["transition"] == "invite")
    assert invite["actor_name"] == NAME

    lifted = api.post(
        "admin",
        f"/privacy/legal-holds/{on_case.json()['id']}/lift",
        json={"reason": "domen vann laga kraft"},
    )
    assert lifted.status_code == 200
    assert (
        api.post("admin", f"/users/{user_id}/erasure", json={"reason": "art. 17"}).status_code
        == 201
    )


def test_a_hold_on_the_person_refuses_it_too_and_only_administrators_erase(
    api: Api, app, clock: SettableClock
) -> None:
    user_id, _ = ingrid_acts(api, app, clock)
    hold = api.post("admin", "/privacy/legal-holds", json={"user_id": user_id, "reason": "tvist"})
    assert hold.status_code == 201
    assert api.post("admin", f"/users/{user_id}/erasure", json={"reason": "x"}).status_code == 409
    for who in ("caseworker", "auditor", "approver"):
        assert api.post(who, f"/users/{user_id}/erasure", json={"reason": "x"}).status_code == 403
    holds = api.get("auditor", "/privacy/legal-holds").json()
    assert [h["user_id"] for h in holds] == [user_id]


def test_an_active_person_is_not_erased_until_disabled(api: Api, app, clock: SettableClock) -> None:
    add_user_with_token(app, clock, api, NAME, Role.caseworker)
    user_id = api.get(NAME, "/me").json()["id"]
    refused = api.post("admin", f"/users/{user_id}/erasure", json={"reason": "x"})
    assert refused.status_code == 409 and "disable them first" in refused.json()["detail"]
    assert api.get(NAME, "/me").status_code == 200


def test_retention_proposes_erasure_ten_years_after_the_last_case_closed_and_a_person_approves(
    api: Api, app, clock: SettableClock
) -> None:
    user_id, (invited, _) = ingrid_acts(api, app, clock)
    # The declined case is closed; the invited one is still open, so nothing is proposed.
    app.state.keeper.sweep()
    clock.advance(dt.timedelta(days=366 * 10))
    app.state.keeper.sweep()
    assert api.get("auditor", "/privacy/erasure-proposals").json() == []

    closed = clock.now()
    api.move("knivsta", invited, "withdraw", reason="Vi söker inte")
    clock.set(closed.replace(year=closed.year + 10) - dt.timedelta(days=1))
    app.state.keeper.sweep()
    assert api.get("auditor", "/privacy/erasure-proposals").json() == []  # not yet ten years
    clock.advance(dt.timedelta(days=2))
    app.state.keeper.sweep()
    (proposal,) = api.get("auditor", "/privacy/erasure-proposals").json()
    assert proposal["user_id"] == user_id
    assert "the 3 cases they acted on are closed" in proposal["grounds"]

    done = api.post(
        "admin",
        f"/privacy/erasure-proposals/{proposal['id']}/approve",
        json={"reason": "gallring enligt beslut"},
    )
    assert done.status_code == 200, done.text
    assert api.get("auditor", "/privacy/erasure-proposals").json() == []
    invite = next(e for e in api.history("auditor", invited) if e["transition"] == "invite")
    assert invite["actor_name"] == "[erased]"
    assert chain_of(app).ok


def test_an_administrator_places_a_hold_and_decides_a_proposed_erasure_on_the_page(
    api: Api, app, clock: SettableClock, live_server: str, page: Page
) -> None:
    user_id, _ = ingrid_acts(api, app, clock)
    with app.state.services.units.writing() as uow:
        proposal = ErasureProposal(
            user_id=user_id, status="proposed", grounds="retention ended", proposed_at=clock.now()
        )
        uow.privacy.save(proposal)
        uow.commit()
    sign_in(page, live_server, api.people.tokens["admin"])
    page.goto(f"{live_server}/ui/privacy")
    page.fill("input[name=id][inputmode=numeric]", str(user_id))
    page.locator("form:has(button[value=hold]) input[name=reason]").fill("Tvist om beslutet")
    page.locator("button[value=hold]").click()
    expect(page.locator("#done")).to_be_visible()
    (hold,) = api.get("auditor", "/privacy/legal-holds").json()
    assert hold["user_id"] == user_id

    card = page.locator(f"#proposal-{proposal.id}")
    card.locator("input[name=reason]").fill("Gallring enligt beslut")
    card.locator("button[value=approve]").click()
    expect(page.locator(".banner.refused")).to_contain_text(f"hold {hold['id']}")  # held: kept
    assert api.get("auditor", "/privacy/erasure-proposals").json()[0]["status"] == "proposed"

    page.locator(f"tr:has-text('{NAME}') input[name=reason]").fill("Tvisten avgjord")
    page.locator(f"tr:has-text('{NAME}') button[value=lift]").click()
    card = page.locator(f"#proposal-{proposal.id}")
    card.locator("input[name=reason]").fill("Gallring enligt beslut")
    card.locator("button[value=approve]").click()
    expect(page.locator("#done")).to_be_visible()
    assert api.get("auditor", "/privacy/erasure-proposals").json() == []
    assert NAME not in page.content()


def test_a_persons_key_is_read_once_for_an_event_however_many_of_its_fields_are_theirs(
    api: Api, app
) -> None:
    case = api.create_case("knivsta", "delmos-2018", "Kartläggning")
    api.move("caseworker", case["id"], "decline_interest", reason="Första")  # the key is made
    other = api.create_case("knivsta", "delmos-2018", "Kartläggning igen")
    engine = app.state.services.units.db.engine
    keys_read: list[str] = []

    def note(conn, cursor, statement: str, *rest) -> None:  # type: ignore[no-untyped-def]
        if "personal_key" in statement:
            keys_read.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        # Sealed under the caseworker's key: the name, the input `reason`, and the reason.
        api.move("caseworker", other["id"], "decline_interest", reason="Andra")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(keys_read) == 1
