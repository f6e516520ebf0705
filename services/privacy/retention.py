"""The retention review: each night, the people whose data every programme's retention rule lets
go are proposed for erasure; a person approves or refuses each (services/privacy/erasure.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services import audit
from services.deadlines.firing import next_daily
from services.programmes import ProgrammeRegistry
from services.storage.keeping import Deadline
from services.storage.models import User
from services.storage.privacy import ErasureProposal
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import SYSTEM
from workflow.catalogue import Catalogue
from workflow.statuses import EventKind

REVIEW_KIND = "retention_review"
# A refused proposal is not made again for this long.
ASK_AGAIN_AFTER = dt.timedelta(days=365)


class RetentionReview:
    """A service job (services/runtime.py): proposes, never erases."""

    kind = REVIEW_KIND
    at = dt.time(3, 0)  # a quiet hour, local time

    def __init__(self, catalogue: Catalogue, programmes: ProgrammeRegistry, time_zone: str):
        self.terminal = {s.name for s in catalogue.lifecycle.states.values() if s.terminal}
        self.programmes = programmes
        self.zone = ZoneInfo(time_zone)

    def plan(self, uow: UnitOfWork, now: dt.datetime) -> None:
        if not uow.deadlines.any_pending(self.kind):
            uow.deadlines.plan_once(next_daily(self.kind, now, self.at, self.zone, "retention"))

    def fire(self, uow: UnitOfWork, deadline: Deadline, now: dt.datetime) -> str:
        proposed = self.review(uow, now)
        uow.deadlines.plan_once(next_daily(self.kind, now, self.at, self.zone, deadline.rule))
        return f"{len(proposed)} erasures proposed"

    def review(self, uow: UnitOfWork, now: dt.datetime) -> list[ErasureProposal]:
        made = []
        refused = {
            p.user_id
            for p in uow.privacy.proposals("refused")
            if p.decided_at is not None and now - p.decided_at < ASK_AGAIN_AFTER
        }
        for user in uow.personal_data.inactive_people():
            if user.id is None or user.id in refused or uow.privacy.open_proposal_of(user.id):
                continue
            grounds = self.grounds(uow, user, now)
            if grounds is None:
                continue
            proposal = ErasureProposal(
                user_id=user.id, status="proposed", grounds=grounds, proposed_at=now
            )
            uow.privacy.save(proposal)
            audit.record(
                uow,
                kind=EventKind.fact,
                actor=SYSTEM,
                now=now,
                transition="erasure_proposed",
                details={"user": user.id, "proposal": proposal.id, "grounds": grounds},
            )
            made.append(proposal)
        return made

    def grounds(self, uow: UnitOfWork, user: User, now: dt.datetime) -> str | None:
        """Why the person's data may go now, or None while any case they acted on still
        needs it: it is open, or closed for less than its programme's retention, or its
        programme has no retention rule."""
        assert user.id is not None
        cases = uow.personal_data.cases_acted_on(user.id)
        last_ends: dt.datetime | None = None
        for case in cases:
            config = self.programmes.config_of(case.programme_id)
            if case.state not in self.terminal or config is None or config.retention is None:
                return None
            ends = _years_after(case.updated_at, config.retention.years_after_closing)
            if ends > now:
                return None
            last_ends = max(ends, last_ends or ends)
        if not cases:
            return "disabled, and acted on no case"
        assert last_ends is not None
        return (
            f"disabled; the {len(cases)} cases they acted on are closed and the last "
            f"retention period ended on {last_ends:%Y-%m-%d}"
        )


def _years_after(at: dt.datetime, years: int) -> dt.datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)
