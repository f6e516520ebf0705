"""Browser sessions for the pages: sign in with a token, a random session id in an HttpOnly cookie,
and a CSRF token that every form of the session carries (the synchronizer-token pattern)."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from services.access import actor_of, authenticate
from services.errors import Unauthenticated
from services.storage.models import WebSession
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor
from workflow.clock import Clock

SESSION_COOKIE = "gf_session"
LOGIN_CSRF_COOKIE = "gf_login_csrf"
LIFETIME = dt.timedelta(hours=10)  # a working day; then sign in again


class BrowserSession:
    def __init__(self, id: str, actor: Actor, csrf_token: str) -> None:
        self.id = id
        self.actor = actor
        self.csrf_token = csrf_token


def sign_in(uow: UnitOfWork, clock: Clock, token: str) -> BrowserSession:
    """A new session for the token's user; raises Unauthenticated for a bad token."""
    actor = authenticate(uow, token.strip())
    assert actor.user_id is not None
    now = clock.now()
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    uow.people.add_web_session(
        WebSession(
            id=session_id,
            user_id=actor.user_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return BrowserSession(session_id, actor, csrf)


def current(uow: UnitOfWork, clock: Clock, session_id: str | None) -> BrowserSession | None:
    if not session_id:
        return None
    found = uow.people.web_session(session_id)
    if found is None:
        return None
    web, user = found
    if web.expires_at <= clock.now() or not user.active:
        return None
    return BrowserSession(web.id, actor_of(user), web.csrf_token)


def sign_out(uow: UnitOfWork, session_id: str) -> None:
    uow.people.end_web_session(session_id)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


__all__ = [
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "BrowserSession",
    "Unauthenticated",
    "csrf_ok",
    "current",
    "sign_in",
    "sign_out",
]
