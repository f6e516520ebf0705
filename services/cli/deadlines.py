"""Commands for the deadlines grantflow keeps: fire what is due, run the scheduler, see whether it
keeps up, and act on the incidents of deadlines that failed."""

from __future__ import annotations

import logging
import signal
from datetime import datetime, timedelta
from typing import Annotated

import typer
from pydantic import ValidationError

from config.settings import get_settings
from services.cli.common import as_person, err, make_keeper, open_services, out
from services.deadlines.extensions import ExtensionRequest
from services.runtime import keeper_of, sender_of
from services.scheduler import Scheduler
from workflow.clock import Clock, SettableClock, SystemClock

deadlines_app = typer.Typer(help="The deadlines grantflow keeps.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(deadlines_app, name="deadlines")
    app.command()(scheduler)


@deadlines_app.command("run-due")
def deadlines_run_due(
    now: Annotated[
        str | None,
        typer.Option(
            help="pretend it is this time, ISO 8601 with an offset (default: the real time)"
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="let --now lie before the audit log's last event or in the future")
    ] = False,
) -> None:
    """Fire everything due once, oldest first, and exit: for cron, and for tests."""
    clock: Clock = SystemClock()
    if now is not None:
        try:
            at = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            err.print(
                f"[red]--now {now!r}: give a time with an offset, e.g. 2017-10-31T12:00:00+01:00[/red]"
            )
            raise typer.Exit(2)
        clock = SettableClock(at)
    keeper = make_keeper(clock)
    if now is not None and not force:
        refused = keeper.refuse_clock(SystemClock().now())
        if refused:
            err.print(f"[red]--now {now}: {refused}; add --force if you mean it[/red]")
            raise typer.Exit(2)
    result = keeper.sweep()
    out.print(
        f"fired {result.fired}, flagged {result.flagged}, cancelled {result.cancelled}, "
        f"failed {result.failed} (clock {clock.name}: {clock.now().isoformat()})"
    )


@deadlines_app.command("status")
def deadlines_status() -> None:
    """Is a scheduler sweeping? Exits 1 when the last sweep is stale or a deadline waits overdue."""
    settings = get_settings()
    keeper = make_keeper()
    stale_after = timedelta(seconds=settings.stale_after_seconds)
    live = keeper.liveness(stale_after, stale_after).as_dict()
    out.print_json(data=live)
    if live["status"] != "ok":
        raise typer.Exit(1)


@deadlines_app.command("extend")
def deadlines_extend(
    programme: Annotated[str, typer.Argument(help="the programme's code")],
    kind: Annotated[str, typer.Argument(help="the deadline kind, e.g. application_deadline")],
    to: Annotated[str, typer.Option("--to", help="the new time, with its offset")],
    reason: Annotated[str, typer.Option("--reason", help="why, for the audit log")],
    by: Annotated[str, typer.Option("--by", help="the user (name or id) who decided it")],
    call: Annotated[str | None, typer.Option(help="the round to extend")] = None,
    case: Annotated[int | None, typer.Option(help="one case only")] = None,
) -> None:
    """Extend a deadline for a whole round or one case: its deadlines and reminders move, and
    cases that lapsed under the old one are listed, not revived."""
    try:
        request = ExtensionRequest(kind=kind, call=call, case_id=case, to=to, reason=reason)
    except ValidationError as wrong:
        for error in wrong.errors(include_url=False):
            err.print(f"[red]--{error['loc'][0]}: {error['msg']}[/red]")
        raise typer.Exit(2) from None
    done = as_person(by, lambda s, uow, actor: s.extensions.extend(uow, actor, programme, request))
    out.print(
        f"extended {done.kind} of {done.programme} {done.call or f'case {done.case_id}'} "
        f"to {done.to.isoformat()}: {len(done.moved)} deadlines moved"
    )
    if done.lapsed_before:
        out.print(f"lapsed before the extension (not revived): cases {done.lapsed_before}")


def scheduler() -> None:
    """Run the deadline scheduler and the mail sender alone (for deployments with several API
    workers)."""
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    services = open_services()
    interval = timedelta(seconds=settings.sweep_interval_seconds)
    running = Scheduler(keeper_of(settings, services), interval, sender_of(settings, services))
    running.start()
    signal.signal(signal.SIGTERM, lambda *_: running.stop())
    try:
        running.wait()
    except KeyboardInterrupt:
        running.stop()
