"""Where mail goes and how: an organisation's address and language, a person's address,
language, daily digest and reminders; kept by administrators, and by each person for themselves."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services import audit
from services.errors import NotFound
from services.policy import require
from services.storage.models import Organisation, User
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action, Subject
from workflow.actors import Actor
from workflow.clock import Clock
from workflow.statuses import EventKind

ADDRESS = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"
Language = Literal["sv", "da", "en"]


class OrganisationContact(BaseModel):
    """What is changed: a field left out stays as it is; `email: null` removes the address."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str | None = Field(default=None, max_length=254, pattern=ADDRESS)
    language: Language | None = None
    reminders: bool | None = None


class PersonMail(OrganisationContact):
    digest: bool | None = Field(
        default=None, description="one mail each morning for events, instead of one each"
    )


class OrganisationContactPublic(BaseModel):
    id: int
    name: str
    email: str | None
    language: str | None
    reminders: bool


class PersonMailPublic(BaseModel):
    id: int
    name: str
    email: str | None
    language: str | None
    digest: bool
    reminders: bool


class Contacts:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def organisation(
        self, uow: UnitOfWork, actor: Actor, organisation_id: int, change: OrganisationContact
    ) -> OrganisationContactPublic:
        own = Subject(frozenset({organisation_id}), organisation_id)
        require(actor, Action.contacts_manage, own, f"organisation {organisation_id}")
        found = uow.organisations.get(organisation_id)
        if found is None:
            raise NotFound(f"there is no organisation {organisation_id}")
        self._apply(found, change)
        uow.organisations.save(found)
        self._audit(uow, actor, "organisation", organisation_id, change)
        return organisation_public(found)

    def person(
        self, uow: UnitOfWork, actor: Actor, user_id: int, change: PersonMail
    ) -> PersonMailPublic:
        """An administrator keeps anyone's; `user_id` of the actor keeps one's own."""
        if user_id != actor.user_id:
            # Another person's address: never an applicant's to change (it would redirect mail).
            require(actor, Action.contacts_manage, Subject(), f"user {user_id}")
        else:
            require(actor, Action.mail_preferences)
        user = uow.people.user(user_id)
        if user is None:
            raise NotFound(f"there is no user {user_id}")
        self._apply(user, change)
        if change.digest is not None:
            user.mail_digest = change.digest
        uow.people.save(user)
        self._audit(uow, actor, "user", user_id, change)
        return person_public(user)

    def _apply(self, row: Organisation | User, change: OrganisationContact) -> None:
        given = change.model_fields_set
        if "email" in given:
            row.email = change.email
        if "language" in given:
            row.language = change.language
        if change.reminders is not None:
            row.mail_reminders = change.reminders

    def _audit(
        self, uow: UnitOfWork, actor: Actor, what: str, whose: int, change: OrganisationContact
    ) -> None:
        # Which fields changed, not the address itself: the chain keeps no personal data it
        # need not keep.
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=self.clock.now(),
            transition="mail_settings_changed",
            details={what: whose, "fields": sorted(change.model_fields_set)},
        )


def organisation_public(found: Organisation) -> OrganisationContactPublic:
    assert found.id is not None
    return OrganisationContactPublic(
        id=found.id,
        name=found.name,
        email=found.email,
        language=found.language,
        reminders=found.mail_reminders,
    )


def person_public(user: User) -> PersonMailPublic:
    assert user.id is not None
    return PersonMailPublic(
        id=user.id,
        name=user.name,
        email=user.email,
        language=user.language,
        digest=user.mail_digest,
        reminders=user.mail_reminders,
    )
