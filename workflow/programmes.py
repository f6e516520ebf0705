"""Grant programmes as configuration: the schema each file in config/programmes/ must meet, and its loader."""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workflow.accounting import Accounting
from workflow.amendments import AmendmentKind, AmendmentRule
from workflow.checklists import Criterion, checklist_problems
from workflow.notices import NoticeRule
from workflow.programme_problems import cycles, describe
from workflow.registry import SERIES_PATTERN
from workflow.tranches import Payment as Payment
from workflow.tranches import PaymentTiming as PaymentTiming

Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


MonthDay = Annotated[str, Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]


class Calendar(_Strict):
    """Whose working days deadlines count: a country's weekdays less its holidays (`holidays`),
    and less the fixed days (`closed_days`, "MM-DD") its rule for time limits adds to them."""

    country: str = Field(pattern=r"^[A-Z]{2}$")
    holiday_categories: list[str] = Field(default_factory=lambda: ["public"], min_length=1)
    closed_days: list[MonthDay] = Field(default_factory=list)
    source: str = Field(default="", description="the rule the calendar follows")

    @model_validator(mode="after")
    def _known_country(self) -> Calendar:
        try:
            holidays.country_holidays(
                self.country, years=2020, categories=tuple(self.holiday_categories)
            )
        except (NotImplementedError, ValueError, KeyError) as exc:
            raise ValueError(
                f"no holiday calendar for {self.country} {self.holiday_categories}: {exc}"
            ) from None
        return self


class Call(_Strict):
    """One call for applications (utlysning, ansøgningsrunde) of a programme."""

    code: Code
    title: str = ""
    opens: dt.datetime | None = Field(
        default=None, description="local time in the programme's zone"
    )
    application_deadline: dt.datetime | None = Field(
        default=None, description="local time in the programme's zone"
    )
    decision_expected_by: dt.date | None = None

    @field_validator("opens", "application_deadline")
    @classmethod
    def _local(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError(
                "write a local time without an offset; the programme's time_zone places it"
            )
        return value


Anchor = Literal["now", "period_end", "call.application_deadline", "call.decision_expected_by"]


class DeadlineRule(_Strict):
    """When a deadline of one kind falls, in one of three ways:

    at = an anchor (a call's local date and time, or the end of a date);
    after = an anchor, plus months, days or working days (ending at the end of that day);
    before = another deadline kind of this programme, less days.
    """

    at: Anchor | None = None
    after: Anchor | None = None
    before: str | None = None
    months: int | None = Field(default=None, ge=1, le=120)
    days: int | None = Field(default=None, ge=1, le=3650)
    working_days: int | None = Field(default=None, ge=1, le=1000)
    # Lag (1930:173) and its Danish counterpart: a deadline on a weekend or holiday moves to the
    # next working day.
    roll_to_working_day: bool = True
    source: str = Field(
        default="", description="the line of the seed text, or whose practice it is"
    )

    @model_validator(mode="after")
    def _one_way(self) -> DeadlineRule:
        ways = [w for w in ("at", "after", "before") if getattr(self, w) is not None]
        amounts = [a for a in ("months", "days", "working_days") if getattr(self, a) is not None]
        if len(ways) != 1:
            raise ValueError("give exactly one of at, after or before")
        if ways == ["at"] and amounts:
            raise ValueError("`at` takes no months, days or working_days")
        if ways == ["after"] and len(amounts) != 1:
            raise ValueError("`after` takes exactly one of months, days or working_days")
        if ways == ["before"] and amounts != ["days"]:
            raise ValueError("`before` takes days")
        return self


Amount = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)]
OrganisationKind = Literal["municipality", "region", "non_profit", "foundation", "agency"]
Category = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")]


class Budget(_Strict):
    """The programme's pool, shared by all its calls (seeds/000: 25 MSEK for 2021, of which two
    earlier calls used about 19)."""

    pool: Amount
    committed_before: Amount = Field(
        default=Decimal("0"), description="spent by calls not kept in grantflow"
    )
    source: str = ""


