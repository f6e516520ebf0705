"""Who signs in through the agency's identity provider: a user found by the provider's issuer
and subject (never by an e-mail address alone), their role from the provider's groups, an
applicant's organisation from its number; no mapping, no access. Every sign-in, refused
sign-in and sign-out is an audit event with the issuer, subject, assurance and source address."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services import audit
from services.access import actor_of, add_user
from services.errors import InvalidRequest
from services.storage.identities import UserIdentity
from services.storage.models import User
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor, Role
from workflow.clock import Clock
from workflow.statuses import EventKind


@dataclass(frozen=True)
class SignedIn:
    """What the provider said about the person, from its checked ID token."""

    issuer: str
    subject: str
    name: str
    claims: Mapping[str, Any]
    acr: str | None
    amr: Sequence[str]

    @classmethod
    def of(cls, issuer: str, claims: Mapping[str, Any]) -> SignedIn:
        amr = claims.get("amr") or []
        return cls(
            issuer=issuer,
            subject=str(claims["sub"]),
            name=str(claims.get("name") or claims.get("preferred_username") or claims["sub"]),
            claims=claims,
            acr=str(claims["acr"]) if claims.get("acr") else None,
            amr=[str(a) for a in amr] if isinstance(amr, list) else [str(amr)],
        )

    def facts(self, source: str) -> dict[str, Any]:
        return {
            "method": "oidc",
            "issuer": self.issuer,
            "subject": self.subject,
            "acr": self.acr,
            "amr": list(self.amr),
            "source": source,
        }


class SignInRefused(Exception):
    """The person may not in; `reason` is what the refusal page and the audit log say."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ClaimRules:
    """How claims become access, from the settings."""

    role_claim: str
    roles: Mapping[str, str]
    organisation_claim: str
    provision: bool


class Identities:
    def __init__(self, clock: Clock, mapping: ClaimRules) -> None:
        self.clock = clock
        self.mapping = mapping

    def sign_in(self, uow: UnitOfWork, who: SignedIn, source: str) -> User:
        """The user `who` is here, after their role (and organisation) from the claims; raises
        SignInRefused, having written nothing, when the claims give no access."""
        role = self.role_of(who)
        known = uow.identities.find(who.issuer, who.subject)
        changed: dict[str, Any] = {}
        organisation_id = self._organisation_of(uow, who) if role is Role.applicant else None
        if known is not None:
            user = uow.people.user(known.user_id)
            assert user is not None
            if not user.active:
                raise SignInRefused(f"{user.name} is disabled in grantflow")
            if user.role != role.value or user.organisation_id != organisation_id:
                changed = {"role": [user.role, role.value]}
                user.role, user.organisation_id = role.value, organisation_id
                uow.people.save(user)
        elif self.mapping.provision:
            user = add_user(uow, self.clock, self._free_name(uow, who), role, organisation_id)
            changed = {"provisioned": True}
        else:
            raise SignInRefused(
                f"{who.name} is not known here: an administrator links them first "
                f"(grantflow users link NAME --issuer {who.issuer} --subject {who.subject})"
            )
        if known is None:
            assert user.id is not None
            uow.identities.add(
                UserIdentity(
                    user_id=user.id,
                    issuer=who.issuer,
                    subject=who.subject,
                    created_at=self.clock.now(),
                )
            )
        email = who.claims.get("email")
        if isinstance(email, str) and not user.email:
            user.email = email  # where mail goes until they choose otherwise; never who they are
            uow.people.save(user)
        self._audit(uow, actor_of(user), "signed_in", who.facts(source) | changed)
        return user

    def refused(self, uow: UnitOfWork, who: SignedIn | None, reason: str, source: str) -> None:
        """Put a refused sign-in on the record (the caller commits it on its own)."""
        name = f"{who.name} ({who.issuer} {who.subject})" if who else "unknown"
        facts = who.facts(source) if who else {"method": "oidc", "source": source}
        audit.record(
            uow,
            kind=EventKind.refusal,
            actor=Actor(None, name, Role.anonymous),
            now=self.clock.now(),
            transition="sign_in",
            reason=reason[:500],
            details=facts,
        )

    def signed_in(self, uow: UnitOfWork, actor: Actor, facts: Mapping[str, Any]) -> None:
        """A sign-in with an API token, on the record like any other."""
        self._audit(uow, actor, "signed_in", dict(facts))

    def signed_out(self, uow: UnitOfWork, actor: Actor, facts: Mapping[str, Any]) -> None:
        self._audit(uow, actor, "signed_out", dict(facts))

    def role_of(self, who: SignedIn) -> Role:
        found = who.claims.get(self.mapping.role_claim) or []
        values = [found] if isinstance(found, str) else [str(v) for v in found]
        roles = {Role(self.mapping.roles[v]) for v in values if v in self.mapping.roles}
        if not roles:
            shown = ", ".join(values) or "none"
            raise SignInRefused(
                f"your groups at the agency ({shown}) give no role in grantflow: ask the "
                "agency's administrator for access"
            )
        if len(roles) > 1:
            # Two roles at once would blur who decided what (four eyes): the agency picks one.
            named = ", ".join(sorted(r.value for r in roles))
            raise SignInRefused(f"your groups give more than one role ({named}): ask for one")
        return roles.pop()

    def _organisation_of(self, uow: UnitOfWork, who: SignedIn) -> int:
        claim = self.mapping.organisation_claim
        number = str(who.claims.get(claim) or "") if claim else ""
        found = uow.identities.organisation_numbered(number) if number else None
        if found is None or found.id is None:
            said = f"organisation number {number}" if number else "no organisation number"
            raise SignInRefused(f"the provider gave {said}, which is no organisation known here")
        return found.id

    def _free_name(self, uow: UnitOfWork, who: SignedIn) -> str:
        name = who.name
        return name if uow.people.user_named(name) is None else f"{name} ({who.subject})"

    def _audit(self, uow: UnitOfWork, actor: Actor, what: str, facts: Mapping[str, Any]) -> None:
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=self.clock.now(),
            transition=what,
            details=dict(facts),
        )


def link(
    uow: UnitOfWork, clock: Clock, actor: Actor, user: User, issuer: str, subject: str
) -> None:
    """`user` is who the provider `issuer` names `subject`: they may sign in through it."""
    taken = uow.identities.find(issuer, subject)
    if taken is not None:
        raise InvalidRequest(f"{subject} at {issuer} is already user {taken.user_id}")
    assert user.id is not None
    uow.identities.add(
        UserIdentity(user_id=user.id, issuer=issuer, subject=subject, created_at=clock.now())
    )
    audit.record(
        uow,
        kind=EventKind.fact,
        actor=actor,
        now=clock.now(),
        transition="identity_linked",
        details={"user": user.id, "issuer": issuer, "subject": subject},
    )
