"""Browser sessions for the pages: sign in with a token, a random session id in an HttpOnly cookie,
and a CSRF token that every form of the session carries (the synchronizer-token pattern)."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from sqlmodel import select

from services.access import actor_of, authenticate
from services.errors import Unauthenticated
from services.storage.db import Database
from services.storage.models import User, WebSession
from workflow.actors import Actor
from workflow.clock import Clock

SESSION_COOKIE = "gf_session"
LOGIN_CSRF_COOKIE = "gf_login_csrf"
LIFETIME = dt.timedelta(hours=10)  # a working day; then sign in again


class Session:
    def __init__(self, id: str, actor: Actor, csrf_token: str) -> None:
        self.id = id
        self.actor = actor
        self.csrf_token = csrf_token


def sign_in(db: Database, clock: Clock, token: str) -> Session:
    """A new session for the token's user; raises Unauthenticated for a bad token."""
    actor = authenticate(db, token.strip())
    now = clock.now()
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with db.writing() as s:
        s.add(
            WebSession(
                id=session_id,
                user_id=actor.user_id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + LIFETIME,
            )
        )  # type: ignore[arg-type]
    return Session(session_id, actor, csrf)


def current(db: Database, clock: Clock, session_id: str | None) -> Session | None:
    if not session_id:
        return None
    with db.reading() as s:
        row = s.exec(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.id == session_id)  # type: ignore[arg-type]
        ).first()
    if row is None:
        return None
    web, user = row
    if web.expires_at <= clock.now() or not user.active:
        return None
    return Session(web.id, actor_of(user), web.csrf_token)


def sign_out(db: Database, session_id: str) -> None:
    with db.writing() as s:
        row = s.get(WebSession, session_id)
        if row is not None:
            s.delete(row)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given)  # type: ignore[arg-type]


__all__ = [
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "Session",
    "Unauthenticated",
    "csrf_ok",
    "current",
    "sign_in",
    "sign_out",
]
