"""A programme's payments and repayments for the agency's ledger: as an SIE 4 file (the Swedish
standard) or as CSV, with the accounts and voucher series its file's `[accounting]` names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from services.errors import InvalidRequest, NoAccounting, NotFound
from services.exports import csv_text
from services.policy import require
from services.programmes import ProgrammeRegistry
from services.storage.unit_of_work import UnitOfWork
from services.times import end_of_day
from workflow.access import Action
from workflow.accounting import Accounting, Format, Movement, MovementKind, Voucher, repayments
from workflow.accounting import vouchers as make_vouchers
from workflow.actors import Actor
from workflow.money import Money
from workflow.programmes import ProgrammeConfig
from workflow.sie import SieHeader, encoded, sie_text

CSV_FIELDS = [
    "series",
    "number",
    "date",
    "kind",
    "reference",
    "registry_number",
    "text",
    "debit_account",
    "credit_account",
    "amount",
    "currency",
    "paid_at",
]


@dataclass(frozen=True)
class Ledger:
    """The vouchers of `programme` dated `first` to `last` (inclusive, in its time zone)."""

    programme: ProgrammeConfig
    books: Accounting
    first: dt.date
    last: dt.date
    vouchers: list[Voucher]

    def total(self, kind: MovementKind) -> Money:
        amounts = (v.movement.amount for v in self.vouchers if v.movement.kind is kind)
        return sum(amounts, Money.zero(self.programme.currency))


def ledger(
    uow: UnitOfWork,
    programmes: ProgrammeRegistry,
    actor: Actor,
    code: str,
    first: dt.date,
    last: dt.date,
    format: Format,
) -> Ledger:
    """The programme's vouchers from `first` to `last`, for an export in `format`."""
    require(actor, Action.accounting_export)
    programme_id = programmes.id_of(code)
    config = programmes.config_of(programme_id)
    if config is None:
        raise NotFound(f"there is no programme {code!r}")
    books = config.accounting
    if books is None:
        raise NoAccounting(
            f"{code} has no [accounting] section in its programme file: add the agency's "
            "accounts and voucher series to export its payments",
            programme=code,
        )
    if format not in books.formats:
        raise NoAccounting(
            f"{code}'s [accounting] takes {', '.join(books.formats)} only, not {format}: "
            f"{books.source}",
            programme=code,
        )
    if last < first:
        raise InvalidRequest(f"to ({last}) is before from ({first})", field="to")
    if format == "sie" and first.year != last.year:
        # Vouchers are numbered anew each fiscal year: one file, one year (its #RAR 0).
        raise InvalidRequest(
            f"an SIE file holds one fiscal year's vouchers: from {first} and to {last} are in "
            "different years; ask for each year in turn (the CSV takes any range)",
            field="to",
        )
    zone = config.zone
    until = end_of_day(last, zone)
    moved = [
        Movement(
            MovementKind.payment,
            paid.paid_at,
            Money(paid.amount, config.currency),
            paid.case_id,
            programmes.reference(programme_id, paid.case_id),
            case.registry_number,
        )
        for paid, case in uow.ledger.payments(programme_id, until)
    ]
    changes = uow.audit.changes_in_programme(programme_id, until)
    moved += [
        Movement(
            MovementKind.repayment,
            at,
            amount,
            case_id,
            programmes.reference(programme_id, case_id),
            number,
        )
        for case_id, at, amount, number in repayments(changes, config.currency)
    ]
    made = [v for v in make_vouchers(moved, books, zone) if first <= v.date <= last]
    return Ledger(config, books, first, last, made)


def ledger_csv(found: Ledger) -> str:
    """One row a voucher: the same figures as the SIE file, for a ledger that takes CSV."""
    return csv_text(
        CSV_FIELDS,
        (
            {
                "series": v.series,
                "number": v.number,
                "date": v.date.isoformat(),
                "kind": v.movement.kind.value,
                "reference": v.movement.reference,
                "registry_number": v.movement.registry_number or "",
                "text": v.text,
                "debit_account": v.entries[0].account.number,
                "credit_account": v.entries[1].account.number,
                "amount": str(v.movement.amount),
                "currency": found.programme.currency,
                "paid_at": v.movement.at.isoformat(),
            }
            for v in found.vouchers
        ),
    )


def ledger_sie(found: Ledger, today: dt.date) -> bytes:
    """The SIE 4 file, in code page 437 as its #FORMAT PC8 says."""
    try:
        program_version = version("grantflow")
    except PackageNotFoundError:  # run from a checkout that was never installed
        program_version = "unknown"
    header = SieHeader(
        program="grantflow",
        version=program_version,
        generated=today,
        first=found.first,
        last=found.last,
        currency=found.programme.currency,
        description=f"{found.programme.title()} {found.first}--{found.last}",
    )
    return encoded(sie_text(header, found.books, found.vouchers))


def filename(found: Ledger, extension: str) -> str:
    return f"{found.programme.code}-{found.first:%Y%m%d}-{found.last:%Y%m%d}.{extension}"
