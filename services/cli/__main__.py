"""`python -m services.cli`: the `grantflow` command."""

from services.cli import app

if __name__ == "__main__":  # not when a process of a parallel check imports it
    app()
