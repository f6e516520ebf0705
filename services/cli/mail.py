"""Commands for mail: send what is due, read the outbox, give a person's word on a message that
could not be sent, and keep where mail goes (each change done as a named user, audited)."""

from __future__ import annotations

from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.table import Table

from services.cli.common import as_person, err, make_sender, open_services, out
from services.mail.contacts import OrganisationContact, PersonMail
from services.mail.outbox import Word
from workflow.actors import Actor, Role
from workflow.statuses import MailStatus

Change = TypeVar("Change", bound=OrganisationContact)
mail_app = typer.Typer(help="The mail the service sends.", no_args_is_help=True)
contacts_app = typer.Typer(help="Where mail goes: addresses and choices.", no_args_is_help=True)
By = Annotated[str, typer.Option("--by", help="the user (name or id) who acts")]
Why = Annotated[str, typer.Option("--reason", help="why, for the audit log")]
Email = Annotated[str | None, typer.Option(help="the address; an empty string removes it")]
Language = Annotated[str | None, typer.Option(help="sv, da or en")]
Reminders = Annotated[bool | None, typer.Option("--reminders/--no-reminders")]


def register(app: typer.Typer) -> None:
    app.add_typer(mail_app, name="mail")
    app.add_typer(contacts_app, name="contacts")


@mail_app.command("send")
def mail_send() -> None:
    """Send every message that is due, once, and exit: for cron, and for tests."""
    result = make_sender().send_due()
    out.print(
        f"sent {result.sent}, to retry {result.retried}, dead {result.dead}, "
        f"outcome unknown {result.unknown}"
    )


@mail_app.command("list")
def mail_list(
    status: Annotated[MailStatus | None, typer.Option(help="only messages in this status")] = None,
    case: Annotated[int | None, typer.Option(help="only this case's messages")] = None,
) -> None:
    """The outbox, newest first (200 at most)."""
    services = open_services(register=False)
    staff = Actor(None, "command line", Role.auditor)  # reads, as an auditor would
    with services.units.reading() as uow:
        found = services.outbox.page(uow, staff, status, case, 200, None)
    table = Table(title="Mail")
    for column in ("id", "status", "to", "subject", "attempts", "last error"):
        table.add_column(column)
    for m in found.items:
        table.add_row(
            str(m.id), m.status, m.to_address, m.subject, str(m.attempts), m.last_error or ""
        )
    out.print(table)


def _settle(word: str, mail: int, by: str, reason: str) -> None:
    done = as_person(
        by, lambda s, uow, actor: s.outbox.settle(uow, actor, mail, word, Word(reason=reason))
    )
    out.print(f"mail {done.id}: {done.status}")


@mail_app.command("resend")
def mail_resend(mail: int, by: By, reason: Why) -> None:
    """Send a dead message, or one whose fate is unknown, again (it may arrive twice)."""
    _settle("resend", mail, by, reason)


@mail_app.command("cancel")
def mail_cancel(mail: int, by: By, reason: Why) -> None:
    """The message will not be sent."""
    _settle("cancel", mail, by, reason)


@mail_app.command("mark-sent")
def mail_mark_sent(mail: int, by: By, reason: Why) -> None:
    """A message whose fate was unknown arrived: its recipient says so."""
    _settle("mark_sent", mail, by, reason)


@contacts_app.command("organisation")
def contacts_organisation(
    organisation: Annotated[int, typer.Argument(help="the organisation's id")],
    by: By,
    email: Email = None,
    language: Language = None,
    reminders: Reminders = None,
) -> None:
    """Set where an organisation's mail goes, and in which language."""
    change = _change(OrganisationContact, email=email, language=language, reminders=reminders)
    done = as_person(
        by,
        lambda s, uow, actor: s.contacts.organisation(uow, actor, organisation, change),
    )
    out.print_json(data=done.model_dump())


@contacts_app.command("user")
def contacts_user(
    user: Annotated[int, typer.Argument(help="the user's id")],
    by: By,
    email: Email = None,
    language: Language = None,
    reminders: Reminders = None,
    digest: Annotated[bool | None, typer.Option("--digest/--no-digest")] = None,
) -> None:
    """Set a person's address, language, daily digest and reminders."""
    change = _change(PersonMail, email=email, language=language, reminders=reminders, digest=digest)

    done = as_person(by, lambda s, uow, actor: s.contacts.person(uow, actor, user, change))
    out.print_json(data=done.model_dump())


def _change(model: type[Change], **given: object) -> Change:
    """Only the options given, so a field left out stays as it is (`--email ""` removes one)."""
    fields = {k: (None if v == "" else v) for k, v in given.items() if v is not None}
    try:
        return model.model_validate(fields)
    except ValidationError as wrong:
        for error in wrong.errors(include_url=False):
            err.print(f"[red]--{'.'.join(str(p) for p in error['loc'])}: {error['msg']}[/red]")
        raise typer.Exit(2) from None
