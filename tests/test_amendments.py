"""Change requests after a decision: a longer period, money moved between budget lines, a new
contact address; assessed by a caseworker and decided by an approver, or approved on submission
where the programme file says so ([amendments.*] in config/programmes/)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlmodel import select

from services.storage.keeping import Deadline
from services.storage.models import Commitment, Decision
from tests.browser import sign_in
from tests.support import Api, chain_of, tables
from workflow.clock import SettableClock

DECISION = {"period_start": "2018-01-01", "period_end": "2019-06-30"}
BUDGET = [
    {"line": "Projektledare", "category": "staff", "amount": "900000"},
    {"line": "Resor", "category": "travel", "amount": "100000"},
    {"line": "Lokaler", "category": "administration", "amount": "200000"},
]


def granted_delmos(api: Api) -> int:
    """A Delmos case through its four steps to a running implementation grant (seeds/004)."""
    case = api.create_case("knivsta", "delmos-2018", "Genomförande i Knivsta")["id"]
    for who, name, inputs in [
        ("caseworker", "invite", {}),
        ("knivsta", "apply_mapping", {"requested_amount": "400000"}),
        ("caseworker", "propose_mapping_grant", {"amount": "350000", **DECISION}),
        ("approver", "grant_mapping", {}),
        ("knivsta", "submit_plan", {"summary": "Plan"}),
        ("knivsta", "apply_implementation", {"requested_amount": "1200000", "budget": BUDGET}),
        ("caseworker", "propose_implementation_grant", {"amount": "1200000", **DECISION}),
        ("approver", "grant_implementation", {}),
    ]:
        api.move(who, case, name, **inputs)
    return case


def pending(app, case_id: int) -> dict[str, dt.datetime]:
    with tables(app) as session:
        rows = session.exec(
            select(Deadline).where(Deadline.case_id == case_id, Deadline.status == "pending")
        ).all()
        return {d.kind: d.due_at for d in rows}


def test_an_approved_extension_moves_the_period_end_and_the_report_deadline_and_keeps_the_old_decision(
    api: Api, app, clock: SettableClock
) -> None:
    case = granted_delmos(api)
    assert pending(app, case)["period_end"].date() == dt.date(2019, 6, 30)
    clock.advance(dt.timedelta(days=30))
    before_approval = clock.now()

    asked = api.post(
        "knivsta",
        f"/cases/{case}/amendments",
        json={"kind": "extension", "period_end": "2019-12-31", "reason": "Rekryteringen drog ut"},
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "requested"  # Delmos: an approver decides extensions
    amendment = asked.json()["id"]
    # An approver cannot skip the caseworker's assessment.
    early = api.post(
        "approver", f"/amendments/{amendment}/decide", json={"approve": True, "reason": "Godkänt"}
    )
    assert early.status_code == 409
    assessed = api.post(
        "caseworker",
        f"/amendments/{amendment}/assess",
        json={"recommendation": "approve", "note": "Skälen håller"},
    )
    assert assessed.status_code == 200 and assessed.json()["status"] == "assessed"
    clock.advance(dt.timedelta(hours=2))
    decided = api.post(
        "approver",
        f"/amendments/{amendment}/decide",
        json={"approve": True, "reason": "Förlängning beviljas"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"

    now_case = api.get("auditor", f"/cases/{case}").json()
    assert now_case["period_end"] == "2019-12-31"
    assert pending(app, case)["period_end"].date() == dt.date(2019, 12, 31)
    then = api.get("auditor", f"/cases/{case}", params={"as_of": before_approval.isoformat()})
    assert then.json()["period_end"] == "2019-06-30"

    with tables(app) as session:
        decisions = session.exec(
            select(Decision).where(Decision.case_id == case).order_by(Decision.id)
        ).all()
        implementation = [d for d in decisions if d.amount == Decimal("1200000")]
        assert [(d.version, d.status, d.period_end) for d in implementation] == [
            (1, "superseded", dt.date(2019, 6, 30)),
            (2, "confirmed", dt.date(2019, 12, 31)),
        ]
        commitments = session.exec(
            select(Commitment).where(Commitment.decision_id == implementation[1].id)
        ).all()
        by_year = {c.fiscal_year: c.amount for c in commitments}
    # 1 200 000 over 2018-01-01..2019-12-31 by days: 365 and 365 days.
    assert by_year == {2018: Decimal("600000.00"), 2019: Decimal("600000.00")}

    history = api.history("auditor", case)
    approval = next(e for e in history if e["transition"] == "amendment_approved")
    assert approval["actor_name"] == "approver user"
    assert approval["details"]["assessed_by_name"] == "caseworker user"
    assert approval["details"]["deadlines"][0]["kind"] == "period_end"
    assert chain_of(app).ok

    # When the longer period ends, the final report is due two months after the new end:
    # 2020-02-29 is a Saturday, so the next working day, Monday 2 March.
    clock.set(dt.datetime(2020, 1, 2, 8, tzinfo=dt.UTC))
    app.state.keeper.sweep()
    assert pending(app, case)["final_report"].date() == dt.date(2020, 3, 2)


def test_a_reallocation_under_the_threshold_is_approved_on_submission_and_one_above_waits(
    api: Api,
) -> None:
    case = granted_delmos(api)
    small = api.post(
        "knivsta",
        f"/cases/{case}/amendments",
        json={
            "kind": "reallocation",
            "from_line": "Projektledare",
            "to_line": "Resor",
            "amount": "90000",  # a tenth of 900 000: Delmos approves this on submission
            "reason": "Fler resor till skolorna",
        },
    )
    assert small.status_code == 201, small.text
    assert (small.json()["status"], small.json()["on_submission"]) == ("approved", True)

    large = api.post(
        "knivsta",
        f"/cases/{case}/amendments",
        json={
            "kind": "reallocation",
            "from_line": "Lokaler",
            "to_line": "Resor",
            "amount": "20001",  # just over a tenth of 200 000
            "reason": "Lokalen blev billigare",
        },
    )
    assert large.status_code == 201
    assert (large.json()["status"], large.json()["on_submission"]) == ("requested", False)
    listed = api.get("knivsta", f"/cases/{case}/amendments").json()
    assert [a["status"] for a in listed] == ["approved", "requested"]


def test_the_decider_is_never_the_one_who_assessed_and_a_refusal_carries_its_reason(
    api: Api,
) -> None:
    case = granted_delmos(api)
    asked = api.post(
        "knivsta",
        f"/cases/{case}/amendments",
        json={"kind": "extension", "period_end": "2019-09-30", "reason": "Sjukdom"},
    ).json()
    assert (
        api.post(
            "knivsta",
            f"/amendments/{asked['id']}/assess",
            json={"recommendation": "approve", "note": "x" * 3},
        ).status_code
        == 403
    )
    api.post(
        "caseworker",
        f"/amendments/{asked['id']}/assess",
        json={"recommendation": "refuse", "note": "Ingen grund"},
    )
    refused = api.post(
        "approver",
        f"/amendments/{asked['id']}/decide",
        json={"approve": False, "reason": "Perioden räcker"},
    )
    assert refused.json()["status"] == "refused"
    assert api.get("auditor", f"/cases/{case}").json()["period_end"] == "2019-06-30"
    refusal = next(
        e for e in api.history("auditor", case) if e["transition"] == "amendment_refused"
    )
    assert refusal["reason"] == "Perioden räcker"


def test_a_request_the_programme_cannot_grant_is_refused_and_changes_nothing(api: Api) -> None:
    case = granted_delmos(api)
    events = len(api.history("auditor", case))
    for body in (
        {"kind": "extension", "period_end": "2019-01-01", "reason": "Kortare"},  # not later
        {"kind": "extension", "period_end": "2021-01-01", "reason": "Mycket längre"},  # > 12 months
        {
            "kind": "reallocation",
            "from_line": "Resor",
            "to_line": "Finns inte",
            "amount": "1",
            "reason": "Fel rad",
        },
        {
            "kind": "reallocation",
            "from_line": "Resor",
            "to_line": "Lokaler",
            "amount": "100001",
            "reason": "För mycket",
        },
        {"kind": "extension", "reason": "Saknar datum"},
    ):
        answer = api.post("knivsta", f"/cases/{case}/amendments", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert len(api.history("auditor", case)) == events
    not_running = api.create_case("heby", "delmos-2018", "Ännu inte beviljad")["id"]
    early = api.post(
        "heby",
        f"/cases/{not_running}/amendments",
        json={"kind": "contact", "email": "ny@heby.example", "reason": "Ny kontakt"},
    )
    assert early.status_code == 409


def test_on_the_case_page_the_applicant_asks_the_caseworker_assesses_and_the_approver_approves(
    api: Api, live_server: str, page: Page
) -> None:
    case = granted_delmos(api)
    sign_in(page, live_server, api.people.tokens["knivsta"])
    page.goto(f"{live_server}/ui/cases/{case}")
    page.locator("#amendments summary").click()
    page.select_option("#amend-kind", "extension")
    page.fill("#amend-period-end", "2019-10-31")
    page.fill("#amend-reason", "Sommaren försenade starten")
    page.locator("#amendments form button[type=submit]").click()
    (asked,) = api.get("caseworker", f"/cases/{case}/amendments").json()
    expect(page.locator(f"#amendment-{asked['id']}")).to_have_attribute("data-status", "requested")

    page.context.clear_cookies()
    sign_in(page, live_server, api.people.tokens["caseworker"])
    page.goto(f"{live_server}/ui/cases/{case}")
    page.fill(f"#assess-note-{asked['id']}", "Rimligt, planen håller")
    page.locator(f"#amendment-{asked['id']} button[type=submit]").click()
    expect(page.locator(f"#amendment-{asked['id']}")).to_have_attribute("data-status", "assessed")

    page.context.clear_cookies()
    sign_in(page, live_server, api.people.tokens["approver"])
    page.goto(f"{live_server}/ui/cases/{case}")
    page.fill(f"#decide-reason-{asked['id']}", "Beviljas")
    page.locator(f"#amendment-{asked['id']} button[value=approve]").click()
    expect(page.locator(f"#amendment-{asked['id']}")).to_have_attribute("data-status", "approved")
    assert api.get("auditor", f"/cases/{case}").json()["period_end"] == "2019-10-31"
