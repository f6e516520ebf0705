"""The `grantflow` command: serve, migrate, manage users and tokens, verify the audit log, load demo data."""

from __future__ import annotations

import json
import logging
import signal
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config.settings import get_settings
from services.access import add_user, create_token, find_user
from services.audit import verify
from services.auditing.export import write_export
from services.auditing.signing import (
    DailyHeadSigning,
    public_key_info,
    sign_head,
    signing_key,
    verify_against_head,
)
from services.container import Services, build_services
from services.deadlines.keeper import DeadlineKeeper
from services.errors import ServiceError
from services.scheduler import Scheduler
from services.storage.migrate import upgrade
from workflow.actors import SYSTEM, Role
from workflow.catalogue import Catalogue, load_catalogue
from workflow.clock import Clock, SettableClock, SystemClock
from workflow.lifecycle import load_lifecycle
from workflow.programmes import ProgrammeError, load_programme_file

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
deadlines_app = typer.Typer(help="The deadlines grantflow keeps.", no_args_is_help=True)
programs_app = typer.Typer(help="The programme files in config/programmes/.", no_args_is_help=True)
for sub, name in [
    (db_app, "db"),
    (users_app, "users"),
    (tokens_app, "tokens"),
    (audit_app, "audit"),
    (demo_app, "demo"),
    (deadlines_app, "deadlines"),
    (programs_app, "programs"),
]:
    app.add_typer(sub, name=name)

out = Console()
err = Console(stderr=True)


def _catalogue() -> Catalogue:
    try:
        return load_catalogue(get_settings().programmes_dir)
    except ProgrammeError as exc:
        err.print(f"[red]programme files are broken:[/red]\n{exc}")
        raise typer.Exit(2) from None


def _services(clock: Clock | None = None, *, register: bool = True) -> Services:
    """The services on the configured database, with the programme files registered."""
    settings = get_settings()
    services = build_services(
        settings.database_url, _catalogue(), clock or SystemClock(), settings.data_dir
    )
    with services.units.writing() if register else services.units.reading() as uow:
        if register:
            services.programmes.register(uow)
            uow.commit()
        else:
            services.programmes.load(uow)
    return services


@app.command()
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
    services = _services()
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
    label: Annotated[str, typer.Option(help="what the token is for")] = "",
) -> None:
    """Create an API token; it is printed once and only its hash is kept."""
    services = _services()
    with services.units.writing() as uow:
        found = find_user(uow, user)
        if found is None:
            err.print(f"[red]no user {user!r}[/red]")
            raise typer.Exit(1)
        token = create_token(uow, services.clock, found, label)
        uow.commit()
    out.print(token)


@audit_app.command("verify")
def audit_verify(
    signed_head: Annotated[
        Path | None,
        typer.Option(
            help="a signed head (JSON from POST /audit/heads) the chain must still lead to"
        ),
    ] = None,
    public_key: Annotated[
        str | None, typer.Option(help="the signer's public key, base64 (default: this service's)")
    ] = None,
) -> None:
    """Check the whole audit chain; exits 1 naming the first event that does not verify."""
    settings = get_settings()
    units = _services(register=False).units
    if signed_head is not None:
        head = json.loads(signed_head.read_text())
        key = public_key or public_key_info(signing_key(settings))["public_key"]
        with units.reading() as uow:
            ok, said = verify_against_head(uow, head, key)
        (out if ok else err).print(f"[{'green' if ok else 'red'}]{said}[/]")
        if not ok:
            raise typer.Exit(1)
    with units.reading() as uow:
        result = verify(uow)
    if result.ok:
        out.print(
            f"[green]audit chain verifies[/green]: {result.checked} events, head {result.head_seq} {result.head_hash}"
        )
        return
    err.print(
        f"[red]audit chain broken at event {result.first_bad_seq}[/red]: {result.problem} ({result.checked} events verified before it)"
    )
    raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    out_dir: Annotated[
        Path, typer.Option("--out", help="folder for events.jsonl and manifest.json")
    ] = Path("audit-export"),
    first: Annotated[int, typer.Option("--from", help="first sequence number")] = 1,
    last: Annotated[
        int | None, typer.Option("--to", help="last sequence number (default: the head)")
    ] = None,
) -> None:
    """Export events as JSON Lines in their canonical encoding, with a manifest (docs/AUDIT.md)."""
    services = _services(register=False)
    with services.units.reading() as uow:
        info = write_export(uow, services.clock.now(), out_dir, first, last)
    out.print(
        f"events {info['first_seq']}..{info['last_seq']} ({info['count']}) -> {out_dir}/events.jsonl, head {info['head_hash']}"
    )


