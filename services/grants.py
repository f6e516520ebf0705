"""Money around a case and a programme: finances, pooled allocation, attachments, published grants."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func
from sqlmodel import select

from services import audit
from services.audit import EventKind
from services.cases import CaseService
from services.errors import Conflict, Forbidden, InvalidRequest, NotFound
from services.exports import csv_text
from services.storage.models import (
    Attachment,
    BudgetLine,
    Case,
    Commitment,
    Decision,
    Disbursement,
    Organisation,
    Programme,
    ReportLine,
)
from workflow.actors import Actor, Role
from workflow.allocation import Application, allocate

STAFF = {Role.caseworker, Role.approver, Role.admin, Role.auditor}


# -- finances of one case ---------------------------------------------------------------------


def finances(cases: CaseService, actor: Actor, case_id: int) -> dict[str, Any]:
    """Decisions, yearly commitments, disbursements, the budget and the latest report's lines."""
    case = cases.get(actor, case_id)
    with cases.db.reading() as session:
        decisions = session.exec(
            select(Decision).where(Decision.case_id == case_id).order_by(Decision.id)
        ).all()
        commitments = session.exec(
            select(Commitment).where(Commitment.case_id == case_id).order_by(Commitment.fiscal_year)
        ).all()
        paid = session.exec(
            select(Disbursement).where(Disbursement.case_id == case_id).order_by(Disbursement.id)
        ).all()
        budget = session.exec(
            select(BudgetLine).where(BudgetLine.case_id == case_id).order_by(BudgetLine.id)
        ).all()
        latest = session.exec(
            select(func.max(ReportLine.report_no)).where(ReportLine.case_id == case_id)
        ).one()
        report = session.exec(
            select(ReportLine)
            .where(ReportLine.case_id == case_id, ReportLine.report_no == (latest or 0))
            .order_by(ReportLine.id)
        ).all()
    return {
        "case_id": case_id,
        "currency": case.currency,
        "decisions": [
            {
                "id": d.id,
                "status": d.status,
                "amount": d.amount,
                "period_start": d.period_start,
                "period_end": d.period_end,
                "conditions": d.conditions,
                "proposed_by": d.proposed_by,
                "proposed_at": d.proposed_at,
                "settled_by": d.settled_by,
                "settled_at": d.settled_at,
                "withdrawn_reason": d.withdrawn_reason,
            }
            for d in decisions
        ],
        "commitments": [
            {"decision_id": c.decision_id, "fiscal_year": c.fiscal_year, "amount": c.amount}
            for c in commitments
        ],
        "disbursements": [{"amount": p.amount, "kind": p.kind, "paid_at": p.paid_at} for p in paid],
        "budget": [{"line": b.line, "category": b.category, "amount": b.amount} for b in budget],
        "report": {
            "report_no": latest,
            "lines": [
                {
                    "line": r.line,
                    "category": r.category,
                    "amount": r.amount,
                    "eligible": r.eligible,
                    "reason": r.reason,
                }
                for r in report
            ],
        },
    }


# -- allocation of a pooled call ----------------------------------------------------------------


