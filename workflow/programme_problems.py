"""What is wrong with a programme file, said with its key and a 'did you mean'."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel


def describe(err: Any, schema: type[BaseModel]) -> str:
    """One validation error of a file read into `schema`, said with its key."""
    key = ".".join(str(p) for p in err["loc"]) or "(file)"
    if err["type"] == "extra_forbidden":
        return f"{key}: unknown key{_hint(err['loc'], schema)}"
    if err["type"] == "missing":
        return f"{key}: required key is missing"
    return f"{key}: {err['msg']}"


def _hint(loc: tuple[Any, ...], schema: type[BaseModel]) -> str:
    """'did you mean ...?' from the keys the schema allows where the unknown one stands."""
    model: Any = schema
    for part in loc[:-1]:
        field = (
            model.model_fields.get(part)
            if isinstance(part, str) and hasattr(model, "model_fields")
            else None
        )
        if field is None:
            continue
        inner = field.annotation
        for arg in getattr(inner, "__args__", ()) or (inner,):
            if hasattr(arg, "model_fields"):
                model = arg
                break
            for sub in getattr(arg, "__args__", ()):
                if hasattr(sub, "model_fields"):
                    model = sub
    known = list(getattr(model, "model_fields", {}))
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f": did you mean {close[0]!r}?"
    return f" (allowed here: {', '.join(known)})" if known else ""


def cycles(deadlines: Mapping[str, Any]) -> list[str]:
    """Each cycle of `before` rules once, naming every rule in it: a deadline that falls before
    itself has no date, and would send the keeper round in circles."""
    found: list[str] = []
    reported: set[frozenset[str]] = set()
    for start in deadlines:
        path = [start]
        while (rule := deadlines.get(path[-1])) is not None and rule.before is not None:
            if rule.before in path:
                cycle = path[path.index(rule.before) :]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    named = " and ".join(f"deadlines.{k}.before" for k in cycle)
                    found.append(f"{named} form a cycle ({' -> '.join([*cycle, cycle[0]])})")
                break
            path.append(rule.before)
    return found
