"""Commands for the agency's ledger: a programme's payments and repayments as SIE 4 or CSV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from services.accounting import Ledger, ledger, ledger_csv, ledger_sie
from services.cli.common import err, open_services, out
from services.errors import ServiceError
from workflow.accounting import Format
from workflow.actors import Actor, Role

accounting_app = typer.Typer(
    help="Payments and repayments as vouchers for the agency's ledger.", no_args_is_help=True
)

First = Annotated[
    dt.datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="the first day, YYYY-MM-DD")
]
Last = Annotated[
    dt.datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="the last day, inclusive")
]
Out = Annotated[Path, typer.Option("--out", help="the file to write", dir_okay=False)]


def register(app: typer.Typer) -> None:
    app.add_typer(accounting_app, name="accounting")


def _ledger(programme: str, first: dt.datetime, last: dt.datetime, format: Format) -> Ledger:
    services = open_services(register=False)
    staff = Actor(None, "command line", Role.auditor)  # reads, as an auditor would
    try:
        with services.units.reading() as uow:
            return ledger(
                uow, services.programmes, staff, programme, first.date(), last.date(), format
            )
    except ServiceError as refused:
        err.print(f"[red]{escape(refused.detail)}[/red]")  # it names [accounting]
        raise typer.Exit(1) from None


def _said(found: Ledger, path: Path) -> None:
    out.print(f"{len(found.vouchers)} vouchers written to {path}")


@accounting_app.command("sie")
def accounting_sie(programme: str, first: First, last: Last, to: Out) -> None:
    """The period's vouchers as an SIE 4 file (code page 437), for a Swedish ledger."""
    found = _ledger(programme, first, last, "sie")
    today = dt.datetime.now(found.programme.zone).date()
    to.write_bytes(ledger_sie(found, today))
    _said(found, to)


@accounting_app.command("csv")
def accounting_csv(programme: str, first: First, last: Last, to: Out) -> None:
    """The same vouchers as CSV (UTF-8)."""
    found = _ledger(programme, first, last, "csv")
    to.write_text(ledger_csv(found), encoding="utf-8")
    _said(found, to)
