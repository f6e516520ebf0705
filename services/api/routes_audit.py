"""The HTTP routes of the auditor's toolkit: verify, search, export, signed heads, snapshots."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import PlainTextResponse, StreamingResponse

from services.api.deps import ActorDep, ClockDep, ServicesDep, SettingsDep, UnitsDep
from services.api.paging import Cursor, linked, next_link_header
from services.api.problems import PROBLEMS
from services.audit import verify
from services.auditing import proofs, timestamps
from services.auditing.checkpoints import checkpoint, origin_of, verifier_key
from services.auditing.export import export_lines, manifest
from services.auditing.search import search, search_csv
from services.auditing.signing import public_key_info, sign_head, signing_key
from services.auditing.snapshots import snapshot, snapshot_csv
from services.errors import NotFound
from services.policy import PUBLIC, declared, require
from services.schemas import VerificationPublic
from services.storage.audit_log import EventFilter
from services.times import Instant, parse_instant
from workflow.access import Action

router = APIRouter(responses=PROBLEMS, tags=["audit"])
Code = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9-]+$")]
Seq = Annotated[int, Query(ge=1, le=2**62)]


@router.get("/audit/verify", openapi_extra=declared(Action.audit_verify))
def verify_audit_chain(actor: ActorDep, units: UnitsDep) -> VerificationPublic:
    """Recompute every event's hash in order and name the first that does not verify."""
    require(actor, Action.audit_verify)
    with units.reading() as uow:
        result = verify(uow)
    return VerificationPublic(
        ok=result.ok,
        events_checked=result.checked,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        first_bad_seq=result.first_bad_seq,
        problem=result.problem,
    )