class Cluster(_Strict):
    """Joint applications from municipalities sharing one agreement (seeds/000)."""

    min_municipalities: int = Field(ge=2, le=100)
    agreement_valid_on: Literal["decision"] = "decision"
    min_local_tracks: int = Field(
        default=0, ge=0, le=20, description="seeds/003: at least three local tracks"
    )
    source: str = ""


class Eligibility(_Strict):
    applicant_kinds: list[OrganisationKind] = Field(min_length=1)
    cluster: Cluster | None = None
    source: str = ""


class Costs(_Strict):
    """What final-report costs count (seeds/000, seeds/002): eligible categories, ineligible ones
    with the reason shown to the applicant, and whether each cost must sit on an approved budget line."""

    eligible_categories: list[Category] = Field(min_length=1)
    ineligible: dict[Category, str] = Field(default_factory=dict)
    budget_lines_required: bool = False

    @model_validator(mode="after")
    def _disjoint(self) -> Costs:
        both = set(self.eligible_categories) & set(self.ineligible)
        if both:
            raise ValueError(f"categories both eligible and ineligible: {sorted(both)}")
        return self


class Certification(_Strict):
    """Above the threshold the final accounts need an auditor's certification, at or below it
    management's (seeds/002: revisorpåtegnet over 500.000 kr., ellers ledelsespåtegnet)."""

    auditor_above: Amount
    source: str = ""


class AllocationRule(_Strict):
    """A pooled round shared after its deadline: a floor each, the rest by target group (seeds/002)."""

    floor: Amount
    weight_input: Literal["target_group_size"] = "target_group_size"
    source: str = ""


class Retention(_Strict):
    """How long the personal data of the people on a closed case is kept (docs/PRIVACY.md)."""

    years_after_closing: int = Field(ge=1, le=100)
    source: str = Field(min_length=1)


class ProgrammeConfig(_Strict):
    """One programme file. Unknown keys are errors, so a misspelt rule never silently does nothing."""

    code: Code
    reference_prefix: str = Field(
        pattern=r"^[A-Z][A-Z0-9-]{1,15}$", description="starts each case reference"
    )
    registry_series: str | None = Field(
        default=None,
        pattern=SERIES_PATTERN,
        description="the registry's series its cases and documents are numbered in (SFU 2026/0123); "
        "none (a version kept from before 0.3): the reference_prefix",
    )
    name: dict[str, str] = Field(min_length=1)
    funder: str = Field(min_length=1)
    source: str = Field(min_length=1, description="the seed text the rules come from")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    time_zone: str
    language: str = Field(pattern=r"^[a-z]{2}$")
    entry: str
    payment: Payment
    calendar: Calendar
    calls: list[Call] = Field(default_factory=list)
    deadlines: dict[str, DeadlineRule] = Field(default_factory=dict)
    budget: Budget | None = None
    eligibility: Eligibility | None = None
    costs: Costs | None = None
    certification: Certification | None = None
    allocation: AllocationRule | None = None
    # Which change requests the programme takes after a decision, and who approves them.
    amendments: dict[AmendmentKind, AmendmentRule] = Field(default_factory=dict)
    # None: nothing is proposed for erasure; a person decides case by case.
    retention: Retention | None = None
    # Who hears what, where this programme says otherwise than states/notifications.toml.
    notifications: dict[str, NoticeRule] = Field(default_factory=dict)
    # The agency's ledger: accounts and voucher series of the accounting export; none: no export.
    accounting: Accounting | None = None
    # What a caseworker assesses and answers, and the transitions that wait for it (workflow/checklists.py).
    checklist: list[Criterion] = Field(default_factory=list)

    def call(self, code: str | None) -> Call | None:
        return next((c for c in self.calls if c.code == code), None)

    def open_call(self, now: dt.datetime) -> Call | None:
        """The call taking applications at `now`, if the programme runs calls at all."""
        for call in self.calls:
            opens = call.opens and call.opens.replace(tzinfo=self.zone)
            closes = call.application_deadline and call.application_deadline.replace(
                tzinfo=self.zone
            )
            if (opens is None or now >= opens) and (closes is None or now < closes):
                return call
        return None

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Stockholm)"
            ) from None
        return value

    @property
    def series(self) -> str:
        """The registry series new cases are numbered in."""
        return self.registry_series or self.reference_prefix

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def title(self, language: str | None = None) -> str:
        return self.name.get(language or self.language) or next(iter(self.name.values()))


