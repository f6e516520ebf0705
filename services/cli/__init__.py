"""The `grantflow` command: serve, migrate, manage users and tokens, verify the audit log, keep
deadlines and act on incidents, send mail, load demo data, check health, back up and restore."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from config.settings import get_settings
from services.cli import (
    accounting,
    archive,
    audit,
    deadlines,
    incidents,
    lifecycle,
    mail,
    operations,
    privacy,
    programmes,
    registry,
    setup,
    tranches,
)
from services.cli.common import err

app = typer.Typer(
    help="grantflow: case management for public grants.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
for module in (
    setup,
    programmes,
    lifecycle,
    audit,
    archive,
    accounting,
    deadlines,
    incidents,
    mail,
    privacy,
    registry,
    tranches,
    operations,
):
    module.register(app)


@app.callback()
def settings_first() -> None:
    """Read the settings before any command, and say plainly what is wrong with them."""
    try:
        get_settings()
    except ValidationError as wrong:
        for error in wrong.errors(include_url=False):
            where = ".".join(str(p) for p in error["loc"]) or "settings"
            err.print(f"[red]{where}: {error['msg'].removeprefix('Value error, ')}[/red]")
        raise typer.Exit(2) from None
