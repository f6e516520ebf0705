"""The HTTP routes of money and files: a case's finances, pooled allocation, attachments and the
published list of grants."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile, status
from fastapi.responses import PlainTextResponse

from services.accounting import filename, ledger, ledger_csv, ledger_sie
from services.allocation import AllocationTerms
from services.api.deps import (
    ActorDep,
    AllocationsDep,
    AttachmentsDep,
    ClockDep,
    ReadingDep,
    ServicesDep,
    SettingsDep,
    UnitsDep,
)
from services.api.problems import PROBLEMS
from services.api.routes_cases import CaseId
from services.cases.attachments import (
    AttachmentPublic,
    content_disposition,
)
from services.cases.finances import finances
from services.policy import PUBLIC, declared
from services.published import granted, granted_360giving, granted_csv
from workflow.access import Action

router = APIRouter(responses=PROBLEMS)
Code = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9-]+$")]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/cases/{case_id}/finances", openapi_extra=declared(Action.case_read), tags=["money"])
def case_finances(
    case_id: CaseId, actor: ActorDep, units: UnitsDep, reading: ReadingDep
) -> dict[str, Any]:
    """Decisions, commitments per fiscal year, disbursements, budget and the assessed report."""
    with units.reading() as uow:
        return finances(uow, reading, actor, case_id)


@router.get(
    "/programmes/{programme}/calls/{call}/allocation",
    openapi_extra=declared(Action.allocation_preview),
    tags=["money"],
)
def preview_allocation(
    programme: Code, call: Code, actor: ActorDep, units: UnitsDep, allocations: AllocationsDep
) -> dict[str, Any]:
    """How the pool would be shared among the call's applications now; changes nothing."""
    with units.reading() as uow:
        return allocations.preview(uow, actor, programme, call)


@router.post(
    "/programmes/{programme}/calls/{call}/allocation",
    openapi_extra=declared(Action.allocation_propose),
    tags=["money"],
)
def confirm_allocation(
    programme: Code,
    call: Code,
    terms: AllocationTerms,
    actor: ActorDep,
    units: UnitsDep,
    allocations: AllocationsDep,
) -> dict[str, Any]:
    """Propose every application's share as a decision, all or none; approvers then confirm each."""
    with units.writing() as uow:
        confirmed = allocations.confirm(uow, actor, programme, call, terms)
        uow.commit()
    return confirmed


@router.post(
    "/cases/{case_id}/attachments",
    openapi_extra=declared(Action.case_attach),
    status_code=status.HTTP_201_CREATED,
    tags=["money"],
)
async def upload_attachment(
    case_id: CaseId,
    actor: ActorDep,
    units: UnitsDep,
    attachments: AttachmentsDep,
    file: Annotated[
        UploadFile,
        File(description="pdf, docx, xlsx, odt, ods, csv, txt, png or jpg; at most 20 MB"),
    ],
    kind: Annotated[str, Form(max_length=40)] = "other",
) -> AttachmentPublic:
    content = await file.read(attachments.max_bytes + 1)
    with units.writing() as uow:
        added = attachments.add(uow, actor, case_id, kind, file.filename or "", content)
        uow.commit()
    return added


@router.get(
    "/cases/{case_id}/attachments", openapi_extra=declared(Action.case_read), tags=["money"]
)
def list_attachments(
    case_id: CaseId, actor: ActorDep, units: UnitsDep, attachments: AttachmentsDep
) -> list[AttachmentPublic]:
    with units.reading() as uow:
        return attachments.of_case(uow, actor, case_id)


@router.get(
    "/cases/{case_id}/attachments/{attachment_id}",
    openapi_extra=declared(Action.case_read),
    tags=["money"],
    response_class=Response,
)
def download_attachment(
    case_id: CaseId,
    attachment_id: Id,
    actor: ActorDep,
    units: UnitsDep,
    attachments: AttachmentsDep,
) -> Response:
    with units.reading() as uow:
        meta, content = attachments.read(uow, actor, case_id, attachment_id)
    return Response(
        content,
        media_type=meta.content_type,
        headers={
            "Content-Disposition": content_disposition(meta.filename),
            "Digest": f"sha-256={meta.sha256}",
        },
    )


@router.get(
    "/grants.csv",
    openapi_extra=declared(PUBLIC),
    tags=["published"],
    response_class=PlainTextResponse,
)
def published_grants_csv(units: UnitsDep, services: ServicesDep) -> PlainTextResponse:
    """The published list of granted grants (no token needed: it is public)."""
    with units.reading() as uow:
        grants = granted(uow, services.programmes)
    return PlainTextResponse(granted_csv(grants), media_type="text/csv; charset=utf-8")


@router.get("/grants.json", openapi_extra=declared(PUBLIC), tags=["published"])
def published_grants_360giving(
    units: UnitsDep, services: ServicesDep, settings: SettingsDep
) -> dict[str, Any]:
    """The same list as a 360Giving data package (standard 1.4), identified by the publisher's
    360G prefix (`GRANTFLOW_GIVING_PREFIX`)."""
    with units.reading() as uow:
        return granted_360giving(granted(uow, services.programmes), settings.giving_prefix)


First = Annotated[
    dt.date, Query(alias="from", description="the first day, in the programme's zone")
]
Last = Annotated[dt.date, Query(alias="to", description="the last day, inclusive")]


@router.get(
    "/programmes/{programme}/accounting.sie",
    openapi_extra=declared(Action.accounting_export),
    tags=["money"],
    response_class=Response,
)
def accounting_sie(
    programme: Code,
    first: First,
    last: Last,
    actor: ActorDep,
    units: UnitsDep,
    services: ServicesDep,
    clock: ClockDep,
) -> Response:
    """The programme's payments and repayments of the period as an SIE 4 file (SIE 4B, code
    page 437): one voucher each, on the accounts of its file's `[accounting]`."""
    with units.reading() as uow:
        found = ledger(uow, services.programmes, actor, programme, first, last, "sie")
    today = clock.now().astimezone(found.programme.zone).date()
    return Response(
        ledger_sie(found, today),
        media_type="text/plain; charset=IBM437",
        headers={"Content-Disposition": f'attachment; filename="{filename(found, "se")}"'},
    )


@router.get(
    "/programmes/{programme}/accounting.csv",
    openapi_extra=declared(Action.accounting_export),
    tags=["money"],
    response_class=PlainTextResponse,
)
def accounting_csv(
    programme: Code,
    first: First,
    last: Last,
    actor: ActorDep,
    units: UnitsDep,
    services: ServicesDep,
) -> PlainTextResponse:
    """The same vouchers as CSV, one row each with its debit and credit account."""
    with units.reading() as uow:
        found = ledger(uow, services.programmes, actor, programme, first, last, "csv")
    return PlainTextResponse(
        ledger_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename(found, "csv")}"'},
    )
