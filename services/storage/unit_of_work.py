"""The unit of work: one transaction, the repositories that share it, and the one place it commits.

An entry point (an API route, a page, a CLI command, one deadline firing) opens it, hands it to
the services, and commits it; services never commit. Leaving without a commit rolls back.

    with units.writing() as uow:
        result = transitions.fire(uow, actor, case_id, "invite", body)
        uow.commit()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cached_property
from types import TracebackType

from sqlmodel import Session

from services.storage.amendments import AmendmentRepository
from services.storage.attachments import AttachmentRepository
from services.storage.audit_log import AuditRepository
from services.storage.audit_rows import ChainRepository
from services.storage.bulk import BulkRepository
from services.storage.case_reads import CaseReadRepository
from services.storage.cases import CaseRepository
from services.storage.checklists import ChecklistRepository
from services.storage.claims import ClaimRepository
from services.storage.db import Database
from services.storage.deadlines import DeadlineRepository
from services.storage.extensions import ExtensionRepository
from services.storage.finances import FinanceRepository
from services.storage.idempotency import IdempotencyRepository
from services.storage.identities import IdentityRepository
from services.storage.incidents import IncidentRepository
from services.storage.keeper import KeeperRepository
from services.storage.ledger import LedgerRepository
from services.storage.lifecycle import LifecycleRepository
from services.storage.mail import MailRepository
from services.storage.migrate import check_current
from services.storage.notifications import NotificationRepository
from services.storage.organisations import OrganisationRepository
from services.storage.people import PeopleRepository
from services.storage.privacy import PersonalDataRepository, PrivacyRepository
from services.storage.programmes import ProgrammeRepository
from services.storage.registry import RegistryRepository
from services.storage.tranches import TrancheRepository


class UnitOfWork:
    """One transaction and its repositories; see the module's docstring for how it is used."""

    def __init__(
        self, db: Database, *, write: bool, wait_for_disk: bool = True, one_statement: bool = False
    ) -> None:
        self.db = db
        self.writes = write
        self._wait_for_disk = wait_for_disk
        self._one_statement = one_statement
        self._scope: AbstractContextManager[Session] | None = None
        self._session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self._scope = self.db.session(
            write=self.writes, wait_for_disk=self._wait_for_disk, one_statement=self._one_statement
        )
        self._session = self._scope.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        assert self._scope is not None
        self._scope.__exit__(kind, error, trace)  # rolls back whatever was not committed
        self._scope = self._session = None

    def commit(self) -> None:
        if not self.writes:
            raise RuntimeError("a reading unit of work has nothing to commit")
        self.session.commit()

    @contextmanager
    def step(self) -> Iterator[None]:
        """One step of a batch inside this unit of work (a savepoint): if it raises, what it
        did is undone and the error goes on to the caller; the other steps stand."""
        with self.session.begin_nested():
            yield

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._session

    @property
    def shared_url(self) -> str | None:
        """The database's URL where another process can open it too (not SQLite in memory)."""
        return self.db.url if self.db.shared else None

    # The repositories, made on first use: a request that reads one case builds one.

    @cached_property
    def cases(self) -> CaseRepository:
        return CaseRepository(self.session)

    @cached_property
    def case_reads(self) -> CaseReadRepository:
        return CaseReadRepository(self.session)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.session)

    @cached_property
    def chain(self) -> ChainRepository:
        return ChainRepository(self.session)

    @cached_property
    def deadlines(self) -> DeadlineRepository:
        return DeadlineRepository(self.session)

    @cached_property
    def claims(self) -> ClaimRepository:
        return ClaimRepository(self.session)

    @cached_property
    def programmes(self) -> ProgrammeRepository:
        return ProgrammeRepository(self.session)

    @cached_property
    def finances(self) -> FinanceRepository:
        return FinanceRepository(self.session)

    @cached_property
    def ledger(self) -> LedgerRepository:
        return LedgerRepository(self.session)

    @cached_property
    def attachments(self) -> AttachmentRepository:
        return AttachmentRepository(self.session)

    @cached_property
    def organisations(self) -> OrganisationRepository:
        return OrganisationRepository(self.session)

    @cached_property
    def people(self) -> PeopleRepository:
        return PeopleRepository(self.session)

    @cached_property
    def idempotency(self) -> IdempotencyRepository:
        return IdempotencyRepository(self.session)

    @cached_property
    def notifications(self) -> NotificationRepository:
        return NotificationRepository(self.session)

    @cached_property
    def keeper(self) -> KeeperRepository:
        return KeeperRepository(self.session)

    @cached_property
    def incidents(self) -> IncidentRepository:
        return IncidentRepository(self.session)

    @cached_property
    def extensions(self) -> ExtensionRepository:
        return ExtensionRepository(self.session)

    @cached_property
    def lifecycle(self) -> LifecycleRepository:
        return LifecycleRepository(self.session)

    @cached_property
    def identities(self) -> IdentityRepository:
        return IdentityRepository(self.session)

    @cached_property
    def mail(self) -> MailRepository:
        return MailRepository(self.session)

    @cached_property
    def bulk(self) -> BulkRepository:
        return BulkRepository(self.session)

    @cached_property
    def amendments(self) -> AmendmentRepository:
        return AmendmentRepository(self.session)

    @cached_property
    def privacy(self) -> PrivacyRepository:
        return PrivacyRepository(self.session)

    @cached_property
    def personal_data(self) -> PersonalDataRepository:
        return PersonalDataRepository(self.session)

    @cached_property
    def registry(self) -> RegistryRepository:
        return RegistryRepository(self.session)

    @cached_property
    def checklists(self) -> ChecklistRepository:
        return ChecklistRepository(self.session)

    @cached_property
    def tranches(self) -> TrancheRepository:
        return TrancheRepository(self.session)


class UnitsOfWork:
    """Where entry points get their units of work: one per request, command or deadline."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def writing(self, *, wait_for_disk: bool = True) -> UnitOfWork:
        return UnitOfWork(self.db, write=True, wait_for_disk=wait_for_disk)

    def reading(self, *, one_statement: bool = False) -> UnitOfWork:
        """A unit of work that only reads; `one_statement` if it sends a single statement,
        which then needs no transaction around it."""
        return UnitOfWork(self.db, write=False, one_statement=one_statement)

    @property
    def is_sqlite(self) -> bool:
        return self.db.is_sqlite

    def check_schema(self) -> None:
        """Refuse to start on a database whose schema is not at the migrations' head."""
        check_current(self.db.engine)

    def dispose(self) -> None:
        """Close every pooled connection (and with them, any per-connection tuning)."""
        self.db.dispose()
