"""The shape of the code, checked: where transactions open and commit, where queries live, which
way imports point, and how big a module or a class may grow before it is split."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Entry points: each opens its units of work and commits them (an API route, a page, a CLI
# command, the keeper's loop, the mail sender, the demo loader and the generator, which are CLI
# commands).
ENTRY_POINTS = (
    "services/api/",
    "services/web/",
    "services/cli/",
    "services/entry.py",
    "services/deadlines/keeper.py",
    "services/mail/sender.py",
    "services/demo.py",
    "services/generate.py",
    "services/auditing/parts.py",  # a process of its own checks each part of a long chain
)
STORAGE = "services/storage/"
MAX_LINES = 400
MAX_PUBLIC_METHODS = 12


def python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def calls(path: Path) -> Iterator[tuple[ast.Call, str]]:
    """Every call in `path` with the name it calls: `select` for select(...), `.commit` for x.commit()."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                yield node, node.func.id
            elif isinstance(node.func, ast.Attribute):
                yield node, "." + node.func.attr


def offenders(names: set[str], allowed: tuple[str, ...]) -> list[str]:
    found = []
    for path in python_files("services", "workflow", "states", "config"):
        where = relative(path)
        if where.startswith(allowed):
            continue
        found += [f"{where}:{call.lineno} {name}" for call, name in calls(path) if name in names]
    return found


def test_queries_live_only_in_the_repositories_under_services_storage() -> None:
    assert offenders({"select", ".exec", ".execute", ".query"}, (STORAGE,)) == []


def test_only_entry_points_open_units_of_work() -> None:
    assert offenders({".writing", ".reading"}, (*ENTRY_POINTS, STORAGE)) == []


def test_only_entry_points_commit_and_only_the_unit_of_work_talks_to_the_transaction() -> None:
    assert offenders({".commit"}, (*ENTRY_POINTS, STORAGE)) == []
    assert offenders({"Session", ".rollback", ".begin", ".flush"}, (STORAGE,)) == []


def test_services_do_not_reach_past_the_unit_of_work_to_its_session() -> None:
    found = []
    for path in python_files("services"):
        if relative(path).startswith(STORAGE):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [
            f"{relative(path)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in {"session", "db"}
        ]
    assert found == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("states", ("workflow", "services", "config", "fastapi", "sqlalchemy", "sqlmodel")),
        ("workflow", ("services", "config", "fastapi", "starlette", "sqlalchemy", "sqlmodel")),
        ("services/storage", ("services.api", "services.web", "services.cases", "fastapi")),
    ],
)
def test_dependencies_point_inwards(layer: str, forbidden: tuple[str, ...]) -> None:
    found = []
    for path in python_files(layer):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [
                f"{relative(path)} imports {n}"
                for n in names
                if any(n == f or n.startswith(f + ".") for f in forbidden)
            ]
    assert found == []


def test_no_module_under_services_passes_400_lines() -> None:
    long = {
        relative(path): n
        for path in python_files("services")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def is_property(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        (isinstance(d, ast.Name) and d.id in {"property", "cached_property"})
        for d in function.decorator_list
    )


def test_no_class_has_more_than_a_dozen_public_methods() -> None:
    """Properties are attributes, not methods: the unit of work's repositories are read as such."""
    crowded = {}
    for path in python_files("services", "workflow", "states", "config"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                public = [
                    item.name
                    for item in node.body
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                    and not item.name.startswith("_")
                    and not is_property(item)
                ]
                if len(public) > MAX_PUBLIC_METHODS:
                    crowded[f"{relative(path)}:{node.name}"] = len(public)
    assert crowded == {}
