"""Registry numbers (diarienummer): their form, the year they count in, and what states/registry.toml
says is registered, and as what."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from states import load_definition
from workflow.statuses import AttachmentKind

# A series code as a programme file writes it, and a registry number as it is printed.
SERIES_PATTERN = r"^[A-ZÅÄÖÆØ][A-ZÅÄÖÆØ0-9-]{0,15}$"
NUMBER = re.compile(r"^(?P<series>\S+) (?P<year>\d{4})/(?P<number>\d{4,})(?:-(?P<document>\d+))?$")


class Direction(StrEnum):
    incoming = "in"
    outgoing = "out"


@dataclass(frozen=True, order=True)
class RegistryNumber:
    """`SFU 2026/0123` for a case, `SFU 2026/0123-2` for its second document: the series, the
    year, the case's number in both (four digits, more when needed) and the document's within it."""

    series: str
    year: int
    number: int
    document: int = 0  # 0: the case itself

    def __str__(self) -> str:
        case = f"{self.series} {self.year}/{self.number:04d}"
        return f"{case}-{self.document}" if self.document else case

    def of_document(self, document: int) -> RegistryNumber:
        return RegistryNumber(self.series, self.year, self.number, document)

    @classmethod
    def parse(cls, text: str) -> RegistryNumber | None:
        found = NUMBER.match(text.strip())
        if found is None:
            return None
        return cls(
            found["series"], int(found["year"]), int(found["number"]), int(found["document"] or 0)
        )


def registry_year(now: dt.datetime, zone: ZoneInfo) -> int:
    """The year a registration counts in: the calendar year where the programme is, so a case
    opened at 00:30 on 1 January in Stockholm is that year's, whatever UTC says."""
    return now.astimezone(zone).year


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocumentKind(_Strict):
    """What an entry is registered as, with its label in each language."""

    kind: str = Field(default="", pattern=r"^[a-z][a-z_]{1,40}$|^$")
    direction: Direction = Direction.incoming
    label: dict[str, str] = Field(min_length=1)

    def title(self, language: str = "en") -> str:
        return self.label.get(language) or self.label.get("en") or next(iter(self.label.values()))


class RegistryRulesError(ValueError):
    pass


@dataclass(frozen=True)
class RegistryRules:
    """The case's own entry, the incoming documents by attachment kind, and the outgoing ones by
    the transition that sends them."""

    case: DocumentKind
    incoming: Mapping[str, DocumentKind] = field(default_factory=dict)
    outgoing: Mapping[str, DocumentKind] = field(default_factory=dict)

    def sent_by(self, transition: str) -> DocumentKind | None:
        """The decision `transition` sends to the applicant, if it sends one."""
        return self.outgoing.get(transition)

    def received_as(self, attachment_kind: str) -> DocumentKind:
        found = self.incoming.get(attachment_kind)
        if found is None:  # parse_registry_rules makes sure every kind has one
            raise KeyError(attachment_kind)
        return found

    def labels(self) -> dict[str, DocumentKind]:
        """Every kind an entry may have, by name."""
        return {d.kind: d for d in (self.case, *self.incoming.values(), *self.outgoing.values())}


def parse_registry_rules(raw: Mapping[str, object], transitions: Iterable[str]) -> RegistryRules:
    """The rules from the TOML's tables, each outgoing name a transition of the lifecycle and
    every attachment kind registered as something."""
    known = set(transitions)
    problems: list[str] = []

    def kinds(table: str, direction: Direction) -> dict[str, DocumentKind]:
        parsed: dict[str, DocumentKind] = {}
        entries = raw.get(table) or {}
        assert isinstance(entries, Mapping)
        for name, entry in entries.items():
            try:
                value = {"kind": name, **entry, "direction": direction}
                parsed[name] = DocumentKind.model_validate(value)
            except (ValidationError, TypeError) as wrong:
                problems.append(f"{table}.{name}: {wrong}")
        return parsed

    incoming = kinds("incoming", Direction.incoming)
    outgoing = kinds("outgoing", Direction.outgoing)
    problems += [
        f"outgoing.{name}: no transition of that name"
        for name in outgoing
        if known and name not in known
    ]
    problems += [
        f"incoming.{kind}: missing (every attachment kind is registered)"
        for kind in AttachmentKind.__members__
        if kind not in incoming
    ]
    problems += [
        f"incoming.{kind}: not an attachment kind"
        for kind in incoming
        if kind not in AttachmentKind.__members__
    ]
    try:
        case = DocumentKind.model_validate(raw.get("case"))
    except ValidationError as wrong:
        problems.append(f"case: {wrong}")
        case = DocumentKind(kind="case", label={"en": "Case"})
    if problems:
        raise RegistryRulesError("; ".join(problems))
    return RegistryRules(case, incoming, outgoing)


def load_registry_rules(transitions: Iterable[str], name: str = "registry") -> RegistryRules:
    return parse_registry_rules(load_definition(name), transitions)
