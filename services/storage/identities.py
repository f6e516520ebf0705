"""Queries on who people are at identity providers."""

from __future__ import annotations

from sqlmodel import Session, select

from services.storage.models import Organisation, UserIdentity


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
