"""The `grantflow` command: serve, migrate, manage users and tokens, verify the audit log, load demo data."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import select

from config.settings import get_settings
from services.access import add_user, create_token
from services.audit import verify
from services.cases import CaseService
from services.errors import ServiceError
from services.storage.db import Database
from services.storage.migrate import upgrade
from services.storage.models import User
from workflow.actors import Role
from workflow.catalogue import load_catalogue
from workflow.clock import SystemClock
from workflow.programmes import ProgrammeError

app = typer.Typer(
    help="grantflow: case management for public grants.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
users_app = typer.Typer(help="People who use grantflow.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
for sub, name in [
    (db_app, "db"),
    (users_app, "users"),
    (tokens_app, "tokens"),
    (audit_app, "audit"),
    (demo_app, "demo"),
]:
    app.add_typer(sub, name=name)

out = Console()
err = Console(stderr=True)


def _case_service() -> CaseService:
    settings = get_settings()
    try:
        catalogue = load_catalogue(settings.programmes_dir)
    except ProgrammeError as exc:
        err.print(f"[red]programme files are broken:[/red]\n{exc}")
        raise typer.Exit(2) from None
    service = CaseService(Database(settings.database_url), catalogue, SystemClock())
    service.register_programmes()
    return service


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "",
    port: Annotated[int, typer.Option(help="port to listen on")] = 0,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Serve the API on http://HOST:PORT."""
    import uvicorn

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    out.print(
        f"grantflow on [bold]http://{host}:{port}[/bold]  (docs: /docs, database: {settings.database_url})"
    )
    uvicorn.run("services.api.app:create_app", factory=True, host=host, port=port, workers=workers)


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
    service = _case_service()
    try:
        with service.db.writing() as session:
            user = add_user(session, service.clock, name, role, organisation)
    except ServiceError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None
    out.print(f"user {user.id}: {user.name} ({user.role})")


@tokens_app.command("create")
def tokens_create(
    user: Annotated[str, typer.Argument(help="the user's name or id")],
    label: Annotated[str, typer.Option(help="what the token is for")] = "",
) -> None:
    """Create an API token; it is printed once and only its hash is kept."""
    service = _case_service()
    with service.db.writing() as session:
        query = (
            select(User).where(User.id == int(user))
            if user.isdigit()
            else select(User).where(User.name == user)
        )
        found = session.exec(query).first()
        if found is None:
            err.print(f"[red]no user {user!r}[/red]")
            raise typer.Exit(1)
        token = create_token(session, service.clock, found, label)
    out.print(token)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole audit chain; exits 1 naming the first event that does not verify."""
    settings = get_settings()
    result = verify(Database(settings.database_url))
    if result.ok:
        out.print(
            f"[green]audit chain verifies[/green]: {result.checked} events, head {result.head_seq} {result.head_hash}"
        )
        return
    err.print(
        f"[red]audit chain broken at event {result.first_bad_seq}[/red]: {result.problem} ({result.checked} events verified before it)"
    )
    raise typer.Exit(1)


@demo_app.command("load")
def demo_load() -> None:
    """Load demo organisations, users and cases (once), and print the users' tokens."""
    from services.demo import load_demo

    settings = get_settings()
    if not settings.allow_demo_data:
        err.print("[red]demo data is switched off (GRANTFLOW_ALLOW_DEMO_DATA=false)[/red]")
        raise typer.Exit(1)
    users = load_demo(_case_service())
    table = Table(title="Demo users (send as: Authorization: Bearer <token>)")
    for column in ("token", "role", "name"):
        table.add_column(column)
    for u in users:
        table.add_row(u.token, u.role.value, u.name)
    out.print(table)


if __name__ == "__main__":
    app()
