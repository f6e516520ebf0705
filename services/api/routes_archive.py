"""The HTTP routes that hand closed records to an archive: a case, or a programme's closed
cases, as an E-ARK CSIP / FGS submission information package (docs/ARCHIVE.md)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse

from services.api.deps import ActorDep, ServicesDep, SettingsDep
from services.api.problems import MEDIA_TYPE, PROBLEMS, Problem
from services.api.routes_cases import CaseId
from services.archiving.package import archiver_of, package_name, write_package
from services.archiving.records import Archiver, Records
from services.container import Services
from services.policy import declared
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor

router = APIRouter(tags=["archive"])
Code = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9-]+$")]
ZIP = "application/zip"
ANSWERS: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    200: {"content": {ZIP: {}}, "description": "The package, a zip"},
    409: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": "Not closed"},
}
CHUNK = 1024 * 1024
# Packages are written to a temporary file, in memory while small: a refusal half-way (a
# document no longer matching its hash) is then an error, not a truncated download.
IN_MEMORY = 32 * 1024 * 1024


@router.get(
    "/cases/{case_id}/archive",
    openapi_extra=declared(Action.records_archive),
    response_class=StreamingResponse,
    responses=ANSWERS,
)
def archive_case(
    case_id: CaseId, actor: ActorDep, services: ServicesDep, settings: SettingsDep
) -> StreamingResponse:
    """A closed case as an archive package (application/zip); a case still running is 409."""
    archiver = archiver_of(services, settings)
    return _package(services, actor, archiver, lambda uow: archiver.case(uow, actor, case_id))


@router.get(
    "/programmes/{code}/archive",
    openapi_extra=declared(Action.records_archive),
    response_class=StreamingResponse,
    responses=ANSWERS,
)
def archive_programme(
    code: Code, actor: ActorDep, services: ServicesDep, settings: SettingsDep
) -> StreamingResponse:
    """Every closed case of a programme as one archive package; the cases still running are
    named in its metadata/descriptive/package.json, not packed."""
    archiver = archiver_of(services, settings)
    return _package(services, actor, archiver, lambda uow: archiver.programme(uow, actor, code))


def _package(
    services: Services,
    actor: Actor,
    archiver: Archiver,
    gather: Callable[[UnitOfWork], Records],
) -> StreamingResponse:
    # Not `with`: the response reads the file after this returns, and closes it.
    spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115
    try:
        with services.units.reading() as uow:
            records = gather(uow)
            write_package(archiver, uow, actor, records, spool, services.clock.now())
    except BaseException:
        spool.close()
        raise
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while chunk := spool.read(CHUNK):
                yield chunk

    name = package_name(records)
    return StreamingResponse(
        chunks(), media_type=ZIP, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
