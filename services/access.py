"""Users and bearer tokens: who is calling, and making the people and tokens in the first place."""

from __future__ import annotations

import hashlib
import secrets

from services.errors import InvalidRequest, Unauthenticated
from services.numbers import whole_number
from services.storage.models import ApiToken, User
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor, Role
from workflow.clock import Clock

TOKEN_PREFIX = "gf_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id, name=user.name, role=Role(user.role), organisation_id=user.organisation_id
    )


def authenticate(uow: UnitOfWork, token: str | None) -> Actor:
    """The actor a bearer token belongs to; refuses a missing, unknown or revoked token alike."""
    if not token:
        raise Unauthenticated("send a bearer token: Authorization: Bearer <token>")
    user = uow.people.user_of_token(token_digest(token))
    if user is None:
        raise Unauthenticated("the token is unknown or revoked")
    return actor_of(user)


def add_user(
    uow: UnitOfWork, clock: Clock, name: str, role: Role, organisation_id: int | None = None
) -> User:
    if role is Role.system:
        raise InvalidRequest("the system actor is not a user")
    if (role is Role.applicant) != (organisation_id is not None):
        raise InvalidRequest(
            "an applicant belongs to exactly one organisation; other roles to none"
        )
    if organisation_id is not None and uow.organisations.get(organisation_id) is None:
        raise InvalidRequest(f"there is no organisation {organisation_id}")
    if uow.people.user_named(name) is not None:
        raise InvalidRequest(f"there is already a user named {name!r}")
    return uow.people.add_user(
        User(name=name, role=role.value, organisation_id=organisation_id, created_at=clock.now())
    )


def find_user(uow: UnitOfWork, name_or_id: str) -> User | None:
    if (user_id := whole_number(name_or_id)) is not None:
        return uow.people.user(user_id)
    return uow.people.user_named(name_or_id)


def create_token(
    uow: UnitOfWork, clock: Clock, user: User, label: str = "", token: str | None = None
) -> str:
    """A new token for `user`; the token itself is shown once and only its digest is stored."""
    assert user.id is not None
    token = token or TOKEN_PREFIX + secrets.token_urlsafe(32)
    uow.people.add_token(
        ApiToken(
            user_id=user.id, token_sha256=token_digest(token), label=label, created_at=clock.now()
        )
    )
    return token
