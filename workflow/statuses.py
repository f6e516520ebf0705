"""The closed vocabularies the code itself owns: kinds of audit event and the statuses of the
things a case carries. (States, transitions and deadline kinds are the lifecycle's, in states/.)"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    created = "created"  # a case came into being, with its first state and facts
    transition = "transition"  # a case moved from one state to another
    refusal = "refusal"  # someone tried to move a case and was refused; the case did not change
    fact = "fact"  # something recorded that is not a move (a programme loaded, a file added, ...)
    amended = "amended"  # a case's facts changed without a move (a partner confirmed, ...)
    migrated = "migrated"  # a new version of the lifecycle renamed the state the case is in


class DeadlineStatus(StrEnum):
    pending = "pending"
    fired = "fired"
    cancelled = "cancelled"
    failing = "failing"  # an attempt failed; it is tried again at its retry_at
    held = "held"  # it failed too often: it waits for a person (an open incident says why)


class IncidentStatus(StrEnum):
    open = "open"
    resolved = "resolved"


class IncidentKind(StrEnum):
    deadline = "deadline"
    programme_file = "programme_file"


class DecisionStatus(StrEnum):
    proposed = "proposed"  # waiting for a second person (four eyes)
    confirmed = "confirmed"
    withdrawn = "withdrawn"


class PaymentKind(StrEnum):
    advance = "advance"  # paid with the decision (seeds/000, seeds/004)
    payout = "payout"  # paid after the final report (seeds/002)


class AttachmentKind(StrEnum):
    application_form = "application_form"
    budget = "budget"
    report = "report"
    auditor_statement = "auditor_statement"
    other = "other"
