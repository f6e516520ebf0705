"""Commands for incidents: what failed and waits for a person, and what the person does about it
(each done as a named user, so the audit log says who)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from services.cli.common import as_person, err, open_services, out
from services.incidents import IncidentPublic, Incidents, Move, Reason
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor, Role
from workflow.statuses import IncidentStatus

incidents_app = typer.Typer(help="What failed and waits for a person.", no_args_is_help=True)
By = Annotated[
    str, typer.Option("--by", help="the user (name or id) who acts: caseworker or admin")
]
Why = Annotated[str, typer.Option("--reason", help="why, for the audit log")]


def register(app: typer.Typer) -> None:
    app.add_typer(incidents_app, name="incidents")


@incidents_app.command("list")
def incidents_list(
    all_: Annotated[bool, typer.Option("--all", help="resolved ones too")] = False,
) -> None:
    """Open incidents (exit 1 if there are any), newest first."""
    services = open_services(register=False)
    with services.units.reading() as uow:
        staff = Actor(None, "command line", Role.auditor)  # reads, as an auditor would
        status = None if all_ else IncidentStatus.open
        found = services.incidents.page(uow, staff, status, 200)
    table = Table(title="Incidents")
    for column in ("id", "status", "subject", "attempts", "last seen", "error"):
        table.add_column(column)
    for i in found.items:
        table.add_row(
            str(i.id), i.status, i.subject, str(i.attempts), i.last_seen.isoformat(), i.error
        )
    out.print(table)
    if any(i.status == IncidentStatus.open for i in found.items):
        raise typer.Exit(1)


@incidents_app.command("retry")
def incidents_retry(incident: int, by: By, reason: Why) -> None:
    """Try the deadline again at the next sweep."""
    _act(by, lambda s, uow, actor: s.retry(uow, actor, incident, Reason(reason=reason)))


@incidents_app.command("move")
def incidents_move(
    incident: int,
    by: By,
    reason: Why,
    to: Annotated[str, typer.Option("--to", help="the new due time, with its offset")],
) -> None:
    """Give the deadline a new due time."""
    due = datetime.fromisoformat(to.replace("Z", "+00:00"))
    if due.tzinfo is None:
        err.print(f"[red]--to {to!r}: give a time with an offset[/red]")
        raise typer.Exit(2)
    _act(by, lambda s, uow, actor: s.move(uow, actor, incident, Move(due_at=due, reason=reason)))


@incidents_app.command("cancel")
def incidents_cancel(incident: int, by: By, reason: Why) -> None:
    """The deadline will not fire."""
    _act(by, lambda s, uow, actor: s.cancel(uow, actor, incident, Reason(reason=reason)))


Action = Callable[[Incidents, UnitOfWork, Actor], IncidentPublic]


def _act(by: str, action: Action) -> None:
    done = as_person(by, lambda s, uow, actor: action(s.incidents, uow, actor))
    out.print(f"incident {done.id}: {done.status} {done.resolution or ''}")