@dataclass(frozen=True)
class ProgrammeFile:
    path: Path
    programme: ProgrammeConfig
    sha256: str
    content: str = ""  # the text the rules were read from, kept as a version of the programme


class ProgrammeError(ValueError):
    """A programme file that cannot be used, with the file, the key and why."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def load_programme_file(
    path: Path,
    entry_states: Iterable[str],
    deadline_kinds: Iterable[str] = (),
    notice_names: Iterable[str] = (),
    transition_guards: Mapping[str, Iterable[str]] | None = None,
) -> ProgrammeFile:
    return parse_programme(
        path, path.read_bytes(), entry_states, deadline_kinds, notice_names, transition_guards
    )


def parse_programme(
    path: Path,
    data: bytes,
    entry_states: Iterable[str],
    deadline_kinds: Iterable[str] = (),
    notice_names: Iterable[str] = (),
    transition_guards: Mapping[str, Iterable[str]] | None = None,
) -> ProgrammeFile:
    """A programme from the bytes of its file (`path` names it in problems): from the folder,
    or a version kept in the database."""
    try:
        raw: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProgrammeError(path, [f"not valid TOML: {exc}"]) from None
    try:
        programme = ProgrammeConfig.model_validate(raw)
    except ValidationError as exc:
        raise ProgrammeError(
            path, [describe(err, ProgrammeConfig) for err in exc.errors(include_url=False)]
        ) from None
    entry_states = tuple(entry_states)
    problems = []
    if programme.entry not in entry_states:
        problems.append(
            f"entry: {programme.entry!r} is not an entry state ({', '.join(entry_states)})"
        )
    kinds = set(deadline_kinds)
    for kind, rule in programme.deadlines.items():
        if kinds and kind not in kinds:
            problems.append(
                f"deadlines.{kind}: unknown deadline kind (the lifecycle has {', '.join(sorted(kinds))})"
            )
        if rule.before is not None and rule.before not in programme.deadlines:
            problems.append(
                f"deadlines.{kind}.before: {rule.before!r} is not a deadline of this programme"
            )
    names = set(notice_names)
    problems += [
        f"notifications.{name}: no transition or deadline kind of that name"
        for name in programme.notifications
        if names and name not in names
    ]
    problems += cycles(programme.deadlines)
    if transition_guards:
        problems += checklist_problems(programme.checklist, transition_guards)
    if problems:
        raise ProgrammeError(path, problems)
    return ProgrammeFile(
        path=path,
        programme=programme,
        sha256=hashlib.sha256(data).hexdigest(),
        content=data.decode("utf-8"),
    )


def load_programmes(
    directory: Path,
    entry_states: Iterable[str],
    deadline_kinds: Iterable[str] = (),
    notice_names: Iterable[str] = (),
    transition_guards: Mapping[str, Iterable[str]] | None = None,
) -> tuple[dict[str, ProgrammeFile], dict[str, list[str]]]:
    """Every programme in `directory` that loads, by code; and each file that does not, by file
    name, with its problems. One broken file stops only its own programme."""
    entry_states, deadline_kinds = tuple(entry_states), tuple(deadline_kinds)
    notice_names = tuple(notice_names)
    loaded: dict[str, ProgrammeFile] = {}
    broken: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            pf = load_programme_file(
                path, entry_states, deadline_kinds, notice_names, transition_guards
            )
        except ProgrammeError as exc:
            broken[path.name] = exc.problems
            continue
        if pf.programme.code in loaded:
            other = loaded[pf.programme.code].path.name
            broken[path.name] = [f"code: {pf.programme.code!r} is already used by {other}"]
            continue
        loaded[pf.programme.code] = pf
    return loaded, broken
