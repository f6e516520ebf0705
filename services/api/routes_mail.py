"""The HTTP routes of mail: the outbox, a person's word on a message that could not be sent, and
where mail goes (an organisation's address, a person's address and choices, one's own)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from services.api.deps import ActorDep, ContactsDep, OutboxDep, UnitsDep
from services.api.paging import Cursor, Limit, linked
from services.api.problems import PROBLEMS
from services.errors import Unauthenticated
from services.mail.contacts import (
    OrganisationContact,
    OrganisationContactPublic,
    PersonMail,
    PersonMailPublic,
    person_public,
)
from services.mail.outbox import MailPublic, MailWithBody, Word
from services.policy import declared, require
from services.schemas import Page
from workflow.access import Action
from workflow.statuses import MailStatus

router = APIRouter(responses=PROBLEMS, tags=["mail"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/mail", openapi_extra=declared(Action.mail_read))
def mail(
    request: Request,
    actor: ActorDep,
    units: UnitsDep,
    service: OutboxDep,
    status: MailStatus | None = None,
    case_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[MailPublic]:
    """The outbox, newest first: who was sent what, and how it went."""
    with units.reading() as uow:
        return linked(service.page(uow, actor, status, case_id, limit, cursor), request)


@router.get("/mail/{mail_id}", openapi_extra=declared(Action.mail_read))
def one_mail(mail_id: Id, actor: ActorDep, units: UnitsDep, service: OutboxDep) -> MailWithBody:
    with units.reading() as uow:
        return service.get(uow, actor, mail_id)


@router.post("/mail/{mail_id}/{word}", openapi_extra=declared(Action.mail_manage))
def settle(
    mail_id: Id,
    word: Literal["resend", "cancel", "mark_sent"],
    why: Word,
    actor: ActorDep,
    units: UnitsDep,
    service: OutboxDep,
) -> MailPublic:
    """A person's word on a message: `resend` one that is dead or whose fate is unknown (it may
    arrive twice), `cancel` it, or `mark_sent` one whose recipient says it arrived."""
    with units.writing() as uow:
        done = service.settle(uow, actor, mail_id, word, why)
        uow.commit()
    return done


@router.patch(
    "/organisations/{organisation_id}/contact", openapi_extra=declared(Action.contacts_manage)
)
def organisation_contact(
    organisation_id: Id,
    change: OrganisationContact,
    actor: ActorDep,
    units: UnitsDep,
    service: ContactsDep,
) -> OrganisationContactPublic:
    """Where an organisation's mail goes and in which language; fields left out stay."""
    with units.writing() as uow:
        done = service.organisation(uow, actor, organisation_id, change)
        uow.commit()
    return done


@router.patch("/users/{user_id}/mail", openapi_extra=declared(Action.contacts_manage))
def user_mail(
    user_id: Id, change: PersonMail, actor: ActorDep, units: UnitsDep, service: ContactsDep
) -> PersonMailPublic:
    """A person's address, language, daily digest and reminders; fields left out stay."""
    with units.writing() as uow:
        done = service.person(uow, actor, user_id, change)
        uow.commit()
    return done


@router.get("/me/mail", openapi_extra=declared(Action.mail_preferences))
def my_mail(actor: ActorDep, units: UnitsDep) -> PersonMailPublic:
    """One's own address and choices."""
    require(actor, Action.mail_preferences)
    if actor.user_id is None:
        raise Unauthenticated("sign in as a person")
    with units.reading() as uow:
        user = uow.people.user(actor.user_id)
        assert user is not None
        return person_public(user)


@router.patch("/me/mail", openapi_extra=declared(Action.mail_preferences))
def change_my_mail(
    change: PersonMail, actor: ActorDep, units: UnitsDep, service: ContactsDep
) -> PersonMailPublic:
    """Choose one's own mail: one a day instead of one an event, no reminders (decisions are
    always sent), an address and a language."""
    if actor.user_id is None:
        raise Unauthenticated("sign in as a person")
    with units.writing() as uow:
        done = service.person(uow, actor, actor.user_id, change)
        uow.commit()
    return done
