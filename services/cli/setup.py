"""Commands that set grantflow up: serve it, migrate its database, add people and tokens, load
demo data, check programme files."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from config.settings import get_settings
from services.access import add_user, create_token, disable_user, find_user, revoke_token
from services.cli.common import err, open_services, out, read_catalogue
from services.errors import ServiceError
from services.identities import link
from services.policy import document
from services.storage.migrate import upgrade
from workflow.actors import Actor, Role

# Whoever runs a command on the server is an administrator; the audit log names the command line.
COMMAND_LINE = Actor(user_id=None, name="grantflow command line", role=Role.admin)

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
users_app = typer.Typer(help="People who use grantflow.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    for sub, name in [
        (db_app, "db"),
        (users_app, "users"),
        (tokens_app, "tokens"),
        (demo_app, "demo"),
        (access_app, "access"),
    ]:
        app.add_typer(sub, name=name)


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "",
    port: Annotated[int, typer.Option(help="port to listen on")] = 0,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Serve the API on http://HOST:PORT."""
    import uvicorn

    from services.api.http import SERVED_WITH

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    out.print(
        f"grantflow on [bold]http://{host}:{port}[/bold]  (docs: /docs, database: {settings.database_url})"
    )
    uvicorn.run(
        "services.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=SERVED_WITH,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database, or bring its schema up to date."""
    settings = get_settings()
    upgrade(settings.database_url)
    out.print(f"schema up to date: {settings.database_url}")


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[Role, typer.Option(help="applicant, caseworker, approver, auditor or admin")],
    organisation: Annotated[int | None, typer.Option(help="an applicant's organisation id")] = None,
) -> None:
    """Add a user."""
    services = open_services()
    try:
        with services.units.writing() as uow:
            user = add_user(uow, services.clock, name, role, organisation)
            uow.commit()
    except ServiceError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None
    out.print(f"user {user.id}: {user.name} ({user.role})")


@tokens_app.command("create")
def tokens_create(
    user: Annotated[str, typer.Argument(help="the user's name or id")],
    label: Annotated[str, typer.Option(help="what the token is for: its name")] = "",
    expires_in_days: Annotated[
        int, typer.Option(min=0, max=3650, help="it opens nothing after this many days; 0: never")
    ] = 365,
) -> None:
    """Create an API token (for an integration); it is printed once and only its hash is kept."""
    services = open_services()
    now = services.clock.now()
    expires_at = now + dt.timedelta(days=expires_in_days) if expires_in_days else None
    with services.units.writing() as uow:
        found = find_user(uow, user)
        if found is None:
            err.print(f"[red]no user {user!r}[/red]")
            raise typer.Exit(1)
        token = create_token(uow, services.clock, found, label, expires_at=expires_at)
        uow.commit()
    out.print(token)
    if expires_at is not None:
        err.print(f"expires {expires_at:%Y-%m-%d %H:%M} UTC", highlight=False)


@tokens_app.command("revoke")
def tokens_revoke(
    token: Annotated[int | None, typer.Argument(help="the token's id")] = None,
    user: Annotated[str | None, typer.Option(help="every token of this user (name or id)")] = None,
) -> None:
    """Revoke a token (or every token of a user): it, and the browser sessions opened with it,
    open nothing from now on."""
    services = open_services()
    with services.units.writing() as uow:
        if user is not None:
            found = find_user(uow, user)
            if found is None or found.id is None:
                err.print(f"[red]no user {user!r}[/red]")
                raise typer.Exit(1)
            ids = [t.id for t in uow.people.tokens_of(found.id) if t.id is not None]
        elif token is not None:
            ids = [token]
        else:
            err.print("[red]name a token id, or --user[/red]")
            raise typer.Exit(2)
        try:
            for token_id in ids:
                revoke_token(uow, services.clock, COMMAND_LINE, token_id)
        except ServiceError as refused:
            err.print(f"[red]{refused.detail}[/red]")
            raise typer.Exit(1) from None
        uow.commit()
    out.print(f"revoked {len(ids)} token(s)")


@users_app.command("disable")
def users_disable(user: Annotated[str, typer.Argument(help="the user's name or id")]) -> None:
    """Disable a user: their tokens and browser sessions open nothing from now on."""
    services = open_services()
    with services.units.writing() as uow:
        found = find_user(uow, user)
        if found is None or found.id is None:
            err.print(f"[red]no user {user!r}[/red]")
            raise typer.Exit(1)
        disable_user(uow, services.clock, COMMAND_LINE, found.id)
        uow.commit()
    out.print(f"user {found.id} ({found.name}) disabled")


@users_app.command("link")
def users_link(
    user: Annotated[str, typer.Argument(help="the user's name or id")],
    issuer: Annotated[str, typer.Option(help="the identity provider's issuer URL")],
    subject: Annotated[str, typer.Option(help="the provider's `sub` for this person")],
) -> None:
    """Let a user sign in through the agency's identity provider, as the person it names
    `subject` (never matched by e-mail address)."""
    services = open_services(register=False)
    try:
        with services.units.writing() as uow:
            found = find_user(uow, user)
            if found is None:
                err.print(f"[red]no user {user!r}[/red]")
                raise typer.Exit(1)
            link(uow, services.clock, COMMAND_LINE, found, issuer.rstrip("/"), subject)
            uow.commit()
    except ServiceError as refused:
        err.print(f"[red]{refused.detail}[/red]")
        raise typer.Exit(1) from None
    out.print(f"user {found.id} ({found.name}) signs in as {subject} at {issuer}")


@demo_app.command("load")
def demo_load() -> None:
    """Load demo organisations, users and cases (once), and print the users' tokens."""
    from services.demo import load_demo

    settings = get_settings()
    if not settings.allow_demo_data:
        err.print("[red]demo data is switched off (GRANTFLOW_ALLOW_DEMO_DATA=false)[/red]")
        raise typer.Exit(1)
    users = load_demo(settings.database_url, read_catalogue(), settings.data_dir)
    table = Table(title="Demo users (send as: Authorization: Bearer <token>)")
    for column in ("token", "role", "name"):
        table.add_column(column)
    for u in users:
        table.add_row(u.token, u.role.value, u.name)
    out.print(table)


@demo_app.command("generate")
def demo_generate(
    cases: Annotated[int, typer.Option("--cases", help="how many granted cases to add")] = 10_000,
    programme: Annotated[str, typer.Option(help="the programme they belong to")] = "dua-2021",
) -> None:
    """Add many granted cases with their events, decisions and deadlines, for load and benchmarks."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from services.generate import generate_cases

    services = open_services()
    started = datetime.now()
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as progress:
        task = progress.add_task(f"generating {programme} cases", total=cases)
        made = generate_cases(
            services, cases, programme=programme, progress=lambda n: progress.advance(task, n)
        )
    seconds = (datetime.now() - started).total_seconds()
    out.print(
        f"{made.cases:,} cases, {made.events:,} events, {made.deadlines:,} deadlines in {seconds:.0f} s ({made.cases / seconds:,.0f} cases/s)"
    )


access_app = typer.Typer(help="The access policy (states/access.toml).", no_args_is_help=True)


@access_app.command("table")
def access_table() -> None:
    """Print docs/ACCESS.md: who may do what, made from the policy."""
    typer.echo(document(), nl=False)
