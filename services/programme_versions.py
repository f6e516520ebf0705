"""The versions of a programme's rules as they were registered, and what changed between two."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from services.errors import NotFound
from services.programmes import ProgrammeRegistry
from services.storage.models import ProgrammeVersion
from services.storage.unit_of_work import UnitOfWork
from workflow.programme_diff import rule_changes, text_diff


class ProgrammeVersionPublic(BaseModel):
    programme: str
    version: int
    sha256: str
    effective_from: dt.datetime
    registered_at: dt.datetime
    registered_by: str
    reason: str
    in_use: bool = Field(description="the version this service decides by now")
    content: str | None = Field(default=None, description="the programme file, as registered")


class RuleChangePublic(BaseModel):
    key: str = Field(
        description="where the rule is in the file, e.g. deadlines.final_report.months"
    )
    was: Any
    now: Any


class ProgrammeDiff(BaseModel):
    programme: str
    was: int
    now: int
    rules: list[RuleChangePublic]
    text: str = Field(description="the files' lines as a unified diff")


class ProgrammeVersions:
    def __init__(self, programmes: ProgrammeRegistry) -> None:
        self.programmes = programmes

    def list(self, uow: UnitOfWork, code: str) -> list[ProgrammeVersionPublic]:
        programme_id = self._id(code)
        return [self._public(code, v) for v in uow.programmes.versions(programme_id)]

    def get(self, uow: UnitOfWork, code: str, number: int) -> ProgrammeVersionPublic:
        found = self._version(uow, code, number)
        return self._public(code, found).model_copy(update={"content": found.content})

    def diff(self, uow: UnitOfWork, code: str, was: int, now: int) -> ProgrammeDiff:
        old, new = self._version(uow, code, was), self._version(uow, code, now)
        return ProgrammeDiff(
            programme=code,
            was=was,
            now=now,
            rules=[
                RuleChangePublic(key=c.key, was=c.was, now=c.now)
                for c in rule_changes(old.content, new.content)
            ],
            text=text_diff(old.content, new.content, f"{code} v{was}", f"{code} v{now}"),
        )

    def _id(self, code: str) -> int:
        programme_id = self.programmes.id_of(code)
        if programme_id < 0:
            raise NotFound(f"no programme {code!r}")
        return programme_id

    def _version(self, uow: UnitOfWork, code: str, number: int) -> ProgrammeVersion:
        found = uow.programmes.version(self._id(code), number)
        if found is None:
            raise NotFound(f"{code} has no version {number}")
        return found

    def _public(self, code: str, kept: ProgrammeVersion) -> ProgrammeVersionPublic:
        return ProgrammeVersionPublic(
            programme=code,
            version=kept.version,
            sha256=kept.sha256,
            effective_from=kept.effective_from,
            registered_at=kept.registered_at,
            registered_by=kept.registered_by,
            reason=kept.reason,
            in_use=self.programmes.version_of(kept.programme_id) == kept.version,
        )
