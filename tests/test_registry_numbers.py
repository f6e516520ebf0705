"""Registry numbers (diarienummer, OSL 5 kap.): every case and every document in or out is
registered in its programme's series and year, without gaps, in the transaction that registers it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from config.settings import Settings
from services.api.app import create_app
from services.registry import Registrar
from services.schemas import NewCase
from services.storage.migrate import upgrade
from tests.conftest import POSTGRES_URL
from tests.support import Api, People, add_people
from tests.test_published_grants import granted as granted_mapping
from tests.test_published_grants import validator
from workflow.actors import Actor, Role
from workflow.clock import SettableClock
from workflow.programmes import ProgrammeError
from workflow.registry import RegistryNumber, registry_year

SFU = "sf-uppsala-nya-vagar"
STAR = "star-flere-skal-med-2017"
DELMOS = "delmos-2018"
ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "tests" / "fixtures" / "release-0.1"
PDF = {"file": ("budget.pdf", b"%PDF-1.4 budget")}


def numbers(api: Api, **filters: object) -> list[str]:
    answer = api.get("auditor", "/registry", params={"limit": 200, **filters})
    assert answer.status_code == 200, answer.text
    return [e["registry_number"] for e in answer.json()["items"]]


def granted(api: Api) -> dict:
    case = api.create_case("aarhus", STAR)
    api.move("aarhus", case["id"], "apply_implementation", requested_amount="200000")
    api.move(
        "caseworker",
        case["id"],
        "propose_implementation_grant",
        amount="150000",
        period_start="2018-01-01",
        period_end="2018-12-31",
    )
    return api.move("approver", case["id"], "grant_implementation")


def test_cases_are_numbered_in_order_without_gaps_in_their_series_and_year(api: Api) -> None:
    opened = [api.create_case("knivsta", SFU, f"Ansökan {i}") for i in range(3)]
    assert [c["registry_number"] for c in opened] == [
        "SFU 2017/0001",
        "SFU 2017/0002",
        "SFU 2017/0003",
    ]
    assert numbers(api, series="SFU", year=2017) == [c["registry_number"] for c in opened]
    again = api.get("caseworker", f"/cases/{opened[1]['id']}").json()
    assert again["registry_number"] == "SFU 2017/0002"


def test_two_programmes_count_in_series_of_their_own(api: Api) -> None:
    sfu = api.create_case("knivsta", SFU)
    delmos = api.create_case("knivsta", DELMOS)
    star = api.create_case("aarhus", STAR)
    assert (sfu["registry_number"], delmos["registry_number"], star["registry_number"]) == (
        "SFU 2017/0001",
        "DELMOS 2017/0001",
        "STAR 2017/0001",
    )
    assert numbers(api, series="DELMOS") == ["DELMOS 2017/0001"]


def test_a_new_year_where_the_programme_is_starts_again_at_0001(
    api: Api, clock: SettableClock
) -> None:
    assert api.create_case("knivsta", SFU)["registry_number"] == "SFU 2017/0001"
    assert api.create_case("knivsta", SFU)["registry_number"] == "SFU 2017/0002"
    # 23:30 UTC on New Year's Eve is already 00:30 on 1 January in Stockholm.
    clock.set(dt.datetime(2017, 12, 31, 23, 30, tzinfo=dt.UTC))
    assert api.create_case("knivsta", SFU)["registry_number"] == "SFU 2018/0001"
    assert numbers(api, series="SFU", year=2017) == ["SFU 2017/0001", "SFU 2017/0002"]
    assert numbers(api, series="SFU", year=2018) == ["SFU 2018/0001"]


def test_a_refused_opening_consumes_no_number(api: Api, clock: SettableClock) -> None:
    first = api.create_case("aarhus", STAR)
    clock.set(dt.datetime(2017, 10, 31, 11, 0, tzinfo=dt.UTC))  # 12:00 in Copenhagen: closed
    late = api.post("odense", "/cases", json={"programme": STAR, "title": "For sent"})
    assert late.status_code == 409, late.text
    clock.set(dt.datetime(2017, 10, 31, 10, 59, tzinfo=dt.UTC))
    second = api.create_case("odense", STAR)
    assert (first["registry_number"], second["registry_number"]) == (
        "STAR 2017/0001",
        "STAR 2017/0002",
    )


def test_an_opening_rolled_back_after_its_number_was_drawn_gives_the_number_back(
    api: Api, app
) -> None:
    services = app.state.services
    caseworker = Actor(api.people.user_ids["caseworker"], "caseworker user", Role.caseworker)
    new = NewCase(programme=SFU, title="Aldrig", organisation_id=api.people.org_ids["knivsta"])
    with services.units.writing() as uow:
        drawn = services.opening.open(uow, caseworker, new)
        assert drawn.registry_number == "SFU 2017/0001"
        # no commit: the request failed after the number was drawn
    assert api.create_case("knivsta", SFU)["registry_number"] == "SFU 2017/0001"
    assert numbers(api, series="SFU") == ["SFU 2017/0001"]


def test_documents_in_and_out_are_numbered_within_their_case_in_order(api: Api) -> None:
    case = api.create_case("aarhus", STAR)
    other = api.create_case("odense", STAR)
    budget = api.post(
        "aarhus", f"/cases/{case['id']}/attachments", data={"kind": "budget"}, files=PDF
    )
    assert budget.status_code == 201, budget.text
    assert budget.json()["registry_number"] == "STAR 2017/0001-1"
    form = api.post(
        "odense", f"/cases/{other['id']}/attachments", data={"kind": "application_form"}, files=PDF
    )
    assert form.json()["registry_number"] == "STAR 2017/0002-1"
    api.move("aarhus", case["id"], "apply_implementation", requested_amount="200000")
    api.move("caseworker", case["id"], "reject", reason="Utanför ramen")
    register = api.get("caseworker", "/registry", params={"case_id": case["id"]}).json()["items"]
    assert [(e["registry_number"], e["direction"], e["kind"]) for e in register] == [
        ("STAR 2017/0001", "in", "case"),
        ("STAR 2017/0001-1", "in", "budget"),
        ("STAR 2017/0001-2", "out", "refusal"),
    ]
    assert numbers(api, direction="out") == ["STAR 2017/0001-2"]


def test_a_confirmed_grant_decision_is_registered_out_with_the_decision(api: Api) -> None:
    case = granted(api)
    register = api.get("caseworker", "/registry", params={"case_id": case["id"]}).json()["items"]
    out = register[-1]
    assert (out["registry_number"], out["direction"], out["kind"]) == (
        "STAR 2017/0001-1",
        "out",
        "grant_decision",
    )
    assert out["decision_id"] is not None
    # A proposal is not sent to anyone: only the confirmed decision is registered.
    assert len(register) == 2


def test_the_audit_event_carries_the_registry_number(api: Api) -> None:
    case = api.create_case("knivsta", SFU)
    api.post("knivsta", f"/cases/{case['id']}/attachments", data={"kind": "budget"}, files=PDF)
    history = api.history("auditor", case["id"])
    assert history[0]["kind"] == "created"
    assert history[0]["details"]["registry_number"] == "SFU 2017/0001"
    assert history[1]["details"]["registry_number"] == "SFU 2017/0001-1"
    assert api.get("auditor", "/audit/verify").json()["ok"] is True
    # The case as its events rebuild it has the number too.
    as_of = api.get("auditor", f"/cases/{case['id']}", params={"as_of": "2017-10-03"}).json()
    assert as_of["registry_number"] == "SFU 2017/0001"


def test_the_registry_is_for_staff_and_pages_like_other_lists(api: Api) -> None:
    for i in range(3):
        api.create_case("knivsta", SFU, f"Ansökan {i}")
    assert api.get("knivsta", "/registry").status_code == 403
    first = api.get("approver", "/registry", params={"limit": 2}).json()
    assert [e["registry_number"] for e in first["items"]] == ["SFU 2017/0001", "SFU 2017/0002"]
    rest = api.client.get(first["next"], headers=api.headers("approver")).json()
    assert [e["registry_number"] for e in rest["items"]] == ["SFU 2017/0003"]
    assert rest["next"] is None
    bad = api.get("auditor", "/registry", params={"year": "last"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_a_registry_number_reads_back_as_written() -> None:
    number = RegistryNumber("SFU", 2026, 123)
    assert str(number) == "SFU 2026/0123"
    assert str(number.of_document(2)) == "SFU 2026/0123-2"
    assert str(RegistryNumber("SFU", 2026, 12345)) == "SFU 2026/12345"
    assert RegistryNumber.parse("SFU 2026/0123-2") == number.of_document(2)
    assert RegistryNumber.parse("nothing") is None
    eve = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)
    assert registry_year(eve, ZoneInfo("Europe/Stockholm")) == 2026
    assert registry_year(eve, ZoneInfo("UTC")) == 2025


@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite takes one writer at a time by construction")
def test_concurrent_openings_on_postgresql_get_distinct_consecutive_numbers(
    live_server: str, app
) -> None:
    people: People = add_people(app.state.services.units, app.state.services.clock)
    count = 8
    barrier = threading.Barrier(count)
    answers: list[httpx.Response | None] = [None] * count

    def open_one(i: int) -> None:
        with httpx.Client(base_url=live_server, timeout=60) as client:
            barrier.wait()
            answers[i] = client.post(
                "/cases",
                json={"programme": SFU, "title": f"Samtidig {i}"},
                headers={"Authorization": f"Bearer {people.tokens['knivsta']}"},
            )

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a is not None and a.status_code == 201 for a in answers), answers
    got = sorted(a.json()["registry_number"] for a in answers if a is not None)
    assert got == [f"SFU 2017/{n:04d}" for n in range(1, count + 1)]


def test_the_registrar_draws_nothing_for_a_case_without_a_number(app) -> None:
    """Cases written straight to the tables (generated benchmark data) have no number; their
    files are stored unnumbered rather than refused."""
    from services.storage.models import Case

    registrar: Registrar = app.state.services.registrar
    with app.state.services.units.writing() as uow:
        assert registrar.number_document(uow, Case(registry_number=None)) is None


def test_an_upgraded_database_numbers_what_it_had_in_order_of_creation_and_goes_on(
    tmp_path: Path,
) -> None:
    """Release 0.1's database (tests/fixtures/release-0.1/) after migration 0017: each case in
    its series and the year it was opened, its decisions out in the order they were sent; a new
    case takes the next number."""
    path = tmp_path / "grantflow.db"
    shutil.copyfile(RELEASE / "grantflow.db", path)
    upgrade(f"sqlite:///{path}")
    settings = Settings(
        environment="test", database_url=f"sqlite:///{path}", data_dir=tmp_path, run_scheduler=False
    )
    clock = SettableClock(dt.datetime(2020, 10, 1, 8, 0, tzinfo=dt.UTC))
    with TestClient(create_app(settings, clock)) as client:
        staff = {"Authorization": "Bearer demo-caseworker"}
        listed = client.get("/registry", params={"series": "SFU"}, headers=staff).json()["items"]
        assert [(e["registry_number"], e["direction"], e["kind"]) for e in listed] == [
            ("SFU 2020/0001", "in", "case"),
            ("SFU 2020/0001-1", "out", "grant_decision"),
            ("SFU 2020/0001-2", "out", "repayment_claim"),
            ("SFU 2026/0001", "in", "case"),
        ]
        star = client.get("/registry", params={"series": "STAR", "year": 2017}, headers=staff)
        cases = [e for e in star.json()["items"] if e["kind"] == "case"]
        assert [e["registry_number"] for e in cases] == [
            "STAR 2017/0001",
            "STAR 2017/0002",
            "STAR 2017/0003",
        ]
        assert [e["case_id"] for e in cases] == sorted(e["case_id"] for e in cases)
        one = client.get(f"/cases/{listed[0]['case_id']}", headers=staff).json()
        assert one["registry_number"] == "SFU 2020/0001"
        new = client.post(
            "/cases",
            json={"programme": SFU, "title": "Efter uppgraderingen", "organisation_id": 1},
            headers=staff,
        )
        assert new.status_code == 201, new.text
        assert new.json()["registry_number"] == "SFU 2020/0002"


def signed_in(api: Api, who: str) -> None:
    """A browser session for `who` on the test client."""
    api.client.cookies.clear()
    api.client.get("/ui/signin")
    api.client.post(
        "/ui/signin",
        data={"token": api.people.tokens[who], "csrf": api.client.cookies.get("gf_login_csrf")},
        follow_redirects=False,
    )
    assert api.client.cookies.get("gf_session"), who


def test_the_case_page_heads_with_the_number_and_lists_its_register_and_the_inbox_shows_it(
    api: Api,
) -> None:
    case = api.create_case("knivsta", SFU, "Nya vägar")
    api.post("knivsta", f"/cases/{case['id']}/attachments", data={"kind": "budget"}, files=PDF)
    signed_in(api, "caseworker")
    page = api.client.get(f"/ui/cases/{case['id']}", params={"lang": "sv"})
    assert page.status_code == 200
    heading = page.text.split("<h1>")[1].split("</h1>")[0]
    assert "SFU 2017/0001" in heading
    register = page.text.split('id="register"')[1].split("</section>")[0]
    assert "Diarieförda handlingar" in register
    assert 'data-registry-number="SFU 2017/0001"' in register
    assert 'data-registry-number="SFU 2017/0001-1"' in register
    assert "Budget" in register and "budget.pdf" in register and "Inkommen" in register
    assert "2017-10-02 10:00" in register  # registered at 08:00 UTC, shown in Stockholm time
    inbox = api.client.get("/ui/inbox")
    assert inbox.status_code == 200 and "SFU 2017/0001" in inbox.text


def test_the_command_line_lists_the_registry(api: Api, database_url: str, tmp_path: Path) -> None:
    case = api.create_case("knivsta", SFU, "Nya vägar")
    api.post("knivsta", f"/cases/{case['id']}/attachments", data={"kind": "budget"}, files=PDF)
    api.create_case("knivsta", DELMOS)
    env = {
        **os.environ,
        "GRANTFLOW_DATABASE_URL": database_url,
        "GRANTFLOW_DATA_DIR": str(tmp_path),
        "COLUMNS": "200",
    }
    listed = subprocess.run(
        [sys.executable, "-m", "services.cli", "registry", "list", "--series", "SFU"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert "SFU 2017/0001 " in listed.stdout and "SFU 2017/0001-1" in listed.stdout
    assert "budget.pdf" in listed.stdout and "DELMOS" not in listed.stdout


def test_the_published_grants_name_the_case_and_the_decision_by_their_registry_numbers(
    api: Api,
) -> None:
    granted_mapping(api, "knivsta", "delmos-2018")
    package = api.client.get("/grants.json").json()
    problems = [e.message for e in validator().iter_errors(package)]
    assert problems == []  # still 360Giving 1.4: the standard admits fields of one's own
    (grant,) = package["grants"]
    assert grant["additional_data"] == {
        "registryNumber": "DELMOS 2017/0001",
        "decisionRegistryNumber": "DELMOS 2017/0001-1",
    }
    rows = list(csv.DictReader(io.StringIO(api.client.get("/grants.csv").text)))
    assert [(r["registry_number"], r["decision_registry_number"]) for r in rows] == [
        ("DELMOS 2017/0001", "DELMOS 2017/0001-1")
    ]


def test_a_programme_file_names_its_series_and_a_malformed_one_is_refused_by_key(app) -> None:
    catalogue = app.state.services.catalogue
    assert {code: pf.programme.series for code, pf in catalogue.programmes.items()} == {
        DELMOS: "DELMOS",
        "dua-2021": "DUA",
        "finsam-falun-2018": "FINSAM",
        SFU: "SFU",
        STAR: "STAR",
    }
    source = (ROOT / "config" / "programmes" / "dua-2021.toml").read_text(encoding="utf-8")
    wrong = source.replace('registry_series = "DUA"', 'registry_series = "dua 21/"')
    with pytest.raises(ProgrammeError) as refused:
        catalogue.parse(Path("dua-2021.toml"), wrong.encode())
    assert any(p.startswith("registry_series") for p in refused.value.problems), refused.value
    # A version kept from before the key existed still loads, numbering in its reference_prefix.
    older = source.replace('registry_series = "DUA"\n', "")
    assert catalogue.parse(Path("dua-2021.toml"), older.encode()).programme.series == "DUA-21"
