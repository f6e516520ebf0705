"""Commands for payment tranches: a case's schedule, and a payment registered against a tranche."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from services.cli.common import as_person, out
from services.container import Services
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor

tranches_app = typer.Typer(help="Payment tranches: schedules and payments.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(tranches_app, name="tranches")


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not an amount") from None


@tranches_app.command("show")
def show(
    case: Annotated[int, typer.Argument(help="the case's id")],
    by: Annotated[str, typer.Option(help="the user reading it (name or id)")],
) -> None:
    """The case's payment schedule as JSON, as GET /cases/{id}/tranches answers."""

    def read(services: Services, uow: UnitOfWork, actor: Actor) -> None:
        out.print_json(json.dumps(services.tranches.schedule(uow, actor, case), default=str))

    as_person(by, read)


@tranches_app.command("pay")
def pay(
    case: Annotated[int, typer.Argument(help="the case's id")],
    number: Annotated[int, typer.Argument(min=1, help="the tranche's number in the case")],
    amount: Annotated[str, typer.Argument(help="the amount paid, e.g. 100000.00")],
    by: Annotated[str, typer.Option(help="the user registering it (name or id)")],
    paid_on: Annotated[
        str, typer.Option("--on", help="the value date, YYYY-MM-DD (default: today)")
    ] = "",
) -> None:
    """Register a payment against a released tranche; above what it allows, refused (exit 1)."""
    on = dt.date.fromisoformat(paid_on) if paid_on else dt.date.today()

    def act(services: Services, uow: UnitOfWork, actor: Actor) -> None:
        after = services.tranches.pay(uow, actor, case, number, _amount(amount), on)
        out.print(f"paid {amount} against tranche {number}; arrears now {after['arrears']}")

    as_person(by, act)
