"""Random sequences of transitions by random people: the invariants of the lifecycle and its audit trail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import isolated_service
from tests.support import Api
from workflow.clock import SettableClock
from workflow.lifecycle import InputSpec, load_lifecycle

LIFECYCLE = load_lifecycle()
PROGRAMMES = {  # programme -> the applicant who opens its cases
    "delmos-2018": "knivsta",
    "dua-2021": "knivsta",
    "sf-uppsala-nya-vagar": "heby",
    "star-flere-skal-med-2017": "aarhus",
}
PEOPLE = [
    "caseworker",
    "caseworker2",
    "approver",
    "approver2",
    "auditor",
    "admin",
    "knivsta",
    "heby",
    "aarhus",
    "odense",
]
STAFF_BY_ROLE = {"caseworker": ["caseworker", "caseworker2"], "approver": ["approver", "approver2"]}

VALUES = {
    "money": st.sampled_from(["0", "1000", "20000", "50000.50", "250000", "1000000"]),
    "date": st.dates(dt.date(2017, 1, 1), dt.date(2022, 12, 31)).map(dt.date.isoformat),
    "text": st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
    "integer": st.integers(0, 1000),
    "cost_lines": st.lists(
        st.fixed_dictionaries(
            {
                "line": st.sampled_from(["Kurser", "Resor", "Lokaler", "Utomlands"]),
                "category": st.sampled_from(
                    ["staff", "travel", "activities", "overhead", "abroad"]
                ),
                "amount": st.sampled_from(["1000", "25000", "120000.50"]),
            }
        ),
        min_size=1,
        max_size=4,
    ),
}


def value_for(spec: InputSpec) -> st.SearchStrategy:
    return st.sampled_from(spec.choices) if spec.type == "choice" else VALUES[spec.type]


def inputs_for(specs: tuple[InputSpec, ...]) -> st.SearchStrategy[dict]:
    """Mostly complete, well-formed bodies (so cases travel), sometimes anything goes."""
    complete = st.fixed_dictionaries(
        {s.name: value_for(s) for s in specs if s.required},
        optional={s.name: value_for(s) for s in specs if not s.required},
    )
    anything = st.fixed_dictionaries({}, optional={s.name: value_for(s) for s in specs})
    return st.one_of(complete, complete, complete, anything)


def people_who_may(roles: frozenset, lead: str) -> list[str]:
    found = [who for role in roles for who in STAFF_BY_ROLE.get(role, [])]
    return found + ([lead] if "applicant" in roles else []) or PEOPLE


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(programme=st.sampled_from(sorted(PROGRAMMES)), data=st.data())
def test_random_transitions_by_random_people_keep_every_invariant(
    template_database: str, tmp_path: Path, programme: str, data
) -> None:
    # Each example gets a service and database of its own, starting while every call is open.
    with isolated_service(template_database, tmp_path) as (api, clock):
        walk(api, clock, programme, data)


def walk(api: Api, clock: SettableClock, programme: str, data: st.DataObject) -> None:
    lead = PROGRAMMES[programme]
    case = api.create_case(lead, programme, "Property case")
    case_id, accepted = case["id"], 0

    for _ in range(data.draw(st.integers(1, 25), label="steps")):
        clock.advance(dt.timedelta(minutes=data.draw(st.integers(0, 600), label="minutes later")))
        state = api.get("caseworker", f"/cases/{case_id}").json()["state"]
        # Mostly transitions onwards from the current state, so cases travel far; sometimes ones
        # that end the case early, sometimes any at all.
        choices = LIFECYCLE.transitions_from(state) or list(LIFECYCLE.transitions)
        onwards = [
            t for t in choices if not LIFECYCLE.states[t.dest].terminal or t.dest == "closed"
        ] or choices
        pool = data.draw(
            st.sampled_from([onwards] * 6 + [choices, list(LIFECYCLE.transitions)]), label="pool"
        )
        transition = data.draw(st.sampled_from(pool), label="transition")
        who = data.draw(
            st.sampled_from(
                data.draw(st.sampled_from([people_who_may(transition.roles, lead)] * 3 + [PEOPLE]))
            ),
            label="who",
        )
        body = data.draw(inputs_for(transition.inputs), label="inputs")

        before = api.get("caseworker", f"/cases/{case_id}").json()
        response = api.fire(who, case_id, transition.name, **body)
        assert response.status_code < 500, response.text
        after = api.get("caseworker", f"/cases/{case_id}").json()

        assert after["state"] in LIFECYCLE.states
        if response.status_code == 200:
            accepted += 1
            assert after["version"] == before["version"] + 1
            # A name may be declared from several states to several (return_proposal): the
            # declaration that applies is the one leaving the state the case was in.
            declared = LIFECYCLE.transition(transition.name, before["state"])
            assert declared is not None
            assert after["state"] == declared.dest
        else:
            assert response.headers["content-type"] == "application/problem+json"
            assert after == before, "a refused transition changed the case"

        assert after["version"] == 1 + accepted
        history = api.history("auditor", case_id)
        assert len(history) == 1 + accepted
        assert api.get("auditor", "/audit/verify").json()["ok"] is True
        for past in history:
            then = api.get("auditor", f"/cases/{case_id}", params={"as_of": past["at"]}).json()
            assert (then["state"], then["version"]) == (past["to_state"], past["case_version"])
        event(f"reached {after['state']}")
        rebuilt = api.get(
            "auditor", f"/cases/{case_id}", params={"as_of": history[-1]["at"]}
        ).json()
        assert {**rebuilt, "as_of": None} == after, (
            "the case rebuilt from its events differs from the stored one"
        )
