"""Queries on the files attached to cases (their content lives in the data folder)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from services.storage.models import Attachment


class AttachmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, attachment: Attachment) -> Attachment:
        self.session.add(attachment)
        self.session.flush()
        return attachment

    def of_case(self, case_id: int) -> list[Attachment]:
        query = select(Attachment).where(Attachment.case_id == case_id).order_by(col(Attachment.id))
        return list(self.session.exec(query).all())

    def get(self, attachment_id: int) -> Attachment | None:
        return self.session.get(Attachment, attachment_id)
