"""What every command shares: the settings, the services on the configured database, output."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console

from config.settings import get_settings
from services.access import actor_of, find_user
from services.container import Services, build_services, limits_of, mail_options_of
from services.deadlines.keeper import DeadlineKeeper
from services.entry import start_up
from services.errors import ServiceError
from services.mail.sender import MailSender
from services.runtime import keeper_of, sender_of
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor
from workflow.catalogue import Catalogue, load_catalogue
from workflow.clock import Clock, SystemClock

T = TypeVar("T")
out = Console()
err = Console(stderr=True)


def read_catalogue() -> Catalogue:
    """The definitions; a broken programme file is said loudly and only its programme is left out."""
    catalogue = load_catalogue(get_settings().programmes_dir, strict=False)
    for name, problems in catalogue.broken.items():
        err.print(
            f"[red]programme file {name} is broken and does not run:[/red] {'; '.join(problems)}"
        )
    return catalogue


def open_services(clock: Clock | None = None, *, register: bool = True) -> Services:
    """The services on the configured database, with the programme files registered."""
    settings = get_settings()
    services = build_services(
        settings.database_url,
        read_catalogue(),
        clock or SystemClock(),
        settings.data_dir,
        limits_of(settings),
        mail=mail_options_of(settings),
    )
    try:
        services.units.check_schema()
    except RuntimeError as behind:
        err.print(f"[red]{behind}[/red]")
        raise typer.Exit(2) from None
    if register:
        start_up(services)
    else:
        with services.units.reading() as uow:
            services.programmes.load(uow)
    return services


def as_person(by: str, act: Callable[[Services, UnitOfWork, Actor], T]) -> T:
    """Do `act` in one unit of work as the user named `by` (name or id), so the audit log says
    who; a refusal is said plainly and exits 1, and nothing is written."""
    services = open_services(register=False)
    try:
        with services.units.writing() as uow:
            user = find_user(uow, by)
            if user is None:
                err.print(f"[red]no user {by!r}[/red]")
                raise typer.Exit(1)
            done = act(services, uow, actor_of(user))
            uow.commit()
    except ServiceError as refused:
        err.print(f"[red]{refused.detail}[/red]")
        raise typer.Exit(1) from None
    return done


def make_keeper(clock: Clock | None = None) -> DeadlineKeeper:
    return keeper_of(get_settings(), open_services(clock))


def make_sender(clock: Clock | None = None) -> MailSender:
    return sender_of(get_settings(), open_services(clock, register=False))
