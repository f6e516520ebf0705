"""Queries on users, their API tokens and their browser sessions."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from services.storage.models import ApiToken, User, WebSession

# Every request with a bearer token sends this: built once, since building it costs more than
# running it.
HOLDER_OF_TOKEN = (
    select(User, ApiToken)
    .join(ApiToken, col(ApiToken.user_id) == User.id)
    .where(ApiToken.token_sha256 == bindparam("digest"), col(ApiToken.revoked_at).is_(None))
    .where(col(User.active))
)


class PeopleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def holder_of_token(self, digest: str) -> tuple[User, ApiToken] | None:
        """The active user whose unrevoked token has this SHA-256, and the token."""
        found = self.session.exec(HOLDER_OF_TOKEN, params={"digest": digest}).first()
        return None if found is None else (found[0], found[1])

    def token(self, token_id: int) -> ApiToken | None:
        return self.session.get(ApiToken, token_id)

    def tokens_of(self, user_id: int) -> list[ApiToken]:
        query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(col(ApiToken.id))
        return list(self.session.exec(query).all())

    def save(self, row: User | ApiToken | WebSession) -> None:
        self.session.add(row)

    def token_exists(self, digest: str) -> bool:
        query = select(ApiToken.id).where(ApiToken.token_sha256 == digest)
        return self.session.exec(query).first() is not None

    def user(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def user_named(self, name: str) -> User | None:
        return self.session.exec(select(User).where(User.name == name)).first()

    def add_user(self, user: User) -> User:
        self.session.add(user)
        self.session.flush()
        return user

    def add_token(self, token: ApiToken) -> None:
        self.session.add(token)
        self.session.flush()

    def add_web_session(self, web: WebSession) -> None:
        self.session.add(web)

    def web_session(self, session_id: str) -> tuple[WebSession, User, ApiToken | None] | None:
        query = (
            select(WebSession, User, ApiToken)
            .join(User, col(User.id) == WebSession.user_id)
            .join(ApiToken, col(ApiToken.id) == WebSession.token_id, isouter=True)
            .where(WebSession.id == session_id)
        )
        found = self.session.exec(query).first()
        return None if found is None else (found[0], found[1], found[2])

    def end_web_session(self, session_id: str) -> None:
        row = self.session.get(WebSession, session_id)
        if row is not None:
            self.session.delete(row)
