"""A whole programme as it stood on a date, rebuilt from the audit events alone."""

from __future__ import annotations

import datetime as dt
import json
from itertools import groupby

from services.cases.views import CaseViews
from services.exports import csv_text
from services.policy import require
from services.programmes import ProgrammeRegistry
from services.schemas import CasePublic
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.read_model import fold

CSV_FIELDS = [
    "reference",
    "title",
    "organisation_id",
    "state",
    "version",
    "currency",
    "granted_amount",
    "disbursed_amount",
    "eligible_spent",
    "to_repay",
    "repaid_amount",
    "as_of",
    # Added in 0.2, after the columns clients already read.
    "registry_number",
]


def snapshot(
    uow: UnitOfWork,
    programmes: ProgrammeRegistry,
    views: CaseViews,
    actor: Actor,
    programme: str,
    at: dt.datetime,
) -> list[CasePublic]:
    """Every case of `programme` as it stood at `at`, folded from its events as `as_of` is."""
    require(actor, Action.audit_snapshot)
    rows = uow.audit.changes_in_programme(programmes.id_of(programme), at)
    return [
        views.folded(case_id, programme, {**fold(json.loads(p) for _, p in events), "as_of": at})
        for case_id, events in groupby(rows, key=lambda row: row[0])
    ]


def snapshot_csv(rows: list[CasePublic]) -> str:
    return csv_text(CSV_FIELDS, (r.model_dump(mode="json") for r in rows))
