"""Who people are at identity providers: the table, and the queries on it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from services.storage.models import Organisation, time_column


class UserIdentity(SQLModel, table=True):
    """Who a user is at an identity provider: its issuer and the subject it names them by,
    which never changes (an e-mail address can)."""

    __tablename__ = "user_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    issuer: str
    subject: str
    created_at: dt.datetime = time_column()


class IdentityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, issuer: str, subject: str) -> UserIdentity | None:
        query = select(UserIdentity).where(
            UserIdentity.issuer == issuer, UserIdentity.subject == subject
        )
        return self.session.exec(query).first()

    def add(self, identity: UserIdentity) -> None:
        self.session.add(identity)
        self.session.flush()

    def organisation_numbered(self, number: str) -> Organisation | None:
        """The organisation with this organisation number (spaces and dashes aside)."""
        wanted = _digits(number)
        if not wanted:
            return None
        for organisation in self.session.exec(
            select(Organisation).where(Organisation.org_number.is_not(None))  # type: ignore[union-attr]
        ):
            if _digits(organisation.org_number or "") == wanted:
                return organisation
        return None


def _digits(number: str) -> str:
    return "".join(c for c in number if c.isalnum())