@router.get("/audit/events", openapi_extra=declared(Action.audit_search))
def audit_events(
    request: Request,
    actor: ActorDep,
    units: UnitsDep,
    services: ServicesDep,
    actor_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    role: Annotated[str | None, Query(max_length=20)] = None,
    transition: Annotated[str | None, Query(max_length=64)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    programme: Annotated[str | None, Query(max_length=64)] = None,
    case_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    organisation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Search the whole audit log in sequence order; follow `next` (or, as CSV, the Link header)."""
    programme_id = services.programmes.id_of(programme) if programme is not None else None
    where = EventFilter(
        actor_id, role, transition, kind, programme_id, case_id, organisation_id, since, until
    )
    with units.reading() as uow:
        found = search(uow, actor, where, limit, cursor)
    if format == "csv":
        return PlainTextResponse(
            search_csv(found.items),
            media_type="text/csv; charset=utf-8",
            headers=next_link_header(found, request),
        )
    return linked(found, request)


@router.get(
    "/audit/export", openapi_extra=declared(Action.audit_search), response_class=StreamingResponse
)
def audit_export(
    actor: ActorDep,
    units: UnitsDep,
    clock: ClockDep,
    from_seq: Annotated[int, Query(alias="from", ge=1, le=2**62)] = 1,
    to_seq: Annotated[int | None, Query(alias="to", ge=1, le=2**62)] = None,
) -> StreamingResponse:
    """JSON Lines, one event a line, exactly the bytes each hash covers (docs/AUDIT.md); the
    manifest of the range is in the X-Grantflow-Manifest header and at /audit/export/manifest."""
    require(actor, Action.audit_search)
    with units.reading() as uow:
        info = manifest(uow, from_seq, to_seq, clock.now())

    def lines() -> Iterator[str]:
        # The stream outlives the route: it reads in a unit of work of its own.
        with units.reading() as uow:
            for line in export_lines(uow, info["first_seq"], info["last_seq"]):
                yield line + "\n"

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"X-Grantflow-Manifest": json.dumps(info, sort_keys=True)},
    )


@router.get("/audit/export/manifest", openapi_extra=declared(Action.audit_search))
def audit_export_manifest(
    actor: ActorDep,
    units: UnitsDep,
    clock: ClockDep,
    from_seq: Annotated[int, Query(alias="from", ge=1, le=2**62)] = 1,
    to_seq: Annotated[int | None, Query(alias="to", ge=1, le=2**62)] = None,
) -> dict[str, Any]:
    require(actor, Action.audit_search)
    with units.reading() as uow:
        return manifest(uow, from_seq, to_seq, clock.now())


@router.get("/audit/tree", openapi_extra=declared(Action.audit_verify))
def audit_tree(
    actor: ActorDep, units: UnitsDep, tree_size: Annotated[int | None, Query(ge=1, le=2**62)] = None
) -> dict[str, Any]:
    """The root of the Merkle tree (RFC 9162) over the first `tree_size` events (default: all):
    keep it, and any later proof can be checked against it (docs/AUDIT.md)."""
    require(actor, Action.audit_verify)
    with units.reading() as uow:
        return proofs.tree(uow, tree_size)


@router.get(
    "/audit/checkpoint",
    openapi_extra=declared(Action.audit_verify),
    response_class=PlainTextResponse,
)
def audit_checkpoint(
    actor: ActorDep,
    units: UnitsDep,
    settings: SettingsDep,
    tree_size: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> PlainTextResponse:
    """The tree's root at `tree_size` (default: now) as a signed checkpoint (C2SP
    tlog-checkpoint in a signed note); `GET /audit/public-key` gives its `note_key`."""
    require(actor, Action.audit_verify)
    origin = origin_of(settings.public_url)
    with units.reading() as uow:
        note = checkpoint(uow, signing_key(settings), origin, tree_size)
    return PlainTextResponse(note, media_type="text/plain; charset=utf-8")


@router.get("/audit/checkpoints", openapi_extra=declared(Action.audit_verify))
def audit_checkpoints(
    actor: ActorDep, units: UnitsDep, after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0
) -> list[dict[str, Any]]:
    """The daily checkpoints the log recorded (100 at most after `after_seq`), each with the
    time-stamping authority's token (base64 DER; `tools/verify_audit_proof.py timestamp`)."""
    require(actor, Action.audit_verify)
    with units.reading() as uow:
        return timestamps.recorded(uow, after_seq)


@router.get("/audit/proofs/inclusion", openapi_extra=declared(Action.audit_verify))
def audit_inclusion_proof(
    actor: ActorDep,
    units: UnitsDep,
    seq: Seq,
    tree_size: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> dict[str, Any]:
    """That event `seq` (its line, as exported) is in the log of `tree_size` events; check it
    with `tools/verify_audit_proof.py inclusion` against a root you kept."""
    require(actor, Action.audit_verify)
    with units.reading() as uow:
        return proofs.inclusion(uow, seq, tree_size)


@router.get("/audit/proofs/consistency", openapi_extra=declared(Action.audit_verify))
def audit_consistency_proof(
    actor: ActorDep,
    units: UnitsDep,
    first: Seq,
    second: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> dict[str, Any]:
    """That the log of `second` events extends the log of `first`: nothing before changed."""
    require(actor, Action.audit_verify)
    with units.reading() as uow:
        return proofs.consistency(uow, first, second)


@router.get("/audit/public-key", openapi_extra=declared(PUBLIC))
def audit_public_key(settings: SettingsDep) -> dict[str, str]:
    """The Ed25519 key that signs the chain's head and the checkpoints (public: anyone may
    check a signature); `note_key` is the checkpoints' verifier key."""
    key = signing_key(settings)
    return {**public_key_info(key), "note_key": verifier_key(origin_of(settings.public_url), key)}


@router.post(
    "/audit/heads", openapi_extra=declared(Action.audit_search), status_code=status.HTTP_201_CREATED
)
def audit_sign_head(
    actor: ActorDep, units: UnitsDep, clock: ClockDep, settings: SettingsDep
) -> dict[str, Any]:
    """Sign the chain's head now; keep the answer: it proves later that nothing before it changed."""
    require(actor, Action.audit_search)
    with units.writing() as uow:
        signed = sign_head(uow, signing_key(settings), actor, clock.now())
        uow.commit()
    return signed


@router.get("/programmes/{programme}/snapshot", openapi_extra=declared(Action.audit_snapshot))
def programme_snapshot(
    programme: Code,
    actor: ActorDep,
    units: UnitsDep,
    services: ServicesDep,
    as_of: Annotated[
        str,
        Query(
            max_length=40,
            description="a date (the end of that day in the programme's time zone) or a time with an offset",
        ),
    ],
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Every case of the programme as it stood then, rebuilt from the events: the year-end statement."""
    config = services.catalogue.programme(programme)
    if config is None:
        raise NotFound(f"there is no programme {programme!r}")
    at = parse_instant(as_of, config.zone)
    with units.reading() as uow:
        rows = snapshot(uow, services.programmes, services.views, actor, programme, at)
    if format == "csv":
        return PlainTextResponse(snapshot_csv(rows), media_type="text/csv; charset=utf-8")
    return {"programme": programme, "as_of": at, "cases": rows}
