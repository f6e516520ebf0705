"""The published list of granted grants (seeds/004: "Sammanställning av beviljat statsbidrag"),
as CSV and in the shape of the 360Giving standard."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.exports import csv_text
from services.programmes import ProgrammeRegistry
from services.storage.unit_of_work import UnitOfWork

CSV_FIELDS = [
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
    # Added in 0.2, after the columns clients already read.
    "registry_number",
    "decision_registry_number",
]


def granted(uow: UnitOfWork, programmes: ProgrammeRegistry) -> list[dict[str, Any]]:
    """Every confirmed decision, as the funder publishes them."""
    published = []
    confirmed = uow.finances.confirmed()
    sent = uow.registry.of_decisions([d.id for d, _, _ in confirmed if d.id is not None])
    for decision, case, org in confirmed:
        assert case.id is not None
        programme = programmes.config_of(case.programme_id)
        assert programme is not None
        published.append(
            {
                "reference": programmes.reference(case.programme_id, case.id),
                "decision_id": decision.id,
                # The case's number in the registry, and the number the decision went out under.
                "registry_number": case.registry_number or "",
                "decision_registry_number": sent.get(decision.id or 0, ""),
                "programme": programme.code,
                "programme_title": programme.title(),
                "funder": programme.funder,
                "recipient": org.name,
                "recipient_org_number": org.org_number or "",
                "recipient_country": org.country,
                "title": case.title,
                "amount": decision.amount,
                "currency": programme.currency,
                # The day the decision was taken where it was taken, not the UTC date.
                "award_date": decision.settled_at.astimezone(programme.zone).date().isoformat()
                if decision.settled_at
                else "",
                "period_start": decision.period_start.isoformat(),
                "period_end": decision.period_end.isoformat(),
            }
        )
    return published


def granted_csv(grants: list[dict[str, Any]]) -> str:
    return csv_text(CSV_FIELDS, grants)


# Organisation identifiers by the registers of org-id.guide: Bolagsverket's organisation numbers
# in Sweden, the CVR in Denmark.
REGISTERS = {"SE": "SE-BLV", "DK": "DK-CVR"}


def organisation_id(country: str, number: str | None, name: str, prefix: str) -> str:
    """An org-id.guide identifier where the organisation's number is known; otherwise, as the
    360Giving guidance says, the publisher's 360G prefix and its own identifier."""
    digits = "".join(c for c in number or "" if c.isalnum())
    if digits and country in REGISTERS:
        return f"{REGISTERS[country]}-{digits}"
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return f"{prefix}-ORG-{slug}"


def granted_360giving(grants: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    """The grants as a 360Giving data package (standard 1.4): each grant's identifier starts with
    the publisher's registered 360G prefix."""
    return {
        "version": "1.4",
        "grants": [
            {
                "id": f"{prefix}-{g['programme']}-{g['reference']}-{g['decision_id']}",
                "title": g["title"],
                "description": g["title"],
                "currency": g["currency"],
                "amountAwarded": _json_number(g["amount"]),
                "awardDate": g["award_date"],
                "plannedDates": [{"startDate": g["period_start"], "endDate": g["period_end"]}],
                "recipientOrganization": [
                    {
                        "id": organisation_id(
                            g["recipient_country"],
                            g["recipient_org_number"],
                            g["recipient"],
                            prefix,
                        ),
                        "name": g["recipient"],
                    }
                ],
                "fundingOrganization": [
                    {"id": f"{prefix}-FUNDER-{g['programme']}", "name": g["funder"]}
                ],
                "grantProgramme": [{"code": g["programme"], "title": g["programme_title"]}],
                # Not a field of the standard, which admits fields of one's own: where the
                # funder's registry has the case and the decision (diarienummer).
                "additional_data": {
                    "registryNumber": g["registry_number"],
                    "decisionRegistryNumber": g["decision_registry_number"],
                },
            }
            for g in grants
        ],
    }


def _json_number(amount: Decimal) -> int | float:
    """The standard wants a number; whole kronor stay exact as an int. (Outside the audit
    chain: a published file, not something a hash covers.)"""
    return int(amount) if amount == amount.to_integral_value() else float(amount)
