"""Users and bearer tokens: who is calling, and making the people and tokens in the first place."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from services import audit
from services.errors import InvalidRequest, NotFound, Unauthenticated
from services.numbers import whole_number
from services.storage.models import ApiToken, User
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor, Role
from workflow.clock import Clock
from workflow.personal import Personal
from workflow.statuses import EventKind

TOKEN_PREFIX = "gf_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id, name=user.name, role=Role(user.role), organisation_id=user.organisation_id
    )


DEMO_LABEL = "demo"  # the label of the well-known demo tokens, which production refuses


def authenticate(
    uow: UnitOfWork, token: str | None, *, now: dt.datetime, production: bool = False
) -> Actor:
    """The actor a bearer token belongs to; refuses a missing, unknown, revoked or expired
    token, a disabled user's, and in production a demo token, alike."""
    return holder(uow, token, now=now, production=production)[0]


def holder(
    uow: UnitOfWork, token: str | None, *, now: dt.datetime, production: bool = False
) -> tuple[Actor, int]:
    """The actor a bearer token belongs to, and the token's id."""
    if not token:
        raise Unauthenticated("send a bearer token: Authorization: Bearer <token>")
    found = uow.people.holder_of_token(token_digest(token))
    if found is None or (production and found[1].label == DEMO_LABEL):
        raise Unauthenticated("the token is unknown or revoked")
    if expired(found[1], now):
        raise Unauthenticated("the token expired: ask for a new one")
    user, row = found
    assert row.id is not None
    return actor_of(user), row.id


def revoke_token(uow: UnitOfWork, clock: Clock, by: Actor, token_id: int) -> None:
    """The token opens nothing from now on, and neither do the browser sessions opened with it."""
    token = uow.people.token(token_id)
    if token is None:
        raise NotFound(f"there is no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        uow.people.save(token)
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=by,
            now=clock.now(),
            transition="token_revoked",
            details={"token": token_id, "user": token.user_id, "label": token.label},
        )


def disable_user(uow: UnitOfWork, clock: Clock, by: Actor, user_id: int) -> None:
    """The user's tokens and sessions open nothing from now on; the history keeps their name."""
    user = uow.people.user(user_id)
    if user is None:
        raise NotFound(f"there is no user {user_id}")
    if user.active:
        user.active = False
        uow.people.save(user)
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=by,
            now=clock.now(),
            transition="user_disabled",
            details={"user": user_id, "name": Personal(user_id, user.name), "role": user.role},
        )


def add_user(
    uow: UnitOfWork, clock: Clock, name: str, role: Role, organisation_id: int | None = None
) -> User:
    if role in (Role.system, Role.anonymous):
        raise InvalidRequest(f"the {role.value} actor is not a user")
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
    uow: UnitOfWork,
    clock: Clock,
    user: User,
    label: str = "",
    token: str | None = None,
    expires_at: dt.datetime | None = None,
) -> str:
    """A new token for `user`; the token itself is shown once and only its digest is stored."""
    assert user.id is not None
    token = token or TOKEN_PREFIX + secrets.token_urlsafe(32)
    uow.people.add_token(
        ApiToken(
            user_id=user.id,
            token_sha256=token_digest(token),
            label=label,
            created_at=clock.now(),
            expires_at=expires_at,
        )
    )
    return token


def expired(token: ApiToken, now: dt.datetime) -> bool:
    return token.expires_at is not None and token.expires_at <= now
