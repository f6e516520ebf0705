"""Commands for whoever runs grantflow: is it healthy (doctor), back it up, restore it."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import httpx
import typer
from sqlalchemy.engine import make_url

from config.settings import Settings, get_settings
from services.audit import verify
from services.auditing.signing import (
    last_signed_head,
    public_key_info,
    signing_key,
    verify_against_head,
)
from services.backups import make_backup, restore_backup
from services.cli.common import err, open_services, out
from services.container import Services, build_services
from services.deadlines.keeper import DeadlineKeeper
from services.settings_reference import settings_reference
from services.storage.backup import CopyError, sqlite_path
from services.storage.db import Limits
from services.storage.migrate import SchemaNotCurrent, upgrade
from workflow.catalogue import Catalogue, load_catalogue
from workflow.clock import SystemClock

settings_app = typer.Typer(help="grantflow's settings.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    for command in (doctor, backup, restore):
        app.command()(command)
    app.add_typer(settings_app, name="settings")


@settings_app.command("reference")
def settings_reference_command() -> None:
    """Print docs/SETTINGS.md: every setting, its type, default and what it does."""
    print(settings_reference(), end="")


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    said: str
    fix: str = ""


def doctor() -> None:
    """Check the configuration, the database and its schema, the signing key, the programme
    files, the scheduler and the incidents: one line each; exits 1 naming what is wrong."""
    findings = list(diagnose(get_settings()))
    for finding in findings:
        mark = "[green]ok  [/green]" if finding.ok else "[red]FAIL[/red]"
        out.print(f"{mark} {finding.check:<12} {finding.said}", highlight=False, soft_wrap=True)
        if finding.fix:
            out.print(
                f"     {'':<12} [bold]fix:[/bold] {finding.fix}", highlight=False, soft_wrap=True
            )
    failed = [f.check for f in findings if not f.ok]
    if failed:
        err.print(f"[red]{len(failed)} problem(s): {', '.join(failed)}[/red]")
        raise typer.Exit(1)


def diagnose(settings: Settings) -> Iterator[Finding]:
    yield Finding("settings", True, f"{settings.environment}; data in {settings.data_dir}")
    catalogue = load_catalogue(settings.programmes_dir, strict=False)
    yield _programmes(catalogue, settings.programmes_dir)
    try:
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        services = build_services(
            settings.database_url,
            catalogue,
            SystemClock(),
            settings.data_dir,
            Limits(connect_seconds=5, statement_seconds=10, pool_seconds=5),
        )
    except Exception as unusable:  # SQLAlchemy says what is wrong with a URL in many ways
        yield Finding(
            "database",
            False,
            f"GRANTFLOW_DATABASE_URL cannot be used: {unusable}",
            "give a URL such as sqlite:///data/grantflow.db or postgresql://user@host/name",
        )
        return
    try:
        reached = _database(services, settings, shown)
        yield reached
        if not reached.ok:
            return
        yield _lifecycle(services)
        yield from _signing_key(services, settings)
        yield from _keeper(services, settings)
        yield _mail(services, settings)
        if settings.oidc_issuer:
            yield _identity_provider(settings)
    finally:
        services.units.dispose()


def _programmes(catalogue: Catalogue, folder: Path) -> Finding:
    if catalogue.broken:
        name, problems = next(iter(catalogue.broken.items()))
        return Finding(
            "programmes",
            False,
            f"{len(catalogue.broken)} file(s) in {folder} do not load: {name}: {'; '.join(problems)}",
            f"`grantflow programs check {folder / name}` says where; mend the file or move it out",
        )
    names = ", ".join(sorted(catalogue.programmes))
    return Finding("programmes", True, f"{len(catalogue.programmes)} load from {folder}: {names}")


def _database(services: Services, settings: Settings, shown: str) -> Finding:
    if settings.is_sqlite and not sqlite_path(settings.database_url).exists():
        return Finding(
            "database",
            False,
            f"no database file at {sqlite_path(settings.database_url)}",
            "set GRANTFLOW_DATABASE_URL (or GRANTFLOW_DATA_DIR) to where it is, or make it with "
            "`grantflow db upgrade`",
        )
    try:
        services.units.check_schema()
    except SchemaNotCurrent as behind:
        return Finding("database", False, f"{shown} is reachable, but {behind.said}", _UPGRADE)
    except Exception as away:  # any driver's failure to connect says the same to a person
        first_line = str(away).strip().splitlines()[0] if str(away).strip() else repr(away)
        return Finding(
            "database",
            False,
            f"cannot reach {shown}: {first_line}",
            "check GRANTFLOW_DATABASE_URL and that the database server is running",
        )
    return Finding("database", True, f"{shown} reachable, schema at the migrations' head")


def _lifecycle(services: Services) -> Finding:
    lifecycle = services.catalogue.lifecycle
    with services.units.reading() as uow:
        unknown = {
            s: n for s, n in uow.lifecycle.states_in_use().items() if s not in lifecycle.states
        }
    if unknown:
        return Finding(
            "lifecycle",
            False,
            f"cases are in states version {lifecycle.version} no longer has: {unknown}",
            "`grantflow lifecycle plan` shows where they go; `grantflow lifecycle apply` moves them",
        )
    return Finding("lifecycle", True, f"{lifecycle.name} version {lifecycle.version}")


_UPGRADE = "`grantflow db upgrade` (stop the service first; take a `grantflow backup` before)"


def _signing_key(services: Services, settings: Settings) -> Iterator[Finding]:
    kept = settings.data_dir / "audit-signing.key"
    with services.units.reading() as uow:
        signed = last_signed_head(uow)
    if settings.audit_signing_key is None and not kept.exists():
        if signed is None:
            yield Finding("signing key", True, f"none yet: made in {kept} at the first signing")
            return
        yield Finding(
            "signing key",
            False,
            f"heads were signed (last at {signed['signed_at']}) but no key is at {kept}",
            "restore the key file from where it is kept, or set GRANTFLOW_AUDIT_SIGNING_KEY",
        )
        return
    ours = public_key_info(signing_key(settings))
    source = "GRANTFLOW_AUDIT_SIGNING_KEY" if settings.audit_signing_key else str(kept)
    if signed is not None and signed.get("public_key") != ours["public_key"]:
        yield Finding(
            "signing key",
            False,
            f"the last head (signed at {signed['signed_at']}) was signed with key "
            f"{signed.get('fingerprint')}, this service signs with {ours['fingerprint']}",
            "restore the key the heads were signed with; if it was changed on purpose, "
            "`grantflow audit sign-head` signs with the new one",
        )
        return
    yield Finding("signing key", True, f"Ed25519 {ours['fingerprint']} from {source}")


def _keeper(services: Services, settings: Settings) -> Iterator[Finding]:
    stale_after = dt.timedelta(seconds=settings.stale_after_seconds)
    live = DeadlineKeeper(services).liveness(stale_after, stale_after)
    last = live.last_sweep_completed_at
    start_one = (
        "start the scheduler: `grantflow serve` (GRANTFLOW_RUN_SCHEDULER=true) or "
        "`grantflow scheduler`"
    )
    if last is None:
        yield Finding("scheduler", False, "no scheduler has ever swept the deadlines", start_one)
    elif live.sweep_stale:
        ago = round((live.now - last).total_seconds())
        yield Finding("scheduler", False, f"stale: the last sweep finished {ago} s ago", start_one)
    elif live.deadlines_stale and live.oldest_overdue_due_at is not None:
        yield Finding(
            "scheduler",
            False,
            f"a deadline due at {live.oldest_overdue_due_at:%Y-%m-%d %H:%M} UTC is still waiting",
            "`grantflow deadlines status`, and the scheduler's log",
        )
    else:
        ago = round((live.now - last).total_seconds())
        yield Finding("scheduler", True, f"swept {ago} s ago; {live.pending} deadlines pending")
    if live.open_incidents:
        yield Finding(
            "incidents",
            False,
            f"{live.open_incidents} open: something failed and waits for a person",
            "`grantflow incidents list` (or /ui/incidents): retry, move or cancel each",
        )
    else:
        yield Finding("incidents", True, "none open")


def _mail(services: Services, settings: Settings) -> Finding:
    with services.units.reading() as uow:
        waiting, oldest = uow.mail.backlog()
    if not settings.smtp_host:
        return Finding("mail", True, f"written to {settings.mail_folder} (no SMTP server set)")
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=5) as smtp:
            smtp.ehlo()
    except (OSError, smtplib.SMTPException) as away:
        return Finding(
            "mail",
            False,
            f"the SMTP server {where} does not answer ({away}); {waiting} messages wait",
            "check GRANTFLOW_SMTP_HOST and GRANTFLOW_SMTP_PORT, and that the relay lets this "
            "host in",
        )
    late = oldest is not None and dt.datetime.now(dt.UTC) - oldest > dt.timedelta(
        seconds=settings.stale_after_seconds
    )
    if late:
        return Finding(
            "mail",
            False,
            f"{waiting} messages wait, the oldest due since {oldest:%Y-%m-%d %H:%M} UTC",
            "is a scheduler running? `grantflow mail list --status pending` says why each waits",
        )
    return Finding("mail", True, f"sent through {where}; {waiting} messages waiting")


def _identity_provider(settings: Settings) -> Finding:
    discovery = f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration"
    try:
        answer = httpx.get(discovery, timeout=5)
        answer.raise_for_status()
        issuer = answer.json().get("issuer")
    except (httpx.HTTPError, ValueError) as away:
        return Finding(
            "sign-in",
            False,
            f"the identity provider's discovery document {discovery} cannot be read: {away}",
            "check GRANTFLOW_OIDC_ISSUER, and that this host reaches the provider",
        )
    if issuer != settings.oidc_issuer.rstrip("/"):
        return Finding(
            "sign-in",
            False,
            f"the provider calls itself {issuer}, not {settings.oidc_issuer}: ID tokens would "
            "not verify",
            "set GRANTFLOW_OIDC_ISSUER to exactly the issuer the provider names",
        )
    roles = ", ".join(sorted(set(settings.oidc_roles.values()))) or "no role: nobody gets in"
    return Finding("sign-in", True, f"through {issuer}; groups map to {roles}")


def backup(
    file: Annotated[Path, typer.Argument(help="where to write the backup (a tar file)")],
) -> None:
    """Back up the database and the attachments to FILE, as one moment, while the service runs.
    The signing key is not in it: keep that apart."""
    settings = get_settings()
    try:
        made = make_backup(settings.database_url, settings.data_dir, file, dt.datetime.now(dt.UTC))
    except CopyError as failed:
        err.print(f"[red]no backup: {failed}[/red]")
        raise typer.Exit(1) from None
    out.print(
        f"backup {file}: {made.database_kind} database at revision {made.schema_revision}, "
        f"audit head {made.head_seq} {made.head_hash}, {made.attachments} attachments",
        highlight=False,
    )


def restore(
    file: Annotated[Path, typer.Argument(help="a backup made by `grantflow backup`")],
    replace: Annotated[
        bool, typer.Option(help="overwrite a database that already holds events")
    ] = False,
) -> None:
    """Restore FILE into the configured database (stop the service first), bring its schema up
    to this release, and check that its chain verifies and leads to the last signed head."""
    settings = get_settings()
    url = settings.database_url
    try:
        made = restore_backup(url, settings.data_dir, file, replace=replace)
    except CopyError as failed:
        err.print(f"[red]nothing restored: {failed}[/red]")
        raise typer.Exit(1) from None
    upgrade(url)
    out.print(f"restored {file} (made {made.made_at}); schema brought to this release's head")
    units = open_services(register=False).units
    with units.reading() as uow:
        chain = verify(uow)
        signed = last_signed_head(uow)
        against = verify_against_head(uow, signed, signed["public_key"]) if signed else None
    problems = []
    if not chain.ok:
        problems.append(f"the chain is broken at event {chain.first_bad_seq}: {chain.problem}")
    elif (chain.head_seq, chain.head_hash) != (made.head_seq, made.head_hash):
        problems.append(
            f"the restored head is {chain.head_seq} {chain.head_hash}, the backup's manifest "
            f"says {made.head_seq} {made.head_hash}"
        )
    if against is not None and not against[0]:
        problems.append(f"the last signed head does not hold: {against[1]}")
    if problems:
        for problem in problems:
            err.print(f"[red]{problem}[/red]")
        raise typer.Exit(1)
    out.print(f"[green]audit chain verifies[/green]: {chain.checked} events, head {chain.head_seq}")
    if against is not None:
        out.print(f"[green]last signed head holds[/green]: {against[1]}")
