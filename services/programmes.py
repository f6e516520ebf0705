"""The programmes of config/programmes/ as the database knows them: registered with each version
of their file's content, their ids and codes, and the deadlines of each call."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

from services import audit
from services.errors import ProgrammeUnavailable
from services.storage.keeping import Deadline
from services.storage.models import Programme, ProgrammeVersion
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import SYSTEM
from workflow.catalogue import Catalogue
from workflow.clock import Clock
from workflow.deadlines import rule_due
from workflow.programmes import ProgrammeConfig, ProgrammeError, ProgrammeFile
from workflow.statuses import EventKind

log = logging.getLogger("grantflow")


class ProgrammeRegistry:
    """Programme ids and codes, known once the files are registered (at start-up)."""

    def __init__(self, catalogue: Catalogue, clock: Clock) -> None:
        self.catalogue = catalogue
        self.clock = clock
        self._codes: dict[int, str] = {}
        self._ids: dict[str, int] = {}
        self._versions: dict[int, int] = {}
        self._loaded = 0.0

    def register(self, uow: UnitOfWork) -> dict[str, list[str]]:
        """Give every new programme file its row and keep its content as version 1; plan each
        call's own deadlines. A file that differs from the version in force is not taken up:
        the programme runs on that version, and the file's name comes back with why, for an
        incident (a change goes through `grantflow programs plan` and `apply`). Processes
        starting at once take turns here, so each change is recorded once."""
        uow.programmes.lock_registration()
        rows = {p.code: p for p in uow.programmes.all()}
        differing: dict[str, list[str]] = {}
        for code, pf in self.catalogue.programmes.items():
            row = rows.get(code)
            kept = uow.programmes.versions(row.id) if row is not None and row.id else []
            if kept and kept[-1].sha256 != pf.sha256:
                differing[pf.path.name] = [_differs(pf, kept)]
                continue
            now = self.clock.now()
            if row is None:
                row = Programme(
                    code=code, title="", currency="", time_zone="", config_sha256="", loaded_at=now
                )
            if kept and row.config_sha256 == pf.sha256:
                continue
            row.title = pf.programme.title()
            row.currency = pf.programme.currency
            row.time_zone = pf.programme.time_zone
            row.config_sha256 = pf.sha256
            row.loaded_at = now
            uow.programmes.save(row)
            version = (
                kept[-1].version
                if kept
                else self._first_version(uow, row, pf, now, new=code not in rows)
            )
            audit.record(
                uow,
                kind=EventKind.fact,
                actor=SYSTEM,
                now=now,
                transition="programme_registered",
                details={
                    "programme": code,
                    "file": pf.path.name,
                    "sha256": pf.sha256,
                    "version": version,
                },
            )
        self.load(uow)
        self._plan_round_deadlines(uow)
        return differing

    def _first_version(
        self, uow: UnitOfWork, row: Programme, pf: ProgrammeFile, now: dt.datetime, new: bool
    ) -> int:
        """Keep the file's content as version 1 of the programme's rules."""
        assert row.id is not None
        reason = (
            "first registration of the programme file"
            if new
            else "kept from this release on: earlier contents are known by hash only"
        )
        uow.programmes.add_version(
            ProgrammeVersion(
                programme_id=row.id,
                version=1,
                sha256=pf.sha256,
                content=pf.content,
                effective_from=now,
                registered_at=now,
                registered_by="grantflow at start-up",
                reason=reason,
            )
        )
        return 1

    def load(self, uow: UnitOfWork) -> None:
        """Read what the database says is in force: each programme's latest kept version is
        the rules this process decides by, whatever the folder holds (a version applied by
        another process since this one started is taken up here, without a restart)."""
        self._loaded = time.monotonic()
        rows = uow.programmes.all()
        kept = uow.programmes.versions()
        self._run_on_kept_versions(rows, {v.programme_id: v for v in kept})
        self._codes = {
            p.id: p.code for p in rows if p.id is not None and p.code in self.catalogue.programmes
        }
        self._ids = {code: pid for pid, code in self._codes.items()}
        self._versions = {}
        for version in kept:
            code = self._codes.get(version.programme_id)
            if code is not None and version.sha256 == self.catalogue.programmes[code].sha256:
                self._versions[version.programme_id] = version.version

    def _run_on_kept_versions(
        self, rows: list[Programme], latest: dict[int, ProgrammeVersion]
    ) -> None:
        """A programme runs on the latest version kept in the database when its file is gone,
        no longer loads, or differs from it (each of those has its incident)."""
        for row in rows:
            kept = latest.get(row.id or 0)
            loaded = self.catalogue.programmes.get(row.code)
            if kept is None or (loaded is not None and loaded.sha256 == kept.sha256):
                continue
            name = Path(f"{row.code} version {kept.version} (kept in the database)")
            try:
                pf = self.catalogue.parse(name, kept.content.encode("utf-8"))
            except ProgrammeError as broken:
                log.error("programme %s cannot run on its kept version: %s", row.code, broken)
                continue
            log.warning("programme %s runs on %s", row.code, name)
            self.catalogue.programmes[row.code] = pf

    def stale(self, every: float) -> bool:
        """Whether the rules in force were last read `every` seconds ago or more: a version
        applied by another process is taken up by loading again (`load`)."""
        return time.monotonic() - self._loaded >= every

    def version_of(self, programme_id: int) -> int | None:
        """The version of the programme's rules this process applies; None before it is kept."""
        return self._versions.get(programme_id)

    def id_of(self, code: str) -> int:
        """The programme's id; -1 (matching nothing) for a code no file has."""
        return self._ids.get(code, -1)

    def knows(self, code: str) -> bool:
        return code in self._ids

    def code_of(self, programme_id: int | None) -> str:
        """The programme's code; "" for what belongs to no programme (the service's own jobs)."""
        return "" if programme_id is None else self._codes.get(programme_id, "")

    def config_of(self, programme_id: int | None) -> ProgrammeConfig | None:
        return self.catalogue.programme(self.code_of(programme_id))

    def require(self, programme_id: int) -> ProgrammeConfig:
        """The programme's rules, or a clear refusal when its file is gone or broken."""
        config = self.config_of(programme_id)
        if config is None:
            raise ProgrammeUnavailable(
                f"programme {programme_id} has no loaded file in the programmes folder: its "
                "rules cannot be applied until the file is back",
                programme_id=programme_id,
            )
        return config

    def reference(self, programme_id: int, case_id: int) -> str:
        config = self.config_of(programme_id)
        return f"{config.reference_prefix if config else 'CASE'}-{case_id:05d}"

    def public(self, uow: UnitOfWork) -> list[dict[str, Any]]:
        rows = {p.code: p for p in uow.programmes.all()}
        found = []
        for code, pf in sorted(self.catalogue.programmes.items()):
            row = rows.get(code)
            retired = row.retired_at if row is not None else None
            found.append(
                {
                    "code": code,
                    "title": pf.programme.title(),
                    "funder": pf.programme.funder,
                    "currency": pf.programme.currency,
                    "time_zone": pf.programme.time_zone,
                    "entry": pf.programme.entry,
                    "payment": pf.programme.payment.timing.value,
                    "source": pf.programme.source,
                    "file": pf.path.name,
                    "sha256": pf.sha256,
                    "version": self._versions.get(self._ids.get(code, -1)),
                    "retired_at": retired,
                    "retired_reason": row.retired_reason if row is not None else None,
                }
            )
        return found

    def _plan_round_deadlines(self, uow: UnitOfWork) -> None:
        """Each call's own deadlines (the lifecycle's `round` kinds), created once."""
        kinds = [k for k in self.catalogue.lifecycle.deadlines.values() if k.round]
        for code, pf in self.catalogue.programmes.items():
            programme = pf.programme
            for call in programme.calls:
                anchors = {
                    "now": self.clock.now(),
                    "call.application_deadline": call.application_deadline,
                    "call.decision_expected_by": call.decision_expected_by,
                }
                for kind in kinds:
                    due = rule_due(programme, kind.name, anchors)
                    if due is None or uow.deadlines.round_exists(
                        self._ids[code], call.code, kind.name
                    ):
                        continue
                    uow.deadlines.save(
                        Deadline(
                            programme_id=self._ids[code],
                            call_code=call.code,
                            kind=kind.name,
                            fires=kind.fires,
                            due_at=due,
                            time_zone=programme.time_zone,
                            rule=f"{code}#deadlines.{kind.name}",
                            created_at=self.clock.now(),
                            programme_version=self._versions.get(self._ids[code]),
                        )
                    )


def _differs(pf: ProgrammeFile, kept: list[ProgrammeVersion]) -> str:
    same = next((v.version for v in kept if v.sha256 == pf.sha256), None)
    said = f"is version {same}" if same is not None else "holds rules no version has"
    return (
        f"{pf.path.name} {said}, but version {kept[-1].version} is in force and runs on: "
        f"`grantflow programs plan {pf.path}` shows what applying the file would change, and "
        "`grantflow programs apply` makes it the next version"
    )
