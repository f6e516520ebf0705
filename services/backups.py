"""Backups that restore: the database, the attachments and a manifest in one tar file, which is
either whole under its name or not there at all, and is checked on its way back in."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.cases.attachments import attachment_path
from services.storage.backup import CopyError, copy_in, copy_out, events_in, kind_of
from workflow.audit_chain import format_time

FORMAT = "grantflow-backup/1"
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}


class BackupError(CopyError):
    """A backup that cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds: read back on restore and compared with what was restored."""

    made_at: str
    database_kind: str
    database_file: str
    database_sha256: str
    schema_revision: str | None
    head_seq: int
    head_hash: str
    attachments: int

    def as_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, **self.__dict__}


def make_backup(url: str, data_dir: Path, target: Path, now: dt.datetime) -> Manifest:
    """Write the backup to `target.partial`, flush it to disk, then rename it: an interrupted
    backup leaves only a `.partial` file, never one that looks complete."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".grantflow-backup-") as work:
            database = copy_out(url, Path(work) / DATABASE_FILES[kind_of(url)])
            # Attachments are written before the row that names them commits, and never
            # removed: every file the database copy refers to is already on disk.
            files = _attachments(data_dir)
            manifest = Manifest(
                made_at=format_time(now),
                database_kind=database.kind,
                database_file=database.path.name,
                database_sha256=_sha256(database.path),
                schema_revision=database.schema_revision,
                head_seq=database.head_seq,
                head_hash=database.head_hash,
                attachments=len(files),
            )
            with tarfile.open(partial, "w") as tar:
                _add_bytes(tar, MANIFEST, json.dumps(manifest.as_dict(), indent=2).encode())
                tar.add(database.path, arcname=database.path.name)
                for file in files:
                    tar.add(file, arcname=f"attachments/{file.name}")
            _flush(partial)
        os.replace(partial, target)
        _flush(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def restore_backup(url: str, data_dir: Path, source: Path, *, replace: bool) -> Manifest:
    """Put the backup's database and attachments back. Refuses a database that already holds
    events unless `replace`, and checks every file against the manifest before using it."""
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    try:
        with tarfile.open(source, "r") as tar, tempfile.TemporaryDirectory() as work:
            return _restore(tar, source, url, data_dir, Path(work), replace)
    except tarfile.TarError as damaged:
        raise BackupError(f"{source} is not a whole grantflow backup: {damaged}") from None


def _restore(
    tar: tarfile.TarFile, source: Path, url: str, data_dir: Path, work: Path, replace: bool
) -> Manifest:
    manifest = _manifest(tar, source)
    if manifest.database_kind != kind_of(url):
        raise BackupError(
            f"{source} holds a {manifest.database_kind} database and GRANTFLOW_DATABASE_URL "
            f"is {kind_of(url)}: restore it into a database of its kind"
        )
    held = events_in(url)
    if held and not replace:
        raise BackupError(
            f"the database already holds {held} audit events: stop the service and restore "
            "with --replace to overwrite them"
        )
    database = work / manifest.database_file
    _extract(tar, manifest.database_file, database)
    if _sha256(database) != manifest.database_sha256:
        raise BackupError(f"{source}: the database copy does not match its manifest")
    attachments = [m for m in tar.getmembers() if m.name.startswith("attachments/")]
    if len(attachments) != manifest.attachments:
        raise BackupError(
            f"{source} holds {len(attachments)} attachments, its manifest says "
            f"{manifest.attachments}"
        )
    for member in attachments:
        _restore_attachment(tar, member, data_dir)
    copy_in(url, database)
    return manifest


def _manifest(tar: tarfile.TarFile, source: Path) -> Manifest:
    try:
        member = tar.extractfile(MANIFEST)
        data = json.loads(member.read()) if member else {}
    except (KeyError, ValueError):
        data = {}
    if data.get("format") != FORMAT:
        raise BackupError(f"{source} is not a grantflow backup (no {FORMAT} manifest)")
    data.pop("format")
    return Manifest(**data)


def _restore_attachment(tar: tarfile.TarFile, member: tarfile.TarInfo, data_dir: Path) -> None:
    digest = Path(member.name).name
    target = attachment_path(data_dir, digest)
    content = tar.extractfile(member)
    body = content.read() if content else b""
    if hashlib.sha256(body).hexdigest() != digest:
        raise BackupError(f"attachment {digest} in the backup is damaged")
    if target.exists():
        return  # content-addressed: a file of that name already holds these bytes
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".part")
    part.write_bytes(body)
    part.replace(target)


def _extract(tar: tarfile.TarFile, name: str, target: Path) -> None:
    member = tar.extractfile(name)
    if member is None:
        raise BackupError(f"the backup has no {name}")
    with target.open("wb") as out:
        while chunk := member.read(1 << 20):
            out.write(chunk)


def _attachments(data_dir: Path) -> list[Path]:
    folder = data_dir / "attachments"
    if not folder.exists():
        return []
    return sorted(p for p in folder.glob("*/*") if p.is_file() and p.suffix != ".part")


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _flush(path: Path) -> None:
    """Make a file's bytes, or a folder's entry for a renamed file, durable before going on."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
