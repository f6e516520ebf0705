"""Payments and repayments as vouchers for the agency's ledger: the `[accounting]` section of a
programme file, and the balanced vouchers (verifikationer) a programme's money movements make."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workflow.audit_chain import parse_time
from workflow.money import Money
from workflow.read_model import updates

# SIE 4 is written in IBM PC 8-bit ASCII (#FORMAT PC8, code page 437): every text a file carries
# must be one it can say, and no control character may stand in a field.
SIE_ENCODING = "cp437"


def sayable(text: str) -> str:
    """`text` if SIE's code page holds every character of it and it has no control character."""
    try:
        text.encode(SIE_ENCODING)
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{text!r}: {text[exc.start : exc.end]!r} cannot be written in an SIE file "
            "(code page 437)"
        ) from None
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError(f"{text!r} has a control character")
    return text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Account(_Strict):
    """An account of the agency's chart: its number and its name as the ledger has them."""

    number: str = Field(pattern=r"^[0-9]{4,6}$")
    name: str = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _sayable(self) -> Account:
        sayable(self.name)
        return self


Format = Literal["sie", "csv"]
ALL_FORMATS: tuple[Format, ...] = ("sie", "csv")


class Accounting(_Strict):
    """`[accounting]`: which accounts a payment and a repayment are booked on, in which voucher
    series, for which agency. The fiscal year is the calendar year (the Swedish and Danish
    states'). The accounts are the agency's own chart, never the seed's: `source` says whose."""

    agency: str = Field(min_length=1, max_length=200, description="#FNAMN: the ledger's owner")
    organisation_number: str | None = Field(
        default=None, pattern=r"^[0-9]{6}-[0-9]{4}$", description="#ORGNR, 202100-1234"
    )
    chart: str = Field(
        pattern=r"^[A-Za-z0-9-]{1,20}$", description="#KPTYP: the chart of accounts' type"
    )
    series: str = Field(pattern=r"^[A-Z]$", description="the voucher series (verifikationsserie)")
    grant_expense: Account = Field(description="debited by a payment")
    bank: Account = Field(description="credited by a payment, debited by a repayment received")
    repayments: Account = Field(description="credited by a repayment received")
    payment_text: str = Field(default="Utbetalning", min_length=1, max_length=40)
    repayment_text: str = Field(default="Återbetalning", min_length=1, max_length=40)
    formats: list[Format] = Field(
        default_factory=lambda: list(ALL_FORMATS),
        min_length=1,
        description="the exports the agency's ledger takes",
    )
    source: str = Field(min_length=1, description="whose chart the accounts are")

    @model_validator(mode="after")
    def _usable(self) -> Accounting:
        sayable(self.agency)
        sayable(self.payment_text)
        sayable(self.repayment_text)
        if self.bank.number in (self.grant_expense.number, self.repayments.number):
            raise ValueError("the bank account must differ from the accounts it pays from")
        numbers: dict[str, str] = {}
        for account in (self.grant_expense, self.bank, self.repayments):
            if numbers.setdefault(account.number, account.name) != account.name:
                raise ValueError(f"account {account.number} has two names")
        return self

    @property
    def accounts(self) -> list[Account]:
        """Each account the vouchers use, once, in order of number."""
        unique = {a.number: a for a in (self.grant_expense, self.bank, self.repayments)}
        return [unique[n] for n in sorted(unique)]


class MovementKind(StrEnum):
    payment = "payment"  # a disbursement to the grantee
    repayment = "repayment"  # money the grantee paid back


@dataclass(frozen=True)
class Movement:
    """Money that moved on a case: a payment out or a repayment in, at an instant (UTC)."""

    kind: MovementKind
    at: dt.datetime
    amount: Money
    case_id: int
    reference: str
    registry_number: str | None = None


@dataclass(frozen=True)
class Entry:
    """A row of a voucher (#TRANS): debit positive, credit negative."""

    account: Account
    amount: Money


@dataclass(frozen=True)
class Voucher:
    series: str
    number: int  # from 1 in each fiscal year of the series, in order of date
    date: dt.date  # the payment's date in the programme's time zone
    text: str
    movement: Movement
    entries: tuple[Entry, Entry]


def voucher_of(movement: Movement, number: int, date: dt.date, books: Accounting) -> Voucher:
    """A payment debits the grant expense and credits the bank; a repayment the other way."""
    amount = movement.amount
    if movement.kind is MovementKind.payment:
        entries = (Entry(books.grant_expense, amount), Entry(books.bank, -amount))
        word = books.payment_text
    else:
        entries = (Entry(books.bank, amount), Entry(books.repayments, -amount))
        word = books.repayment_text
    text = f"{word} {movement.reference}"
    if movement.registry_number:
        text += f" {movement.registry_number}"
    return Voucher(books.series, number, date, text, movement, entries)


def vouchers(movements: Iterable[Movement], books: Accounting, zone: ZoneInfo) -> list[Voucher]:
    """The movements as vouchers in order of time, numbered from 1 in each fiscal (calendar)
    year. Give every movement since the start of the first year wanted: a voucher's number
    then does not depend on the range a file covers."""
    ordered = sorted(movements, key=lambda m: (m.at, m.kind != MovementKind.payment, m.case_id))
    made: list[Voucher] = []
    for _year, moves in groupby(ordered, key=lambda m: m.at.astimezone(zone).year):
        for number, movement in enumerate(moves, start=1):
            made.append(voucher_of(movement, number, movement.at.astimezone(zone).date(), books))
    return made


def repayments(
    changes: Iterable[tuple[int, str]], currency: str
) -> list[tuple[int, dt.datetime, Money, str | None]]:
    """(case id, when, amount, registry number) of each repayment received: each event that
    raised its case's `repaid_amount` as the one fold reads it. `changes`: (case id, stored
    event) in order by case, as a programme's snapshot folds them, so the two always agree."""
    found = []
    for case_id, events in groupby(changes, key=lambda row: row[0]):
        view: dict[str, Any] = {}
        before = Money.zero(currency)
        for _, text in events:
            event: Mapping[str, Any] = json.loads(text)
            view.update(updates(event))
            now = Money(view.get("repaid_amount") or 0, currency)
            if now != before:
                at = parse_time(event["at"])
                found.append((case_id, at, now - before, view.get("registry_number")))
            before = now
    return found
