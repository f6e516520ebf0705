"""`python -m services.cli`: the `grantflow` command."""

from services.cli import app

app()