@audit_app.command("sign-head")
def audit_sign_head() -> None:
    """Sign the chain's head now and print the signed head (keep it: it proves what came before)."""
    settings = get_settings()
    services = _services()
    with services.units.writing() as uow:
        signed = sign_head(uow, signing_key(settings), SYSTEM, services.clock.now())
        uow.commit()
    out.print_json(data=signed)


@demo_app.command("load")
def demo_load() -> None:
    """Load demo organisations, users and cases (once), and print the users' tokens."""
    from services.demo import load_demo

    settings = get_settings()
    if not settings.allow_demo_data:
        err.print("[red]demo data is switched off (GRANTFLOW_ALLOW_DEMO_DATA=false)[/red]")
        raise typer.Exit(1)
    users = load_demo(settings.database_url, _catalogue(), settings.data_dir)
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

    services = _services()
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


@deadlines_app.command("run-due")
def deadlines_run_due(
    now: Annotated[
        str | None,
        typer.Option(
            help="pretend it is this time, ISO 8601 with an offset (default: the real time)"
        ),
    ] = None,
) -> None:
    """Fire everything due once, oldest first, and exit: for cron, and for tests."""
    clock: Clock = SystemClock()
    if now is not None:
        try:
            at = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            err.print(
                f"[red]--now {now!r}: give a time with an offset, e.g. 2017-10-31T12:00:00+01:00[/red]"
            )
            raise typer.Exit(2)
        clock = SettableClock(at)
    keeper = DeadlineKeeper(_services(clock), jobs=[DailyHeadSigning(signing_key(get_settings()))])
    result = keeper.sweep()
    out.print(
        f"fired {result.fired}, flagged {result.flagged}, cancelled {result.cancelled} "
        f"(clock {clock.name}: {clock.now().isoformat()})"
    )


@deadlines_app.command("status")
def deadlines_status() -> None:
    """Is a scheduler sweeping? Exits 1 when the last sweep is stale or a deadline waits overdue."""
    settings = get_settings()
    keeper = DeadlineKeeper(_services())
    stale_after = timedelta(seconds=settings.stale_after_seconds)
    live = keeper.liveness(stale_after, stale_after).as_dict()
    out.print_json(data=live)
    if live["status"] != "ok":
        raise typer.Exit(1)


@app.command()
def scheduler() -> None:
    """Run the deadline scheduler alone (for deployments with several API workers)."""
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    keeper = DeadlineKeeper(_services(), jobs=[DailyHeadSigning(signing_key(settings))])
    running = Scheduler(keeper, timedelta(seconds=settings.sweep_interval_seconds))
    running.start()
    signal.signal(signal.SIGTERM, lambda *_: running.stop())
    try:
        running.wait()
    except KeyboardInterrupt:
        running.stop()


@programs_app.command("check")
def programs_check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="programme files to check (default: every file in the programmes folder)"
        ),
    ] = None,
) -> None:
    """Validate programme files against the schema; exit 1 naming each file, key and why."""
    lifecycle = load_lifecycle()
    paths = files or sorted(get_settings().programmes_dir.glob("*.toml"))
    broken = 0
    for path in paths:
        try:
            pf = load_programme_file(path, lifecycle.entry_states, lifecycle.deadlines)
        except ProgrammeError as exc:
            broken += 1
            err.print(f"[red]✗ {path}[/red]")
            for problem in exc.problems:
                err.print(f"    {problem}")
            continue
        out.print(f"[green]✓ {path}[/green]  {pf.programme.code}: {pf.programme.title()}")
    if broken:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
