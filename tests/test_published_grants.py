"""The published grants are valid 360Giving data: checked against the standard's own schema,
kept in tests/fixtures/360giving (no network), with identifiers under the publisher's prefix."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from services.storage.models import Organisation
from tests.support import Api, tables

SCHEMAS = Path(__file__).parent / "fixtures" / "360giving"
# The package schema names the grant schema by its published address: answer it from the copy.
GRANT_SCHEMA_URL = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"


def validator() -> Draft202012Validator:
    grant = json.loads((SCHEMAS / "360-giving-schema.json").read_text(encoding="utf-8"))
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text(encoding="utf-8"))
    # Its `$schema` says http:// for the 2020-12 dialect, which is https://: name it outright.
    resource = DRAFT202012.create_resource(grant)
    registry = Registry().with_resources([(GRANT_SCHEMA_URL, resource), (grant["$id"], resource)])
    return Draft202012Validator(package, registry=registry, format_checker=rfc3339())


def rfc3339() -> FormatChecker:
    """Format checks as the standard assumes them: its dates are "a date-time, or a date" by
    `oneOf`, which only holds when a plain date fails `date-time` (jsonschema checks that
    format only with an extra package; this is RFC 3339's grammar, section 5.6)."""
    checker = FormatChecker()
    grammar = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

    @checker.checks("date-time")
    def date_time(value: object) -> bool:
        return not isinstance(value, str) or grammar.match(value) is not None

    return checker


def granted(api: Api, lead: str, programme: str, partner: str | None = None) -> None:
    case = api.create_case(lead, programme, f"Kartläggning i {lead}")
    api.move("caseworker", case["id"], "invite")
    api.move(lead, case["id"], "apply_mapping", requested_amount="400000")
    api.move(
        "caseworker", case["id"], "propose_mapping_grant",
        amount="350000.50", period_start="2018-07-01", period_end="2018-12-31",
    )  # fmt: skip
    api.move("approver", case["id"], "grant_mapping")


def test_the_published_grants_validate_against_the_360giving_schema(api: Api) -> None:
    granted(api, "knivsta", "delmos-2018")
    granted(api, "heby", "delmos-2018")
    package = api.client.get("/grants.json").json()
    problems = [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator().iter_errors(package)
    ]
    assert problems == []
    assert len(package["grants"]) == 2
    assert all(g["id"].startswith("360G-grantflow-delmos-2018-") for g in package["grants"])
    assert {g["amountAwarded"] for g in package["grants"]} == {350000.5}


def test_the_schema_copy_would_catch_a_grant_without_its_recipient(api: Api) -> None:
    granted(api, "knivsta", "delmos-2018")
    package = api.client.get("/grants.json").json()
    del package["grants"][0]["recipientOrganization"]
    assert list(validator().iter_errors(package)) != []


def test_a_recipient_with_a_registered_number_is_identified_by_its_register(api: Api, app) -> None:
    with tables(app, write=True) as session:
        knivsta = session.get(Organisation, api.people.org_ids["knivsta"])
        assert knivsta is not None
        knivsta.org_number = "212000-2965"
        session.add(knivsta)
        session.commit()
    granted(api, "knivsta", "delmos-2018")
    (grant,) = api.client.get("/grants.json").json()["grants"]
    assert grant["recipientOrganization"][0]["id"] == "SE-BLV-2120002965"
    assert grant["fundingOrganization"][0]["id"] == "360G-grantflow-FUNDER-delmos-2018"
