"""Queries on deadline extensions and on the deadlines an extension moves."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from services.storage.keeping import Deadline, DeadlineExtension
from services.storage.models import Case
from workflow.statuses import DeadlineStatus


class ExtensionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, extension: DeadlineExtension) -> None:
        self.session.add(extension)
        self.session.flush()

    def holding(
        self,
        programme_id: int,
        kinds: Collection[str],
        call_code: str | None,
        case_id: int | None = None,
    ) -> DeadlineExtension | None:
        """The extension that holds for a case (its own first, then its round's), or for a
        round when `case_id` is None."""
        where = and_(
            col(DeadlineExtension.case_id).is_(None), col(DeadlineExtension.call_code) == call_code
        )
        if case_id is not None:
            where = or_(col(DeadlineExtension.case_id) == case_id, where)
        query = (
            select(DeadlineExtension)
            .where(
                DeadlineExtension.programme_id == programme_id,
                col(DeadlineExtension.kind).in_(kinds),
                where,
            )
            .order_by(col(DeadlineExtension.case_id).is_(None), col(DeadlineExtension.id).desc())
        )
        return self.session.exec(query.limit(1)).first()

    def of_rounds(self, programme_id: int, kinds: Collection[str]) -> dict[str, DeadlineExtension]:
        """The latest round-wide extension of each call of a programme."""
        query = (
            select(DeadlineExtension)
            .where(
                DeadlineExtension.programme_id == programme_id,
                col(DeadlineExtension.kind).in_(kinds),
                col(DeadlineExtension.case_id).is_(None),
                col(DeadlineExtension.call_code).is_not(None),
            )
            .order_by(col(DeadlineExtension.id))
        )
        return {e.call_code: e for e in self.session.exec(query).all() if e.call_code}

    def of_programme(self, programme_id: int) -> list[DeadlineExtension]:
        query = select(DeadlineExtension).where(DeadlineExtension.programme_id == programme_id)
        return list(self.session.exec(query.order_by(col(DeadlineExtension.id))).all())

    def deadlines(
        self,
        programme_id: int,
        kinds: Collection[str],
        call_code: str | None,
        case_id: int | None,
        status: DeadlineStatus,
    ) -> list[Deadline]:
        """The deadlines of these kinds for one case, or for a round (its own and its cases'),
        in this status; pending ones locked, so a scheduler cannot fire one as it moves."""
        query = select(Deadline).where(col(Deadline.kind).in_(kinds), Deadline.status == status)
        if case_id is not None:
            query = query.where(Deadline.case_id == case_id)
        else:
            in_round = select(Case.id).where(
                Case.programme_id == programme_id, Case.call_code == call_code
            )
            query = query.where(
                or_(
                    col(Deadline.case_id).in_(in_round),
                    and_(
                        col(Deadline.case_id).is_(None),
                        col(Deadline.programme_id) == programme_id,
                        col(Deadline.call_code) == call_code,
                    ),
                )
            )
        if status == DeadlineStatus.pending:
            query = query.with_for_update(key_share=True)
        return list(self.session.exec(query.order_by(col(Deadline.id))).all())
