"""Commands for the lifecycle in states/: move running cases to a new version of it."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from services.cli.common import as_person, err, open_services, out
from services.container import Services
from services.lifecycle_changes import LifecycleChanges
from states import load_definition
from workflow.lifecycle_migration import parse_migrations

lifecycle_app = typer.Typer(help="The lifecycle in states/ and its versions.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(lifecycle_app, name="lifecycle")


def changes(services: Services) -> LifecycleChanges:
    steps = parse_migrations(load_definition("lifecycle_migrations"))
    return LifecycleChanges(services.catalogue.lifecycle, steps, services.clock)


@lifecycle_app.command("plan")
def lifecycle_plan() -> None:
    """Which cases are in a state this version of the lifecycle no longer has, where each goes
    by states/lifecycle_migrations.toml, and any no step explains; changes nothing."""
    services = open_services(register=False)
    with services.units.reading() as uow:
        plan = changes(services).plan(uow)
    typer.echo(json.dumps(plan.as_dict(), indent=2, ensure_ascii=False))
    if plan.orphaned:
        err.print(f"[red]cases no migration explains: {plan.orphaned}[/red]")
        raise typer.Exit(1)


@lifecycle_app.command("apply")
def lifecycle_apply(
    reason: Annotated[str, typer.Option("--reason", help="why the lifecycle changes")],
    by: Annotated[str, typer.Option("--by", help="the administrator (name or id)")],
) -> None:
    """Move every case the plan names, in one transaction, each with a `migrated` event."""
    plan = as_person(by, lambda s, uow, actor: changes(s).apply(uow, actor, reason))
    out.print(f"{len(plan.moves)} cases moved to version {plan.version} of {plan.lifecycle}")
