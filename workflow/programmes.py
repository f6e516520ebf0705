"""Grant programmes as configuration: the schema each file in config/programmes/ must meet, and its loader."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]


class PaymentTiming(StrEnum):
    up_front = "up_front"  # paid at the decision, unused funds repaid (seeds/000, 004)
    in_arrears = "in_arrears"  # paid after the final report and accounts (seeds/002)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Payment(_Strict):
    timing: PaymentTiming


class ProgrammeConfig(_Strict):
    """One programme file. Unknown keys are errors, so a misspelt rule never silently does nothing."""

    code: Code
    reference_prefix: str = Field(
        pattern=r"^[A-Z][A-Z0-9-]{1,15}$", description="starts each case reference"
    )
    name: dict[str, str] = Field(min_length=1)
    funder: str = Field(min_length=1)
    source: str = Field(min_length=1, description="the seed text the rules come from")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    time_zone: str
    language: str = Field(pattern=r"^[a-z]{2}$")
    entry: str
    payment: Payment

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
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def title(self, language: str | None = None) -> str:
        return self.name.get(language or self.language) or next(iter(self.name.values()))


@dataclass(frozen=True)
class ProgrammeFile:
    path: Path
    programme: ProgrammeConfig
    sha256: str


class ProgrammeError(ValueError):
    """A programme file that cannot be used, with the file, the key and why."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def load_programme_file(path: Path, entry_states: Iterable[str]) -> ProgrammeFile:
    data = path.read_bytes()
    try:
        raw: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProgrammeError(path, [f"not valid TOML: {exc}"]) from None
    try:
        programme = ProgrammeConfig.model_validate(raw)
    except ValidationError as exc:
        raise ProgrammeError(
            path, [_describe(err) for err in exc.errors(include_url=False)]
        ) from None
    if programme.entry not in entry_states:
        raise ProgrammeError(
            path, [f"entry: {programme.entry!r} is not an entry state ({', '.join(entry_states)})"]
        )
    return ProgrammeFile(path=path, programme=programme, sha256=hashlib.sha256(data).hexdigest())


def load_programmes(directory: Path, entry_states: Iterable[str]) -> dict[str, ProgrammeFile]:
    """Every programme in `directory`, by code; raises ProgrammeError listing every broken file."""
    entry_states = tuple(entry_states)
    loaded: dict[str, ProgrammeFile] = {}
    broken: list[str] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            pf = load_programme_file(path, entry_states)
        except ProgrammeError as exc:
            broken.append(str(exc))
            continue
        if pf.programme.code in loaded:
            broken.append(
                f"{path}: code {pf.programme.code!r} is already used by {loaded[pf.programme.code].path}"
            )
        loaded[pf.programme.code] = pf
    if broken:
        raise ProgrammeError(directory, broken)
    return loaded


def _describe(err: Any) -> str:
    key = ".".join(str(p) for p in err["loc"]) or "(file)"
    if err["type"] == "extra_forbidden":
        return f"{key}: unknown key (misspelt? see the schema in workflow/programmes.py)"
    if err["type"] == "missing":
        return f"{key}: required key is missing"
    return f"{key}: {err['msg']}"
