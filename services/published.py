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
]


def granted(uow: UnitOfWork, programmes: ProgrammeRegistry) -> list[dict[str, Any]]:
    """Every confirmed decision, as the funder publishes them."""
    published = []
    for decision, case, org in uow.finances.confirmed():
        assert case.id is not None
        programme = programmes.config_of(case.programme_id)
        assert programme is not None
        published.append(
            {
                "reference": programmes.reference(case.programme_id, case.id),
                "decision_id": decision.id,
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


def granted_360giving(grants: list[dict[str, Any]]) -> dict[str, Any]:
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
            for g in grants
        ]
    }


def _json_number(amount: Decimal) -> int | float:
    """The standard wants a number; whole kronor stay exact as an int. (Outside the audit
    chain: a published file, not something a hash covers.)"""
    return int(amount) if amount == amount.to_integral_value() else float(amount)
