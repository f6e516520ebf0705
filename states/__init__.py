"""The lifecycle definitions, as data: this package holds TOML files and reads them, nothing more."""

import tomllib
from pathlib import Path
from typing import Any

DEFINITIONS_DIR = Path(__file__).parent


def load_definition(name: str = "grant_lifecycle") -> dict[str, Any]:
    """The raw definition `name` as written in `states/<name>.toml`."""
    with (DEFINITIONS_DIR / f"{name}.toml").open("rb") as f:
        return tomllib.load(f)
