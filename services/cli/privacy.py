"""Commands for personal data: run the retention review, decide its proposals, erase a person,
place and lift legal holds (each done as a named user, audited; docs/PRIVACY.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from config.settings import get_settings
from services.cli.common import as_person, err, open_services, out
from services.privacy.records import HoldRequest, Why
from services.privacy.retention import RetentionReview
from workflow.actors import Actor, Role

privacy_app = typer.Typer(
    help="Personal data: retention, erasure, legal holds.", no_args_is_help=True
)
By = Annotated[str, typer.Option("--by", help="the user (name or id) who acts")]
Reason = Annotated[str, typer.Option("--reason", help="why, for the audit log")]


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")


@privacy_app.command("review")
def review() -> None:
    """Propose for erasure now everyone retention lets go, as the nightly review does."""
    services = open_services(register=False)
    job = RetentionReview(services.catalogue, services.programmes, get_settings().mail_time_zone)
    with services.units.writing() as uow:
        made = job.review(uow, services.clock.now())
        uow.commit()
    out.print(f"{len(made)} erasures proposed")


@privacy_app.command("proposals")
def proposals() -> None:
    """The erasures waiting for a decision."""
    services = open_services(register=False)
    staff = Actor(None, "command line", Role.auditor)  # reads, as an auditor would
    with services.units.reading() as uow:
        found = services.erasures.proposals(uow, staff)
    table = Table(title="Erasures proposed")
    for column in ("id", "user", "proposed", "grounds"):
        table.add_column(column)
    for p in found:
        table.add_row(str(p.id), str(p.user_id), f"{p.proposed_at:%Y-%m-%d}", p.grounds)
    out.print(table)


@privacy_app.command("approve")
def approve(proposal: int, by: By, reason: Reason) -> None:
    """Erase the person a proposal names."""
    done = as_person(
        by, lambda s, uow, actor: s.erasures.approve(uow, actor, proposal, Why(reason=reason))
    )
    out.print(f"user {done.user_id} erased (event {done.event_seq})")


@privacy_app.command("refuse")
def refuse(proposal: int, by: By, reason: Reason) -> None:
    """Keep the person's data after all; the review asks again in a year."""
    done = as_person(
        by, lambda s, uow, actor: s.erasures.refuse(uow, actor, proposal, Why(reason=reason))
    )
    out.print(f"proposal {done.id}: {done.status}")


@privacy_app.command("erase")
def erase(user: int, by: By, reason: Reason) -> None:
    """Erase a disabled person's personal data now."""
    done = as_person(
        by, lambda s, uow, actor: s.erasures.erase(uow, actor, user, Why(reason=reason))
    )
    out.print(f"user {done.user_id} erased (event {done.event_seq})")


@privacy_app.command("hold")
def hold(
    by: By,
    reason: Reason,
    user: Annotated[int | None, typer.Option(help="hold this person's data")] = None,
    case: Annotated[int | None, typer.Option(help="hold the data of everyone on this case")] = None,
) -> None:
    """Keep a person's data, or a case's people's, from erasure."""
    try:
        request = HoldRequest(user_id=user, case_id=case, reason=reason)
    except ValidationError:
        err.print("[red]name either --user or --case[/red]")
        raise typer.Exit(2) from None
    done = as_person(by, lambda s, uow, actor: s.holds.place(uow, actor, request))
    out.print(f"legal hold {done.id} placed")


@privacy_app.command("lift")
def lift(hold: int, by: By, reason: Reason) -> None:
    """Lift a legal hold."""
    done = as_person(by, lambda s, uow, actor: s.holds.lift(uow, actor, hold, Why(reason=reason)))
    out.print(f"legal hold {done.id} lifted")
