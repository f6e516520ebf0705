"""Asking the access policy (workflow/access.py, states/access.toml) and acting on its answer:
a refusal is a 403 saying why, or a 404 where the actor may not learn the thing exists."""

from __future__ import annotations

from collections.abc import Iterable

from services.errors import Forbidden, NotFound
from services.storage.models import Case
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action, Decision, Policy, Scope, Subject
from workflow.actors import Actor

POLICY = Policy.load()

# What a route asks of the policy, beyond its actions: nothing (public), or a signed-in person
# of any role. Every route and page declares one (tests/test_access_policy.py checks).
PUBLIC = "public"
SIGNED_IN = "signed-in"
DECLARED = "x-grantflow-action"


def declared(action: Action | str) -> dict[str, str]:
    """The route's entry in the policy, as its OpenAPI extra: `openapi_extra=declared(...)`."""
    return {DECLARED: str(action)}


def document() -> str:
    """docs/ACCESS.md, made from the policy (`grantflow access table > docs/ACCESS.md`)."""
    return f"""# Who may do what

Made from `states/access.toml` by `grantflow access table`; a test fails when this file and
the policy differ. Every API route and page names the action it takes (its OpenAPI
`x-grantflow-action`), and asks the one policy (`workflow/access.py`) before it acts.

- **all**: every case or record; **party**: those its organisation is a party to; **lead**:
  those its organisation leads (a partner in a joint application reads it, the lead acts);
  **own**: its own organisation's; **–**: not at all (403).
- An applicant asking for a case or agreement of another organisation is told it does not
  exist (404), so it cannot learn which exist.
- Which transitions a role may fire is the lifecycle's (`states/grant_lifecycle.toml`);
  `case.fire` says on which cases.
- Routes marked `public` need no token (health, metrics, the published grants, the audit
  log's public key, the lifecycle, the docs); `signed-in` ones any role.

{POLICY.table()}
"""


def require(actor: Actor, action: Action, subject: Subject | None = None, what: str = "") -> None:
    refuse(POLICY.decide(actor, action, subject), what)


def refuse(decision: Decision, what: str = "") -> None:
    if decision.allowed:
        return
    if decision.hidden:
        raise NotFound(f"there is no {what or 'such thing'}")
    raise Forbidden(decision.reason)


def allows(actor: Actor, action: Action, subject: Subject | None = None) -> bool:
    return POLICY.decide(actor, action, subject).allowed


def narrowed_to(actor: Actor, action: Action) -> int | None:
    """The organisation a list is narrowed to for `actor`: its own where its scope is less than
    everything, else None."""
    scope = POLICY.scope(actor, action)
    return None if scope is Scope.all else actor.organisation_id


def require_on_case(uow: UnitOfWork, actor: Actor, action: Action, case: Case) -> None:
    """`action` on `case`, with its parties read only when the actor's scope asks for them."""
    if POLICY.scope(actor, action) is Scope.all:
        return
    assert case.id is not None
    parties = uow.cases.parties_of([case.id]).get(case.id, [])
    require_among(
        actor, action, case.id, case.organisation_id, {p.organisation_id for p in parties}
    )


def require_among(
    actor: Actor, action: Action, case_id: int, lead: int, parties: Iterable[int]
) -> None:
    """`action` on the case led by `lead` with these parties, already read."""
    if POLICY.scope(actor, action) is Scope.all:
        return
    require(actor, action, Subject(frozenset(parties), lead), f"case {case_id}")
