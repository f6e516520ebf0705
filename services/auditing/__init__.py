"""The auditor's toolkit: search the log, export it for checking elsewhere, sign its head, and
see a whole programme as it stood on a date. The recipe an outside verifier follows is docs/AUDIT.md."""

from __future__ import annotations

from services.errors import Forbidden
from workflow.actors import Actor, Role

AUDIT_READERS = {Role.auditor, Role.admin}
STAFF = {Role.auditor, Role.admin, Role.caseworker, Role.approver}


def require_auditor(actor: Actor) -> None:
    if actor.role not in AUDIT_READERS:
        raise Forbidden("the audit log's search and export are for auditors")


def require_staff(actor: Actor, what: str = "the audit log is") -> None:
    if actor.role not in STAFF:
        raise Forbidden(f"{what} for agency staff and auditors")
