"""Commands for the registry: the diarium, every case and document in or out, by number."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from services.cli.common import open_services, out
from services.storage.registry import RegistryFilter
from workflow.actors import Actor, Role

registry_app = typer.Typer(help="The registry (diarium): numbers in and out.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")


@registry_app.command("list")
def registry_list(
    series: Annotated[str | None, typer.Option(help="a programme's series, e.g. SFU")] = None,
    year: Annotated[int | None, typer.Option(help="only this year's numbers")] = None,
    case: Annotated[int | None, typer.Option(help="only this case's entries")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="at most this many")] = 200,
) -> None:
    """The diarium in order of number: each case and each document that came in or went out."""
    services = open_services(register=False)
    staff = Actor(None, "command line", Role.auditor)  # reads, as an auditor would
    with services.units.reading() as uow:
        found = services.registrar.page(uow, staff, RegistryFilter(series, year, case), limit, None)
    table = Table(title="Registry")
    for column in ("number", "case", "in/out", "kind", "title", "registered"):
        table.add_column(column)
    for e in found.items:
        table.add_row(
            e.registry_number,
            str(e.case_id),
            e.direction,
            e.kind,
            e.title,
            e.registered_at.isoformat(timespec="minutes"),
        )
    out.print(table)
