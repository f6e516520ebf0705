"""Money is exact and typed, and the audit log's encoding leaves no room for two spellings of one
event: amounts with two decimals, text in NFC, and no floats."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from decimal import Decimal

import pytest
from sqlmodel import col, select

from services.storage.models import AuditEvent
from tests.support import Api, tables
from workflow.audit_chain import canonical, hash_of
from workflow.money import CurrencyMismatch, Money
from workflow.read_model import fold, updates

ONE_DECIMAL = re.compile(r'"-?\d+\.\d"')


def test_money_keeps_two_decimals_and_its_currency_through_arithmetic() -> None:
    granted = Money("2669104.2", "SEK")
    assert str(granted) == "2669104.20" and granted.currency == "SEK"
    spent = granted - Money("1000.05", "SEK")
    assert isinstance(spent, Money) and str(spent) == "2668104.15"
    assert sum([granted, granted], Money.zero("SEK")) == Decimal("5338208.40")
    with pytest.raises(ValueError, match="more than two decimals"):
        Money("1.005", "SEK")
    with pytest.raises(CurrencyMismatch):
        granted + Money("1", "DKK")
    with pytest.raises(TypeError):
        granted * Decimal("0.5")  # shares go through allocation, which keeps whole öre


def test_the_encoder_refuses_floats_and_amounts_that_are_not_money() -> None:
    with pytest.raises(TypeError, match="float"):
        canonical({"amount": 2669104.2})
    with pytest.raises(TypeError, match="float"):
        canonical({"details": {"nested": [1, 2.5]}})
    with pytest.raises(TypeError, match="bare Decimal"):
        canonical({"amount": Decimal("2669104.2")})
    assert canonical({"amount": Money("2669104.2", "SEK")}) == '{"amount":"2669104.20"}'


def test_the_encoder_writes_text_in_one_normal_form() -> None:
    composed, decomposed = "Västerås", unicodedata.normalize("NFD", "Västerås")
    assert composed != decomposed
    assert canonical({decomposed: decomposed}) == canonical({composed: composed})
    assert hash_of(canonical({"name": decomposed})) == hash_of(canonical({"name": composed}))


def test_a_decision_of_2_669_104_20_is_recorded_as_2669104_20_everywhere(api: Api, app) -> None:
    case = api.create_case("heby", "sf-uppsala-nya-vagar", "Nya vägar")
    api.move("heby", case["id"], "apply_implementation", requested_amount="3000000")
    api.move(
        "caseworker",
        case["id"],
        "propose_implementation_grant",
        amount="2669104.2",
        period_start="2021-04-01",
        period_end="2023-03-31",
        conditions="",
    )
    granted = api.move("approver", case["id"], "grant_implementation")
    assert granted["granted_amount"] == "2669104.20"

    with tables(app) as session:
        payloads = list(session.exec(select(AuditEvent.payload).order_by(col(AuditEvent.seq))))
    proposal, confirmation = (json.loads(p) for p in payloads[-2:])
    assert proposal["inputs"]["amount"] == "2669104.20"
    assert confirmation["changes"]["granted_amount"] == "2669104.20"
    # The yearly commitments are split in whole öre; each is written with two decimals too.
    commitments = confirmation["details"]["commitments"]
    assert sum(Decimal(a) for a in commitments.values()) == Decimal("2669104.20")
    assert all(re.fullmatch(r"\d+\.\d\d", a) for a in commitments.values())
    assert [p for p in payloads if ONE_DECIMAL.search(p)] == []
    assert all(json.loads(p)["encoding"] == 2 for p in payloads)


def test_the_stored_row_is_the_fold_of_the_case_events(api: Api, app) -> None:
    case = api.create_case("heby", "sf-uppsala-nya-vagar", "Nya vägar")
    api.move("heby", case["id"], "apply_implementation", requested_amount="450000.5")
    api.fire("heby", case["id"], "grant_implementation")  # refused: recorded, changes nothing
    stored = api.get("auditor", f"/cases/{case['id']}").json()
    with tables(app) as session:
        query = select(AuditEvent.payload).where(AuditEvent.case_id == case["id"])
        events = [json.loads(p) for p in session.exec(query.order_by(col(AuditEvent.seq)))]
    assert {e["kind"] for e in events} == {"created", "transition", "refusal"}
    view = fold(events)
    assert updates(events[-1]) == {}
    assert (view["state"], view["version"]) == (stored["state"], stored["version"])
    assert view["requested_amount"] == stored["requested_amount"] == "450000.50"
    assert dt.datetime.fromisoformat(view["updated_at"].replace("Z", "+00:00")) == (
        dt.datetime.fromisoformat(stored["updated_at"].replace("Z", "+00:00"))
    )
