"""Commands for the audit log: verify it, export it, sign its head, replay it against the
lifecycle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from config.settings import get_settings
from services.audit import verify
from services.auditing import proofs
from services.auditing.checkpoints import checkpoint, origin_of, verifier_key
from services.auditing.export import write_export
from services.auditing.signing import public_key_info, sign_head, signing_key, verify_against_head
from services.cli.common import err, open_services, out
from services.errors import ServiceError
from states import load_definition
from workflow.actors import SYSTEM
from workflow.lifecycle import load_lifecycle
from workflow.lifecycle_migration import Renames, parse_migrations
from workflow.replay import replay

audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    signed_head: Annotated[
        Path | None,
        typer.Option(
            help="a signed head (JSON from POST /audit/heads) the chain must still lead to"
        ),
    ] = None,
    public_key: Annotated[
        str | None, typer.Option(help="the signer's public key, base64 (default: this service's)")
    ] = None,
) -> None:
    """Check the whole audit chain; exits 1 naming the first event that does not verify."""
    settings = get_settings()
    units = open_services(register=False).units
    if signed_head is not None:
        head = json.loads(signed_head.read_text())
        key = public_key or public_key_info(signing_key(settings))["public_key"]
        with units.reading() as uow:
            ok, said = verify_against_head(uow, head, key)
        (out if ok else err).print(f"[{'green' if ok else 'red'}]{said}[/]")
        if not ok:
            raise typer.Exit(1)
    with units.reading() as uow:
        result = verify(uow)
    if result.ok:
        out.print(
            f"[green]audit chain verifies[/green]: {result.checked} events, head {result.head_seq} {result.head_hash}"
        )
        return
    err.print(
        f"[red]audit chain broken at event {result.first_bad_seq}[/red]: {result.problem} ({result.checked} events verified before it)"
    )
    raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    out_dir: Annotated[
        Path, typer.Option("--out", help="folder for events.jsonl and manifest.json")
    ] = Path("audit-export"),
    first: Annotated[int, typer.Option("--from", help="first sequence number")] = 1,
    last: Annotated[
        int | None, typer.Option("--to", help="last sequence number (default: the head)")
    ] = None,
) -> None:
    """Export events as JSON Lines in their canonical encoding, with a manifest (docs/AUDIT.md)."""
    services = open_services(register=False)
    with services.units.reading() as uow:
        info = write_export(uow, services.clock.now(), out_dir, first, last)
    out.print(
        f"events {info['first_seq']}..{info['last_seq']} ({info['count']}) -> {out_dir}/events.jsonl, head {info['head_hash']}"
    )


@audit_app.command("sign-head")
def audit_sign_head() -> None:
    """Sign the chain's head now and print the signed head (keep it: it proves what came before)."""
    settings = get_settings()
    services = open_services()
    with services.units.writing() as uow:
        signed = sign_head(uow, signing_key(settings), SYSTEM, services.clock.now())
        uow.commit()
    out.print_json(data=signed)


@audit_app.command("prove")
def audit_prove(
    seq: Annotated[int | None, typer.Option(help="prove that this event is in the log")] = None,
    since: Annotated[
        int | None, typer.Option(help="prove that the log extends its first SINCE events")
    ] = None,
    size: Annotated[
        int | None, typer.Option(help="the log's size to prove against (default: now)")
    ] = None,
) -> None:
    """Print a Merkle proof (RFC 9162) for tools/verify_audit_proof.py, or, with neither
    --seq nor --since, the tree's root to keep."""
    services = open_services(register=False)
    try:
        with services.units.reading() as uow:
            if seq is not None:
                proof = proofs.inclusion(uow, seq, size)
            elif since is not None:
                proof = proofs.consistency(uow, since, size)
            else:
                proof = proofs.tree(uow, size)
    except ServiceError as refused:
        err.print(f"[red]{refused.detail}[/red]")
        raise typer.Exit(2) from None
    print(json.dumps(proof, indent=2))  # plain: the file is the proof, byte for byte


@audit_app.command("checkpoint")
def audit_checkpoint(
    size: Annotated[int | None, typer.Option(help="the log's size (default: now)")] = None,
) -> None:
    """Print the signed checkpoint of the log (C2SP signed note), and its verifier key on
    standard error: keep both; tools/verify_audit_proof.py checks proofs against it."""
    settings = get_settings()
    services = open_services(register=False)
    key, origin = signing_key(settings), origin_of(settings.public_url)
    with services.units.reading() as uow:
        print(checkpoint(uow, key, origin, size), end="")
    err.print(verifier_key(origin, key), highlight=False, soft_wrap=True)


@audit_app.command("replay")
def audit_replay(
    events: Annotated[
        Path | None,
        typer.Option(help="an exported events.jsonl to replay instead of the database's log"),
    ] = None,
) -> None:
    """Replay every recorded history against the lifecycle in states/; exits 1 naming the first
    event that no longer fits (run it before changing states/ goes live)."""
    lifecycle = load_lifecycle()
    steps = parse_migrations(load_definition("lifecycle_migrations"))
    renames = Renames.of(s for s in steps if s.lifecycle == lifecycle.name)
    if events is not None:
        with events.open(encoding="utf-8") as lines:
            recorded = (json.loads(line) for line in lines if line.strip())
            result = replay(lifecycle, recorded, renames)
    else:
        units = open_services(register=False).units
        with units.reading() as uow:
            recorded = (json.loads(p) for p in uow.audit.payloads(1, None))
            result = replay(lifecycle, recorded, renames)
    if result.misfit is None:
        out.print(
            f"[green]every history fits[/green]: {result.events} events, {result.cases} cases"
        )
        return
    err.print(f"[red]event {result.misfit.seq} no longer fits[/red]: {result.misfit.problem}")
    raise typer.Exit(1)
