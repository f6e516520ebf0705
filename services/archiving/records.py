"""Gathering what an archive package holds: closed cases, their files, and every audit event of
them with its inclusion proof against one signed checkpoint."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.auditing import proofs
from services.auditing.checkpoints import checkpoint, verifier_key
from services.auditing.export import export_lines, manifest
from services.cases.attachments import AttachmentPublic, Attachments
from services.cases.views import CaseViews
from services.cases.visibility import visible_case
from services.errors import NotClosed, NotFound
from services.policy import require
from services.privacy.sealing import open_bodies
from services.programmes import ProgrammeRegistry
from services.storage.cases import CaseFilter
from services.storage.models import Case
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.clock import Clock
from workflow.lifecycle import Lifecycle

DATA = "representations/rep1/data"


@dataclass(frozen=True)
class Document:
    """One attachment, where it lies in the package, and the audit event that recorded it."""

    reference: str
    attachment: AttachmentPublic
    path: str
    event: dict[str, Any]


@dataclass(frozen=True)
class ArchivedCase:
    reference: str
    description: dict[str, Any]  # metadata/descriptive/cases/<reference>.json
    documents: list[Document]


@dataclass(frozen=True)
class Records:
    """Everything a package is written from; the same records give the same package."""

    objid: str
    label: str
    funder: str
    programme: str
    cases: list[ArchivedCase]
    events: list[str]  # the canonical lines of the cases' events, in sequence order
    proofs: list[dict[str, Any]]  # one inclusion proof per event, same order
    checkpoint: str  # the signed checkpoint every proof leads to
    note_key: str  # its verifier key
    not_archived: list[dict[str, Any]] = field(default_factory=list)
    # The same events as the service reads them: personal data opened, or "[erased]".
    readable: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last_event_at(self) -> str:
        return str(json.loads(self.events[-1])["at"])


class Archiver:
    """Reads closed records for a package, as an auditor or administrator may."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        programmes: ProgrammeRegistry,
        views: CaseViews,
        attachments: Attachments,
        clock: Clock,
        key: Ed25519PrivateKey,
        origin: str,
    ) -> None:
        self.final_states = sorted(n for n, s in lifecycle.states.items() if s.terminal)
        self.programmes = programmes
        self.views = views
        self.attachments = attachments
        self.clock = clock
        self.key = key
        self.origin = origin

    def case(self, uow: UnitOfWork, actor: Actor, case_id: int) -> Records:
        """One closed case; a case still running is refused (409) before anything is read."""
        require(actor, Action.records_archive)
        case = visible_case(uow, actor, case_id)
        if case.state not in self.final_states:
            raise NotClosed(
                f"case {case_id} is {case.state}: only a case in a final state "
                f"({', '.join(self.final_states)}) is handed to an archive",
                case_id=case_id,
                state=case.state,
                final_states=self.final_states,
            )
        reference = self.views.reference(case)
        # The registry number is what the agency's own register and the archive search by.
        label = f"{case.registry_number} ({reference})" if case.registry_number else reference
        return self._records(uow, actor, [case], f"grantflow-{reference}", label)

    def programme(self, uow: UnitOfWork, actor: Actor, code: str) -> Records:
        """Every closed case of a programme; those still running are named, not packed."""
        require(actor, Action.records_archive)
        if not self.programmes.knows(code):
            raise NotFound(f"there is no programme {code!r}")
        cases = list(self._cases_of(uow, self.programmes.id_of(code)))
        closed = [c for c in cases if c.state in self.final_states]
        if not closed:
            raise NotClosed(f"programme {code} has no closed case to hand to an archive")
        running = [
            {"case_id": c.id, "reference": self.views.reference(c), "state": c.state}
            for c in cases
            if c.state not in self.final_states
        ]
        return self._records(uow, actor, closed, f"grantflow-{code}", code, running)

    def content(self, uow: UnitOfWork, actor: Actor, document: Document) -> bytes:
        """The file's bytes, refused (409) if they no longer match the recorded SHA-256."""
        attachment = document.attachment
        return self.attachments.read(uow, actor, attachment.case_id, attachment.id)[1]

    def _cases_of(self, uow: UnitOfWork, programme_id: int) -> Iterator[Case]:
        cursor = None
        while True:
            rows, cursor = uow.cases.page(
                CaseFilter(programme_id=programme_id), "id", False, 500, cursor
            )
            yield from rows
            if cursor is None:
                return

    def _records(
        self,
        uow: UnitOfWork,
        actor: Actor,
        cases: list[Case],
        objid: str,
        label: str,
        running: list[dict[str, Any]] | None = None,
    ) -> Records:
        # One size for the whole package: every proof and the checkpoint speak of the same log.
        size = manifest(uow, 1, None, self.clock.now())["last_seq"]
        lines = list(export_lines(uow, 1, size))
        ids = {c.id for c in cases}
        mine = [(i + 1, line) for i, line in enumerate(lines) if json.loads(line)["case_id"] in ids]
        # events.jsonl keeps the stored bytes, personal data sealed; what the package says in
        # words (PREMIS agents) is read as the service reads it, "[erased]" for an erased person.
        opened = open_bodies(uow, (json.loads(line) for _, line in mine))
        by_seq = {seq: body for (seq, _), body in zip(mine, opened, strict=True)}
        config = self.programmes.config_of(cases[0].programme_id)
        return Records(
            objid=objid,
            label=label,
            funder=config.funder if config else "",
            programme=self.programmes.code_of(cases[0].programme_id),
            cases=[self._case(uow, actor, c, by_seq) for c in cases],
            events=[line for _, line in mine],
            proofs=proofs.inclusions(lines, [seq for seq, _ in mine]),
            checkpoint=checkpoint(uow, self.key, self.origin, size),
            note_key=verifier_key(self.origin, self.key),
            not_archived=running or [],
            readable=opened,
        )

    def _case(
        self, uow: UnitOfWork, actor: Actor, case: Case, events: dict[int, dict[str, Any]]
    ) -> ArchivedCase:
        assert case.id is not None
        public = self.views.public(uow, case)
        reference = public.reference
        attached = self.attachments.of_case(uow, actor, case.id)
        documents = [
            Document(
                reference,
                a,
                f"{DATA}/{reference}/{a.id:06d}-{safe_name(a.filename)}",
                events.get(a.event_seq or 0, {}),
            )
            for a in attached
        ]
        description = {
            "case": public.model_dump(mode="json"),
            "documents": [
                {**d.attachment.model_dump(mode="json"), "path": d.path} for d in documents
            ],
            "events": sorted(seq for seq, e in events.items() if e["case_id"] == case.id),
        }
        return ArchivedCase(reference, description, documents)


def safe_name(filename: str) -> str:
    """A file's name as any archive's file system takes it: ASCII letters, digits, `.`, `-`
    and `_` (Västerås.pdf is Vasteras.pdf); its own name stays in METS and PREMIS."""
    stem, dot, suffix = filename.rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    return ".".join(p for p in (_ascii(stem) or "file", _ascii(suffix)) if p)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_-]+", "_", folded).strip("_")
