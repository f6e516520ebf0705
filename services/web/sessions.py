"""Browser sessions for the pages: sign in with a token, a random session id in an HttpOnly cookie,
and a CSRF token that every form of the session carries (the synchronizer-token pattern)."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from services.access import actor_of, expired, holder
from services.errors import Unauthenticated
from services.storage.models import WebSession
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor
from workflow.clock import Clock

SESSION_COOKIE = "gf_session"
LOGIN_CSRF_COOKIE = "gf_login_csrf"


class BrowserSession:
    def __init__(
        self, id: str, actor: Actor, csrf_token: str, last_seen: dt.datetime | None = None
    ) -> None:
        self.id = id
        self.actor = actor
        self.csrf_token = csrf_token
        self.last_seen = last_seen


@dataclass(frozen=True)
class Lifetimes:
    """How long a browser session lasts: at most `longest` after signing in, and it ends after
    `idle` without a request."""

    longest: dt.timedelta = dt.timedelta(hours=10)  # a working day; then sign in again
    idle: dt.timedelta = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class ProviderSignIn:
    """What the identity provider said when the session was opened through it."""

    issuer: str
    subject: str
    acr: str | None
    amr: Sequence[str]
    id_token: str


def sign_in(
    uow: UnitOfWork, clock: Clock, token: str, lifetimes: Lifetimes, *, production: bool = False
) -> BrowserSession:
    """A new session for the token's user, tied to the token; raises Unauthenticated for a bad one."""
    actor, token_id = holder(uow, token.strip(), now=clock.now(), production=production)
    return open_session(uow, clock, actor, lifetimes, token_id=token_id)


def open_session(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    lifetimes: Lifetimes,
    *,
    token_id: int | None = None,
    provider: ProviderSignIn | None = None,
) -> BrowserSession:
    """A new browser session for `actor`, opened with an API token or through the provider."""
    assert actor.user_id is not None
    now = clock.now()
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    uow.people.add_web_session(
        WebSession(
            id=session_id,
            user_id=actor.user_id,
            token_id=token_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + lifetimes.longest,
            last_seen_at=now,
            issuer=provider.issuer if provider else None,
            subject=provider.subject if provider else None,
            acr=provider.acr if provider else None,
            amr=" ".join(provider.amr) if provider else None,
            id_token=provider.id_token if provider else None,
        )
    )
    if provider is not None:
        actor = replace(actor, assurance=provider.acr)
    return BrowserSession(session_id, actor, csrf)


def current(
    uow: UnitOfWork, clock: Clock, session_id: str | None, lifetimes: Lifetimes
) -> BrowserSession | None:
    """The session, if it still holds: not past its lifetime or idle too long, its user active
    and the token it was opened with not revoked. Noting its use is `touch`'s job."""
    if not session_id:
        return None
    found = uow.people.web_session(session_id)
    if found is None:
        return None
    web, user, token = found
    now = clock.now()
    last_seen = web.last_seen_at or web.created_at
    if (
        web.expires_at <= now
        or now - last_seen > lifetimes.idle
        or not user.active
        or (token is not None and (token.revoked_at is not None or expired(token, now)))
    ):
        return None
    # The assurance is the sign-in's: a session opened with a token has none.
    actor = replace(actor_of(user), assurance=web.acr)
    return BrowserSession(web.id, actor, web.csrf_token, last_seen)


def touch(uow: UnitOfWork, clock: Clock, session_id: str) -> None:
    """Note that the session was used now (which keeps it from ending as idle)."""
    found = uow.people.web_session(session_id)
    if found is not None:
        found[0].last_seen_at = clock.now()
        uow.people.save(found[0])


def sign_out(uow: UnitOfWork, session_id: str) -> WebSession | None:
    """End the session; what it was opened with (its ID token signs out at the provider)."""
    found = uow.people.web_session(session_id)
    uow.people.end_web_session(session_id)
    return found[0] if found else None


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


__all__ = [
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "BrowserSession",
    "Unauthenticated",
    "csrf_ok",
    "current",
    "open_session",
    "sign_in",
    "sign_out",
]
