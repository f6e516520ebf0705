"""The services, built once per process from the settings: what entry points take them from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings
from services.allocation import Allocations
from services.amendments import Amendments
from services.cases.attachments import CONTENT_TYPES, MAX_ATTACHMENT_BYTES, Attachments
from services.cases.checklists import Checklists
from services.cases.opening import CaseOpening
from services.cases.partners import Partners
from services.cases.reading import CaseReading
from services.cases.tranches import TranchePayments
from services.cases.transitions import CaseTransitions
from services.cases.views import CaseViews
from services.deadlines.extensions import DeadlineExtensions
from services.deadlines.listing import DeadlineListing
from services.incidents import Incidents
from services.mail.composing import Composer
from services.mail.contacts import Contacts
from services.mail.outbox import Outbox
from services.mail.queueing import Notices
from services.privacy.erasure import Erasures
from services.privacy.holds import LegalHolds
from services.programme_changes import ProgrammeChanges
from services.programmes import ProgrammeRegistry
from services.registry import Registrar
from services.storage.db import Database, Limits
from services.storage.unit_of_work import UnitsOfWork
from workflow.catalogue import Catalogue
from workflow.clock import Clock


@dataclass(frozen=True)
class Services:
    """Each service is small and takes only what it needs; an entry point picks the one it calls."""

    units: UnitsOfWork
    catalogue: Catalogue
    clock: Clock
    programmes: ProgrammeRegistry
    views: CaseViews
    reading: CaseReading
    opening: CaseOpening
    transitions: CaseTransitions
    attachments: Attachments
    partners: Partners
    tranches: TranchePayments
    allocations: Allocations
    deadlines: DeadlineListing
    incidents: Incidents
    extensions: DeadlineExtensions
    changes: ProgrammeChanges
    notices: Notices
    outbox: Outbox
    contacts: Contacts
    erasures: Erasures
    amendments: Amendments
    holds: LegalHolds
    registrar: Registrar
    checklists: Checklists


@dataclass(frozen=True)
class MailOptions:
    """What mail needs to know when it is written: where the pages are, and the local time."""

    public_url: str = "http://127.0.0.1:8000"
    time_zone: str = "Europe/Stockholm"
    language: str = "sv"  # a person's who has not chosen one


def mail_options_of(settings: Settings) -> MailOptions:
    return MailOptions(settings.public_url, settings.mail_time_zone, settings.mail_language)


def upload_limits_of(settings: Settings) -> tuple[int, frozenset[str]]:
    return (
        int(settings.attachment_max_mb * 1024 * 1024),
        frozenset(f".{kind.lower().lstrip('.')}" for kind in settings.attachment_types),
    )


def limits_of(settings: Settings) -> Limits:
    return Limits(
        connect_seconds=settings.database_connect_timeout_seconds,
        statement_seconds=settings.database_statement_timeout_seconds,
        ping_after_idle_seconds=settings.database_ping_after_idle_seconds,
        pool_seconds=settings.database_wait_seconds,
    )


def build_services(
    database_url: str,
    catalogue: Catalogue,
    clock: Clock,
    data_dir: Path,
    limits: Limits | None = None,
    upload_limits: tuple[int, frozenset[str]] = (MAX_ATTACHMENT_BYTES, frozenset(CONTENT_TYPES)),
    mail: MailOptions = MailOptions(),
    assurance: Mapping[str, Sequence[str]] | None = None,
) -> Services:
    units = UnitsOfWork(Database(database_url, limits=limits))
    programmes = ProgrammeRegistry(catalogue, clock)
    views = CaseViews(programmes)
    notices = Notices(
        catalogue, programmes, Composer(mail.time_zone), mail.public_url, mail.language
    )
    registrar = Registrar(catalogue.registry)
    transitions = CaseTransitions(
        catalogue, clock, programmes, views, notices, assurance, registrar=registrar
    )
    return Services(
        units=units,
        catalogue=catalogue,
        clock=clock,
        programmes=programmes,
        views=views,
        reading=CaseReading(programmes, views),
        opening=CaseOpening(catalogue, clock, programmes, views, registrar),
        transitions=transitions,
        attachments=Attachments(clock, data_dir, *upload_limits, registrar=registrar),
        partners=Partners(clock, views),
        tranches=TranchePayments(clock, programmes),
        allocations=Allocations(catalogue, clock, programmes, transitions),
        deadlines=DeadlineListing(programmes),
        incidents=Incidents(clock, Outbox(clock)),
        extensions=DeadlineExtensions(clock, programmes),
        changes=ProgrammeChanges(catalogue, programmes, clock),
        notices=notices,
        outbox=Outbox(clock),
        contacts=Contacts(clock),
        erasures=Erasures(clock),
        amendments=Amendments(clock, programmes),
        holds=LegalHolds(clock),
        registrar=registrar,
        checklists=Checklists(clock, programmes, catalogue.lifecycle),
    )
