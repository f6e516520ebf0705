"""Who acts on a case: the roles of the access model and the actor behind each request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    applicant = "applicant"  # one organisation; sees and acts on its own cases only
    caseworker = "caseworker"
    approver = "approver"  # confirms decisions a caseworker proposed (four eyes)
    auditor = "auditor"  # reads everything, changes nothing
    admin = "admin"  # users, tokens, programmes
    system = "system"  # the deadline scheduler
    anonymous = "anonymous"  # no valid token: only ever named in the record of a refusal


@dataclass(frozen=True)
class Actor:
    """The person (or the scheduler) behind a request, as the audit log names them."""

    user_id: int | None
    name: str
    role: Role
    organisation_id: int | None = None
    # How strongly they signed in (the provider's `acr`); None for a token or the scheduler.
    assurance: str | None = None


SYSTEM = Actor(user_id=None, name="system", role=Role.system)
ANONYMOUS = Actor(user_id=None, name="anonymous", role=Role.anonymous)
