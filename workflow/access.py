"""The one access policy: may this actor do this action on this subject, and if not, why not.
The rules are data (states/access.toml); every route, page and command asks `Policy.decide`."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from states import DEFINITIONS_DIR
from workflow.actors import Actor, Role


class Action(StrEnum):
    """Everything the policy answers for; states/access.toml has a rule for each, and no more."""

    case_open = "case.open"
    case_read = "case.read"
    case_fire = "case.fire"
    case_partner = "case.partner"
    case_attach = "case.attach"
    case_assess = "case.assess"
    case_pay = "case.pay"
    registry_read = "registry.read"
    notifications_read = "notifications.read"
    organisations_read = "organisations.read"
    organisations_register = "organisations.register"
    agreements_read = "agreements.read"
    agreements_register = "agreements.register"
    allocation_preview = "allocation.preview"
    allocation_propose = "allocation.propose"
    audit_verify = "audit.verify"
    audit_snapshot = "audit.snapshot"
    audit_search = "audit.search"
    accounting_export = "accounting.export"
    records_archive = "records.archive"
    incidents_read = "incidents.read"
    incidents_act = "incidents.act"
    deadlines_extend = "deadlines.extend"
    programmes_change = "programmes.change"
    lifecycle_migrate = "lifecycle.migrate"
    access_manage = "access.manage"
    mail_read = "mail.read"
    mail_manage = "mail.manage"
    mail_preferences = "mail.preferences"
    contacts_manage = "contacts.manage"
    amendment_request = "amendment.request"
    amendment_assess = "amendment.assess"
    amendment_decide = "amendment.decide"
    privacy_read = "privacy.read"
    privacy_erase = "privacy.erase"
    privacy_hold = "privacy.hold"


class Scope(StrEnum):
    all = "all"  # every case or record
    party = "party"  # those the actor's organisation is a party to
    lead = "lead"  # those the actor's organisation leads
    own = "own"  # the actor's own organisation's


@dataclass(frozen=True)
class Subject:
    """What an action is on, as far as access cares: the organisations party to it, and its lead."""

    parties: frozenset[int] = frozenset()
    lead: int | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    # Refused without saying the subject exists: an applicant asking for another's case is
    # told there is no such case, so it cannot learn which cases exist.
    hidden: bool = False


ALLOWED = Decision(True)


@dataclass(frozen=True)
class Rule:
    action: Action
    description: str
    scopes: Mapping[Role, Scope]


class Policy:
    def __init__(
        self, rules: Mapping[Action, Rule], assurance_acts: frozenset[str] = frozenset()
    ) -> None:
        missing = set(Action) - set(rules)
        if missing:
            raise ValueError(f"the access policy has no rule for {sorted(missing)}")
        self.rules = rules
        # Transitions that may need a stronger sign-in, as the settings say per role.
        self.assurance_acts = assurance_acts

    @classmethod
    def load(cls, name: str = "access") -> Policy:
        with (DEFINITIONS_DIR / f"{name}.toml").open("rb") as f:
            raw: dict[str, Any] = tomllib.load(f)
        rules = {}
        for name, spec in raw["actions"].items():
            action = Action(name)  # a rule for an action the code does not know is an error
            description = spec.pop("description")
            scopes = {Role(role): Scope(scope) for role, scope in spec.items()}
            rules[action] = Rule(action, description, scopes)
        return cls(rules, frozenset(raw.get("assurance", {}).get("acts", [])))

    def scope(self, actor: Actor, action: Action) -> Scope | None:
        """How far `actor` may take `action`; None: not at all. (KeyError: no such action.)"""
        return self.rules[action].scopes.get(actor.role)

    def decide(self, actor: Actor, action: Action, subject: Subject | None = None) -> Decision:
        """May `actor` do `action` (on `subject`, when the action is on one)?"""
        rule = self.rules[action]
        scope = rule.scopes.get(actor.role)
        if scope is None:
            return Decision(False, f"a {actor.role.value} may not {rule.description}")
        if scope is Scope.all or subject is None:
            return ALLOWED
        organisation = actor.organisation_id
        if scope is Scope.party:
            if organisation in subject.parties:
                return ALLOWED
            return Decision(False, "not yours to see", hidden=True)
        if organisation == subject.lead:
            return ALLOWED
        if scope is Scope.own:
            return Decision(
                False, f"a {actor.role.value} may {rule.description} for its own organisation only"
            )
        if organisation in subject.parties:
            return Decision(False, f"only the lead applicant may {rule.description}")
        return Decision(False, "not yours to see", hidden=True)

    def assured(self, actor: Actor, act: str, levels: Mapping[str, Sequence[str]]) -> Decision:
        """Was `actor`'s sign-in strong enough for `act`? `levels`: the assurance (`acr`
        values) each role needs for the acts the policy names."""
        wanted = levels.get(actor.role.value) if act in self.assurance_acts else None
        if not wanted or actor.assurance in wanted:
            return ALLOWED
        said = f"with assurance {actor.assurance}" if actor.assurance else "without an assurance"
        return Decision(
            False,
            f"{act} needs a stronger sign-in ({' or '.join(wanted)}); you signed in {said}: "
            "sign out and sign in again through your organisation with a second factor",
        )

    def table(self) -> str:
        """The policy as a Markdown table of action by role: what docs/ACCESS.md shows."""
        roles = [r for r in Role if any(r in rule.scopes for rule in self.rules.values())]
        lines = [
            "| action | what | " + " | ".join(r.value for r in roles) + " |",
            "|---|---|" + "---|" * len(roles),
        ]
        for rule in self.rules.values():
            cells = [rule.scopes[r].value if r in rule.scopes else "–" for r in roles]
            lines.append(f"| `{rule.action}` | {rule.description} | " + " | ".join(cells) + " |")
        return "\n".join(lines)
