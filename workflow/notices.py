"""Who hears what: the notification rules of states/notifications.toml, and a programme's own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from states import load_definition
from workflow.statuses import MailCategory


class Audience(StrEnum):
    lead_contact = "lead_contact"
    parties = "parties"
    caseworker = "caseworker"  # the one who last acted on the case
    caseworkers = "caseworkers"
    approvers = "approvers"


class NoticeRule(BaseModel):
    """Who is told of one transition or deadline, and what kind of message it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: tuple[Audience, ...] = Field(min_length=1)
    category: MailCategory


class NoticeRulesError(ValueError):
    pass


@dataclass(frozen=True)
class NoticeRules:
    """The lifecycle's rules; `for_` lets a programme's own rules win for its cases."""

    rules: Mapping[str, NoticeRule]

    def for_(
        self, name: str, programme: Mapping[str, NoticeRule] | None = None
    ) -> NoticeRule | None:
        """The rule for transition or deadline kind `name`; None: it tells no one."""
        if programme and name in programme:
            return programme[name]
        return self.rules.get(name)


def parse_rules(raw: Mapping[str, object], known: Iterable[str]) -> dict[str, NoticeRule]:
    """Rules by name, each name a transition or deadline kind of the lifecycle (`known`)."""
    known = set(known)
    problems = [
        f"notifications.{name}: no transition or deadline of that name"
        for name in raw
        if name not in known
    ]
    rules: dict[str, NoticeRule] = {}
    for name, rule in raw.items():
        try:
            rules[name] = NoticeRule.model_validate(rule)
        except ValidationError as wrong:
            for error in wrong.errors(include_url=False):
                where = ".".join(str(p) for p in error["loc"])
                problems.append(f"notifications.{name}.{where}: {error['msg']}")
    if problems:
        raise NoticeRulesError("; ".join(problems))
    return rules


def load_notice_rules(known: Iterable[str], name: str = "notifications") -> NoticeRules:
    raw = load_definition(name).get("notifications", {})
    return NoticeRules(parse_rules(raw, known))
