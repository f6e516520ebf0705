"""Commands for programmes: check their files, read their versions, and plan and apply a new
version of their rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from config.settings import get_settings
from services.cli.common import as_person, err, open_services, out
from services.errors import ServiceError
from services.programme_changes import ProgrammePlan
from services.programme_versions import ProgrammeVersions
from workflow.catalogue import notice_names, transition_guards
from workflow.lifecycle import load_lifecycle
from workflow.programmes import ProgrammeError, load_programme_file

programs_app = typer.Typer(help="The programme files in config/programmes/.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(programs_app, name="programs")


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
            pf = load_programme_file(
                path,
                lifecycle.entry_states,
                lifecycle.deadlines,
                notice_names(lifecycle),
                transition_guards(lifecycle),
            )
        except ProgrammeError as exc:
            broken += 1
            err.print(f"[red]✗ {path}[/red]")
            for problem in exc.problems:
                err.print(f"    {problem}")
            continue
        out.print(f"[green]✓ {path}[/green]  {pf.programme.code}: {pf.programme.title()}")
    if broken:
        raise typer.Exit(1)


@programs_app.command("versions")
def programs_versions(code: Annotated[str, typer.Argument(help="the programme's code")]) -> None:
    """Every version of a programme's rules as registered, and which one is in use."""
    services = open_services(register=False)
    try:
        with services.units.reading() as uow:
            found = ProgrammeVersions(services.programmes).list(uow, code)
    except ServiceError as refused:
        err.print(f"[red]{refused.detail}[/red]")
        raise typer.Exit(1) from None
    table = Table(title=f"Versions of {code}")
    for column in ("version", "in use", "registered", "by", "why", "sha256"):
        table.add_column(column)
    for v in found:
        table.add_row(
            str(v.version),
            "yes" if v.in_use else "",
            v.registered_at.isoformat(timespec="seconds"),
            v.registered_by,
            v.reason,
            v.sha256[:16],
        )
    out.print(table)


@programs_app.command("diff")
def programs_diff(
    code: Annotated[str, typer.Argument(help="the programme's code")],
    was: Annotated[int, typer.Argument(help="the earlier version")],
    now: Annotated[int, typer.Argument(help="the later version")],
) -> None:
    """What changed between two versions: each rule by its key, then the file's lines."""
    services = open_services(register=False)
    try:
        with services.units.reading() as uow:
            diff = ProgrammeVersions(services.programmes).diff(uow, code, was, now)
    except ServiceError as refused:
        err.print(f"[red]{refused.detail}[/red]")
        raise typer.Exit(1) from None
    for rule in diff.rules:
        out.print(f"{rule.key}: {rule.was!r} -> {rule.now!r}", highlight=False, soft_wrap=True)
    out.print(diff.text, highlight=False, markup=False, soft_wrap=True, end="")


@programs_app.command("plan")
def programs_plan(
    file: Annotated[Path, typer.Argument(help="the programme file as it would be")],
    as_json: Annotated[bool, typer.Option("--json", help="the plan as JSON")] = False,
) -> None:
    """What applying FILE would do, changing nothing: the rules that change, the pending
    deadlines that move (was, to), the rounds touched, and the plan's hash for `apply`."""
    services = open_services(register=False)
    try:
        new = services.changes.read(file)
        with services.units.reading() as uow:
            plan = services.changes.plan(uow, new)
    except ProgrammeError as broken:
        _broken(broken)
    except ServiceError as refused:
        err.print(f"[red]{refused.detail}[/red]")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(plan.as_dict(), indent=2, ensure_ascii=False))
    else:
        _show(plan)


@programs_app.command("apply")
def programs_apply(
    file: Annotated[Path, typer.Argument(help="the programme file to apply")],
    reason: Annotated[str, typer.Option("--reason", help="why the rules change")],
    by: Annotated[str, typer.Option("--by", help="the administrator (name or id) who applies")],
    plan: Annotated[
        str | None,
        typer.Option("--plan", help="the hash `plan` printed: refuse if anything moved since"),
    ] = None,
) -> None:
    """Carry out FILE's plan in one transaction: a new version of the rules, its pending
    deadlines moved, the diff and every move in the audit log."""
    try:
        done = as_person(
            by,
            lambda s, uow, actor: s.changes.apply(uow, actor, s.changes.read(file), reason, plan),
        )
    except ProgrammeError as broken:
        _broken(broken)
    out.print(
        f"{done.programme} version {done.from_version + 1} applied: {len(done.rules)} rules "
        f"changed, {len(done.moves)} deadlines moved"
    )
    if file.resolve().parent != get_settings().programmes_dir.resolve():
        out.print(
            "[yellow]keep this file in the programmes folder in place of the old one: it is "
            "what grantflow loads when it starts[/yellow]"
        )
    out.print("running grantflow processes take the new rules up at their next sweep")


@programs_app.command("retire")
def programs_retire(
    code: Annotated[str, typer.Argument(help="the programme's code")],
    reason: Annotated[str, typer.Option("--reason", help="why it is retired")],
    by: Annotated[str, typer.Option("--by", help="the administrator (name or id)")],
) -> None:
    """No new cases from now on; running cases finish under the rules they have, and the file
    may then be removed (the version kept in the database runs on)."""
    at = as_person(by, lambda s, uow, actor: s.changes.retire(uow, actor, code, reason))
    out.print(f"{code} retired at {at.isoformat()}: it takes no new cases")


def _show(plan: ProgrammePlan) -> None:
    out.print(
        f"{plan.programme}: version {plan.from_version} -> {plan.from_version + 1}", highlight=False
    )
    rules = Table(title="Rules that change")
    for column in ("rule", "was", "now"):
        rules.add_column(column)
    for rule in plan.rules:
        rules.add_row(rule.key, repr(rule.was), repr(rule.now))
    out.print(rules)
    moves = Table(title=f"Pending deadlines that move ({len(plan.moves)})")
    for column in ("deadline", "case", "kind", "was", "to"):
        moves.add_column(column)
    for m in plan.moves:
        moves.add_row(
            str(m.deadline_id),
            str(m.case_id or ""),
            m.kind,
            f"{m.was:%Y-%m-%d %H:%M}Z",
            f"{m.to:%Y-%m-%d %H:%M}Z",
        )
    out.print(moves)
    if plan.kept:
        out.print(f"kept where a person moved them: deadlines {[m.deadline_id for m in plan.kept]}")
    if plan.rounds:
        out.print(f"rounds touched: {', '.join(plan.rounds)}")
    out.print(
        f"plan {plan.hash}  (grantflow programs apply FILE --plan {plan.hash[:12]}... uses the whole hash)",
        highlight=False,
    )


def _broken(broken: ProgrammeError) -> None:
    err.print(f"[red]✗ {broken.path}[/red]")
    for problem in broken.problems:
        err.print(f"    {problem}")
    raise typer.Exit(1)
