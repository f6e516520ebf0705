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
    mail = "mail"


class MailStatus(StrEnum):
    held = "held"  # waits for its recipient's daily digest
    pending = "pending"  # to be sent at its next_attempt_at (again, after a failure)
    sending = "sending"  # a sender took it and has not yet said how it went
    sent = "sent"
    # The connection dropped after the message was handed over: it may have arrived. It is never
    # sent again without a person's word (an open incident asks for it).
    unknown = "unknown"
    dead = "dead"  # refused for good, or failed too often: an open incident says why
    digested = "digested"  # went out inside a digest (digest_id)
    no_address = "no_address"  # its recipient has no address: nothing was sent
    cancelled = "cancelled"  # a person decided it is not to be sent


class MailCategory(StrEnum):
    decision = "decision"  # always sent, at once: no one can turn it off or hold it for a digest
    event = "event"  # a caseworker on a digest gets it in the next morning's mail
    reminder = "reminder"  # a person may turn reminders off


class DecisionStatus(StrEnum):
    proposed = "proposed"  # waiting for a second person (four eyes)
    confirmed = "confirmed"
    withdrawn = "withdrawn"
    superseded = "superseded"  # an approved amendment made a new version of it


class PaymentKind(StrEnum):
    advance = "advance"  # paid with the decision (seeds/000, seeds/004)
    payout = "payout"  # paid after the final report (seeds/002)
    registered = "registered"  # registered by a person against a tranche (POST .../payments)


class TrancheStatus(StrEnum):
    due = "due"  # its condition is not met yet: nothing may be paid against it
    released = "released"  # its condition is met: payable up to what it allows


class AttachmentKind(StrEnum):
    application_form = "application_form"
    budget = "budget"
    report = "report"
    auditor_statement = "auditor_statement"
    other = "other"
