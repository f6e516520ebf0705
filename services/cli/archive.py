"""Commands that hand closed records to an archive: a case, or a programme's closed cases, as
an E-ARK CSIP / FGS submission information package (docs/ARCHIVE.md)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from config.settings import get_settings
from services.archiving.package import archiver_of, write_package
from services.archiving.records import Archiver, Records
from services.cli.common import err, open_services, out
from services.errors import ServiceError
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor, Role

archive_app = typer.Typer(help="Archive packages of closed records.", no_args_is_help=True)
# Reads, as an auditor would (the policy's `records.archive`).
COMMAND_LINE = Actor(None, "command line", Role.auditor)
Out = Annotated[Path, typer.Option("--out", help="the zip to write")]


def register(app: typer.Typer) -> None:
    app.add_typer(archive_app, name="archive")


@archive_app.command("case")
def archive_case(case_id: int, out_file: Out) -> None:
    """Write a closed case as an archive package; a case still running is refused (exit 1)."""
    _write(out_file, lambda archiver, uow: archiver.case(uow, COMMAND_LINE, case_id))


@archive_app.command("programme")
def archive_programme(code: str, out_file: Out) -> None:
    """Write every closed case of a programme as one archive package; the cases still running
    are named in its metadata/descriptive/package.json."""
    _write(out_file, lambda archiver, uow: archiver.programme(uow, COMMAND_LINE, code))


def _write(target: Path, gather: Callable[[Archiver, UnitOfWork], Records]) -> None:
    services = open_services(register=False)
    archiver = archiver_of(services, get_settings())
    # Written under another name and moved into place: a refusal leaves nothing behind.
    draft = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with services.units.reading() as uow, draft.open("wb") as package:
            records = gather(archiver, uow)
            write_package(archiver, uow, COMMAND_LINE, records, package, services.clock.now())
        draft.replace(target)
    except ServiceError as refused:
        err.print(f"[red]{refused.detail}[/red]")
        raise typer.Exit(1) from None
    finally:
        draft.unlink(missing_ok=True)
    out.print(
        f"{records.objid}: {len(records.cases)} cases, {len(records.events)} events -> {target}"
    )
