"""Bulk data for benchmarks and load tests: many granted cases, with their events and deadlines.

Each case is what the lifecycle would have made of it: created as a draft, applied for, a grant
proposed by a caseworker and confirmed by an approver, its grant period's end pending as a
deadline. The events are chained and hashed exactly as the audit writer does (the chain verifies),
but written in bulk, because a million cases through the API would take hours.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from services.access import add_user
from services.container import Services
from services.generated_batches import ACTOR_OF, COLUMNS, Batch, BatchMaker, Staff
from services.privacy.sealing import Seals
from services.storage.models import AuditEvent, User
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Role
from workflow.clock import Clock
from workflow.personal import Personal

BATCH = 5_000


@dataclass(frozen=True)
class Generated:
    cases: int
    events: int
    deadlines: int


def generate_cases(
    services: Services,
    count: int,
    *,
    programme: str = "dua-2021",
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH,
) -> Generated:
    """Add `count` granted cases to `programme`, each with 4 events and a pending deadline.

    Grant periods end between one and three years after the clock's now, so nothing is due yet:
    a sweep over them has nothing to do, which is what an idle sweep is measured on.

    A second process encodes and hashes the next batch while this one writes the last, so
    generation must be the only writer while it runs: a batch that finds the chain moved on by
    someone else stops it. On SQLite the loaded tables' indexes that are not unique are made
    again after the load (BulkRepository.set_indexes_aside), so reads slow down while it runs.
    """
    units, clock = services.units, services.clock
    config = services.catalogue.programme(programme)
    if config is None:
        raise ValueError(f"no programme {programme!r}")
    now = clock.now()
    with units.writing() as uow:
        orgs = uow.bulk.generated_organisations(290)
        users = {r: _staff(uow, clock, Role(r), orgs[0]) for r in set(ACTOR_OF.values())}
        seals = Seals(uow, now)  # generated people's names are sealed like anyone's
        staff = {
            role: Staff(u.id or 0, seals.seal(Personal(u.id or 0, u.name)), u.role)
            for role, u in users.items()
        }
        first_id = uow.bulk.next_case_id()
        head = uow.audit.lock_head()
        uow.commit()
    maker = BatchMaker(
        programme=programme,
        programme_id=services.programmes.id_of(programme),
        currency=config.currency,
        zone=config.zone,
        time_zone=config.time_zone,
        orgs=orgs,
        staff=staff,
        sqlite=units.is_sqlite,
        rng=random.Random(seed),
        now=now,
        seq=head.seq,
        hash=head.hash,
        at=max(head.at or now, now),
    )
    sizes = [
        (first_id + start, min(batch_size, count - start)) for start in range(0, count, batch_size)
    ]
    made = events = 0
    tables = [model.__table__.name for model in COLUMNS]  # type: ignore[attr-defined]
    with units.writing() as uow:
        aside = uow.bulk.set_indexes_aside(tables)
        uow.commit()
    try:
        for batch in _made_elsewhere(maker, sizes):
            with units.writing() as uow:
                _write(uow, batch, maker.programme_id)
                uow.commit()
            made += batch.cases
            events += len(batch.rows[AuditEvent])
            if progress:
                progress(batch.cases)
    finally:  # a load that stops half way leaves its rows, and the indexes over them
        with units.writing() as uow:
            uow.bulk.make_indexes(aside)
            uow.commit()
    with units.writing() as uow:
        uow.bulk.settle(tables)
    if units.is_sqlite:  # the large cache goes with the connections that were given it
        units.dispose()
    return Generated(cases=made, events=events, deadlines=made)


def _write(uow: UnitOfWork, batch: Batch, programme_id: int) -> None:
    uow.bulk.prepare()
    head = uow.audit.lock_head()
    if head.seq != batch.after_seq:
        raise RuntimeError(
            f"the audit chain moved from {batch.after_seq} to {head.seq} while generating"
        )
    for model, rows in batch.rows.items():
        uow.bulk.insert(model.__table__.name, COLUMNS[model], rows)
    # Moved straight on: the batch's events are written already, not through the audit writer.
    uow.audit.move_head(head, batch.seq, batch.hash, batch.at)
    # The pool's committed total moves with the confirmed decisions, as it does in service.
    uow.programmes.commit_amount(programme_id, batch.committed)


def _made_elsewhere(maker: BatchMaker, sizes: list[tuple[int, int]]) -> Iterator[Batch]:
    """The batches, made in a process of their own a little ahead of the one being written.

    A process, not a thread: encoding and hashing hold the interpreter, and a thread would take
    it from the one feeding the database, which then waits on it between rows."""
    context = multiprocessing.get_context("spawn")
    made: Any = context.Queue(maxsize=2)
    process = context.Process(target=_make, args=(maker, sizes, made), daemon=True)
    process.start()
    try:
        for _ in sizes:
            while True:
                try:
                    item = made.get(timeout=1)
                    break
                except queue.Empty:
                    if not process.is_alive():
                        raise RuntimeError("the process making the batches died") from None
            if isinstance(item, str):
                raise RuntimeError(f"making the batches failed:\n{item}")
            yield item
    finally:
        process.kill()
        process.join()


def _make(maker: BatchMaker, sizes: list[tuple[int, int]], made: Any) -> None:
    try:
        for first, size in sizes:
            made.put(maker.batch(first, size))
    except Exception:
        made.put(traceback.format_exc())


def _staff(uow: UnitOfWork, clock: Clock, role: Role, organisation_id: int) -> User:
    name = f"generated {role.value}"
    applicant_org = organisation_id if role is Role.applicant else None
    return uow.people.user_named(name) or add_user(uow, clock, name, role, applicant_org)
