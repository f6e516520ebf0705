"""Refusals the services raise; the API turns each into an RFC 9457 problem of the same type."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    problem = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(ServiceError):
    status = 404
    problem = "not-found"
    title = "Not found"


class Forbidden(ServiceError):
    status = 403
    problem = "forbidden"
    title = "Forbidden"


class Unauthenticated(ServiceError):
    status = 401
    problem = "unauthenticated"
    title = "Authentication required"


class InvalidRequest(ServiceError):
    status = 422
    problem = "invalid-request"
    title = "Invalid request"


class PreconditionFailed(ServiceError):
    status = 412
    problem = "version-mismatch"
    title = "The case has changed since you read it"


class IdempotencyKeyReused(ServiceError):
    status = 422
    problem = "idempotency-key-reused"
    title = "Idempotency key already used for a different request"


class Conflict(ServiceError):
    status = 409
    problem = "conflict"
    title = "Conflict"


class NotClosed(Conflict):
    problem = "not-closed"
    title = "The records are not closed"


class ProgrammeUnavailable(Conflict):
    problem = "programme-unavailable"
    title = "The programme's rules are not loaded"


class ProgrammeRetired(Conflict):
    problem = "programme-retired"
    title = "The programme is retired and takes no new cases"


class CallClosed(Conflict):
    problem = "call-closed"
    title = "The call is not open for applications"


class NoAccounting(Conflict):
    problem = "no-accounting"
    title = "The programme's file gives no accounts for this export"
