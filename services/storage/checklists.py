"""The answers to a case's assessment checklist (workflow/checklists.py), one per criterion."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from services.storage.models import time_column


class ChecklistAnswer(SQLModel, table=True):
    """A caseworker's current answer to one criterion of a case's checklist, with their note.
    Every answer given, earlier ones too, is an audit event (`event_seq` names the latest)."""

    __tablename__ = "checklist_answer"
    __table_args__ = (UniqueConstraint("case_id", "key", name="uq_checklist_answer"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="grant_case.id")
    key: str = Field(max_length=64, description="the criterion's key in the programme file")
    answer: str = Field(
        sa_type=Text, description="JSON: true or false, a number as a string, or a list of names"
    )
    note: str = Field(default="", sa_type=Text)
    answered_by: int | None = Field(default=None, foreign_key="app_user.id")
    answered_at: dt.datetime = time_column()
    event_seq: int | None = Field(default=None, sa_type=BigInteger)


class ChecklistRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_case(self, case_id: int) -> list[ChecklistAnswer]:
        query = select(ChecklistAnswer).where(ChecklistAnswer.case_id == case_id)
        return list(self.session.exec(query.order_by(col(ChecklistAnswer.id))).all())

    def answer(self, case_id: int, key: str) -> ChecklistAnswer | None:
        query = select(ChecklistAnswer).where(
            ChecklistAnswer.case_id == case_id, ChecklistAnswer.key == key
        )
        return self.session.exec(query).first()

    def save(self, row: ChecklistAnswer) -> ChecklistAnswer:
        self.session.add(row)
        self.session.flush()
        return row
