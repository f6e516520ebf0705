"""Users and bearer tokens: who is calling, and making the people and tokens in the first place."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, select

from services.errors import InvalidRequest, Unauthenticated
from services.storage.db import Database
from services.storage.models import ApiToken, Organisation, User
from workflow.actors import Actor, Role
from workflow.clock import Clock

TOKEN_PREFIX = "gf_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id, name=user.name, role=Role(user.role), organisation_id=user.organisation_id
    )


def authenticate(db: Database, token: str | None) -> Actor:
    """The actor a bearer token belongs to; refuses a missing, unknown or revoked token alike."""
    if not token:
        raise Unauthenticated("send a bearer token: Authorization: Bearer <token>")
    # A plain Core query on a pooled connection: this runs on every request, the ORM adds nothing.
    query = (
        select(User.id, User.name, User.role, User.organisation_id)  # type: ignore[call-overload]
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_sha256 == token_digest(token), ApiToken.revoked_at.is_(None), User.active
        )  # type: ignore[union-attr]
    )
    with db.engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        raise Unauthenticated("the token is unknown or revoked")
    return Actor(
        user_id=row.id, name=row.name, role=Role(row.role), organisation_id=row.organisation_id
    )


def add_user(
    session: Session, clock: Clock, name: str, role: Role, organisation_id: int | None = None
) -> User:
    if role is Role.system:
        raise InvalidRequest("the system actor is not a user")
    if (role is Role.applicant) != (organisation_id is not None):
        raise InvalidRequest(
            "an applicant belongs to exactly one organisation; other roles to none"
        )
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise InvalidRequest(f"there is no organisation {organisation_id}")
    if session.exec(select(User).where(User.name == name)).first() is not None:
        raise InvalidRequest(f"there is already a user named {name!r}")
    user = User(name=name, role=role.value, organisation_id=organisation_id, created_at=clock.now())
    session.add(user)
    session.flush()
    return user


def create_token(
    session: Session, clock: Clock, user: User, label: str = "", token: str | None = None
) -> str:
    """A new token for `user`; the token itself is shown once and only its digest is stored."""
    token = token or TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id, token_sha256=token_digest(token), label=label, created_at=clock.now()
        )
    )  # type: ignore[arg-type]
    session.flush()
    return token
