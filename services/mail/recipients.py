"""Who a notification rule's audiences are on one case: addresses, languages and preferences."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.storage.models import Case, Organisation, User
from services.storage.unit_of_work import UnitOfWork
from workflow.notices import Audience

LANGUAGES = ("sv", "da", "en")
# An organisation that has not said which language it reads is written to in its country's.
COUNTRY_LANGUAGE = {"SE": "sv", "DK": "da"}


@dataclass(frozen=True)
class Recipient:
    name: str
    address: str | None  # None: nowhere to send it (the outbox says so)
    language: str
    digest: bool  # one mail a day for events, instead of one each
    reminders: bool
    user_id: int | None = None
    organisation_id: int | None = None


def of_user(user: User, fallback_language: str) -> Recipient:
    return Recipient(
        name=user.name,
        address=user.email,
        language=_language(user.language, fallback_language),
        digest=user.mail_digest,
        reminders=user.mail_reminders,
        user_id=user.id,
    )


def of_organisation(organisation: Organisation, fallback_language: str) -> Recipient:
    return Recipient(
        name=organisation.name,
        address=organisation.email,
        language=_language(
            organisation.language, COUNTRY_LANGUAGE.get(organisation.country, fallback_language)
        ),
        digest=False,
        reminders=organisation.mail_reminders,
        organisation_id=organisation.id,
    )


def resolve(
    uow: UnitOfWork,
    audiences: Iterable[Audience],
    case: Case | None,
    language: str,
    staff_language: str,
) -> list[Recipient]:
    """Everyone the audiences name, each once (by address, or by person where there is none).
    An organisation that chose no language is written to in its country's, else `language`
    (the programme's); a person who chose none, in `staff_language`."""
    found: list[Recipient] = []
    for audience in audiences:
        found += _members(uow, audience, case, language, staff_language)
    seen: set[object] = set()
    unique = []
    for recipient in found:
        key = recipient.address.lower() if recipient.address else recipient
        if key not in seen:
            seen.add(key)
            unique.append(recipient)
    return unique


def _members(
    uow: UnitOfWork, audience: Audience, case: Case | None, language: str, staff_language: str
) -> list[Recipient]:
    if audience in (Audience.lead_contact, Audience.parties):
        if case is None or case.id is None:
            return []
        lead_only = audience is Audience.lead_contact
        return [
            of_organisation(o, language) for o in uow.mail.parties(case.id, lead_only=lead_only)
        ]
    if audience is Audience.caseworker and case is not None and case.id is not None:
        return [of_user(u, staff_language) for u in uow.mail.handling(case.id, "caseworker")]
    role = "approver" if audience is Audience.approvers else "caseworker"
    return [of_user(user, staff_language) for user in uow.mail.staff(role)]


def _language(chosen: str | None, fallback: str) -> str:
    if chosen in LANGUAGES:
        return chosen
    return fallback if fallback in LANGUAGES else "en"
