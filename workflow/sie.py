"""An SIE file of type 4 (SIE 4B, SIE-gruppen): the vouchers of a period, with the accounts they
use, as the Swedish agency's ledger imports them. Pure text; `encoded` gives its bytes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from workflow.accounting import SIE_ENCODING, Accounting, Voucher

# SIE 4B, 5.3: each record is one line ending with CR LF.
LINE_END = "\r\n"


@dataclass(frozen=True)
class SieHeader:
    program: str  # #PROGRAM: the program that wrote the file, and its version
    version: str
    generated: dt.date  # #GEN
    first: dt.date  # the period the file covers, inclusive
    last: dt.date
    currency: str  # #VALUTA: the ledger's currency
    description: str  # #PROSA: free text about the file


def field(text: str) -> str:
    """A text field: in quotes, a quote inside it after a backslash (SIE 4B, 5.6), a backslash
    doubled so that no field ends in an escaped quote; control characters become spaces."""
    clean = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def day(date: dt.date) -> str:
    """A date as SIE writes it: YYYYMMDD."""
    return date.strftime("%Y%m%d")


def amount(value: Decimal) -> str:
    """An amount as SIE writes it: a point before the two decimals, a minus if negative, no
    grouping."""
    return f"{value:.2f}"


def fiscal_year(first: dt.date, last: dt.date) -> str:
    """#RAR 0: the one calendar year the file's vouchers are numbered in."""
    if first.year != last.year:
        raise ValueError("an SIE file holds the vouchers of one fiscal year")
    return f"#RAR 0 {day(dt.date(first.year, 1, 1))} {day(dt.date(first.year, 12, 31))}"


def sie_text(header: SieHeader, books: Accounting, made: Sequence[Voucher]) -> str:
    """The file as text, in the order SIE 4B asks for: the flag, who wrote it and how, the
    company and its fiscal year, the chart, then every voucher with its rows in braces."""
    lines = [
        "#FLAGGA 0",
        f"#PROGRAM {field(header.program)} {field(header.version)}",
        "#FORMAT PC8",
        f"#GEN {day(header.generated)}",
        "#SIETYP 4",
        f"#PROSA {field(header.description)}",
        f"#FNAMN {field(books.agency)}",
    ]
    if books.organisation_number:
        lines.append(f"#ORGNR {books.organisation_number}")
    lines.append(fiscal_year(header.first, header.last))
    lines.append(f"#KPTYP {books.chart}")
    lines.append(f"#VALUTA {header.currency}")
    lines += [f"#KONTO {a.number} {field(a.name)}" for a in books.accounts]
    for voucher in made:
        date = day(voucher.date)
        lines.append(f"#VER {voucher.series} {voucher.number} {date} {field(voucher.text)} {date}")
        lines.append("{")
        lines += [f"#TRANS {e.account.number} {{}} {amount(e.amount)}" for e in voucher.entries]
        lines.append("}")
    return LINE_END.join(lines) + LINE_END


def encoded(text: str) -> bytes:
    """The file's bytes in code page 437 (#FORMAT PC8); a character it lacks becomes '?'."""
    return text.encode(SIE_ENCODING, errors="replace")
