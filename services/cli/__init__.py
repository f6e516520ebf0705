"""The `grantflow` command: serve, migrate, manage users and tokens, verify the audit log, keep
deadlines and act on incidents, load demo data."""

from __future__ import annotations

import typer

from services.cli import audit, deadlines, incidents, setup

app = typer.Typer(
    help="grantflow: case management for public grants.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
for module in (setup, audit, deadlines, incidents):
    module.register(app)
