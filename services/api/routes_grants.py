"""Routes for what surrounds cases: organisations, agreements, money, allocation, files, exports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Response, UploadFile, status
from fastapi.responses import PlainTextResponse

from services.api.deps import ActorDep, CasesDep, DbDep, SettingsDep
from services.api.routes import PROBLEMS, CaseId
from services.grants import (
    AllocationTerms,
    AttachmentPublic,
    add_attachment,
    allocation_confirm,
    allocation_preview,
    finances,
    granted_360giving,
    granted_csv,
    list_attachments,
    read_attachment,
)
from services.organisations import (
    AgreementPublic,
    NewAgreement,
    NewOrganisation,
    OrganisationPublic,
    add_agreement,
    add_organisation,
    get_agreement,
    list_agreements,
    list_organisations,
)

router = APIRouter(responses=PROBLEMS)
Code = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9-]+$")]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/organisations", tags=["organisations"])
def organisations(actor: ActorDep, db: DbDep) -> list[OrganisationPublic]:
    return list_organisations(db)


@router.post("/organisations", status_code=status.HTTP_201_CREATED, tags=["organisations"])
def create_organisation(new: NewOrganisation, actor: ActorDep, db: DbDep) -> OrganisationPublic:
    return add_organisation(db, actor, new)


@router.get("/agreements", tags=["organisations"])
def agreements(actor: ActorDep, db: DbDep) -> list[AgreementPublic]:
    return list_agreements(db)


@router.get("/agreements/{agreement_id}", tags=["organisations"])
def agreement(agreement_id: Id, actor: ActorDep, db: DbDep) -> AgreementPublic:
    return get_agreement(db, agreement_id)


@router.post("/agreements", status_code=status.HTTP_201_CREATED, tags=["organisations"])
def create_agreement(new: NewAgreement, actor: ActorDep, cases: CasesDep) -> AgreementPublic:
    """Register a joint local agreement between municipalities and the employment service."""
    return add_agreement(cases.db, cases.clock, actor, new)


@router.get("/cases/{case_id}/finances", tags=["money"])
def case_finances(case_id: CaseId, actor: ActorDep, cases: CasesDep) -> dict[str, Any]:
    """Decisions, commitments per fiscal year, disbursements, budget and the assessed report."""
    return finances(cases, actor, case_id)


@router.get("/programmes/{programme}/calls/{call}/allocation", tags=["money"])
def preview_allocation(
    programme: Code, call: Code, actor: ActorDep, cases: CasesDep
) -> dict[str, Any]:
    """How the pool would be shared among the call's applications now; changes nothing."""
    return allocation_preview(cases, actor, programme, call)


@router.post("/programmes/{programme}/calls/{call}/allocation", tags=["money"])
def confirm_allocation(
    programme: Code, call: Code, terms: AllocationTerms, actor: ActorDep, cases: CasesDep
) -> dict[str, Any]:
    """Propose every application's share as a decision, all or none; approvers then confirm each."""
    return allocation_confirm(cases, actor, programme, call, terms)


@router.post("/cases/{case_id}/attachments", status_code=status.HTTP_201_CREATED, tags=["money"])
async def upload_attachment(
    case_id: CaseId,
    actor: ActorDep,
    cases: CasesDep,
    settings: SettingsDep,
    file: Annotated[
        UploadFile,
        File(description="pdf, docx, xlsx, odt, ods, csv, txt, png or jpg; at most 20 MB"),
    ],
    kind: Annotated[str, Form(max_length=40)] = "other",
) -> AttachmentPublic:
    content = await file.read(20 * 1024 * 1024 + 1)
    return add_attachment(
        cases, settings.data_dir, actor, case_id, kind, file.filename or "", content
    )


@router.get("/cases/{case_id}/attachments", tags=["money"])
def attachments(case_id: CaseId, actor: ActorDep, cases: CasesDep) -> list[AttachmentPublic]:
    return list_attachments(cases, actor, case_id)


@router.get("/cases/{case_id}/attachments/{attachment_id}", tags=["money"], response_class=Response)
def download_attachment(
    case_id: CaseId, attachment_id: Id, actor: ActorDep, cases: CasesDep, settings: SettingsDep
) -> Response:
    meta, content = read_attachment(cases, settings.data_dir, actor, case_id, attachment_id)
    return Response(
        content,
        media_type=meta.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{meta.filename}"',
            "Digest": f"sha-256={meta.sha256}",
        },
    )


@router.get("/grants.csv", tags=["published"], response_class=PlainTextResponse)
def published_grants_csv(cases: CasesDep) -> PlainTextResponse:
    """The published list of granted grants (no token needed: it is public)."""
    return PlainTextResponse(granted_csv(cases), media_type="text/csv; charset=utf-8")


@router.get("/grants.json", tags=["published"])
def published_grants_360giving(cases: CasesDep) -> dict[str, Any]:
    """The same list in the shape of the 360Giving standard."""
    return granted_360giving(cases)
