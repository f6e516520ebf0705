"""How many statements one transition over HTTP sends to the database, token check included:
at most eight (issue 16), counted as bench/statements.py says, on SQLite and on PostgreSQL."""

from __future__ import annotations

from bench.statements import BUDGET, statements_sent
from tests.support import Api

DECISION = {"amount": "100000", "period_start": "2018-01-01", "period_end": "2018-12-31"}


def applied_cases(api: Api, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        case = api.create_case("aarhus", "star-flere-skal-med-2017")
        api.move("aarhus", case["id"], "apply_implementation", requested_amount="200000")
        ids.append(case["id"])
    return ids


def fired_within_budget(app, api: Api, who: str, case_id: int, name: str, **inputs) -> list[str]:  # type: ignore[no-untyped-def]
    with statements_sent(app.state.services.units.db.engine) as sent:
        api.move(who, case_id, name, **inputs)
    assert len(sent) <= BUDGET, f"{name}: {len(sent)} statements:\n" + "\n".join(sent)
    return sent


def test_proposing_and_returning_a_decision_take_at_most_eight_statements_each(
    app, api: Api
) -> None:
    warm, measured = applied_cases(api, 2)
    # The first two make the approver's key and read it once: a worker keeps it for sealing.
    api.move("approver", warm, "propose_implementation_grant", **DECISION)
    api.move("approver", warm, "return_proposal", reason="warm")
    fired_within_budget(app, api, "approver", measured, "propose_implementation_grant", **DECISION)
    fired_within_budget(app, api, "approver", measured, "return_proposal", reason="Budget unclear")


def test_a_caseworker_proposing_a_decision_the_applicant_hears_of_takes_at_most_eight(
    app, api: Api
) -> None:
    *warm, measured = applied_cases(api, 3)
    for case_id in warm:  # the first makes the caseworker's key, the second reads it once
        api.move("caseworker", case_id, "propose_implementation_grant", **DECISION)
    sent = fired_within_budget(
        app, api, "caseworker", measured, "propose_implementation_grant", **DECISION
    )
    assert any("INSERT INTO audit_event" in s for s in sent)
