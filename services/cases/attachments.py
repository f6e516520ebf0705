"""Files on a case: stored by their SHA-256 in the data folder, the hash kept in the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from services import audit
from services.cases.visibility import visible_case
from services.errors import Conflict, InvalidRequest, NotFound
from services.policy import require, require_on_case
from services.registry import Registrar
from services.storage.models import Attachment
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.clock import Clock
from workflow.registry import load_registry_rules
from workflow.statuses import AttachmentKind, EventKind

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


class AttachmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: int | None
    uploaded_at: dt.datetime
    event_seq: int | None
    registry_number: str | None = None


class Attachments:
    def __init__(
        self,
        clock: Clock,
        data_dir: Path,
        max_bytes: int = MAX_ATTACHMENT_BYTES,
        suffixes: frozenset[str] = frozenset(CONTENT_TYPES),
        registrar: Registrar | None = None,
    ) -> None:
        self.clock = clock
        self.registrar = registrar or Registrar(load_registry_rules(()))
        self.data_dir = data_dir
        self.max_bytes = max_bytes  # the agency's own limits, from the settings
        self.suffixes = suffixes & set(CONTENT_TYPES)

    def add(
        self,
        uow: UnitOfWork,
        actor: Actor,
        case_id: int,
        kind: str,
        filename: str,
        content: bytes,
    ) -> AttachmentPublic:
        """Store a file on a case by its SHA-256, and record the hash in the audit log."""
        require(actor, Action.case_attach)  # a role that may attach to no case at all: 403
        case = visible_case(uow, actor, case_id, lock=True)
        require_on_case(uow, actor, Action.case_attach, case)
        if kind not in AttachmentKind.__members__:
            raise InvalidRequest(
                f"kind must be one of {', '.join(sorted(AttachmentKind))}", field="kind"
            )
        name = safe_filename(filename)
        suffix = Path(name).suffix.lower()
        if suffix not in self.suffixes:
            raise InvalidRequest(
                f"{name or 'the file'}: only {', '.join(sorted(self.suffixes))} files are accepted",
                field="file",
            )
        if not content:
            raise InvalidRequest("the file is empty", field="file")
        if len(content) > self.max_bytes:
            raise InvalidRequest(
                f"the file is {len(content)} bytes; at most {self.max_bytes} are accepted",
                field="file",
            )
        digest = hashlib.sha256(content).hexdigest()
        self._keep(digest, content)
        now = self.clock.now()
        # A document in: numbered within its case, under the case's lock.
        number = self.registrar.number_document(uow, case)
        registered = {"registry_number": str(number)} if number else {}
        event = audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=now,
            case_id=case_id,
            transition="attachment_added",
            from_state=case.state,
            case_version=case.version,
            details={
                "attachment": {
                    "kind": kind,
                    "filename": name,
                    "size": len(content),
                    "sha256": digest,
                    "content_type": CONTENT_TYPES[suffix],
                },
                **registered,
            },
        )
        attachment = uow.attachments.add(
            Attachment(
                case_id=case_id,
                kind=kind,
                filename=name,
                content_type=CONTENT_TYPES[suffix],
                size=len(content),
                sha256=digest,
                uploaded_by=actor.user_id,
                uploaded_at=now,
                event_seq=event.seq,
            )
        )
        if number is not None:
            received = self.registrar.rules.received_as(kind)
            self.registrar.enter(
                uow, number, case, received, name, now, event.seq, attachment_id=attachment.id
            )
        public = AttachmentPublic.model_validate(attachment)
        return public.model_copy(update={"registry_number": str(number) if number else None})

    def of_case(self, uow: UnitOfWork, actor: Actor, case_id: int) -> list[AttachmentPublic]:
        visible_case(uow, actor, case_id)
        numbers = {e.attachment_id: e.registry_number for e in uow.registry.of_case(case_id)}
        return [
            AttachmentPublic.model_validate(a).model_copy(
                update={"registry_number": numbers.get(a.id)}
            )
            for a in uow.attachments.of_case(case_id)
        ]

    def read(
        self, uow: UnitOfWork, actor: Actor, case_id: int, attachment_id: int
    ) -> tuple[AttachmentPublic, bytes]:
        """The file, checked against the hash recorded when it came in."""
        visible_case(uow, actor, case_id)
        attachment = uow.attachments.get(attachment_id)
        if attachment is None or attachment.case_id != case_id:
            raise NotFound(f"case {case_id} has no attachment {attachment_id}")
        path = self.path(attachment.sha256)
        content = path.read_bytes() if path.exists() else b""
        if hashlib.sha256(content).hexdigest() != attachment.sha256:
            raise Conflict(
                f"the stored file no longer matches the SHA-256 recorded in audit event {attachment.event_seq}",
                sha256=attachment.sha256,
            )
        return AttachmentPublic.model_validate(attachment), content

    def path(self, digest: str) -> Path:
        return attachment_path(self.data_dir, digest)

    def _keep(self, digest: str, content: bytes) -> None:
        path = self.path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            tmp = path.with_suffix(".part")
            tmp.write_bytes(content)
            tmp.replace(path)  # whole or not at all


def safe_filename(filename: str | None) -> str:
    """The file's own name, whatever system sent it: no folders (`..\\..\\evil.txt` is
    `evil.txt`), no control characters, at most 200 characters."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = "".join(
        c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C"
    )
    return name.strip(" .")[-200:]


def content_disposition(filename: str) -> str:
    """An attachment header any client reads: a plain ASCII name, and the real one per RFC 6266."""
    fallback = "".join(c if c.isascii() and c not in '"\\' else "_" for c in filename) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment_path(data_dir: Path, digest: str) -> Path:
    return data_dir / "attachments" / digest[:2] / digest