class AllocationTerms(BaseModel):
    """What every decision of an allocation carries besides its amount (seeds/001, seeds/002)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    period_start: dt.date
    period_end: dt.date
    conditions: str = Field(default="", max_length=10_000)

    @model_validator(mode="after")
    def _ordered(self) -> AllocationTerms:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


def allocation_preview(
    cases: CaseService, actor: Actor, programme: str, call: str
) -> dict[str, Any]:
    """How the pool would be shared now; changes nothing."""
    if actor.role not in {Role.caseworker, Role.approver, Role.auditor, Role.admin}:
        raise Forbidden("allocations are for agency staff")
    config, call_config = _pooled_call(cases, programme, call)
    rule, budget = config.allocation, config.budget
    assert rule is not None and budget is not None
    with cases.db.reading() as session:
        row = session.exec(select(Programme).where(Programme.code == programme)).one()
        left = budget.pool - budget.committed_before - row.committed
        applied = session.exec(
            select(Case)
            .where(
                Case.programme_id == row.id,
                Case.call_code == call,
                Case.state == "implementation_applied",
            )
            .order_by(Case.id)
        ).all()
    excluded = [
        {"case_id": c.id, "reason": f"no {rule.weight_input} was given with the application"}
        for c in applied
        if getattr(c, rule.weight_input) is None
    ]
    apps = [
        Application(str(c.id), c.requested_amount or Decimal(0), getattr(c, rule.weight_input))
        for c in applied
        if getattr(c, rule.weight_input) is not None
    ]
    result = allocate(left, rule.floor, apps)
    return {
        "programme": programme,
        "call": call,
        "currency": config.currency,
        "rule": f"{programme}#allocation",
        "pool_left": left,
        "floor": rule.floor,
        "total_requested": result.total_requested,
        "feasible": result.feasible,
        "explanation": result.explanation,
        "allocations": [
            {
                "case_id": int(a.key),
                "requested": a.requested,
                "target_group_size": a.weight,
                "amount": result.amounts.get(a.key),
            }
            for a in apps
        ],
        "excluded": excluded,
        "deadline_passed_at": call_config.application_deadline.replace(
            tzinfo=config.zone
        ).isoformat()
        if call_config.application_deadline
        else None,
    }


def allocation_confirm(
    cases: CaseService, actor: Actor, programme: str, call: str, terms: AllocationTerms
) -> dict[str, Any]:
    """Propose each allocated amount as a decision, all or none, each through its own transition
    (so each is audited, and an approver still confirms each one: four eyes)."""
    if actor.role not in {Role.caseworker, Role.approver}:
        raise Forbidden("an allocation is proposed by a caseworker or an approver")
    preview = allocation_preview(cases, actor, programme, call)
    if not preview["feasible"]:
        raise Conflict(preview["explanation"], rule=preview["rule"])
    body = terms.model_dump(mode="json")
    proposed = []
    with cases.db.writing() as session:
        for row in preview["allocations"]:
            fired = cases.fire_in(
                session,
                actor,
                row["case_id"],
                "propose_implementation_grant",
                {**body, "amount": str(row["amount"])},
                details={
                    "allocation": {
                        "rule": preview["rule"],
                        "pool_left": preview["pool_left"],
                        "floor": preview["floor"],
                        "target_group_size": row["target_group_size"],
                    }
                },
            )
            proposed.append(
                {"case_id": row["case_id"], "amount": row["amount"], "event_seq": fired.event.seq}
            )
    return {**preview, "proposed": proposed}


def _pooled_call(cases: CaseService, programme: str, call: str):  # type: ignore[no-untyped-def]
    config = cases.catalogue.programme(programme)
    if config is None:
        raise NotFound(f"there is no programme {programme!r}")
    if config.allocation is None or config.budget is None:
        raise Conflict(
            f"{programme} is not a pooled programme: it has no [allocation] and [budget]"
        )
    call_config = config.call(call)
    if call_config is None:
        raise NotFound(f"{programme} has no call {call!r}")
    deadline = call_config.application_deadline
    if deadline is not None and cases.clock.now() < deadline.replace(tzinfo=config.zone):
        raise Conflict(
            f"the call is open until {deadline.strftime('%d-%m-%Y %H:%M')} ({config.time_zone}); allocate after it closes",
            deadline=deadline.replace(tzinfo=config.zone).isoformat(),
        )
    return config, call_config


# -- attachments ----------------------------------------------------------------------------------

ATTACHMENT_KINDS = {"application_form", "budget", "report", "auditor_statement", "other"}
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


def add_attachment(
    cases: CaseService,
    data_dir: Path,
    actor: Actor,
    case_id: int,
    kind: str,
    filename: str,
    content: bytes,
) -> AttachmentPublic:
    """Store a file on a case by its SHA-256, and record the hash in the audit log."""
    if actor.role not in {Role.applicant, Role.caseworker, Role.approver}:
        raise Forbidden(f"a {actor.role} does not add files to cases")
    cases.get(actor, case_id)  # 404 unless visible
    if kind not in ATTACHMENT_KINDS:
        raise InvalidRequest(
            f"kind must be one of {', '.join(sorted(ATTACHMENT_KINDS))}", field="kind"
        )
    name = Path(filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in CONTENT_TYPES:
        raise InvalidRequest(
            f"{name or 'the file'}: only {', '.join(sorted(CONTENT_TYPES))} files are accepted",
            field="file",
        )
    if not content:
        raise InvalidRequest("the file is empty", field="file")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InvalidRequest(
            f"the file is {len(content)} bytes; at most {MAX_ATTACHMENT_BYTES} are accepted",
            field="file",
        )
    digest = hashlib.sha256(content).hexdigest()
    path = attachment_path(data_dir, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(content)
        tmp.replace(path)  # whole or not at all
    now = cases.clock.now()
    with cases.db.writing() as session:
        case = session.exec(
            select(Case).where(Case.id == case_id).with_for_update(key_share=True)
        ).one()
        attachment = Attachment(
            case_id=case_id,
            kind=kind,
            filename=name,
            content_type=CONTENT_TYPES[suffix],
            size=len(content),
            sha256=digest,
            uploaded_by=actor.user_id,
            uploaded_at=now,
        )
        session.add(attachment)
        event = audit.append(
            session,
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
                }
            },
        )
        attachment.event_seq = event.seq
        session.flush()
        return AttachmentPublic.model_validate(attachment)


def list_attachments(cases: CaseService, actor: Actor, case_id: int) -> list[AttachmentPublic]:
    cases.get(actor, case_id)
    with cases.db.reading() as session:
        rows = session.exec(
            select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)
        ).all()
    return [AttachmentPublic.model_validate(a) for a in rows]


def read_attachment(
    cases: CaseService, data_dir: Path, actor: Actor, case_id: int, attachment_id: int
) -> tuple[AttachmentPublic, bytes]:
    """The file, checked against the hash recorded when it came in."""
    cases.get(actor, case_id)
    with cases.db.reading() as session:
        attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case_id:
        raise NotFound(f"case {case_id} has no attachment {attachment_id}")
    path = attachment_path(data_dir, attachment.sha256)
    content = path.read_bytes() if path.exists() else b""
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise Conflict(
            f"the stored file no longer matches the SHA-256 recorded in audit event {attachment.event_seq}",
            sha256=attachment.sha256,
        )
    return AttachmentPublic.model_validate(attachment), content


def attachment_path(data_dir: Path, digest: str) -> Path:
    return data_dir / "attachments" / digest[:2] / digest


# -- the published list of grants --------------------------------------------------------------


def granted(cases: CaseService) -> list[dict[str, Any]]:
    """Every confirmed decision, as the funder publishes them (seeds/004: "Sammanställning av
    beviljat statsbidrag")."""
    with cases.db.reading() as session:
        rows = session.exec(
            select(Decision, Case, Organisation)
            .join(Case, Case.id == Decision.case_id)  # type: ignore[arg-type]
            .join(Organisation, Organisation.id == Case.organisation_id)  # type: ignore[arg-type]
            .where(Decision.status == "confirmed")
            .order_by(Decision.settled_at, Decision.id)  # type: ignore[arg-type]
        ).all()
    published = []
    for decision, case, org in rows:
        code = cases.programme_code(case.programme_id)
        programme = cases.catalogue.programme(code)
        assert programme is not None
        published.append(
            {
                "reference": cases.reference(case),
                "decision_id": decision.id,
                "programme": code,
                "programme_title": programme.title(),
                "funder": programme.funder,
                "recipient": org.name,
                "recipient_org_number": org.org_number or "",
                "recipient_country": org.country,
                "title": case.title,
                "amount": decision.amount,
                "currency": programme.currency,
                "award_date": decision.settled_at.date().isoformat() if decision.settled_at else "",
                "period_start": decision.period_start.isoformat(),
                "period_end": decision.period_end.isoformat(),
            }
        )
    return published


def granted_csv(cases: CaseService) -> str:
    fields = [
        "reference",
        "programme",
        "programme_title",
        "funder",
        "recipient",
        "recipient_org_number",
        "recipient_country",
        "title",
        "amount",
        "currency",
        "award_date",
        "period_start",
        "period_end",
    ]
    return csv_text(fields, granted(cases))


def granted_360giving(cases: CaseService) -> dict[str, Any]:
    """The grants in the shape of the 360Giving standard's JSON (grants with recipient and funder)."""
    return {
        "grants": [
            {
                "id": f"grantflow-{g['programme']}-{g['reference']}-{g['decision_id']}",
                "title": g["title"],
                "description": g["title"],
                "currency": g["currency"],
                "amountAwarded": _json_number(g["amount"]),
                "awardDate": g["award_date"],
                "plannedDates": [{"startDate": g["period_start"], "endDate": g["period_end"]}],
                "recipientOrganization": [
                    {
                        "id": f"{g['recipient_country']}-ORG-{g['recipient_org_number'] or g['recipient']}",
                        "name": g["recipient"],
                    }
                ],
                "fundingOrganization": [{"id": g["programme"], "name": g["funder"]}],
                "grantProgramme": [{"code": g["programme"], "title": g["programme_title"]}],
            }
            for g in granted(cases)
        ]
    }


def _json_number(amount: Decimal) -> int | float:
    """The standard wants a number; whole kronor stay exact as an int."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)
