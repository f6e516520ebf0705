"""docs/SETTINGS.md, made from the settings class so that the two cannot drift apart."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
INTRO = """# Settings

Every setting grantflow reads, made from `config/settings.py` by
`grantflow settings reference > docs/SETTINGS.md`; `tests/test_settings_reference.py` fails when
this file and the class differ. Each is read from its environment variable or from a `.env` file
in the folder grantflow starts in; a value that is wrong stops every command with a plain message
naming it. `grantflow doctor` checks the result.

| variable | type | default | what it does | in production |
|---|---|---|---|---|
"""


def settings_reference() -> str:
    rows = [_row(name, field) for name, field in Settings.model_fields.items()]
    return INTRO + "".join(rows)


def _row(name: str, field: FieldInfo) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    cells = [
        f"`GRANTFLOW_{name.upper()}`",
        _kind(field.annotation) + _bounds(field),
        _default(field),
        (field.description or "").replace("|", "\\|"),
        str(extra.get("production", "")),
    ]
    return "| " + " | ".join(cells) + " |\n"


def _kind(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return " or ".join(f"`{a}`" for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(_kind(a) for a in args if a is not type(None)) + ", or unset"
    if origin is list:
        return f"JSON list of {_kind(args[0])}"
    names = {
        str: "text",
        int: "whole number",
        float: "number",
        bool: "`true` or `false`",
        Path: "folder",
        SecretStr: "secret text",
    }
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _bounds(field: FieldInfo) -> str:
    signs = {Gt: (">", "gt"), Ge: ("≥", "ge"), Lt: ("<", "lt"), Le: ("≤", "le")}
    found = []
    for limit in field.metadata:
        for kind, (sign, attribute) in signs.items():
            if isinstance(limit, kind):
                found.append(f"{sign} {getattr(limit, attribute)}")
    return f" ({', '.join(found)})" if found else ""


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if value == "":
        return "empty"
    if isinstance(value, Path) and value.is_absolute() and value.is_relative_to(ROOT):
        value = value.relative_to(ROOT)
    if isinstance(value, bool):
        value = str(value).lower()
    if isinstance(value, list):
        return "`[" + ", ".join(f'"{v}"' for v in value) + "]`"
    return f"`{value}`"
