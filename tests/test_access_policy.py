"""The one access policy, held to: every API route and page names its action, and every role's
answer from every one of them is what the policy table (states/access.toml) says."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from services.policy import DECLARED, POLICY, PUBLIC, SIGNED_IN, document
from tests.route_walk import (
    Sample,
    make_sample,
    request_for,
    routes,
    signed_in,
)
from tests.support import Api
from workflow.access import Action, Subject
from workflow.actors import Actor
from workflow.lifecycle import load_lifecycle

ROOT = Path(__file__).resolve().parent.parent
ROLES = ["knivsta", "heby", "aarhus", "caseworker", "approver", "auditor", "admin"]
# Page forms the policy allows but the sample case's state refuses.
NOT_RUNNING = {"/ui/cases/{case_id}/amendments"}
INVITE_ROLES = load_lifecycle().any_transition("invite").roles  # type: ignore[union-attr]


def test_docs_access_is_the_policy_table() -> None:
    assert (ROOT / "docs" / "ACCESS.md").read_text(encoding="utf-8") == document()


def expected(route: APIRoute, actor: Actor, sample: Sample) -> tuple[str, int | None]:
    """("refused", 403 or 404) or ("allowed", None) for `actor` on `route`, by the policy."""
    declared = route.openapi_extra[DECLARED]  # type: ignore[index]
    if declared in (PUBLIC, SIGNED_IN):
        return "allowed", None
    action = Action(declared)
    subject = None
    if "{case_id}" in route.path:
        subject = Subject(
            frozenset({sample.orgs["knivsta"], sample.orgs["heby"]}), sample.orgs["knivsta"]
        )
    elif "{agreement_id}" in route.path:
        subject = Subject(frozenset({sample.orgs["knivsta"], sample.orgs["heby"]}))
    elif action is Action.contacts_manage and "{organisation_id}" in route.path:
        heby = sample.orgs["heby"]
        subject = Subject(frozenset({heby}), heby)
    elif action is Action.contacts_manage:  # another person's: never an applicant's to change
        subject = Subject()
    elif action is Action.case_open:
        subject = Subject(frozenset({sample.orgs["knivsta"]}), sample.orgs["knivsta"])
    decision = POLICY.decide(actor, action, subject)
    if action is Action.case_partner:  # asked on the partner, of those who can see the case
        seen = POLICY.decide(actor, Action.case_read, subject)
        heby = sample.orgs["heby"]
        decision = (
            seen
            if not seen.allowed
            else POLICY.decide(actor, action, Subject(frozenset({heby}), heby))
        )
    if not decision.allowed:
        return "refused", 404 if decision.hidden else 403
    if action is Action.case_fire and actor.role not in INVITE_ROLES:
        return "refused", 403  # the policy allows the case; the lifecycle refuses the transition
    return "allowed", None


def test_every_route_names_its_action_in_the_policy(app) -> None:
    undeclared = [
        f"{sorted(r.methods)} {r.path}"
        for r in routes(app)
        if DECLARED not in (r.openapi_extra or {})
    ]
    assert undeclared == []
    known = {PUBLIC, SIGNED_IN} | {a.value for a in Action}
    assert {r.openapi_extra[DECLARED] for r in routes(app)} <= known  # type: ignore[index]


def test_every_route_answers_every_role_as_the_policy_table_says(api: Api, app) -> None:
    sample = make_sample(api, app)
    actors = {who: actor_of(api, app, who) for who in ROLES}
    sessions = {who: signed_in(api, who) for who in ROLES}
    wrong = []
    for route in routes(app):
        for method in sorted(route.methods - {"HEAD"}):
            page = route.path == "/" or route.path.startswith("/ui/")
            for who in ROLES:
                kind, status = expected(route, actors[who], sample)
                kw = request_for(route, method, sample, api, who)
                if page:
                    api.client.cookies.clear()
                    if route.path == "/ui/signin" and method == "POST":
                        api.client.get("/ui/signin")  # the sign-in form's own CSRF cookie
                        csrf = api.client.cookies.get("gf_login_csrf")
                        kw["data"] = {"token": api.people.tokens[who], "csrf": csrf}
                    else:
                        api.client.cookies.set("gf_session", sessions[who][0])
                    if method == "POST":
                        kw.setdefault("data", {}).setdefault("csrf", sessions[who][1])
                        if "json" in kw:
                            kw["data"].update(kw.pop("json") or {})
                    answer = api.client.request(method, follow_redirects=False, **kw)
                    if route.path == "/ui/signout":
                        sessions[who] = signed_in(api, who)  # signed out: sign in again
                else:
                    api.client.cookies.clear()
                    answer = api.client.request(method, headers=api.headers(who), **kw)
                got = answer.status_code
                if kind == "refused":
                    ok = got == status
                elif page and method == "POST" and route.path in NOT_RUNNING:
                    ok = got == 409  # allowed; the sample case takes no change requests yet
                elif page and method == "POST":
                    ok = got == 303  # a form that did its work sends the browser on
                else:
                    ok = got not in (401, 403, 404)
                if not ok:
                    wrong.append(
                        f"{method} {route.path} as {who}: {got}, the policy says {kind} {status or ''}"
                    )
    api.client.cookies.clear()
    assert wrong == [], "\n".join(wrong)


def test_without_a_token_only_public_routes_answer(api: Api, app) -> None:
    sample = make_sample(api, app)
    wrong = []
    api.client.cookies.clear()
    for route in routes(app):
        for method in sorted(route.methods - {"HEAD"}):
            kw = request_for(route, method, sample, api, "nobody")
            if route.path.startswith("/ui/") and method == "POST":
                kw.pop("json", None)
                kw["data"] = {"csrf": "x"}
            if route.path == "/ui/signin" and method == "POST":  # the form's own CSRF token
                api.client.get("/ui/signin")
                kw["data"] = {"token": "wrong", "csrf": api.client.cookies.get("gf_login_csrf")}
            got = api.client.request(method, follow_redirects=False, **kw).status_code
            public = route.openapi_extra[DECLARED] == PUBLIC  # type: ignore[index]
            page = route.path == "/" or route.path.startswith("/ui/")
            ok = got not in (401, 403) if public else got == (303 if page else 401)
            if not ok:
                wrong.append(f"{method} {route.path}: {got}")
    assert wrong == [], "\n".join(wrong)


def actor_of(api: Api, app, who: str) -> Actor:  # type: ignore[no-untyped-def]
    from services.access import authenticate

    with app.state.services.units.reading() as uow:
        return authenticate(uow, api.people.tokens[who], now=app.state.services.clock.now())


@pytest.fixture(autouse=True)
def _tierp_exists(api: Api) -> None:
    assert "tierp" in api.people.org_ids
