"""Routes for what surrounds cases: organisations, agreements, money, allocation, files, exports."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile, status
from fastapi.responses import PlainTextResponse, StreamingResponse

from services.api.deps import ActorDep, CasesDep, DbDep, SettingsDep
from services.api.routes import PROBLEMS, CaseId, parse_when
from services.auditing import (
    EventFilter,
    export_lines,
    manifest,
    public_key_info,
    require_auditor,
    search,
    search_csv,
    sign_head,
    signing_key,
    snapshot,
    snapshot_csv,
)
from services.cases import resolve_instant
from services.errors import NotFound
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
from workflow.clock import assume_utc

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


# -- the auditor's toolkit ------------------------------------------------------------------------


@router.get("/audit/events", tags=["audit"])
def audit_events(
    actor: ActorDep,
    cases: CasesDep,
    actor_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    role: Annotated[str | None, Query(max_length=20)] = None,
    transition: Annotated[str | None, Query(max_length=64)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    programme: Annotated[str | None, Query(max_length=64)] = None,
    case_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    organisation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Search the whole audit log, in sequence order; page on with `after_seq` = the last seq seen."""
    where = EventFilter(
        actor_id,
        role,
        transition,
        kind,
        programme,
        case_id,
        organisation_id,
        assume_utc(since),
        assume_utc(until),
    )
    found = search(cases, actor, where, after_seq, limit)
    if format == "csv":
        return PlainTextResponse(search_csv(found), media_type="text/csv; charset=utf-8")
    return found


@router.get("/audit/export", tags=["audit"], response_class=StreamingResponse)
def audit_export(
    actor: ActorDep,
    db: DbDep,
    from_seq: Annotated[int, Query(alias="from", ge=1, le=2**62)] = 1,
    to_seq: Annotated[int | None, Query(alias="to", ge=1, le=2**62)] = None,
) -> StreamingResponse:
    """JSON Lines, one event a line, exactly the bytes each hash covers (docs/AUDIT.md); the
    manifest of the range is in the X-Grantflow-Manifest header and at /audit/export/manifest."""
    require_auditor(actor)
    info = manifest(db, from_seq, to_seq)
    lines = (line + "\n" for line in export_lines(db, info["first_seq"], info["last_seq"]))
    return StreamingResponse(
        lines,
        media_type="application/x-ndjson",
        headers={"X-Grantflow-Manifest": json.dumps(info, sort_keys=True)},
    )


@router.get("/audit/export/manifest", tags=["audit"])
def audit_export_manifest(
    actor: ActorDep,
    db: DbDep,
    from_seq: Annotated[int, Query(alias="from", ge=1, le=2**62)] = 1,
    to_seq: Annotated[int | None, Query(alias="to", ge=1, le=2**62)] = None,
) -> dict[str, Any]:
    require_auditor(actor)
    return manifest(db, from_seq, to_seq)


@router.get("/audit/public-key", tags=["audit"])
def audit_public_key(settings: SettingsDep) -> dict[str, str]:
    """The Ed25519 key that signs the chain's head (public: anyone may check a signature)."""
    return public_key_info(signing_key(settings))


@router.post("/audit/heads", tags=["audit"], status_code=status.HTTP_201_CREATED)
def audit_sign_head(actor: ActorDep, cases: CasesDep, settings: SettingsDep) -> dict[str, Any]:
    """Sign the chain's head now; keep the answer: it proves later that nothing before it changed."""
    require_auditor(actor)
    with cases.db.writing() as session:
        return sign_head(session, signing_key(settings), actor, cases.clock.now())


@router.get("/programmes/{programme}/snapshot", tags=["audit"])
def programme_snapshot(
    programme: Code,
    actor: ActorDep,
    cases: CasesDep,
    as_of: Annotated[
        str, Query(max_length=40, description="a date (end of that day, programme time) or a time")
    ],
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Every case of the programme as it stood then, rebuilt from the events: the year-end statement."""
    config = cases.catalogue.programme(programme)
    if config is None:
        raise NotFound(f"there is no programme {programme!r}")
    at = resolve_instant(parse_when(as_of), config.zone)
    rows = snapshot(cases, actor, programme, at)
    if format == "csv":
        return PlainTextResponse(snapshot_csv(rows), media_type="text/csv; charset=utf-8")
    return {"programme": programme, "as_of": at, "cases": rows}
