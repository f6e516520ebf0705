"""What a penetration test tries, answered: no 5xx from odd input, nothing a spreadsheet runs,
file names that cannot climb folders, and the headers a browser needs to keep pages safe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.settings import Settings
from services.access import add_user, create_token
from tests.support import Api
from workflow.actors import Role

FORMULA = '=HYPERLINK("http://example.org","Klicka här")'


def test_a_version_or_number_in_other_digits_is_refused_not_a_500(api: Api) -> None:
    case = api.create_case("knivsta", "delmos-2018")
    response = api.fire("caseworker", case["id"], "invite", headers={"If-Match": '"²"'.encode()})
    assert response.status_code == 412
    assert api.get("caseworker", "/cases", params={"organisation_id": "٣"}).status_code == 422


def test_the_pages_take_odd_numbers_as_nothing(api: Api, app) -> None:
    from fastapi.testclient import TestClient

    client: TestClient = api.client  # type: ignore[assignment]
    signin = client.get("/ui/signin")
    csrf = signin.cookies.get("gf_login_csrf") or client.cookies.get("gf_login_csrf")
    client.post(
        "/ui/signin",
        data={"token": api.people.tokens["caseworker"], "csrf": csrf, "next": "/ui/inbox"},
    )
    assert client.get("/ui/inbox", params={"organisation": "²", "cursor": ""}).status_code == 200
    assert client.get("/ui/cases/99999999999999999999").status_code == 404
    assert client.get("/ui/cases/99999999999999999999/history").status_code == 404


@pytest.mark.parametrize(
    ("path", "field"), [("/audit/events", "since"), ("/deadlines", "due_before")]
)
def test_a_time_at_the_edge_of_the_calendar_is_a_422(api: Api, path: str, field: str) -> None:
    response = api.get("auditor", path, params={field: "9999-12-31T23:59:59-23:59"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_an_attachment_keeps_its_name_in_any_script_and_never_a_folder(api: Api) -> None:
    case = api.create_case("knivsta", "delmos-2018")
    for sent, kept in [
        ("Ansökan – Östhammar, ärende 7.pdf", "Ansökan – Östhammar, ärende 7.pdf"),
        ("..\\..\\evil.txt", "evil.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
    ]:
        uploaded = api.post(
            "knivsta",
            f"/cases/{case['id']}/attachments",
            files={"file": (sent, b"content of " + sent.encode())},
            data={"kind": "other"},
        )
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["filename"] == kept
        download = api.get("caseworker", f"/cases/{case['id']}/attachments/{uploaded.json()['id']}")
        assert download.status_code == 200
        assert download.content == b"content of " + sent.encode()
        assert "filename*=UTF-8''" in download.headers["content-disposition"]


def test_a_401_names_the_scheme_it_wants(api: Api) -> None:
    response = api.client.get("/cases")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_formula_in_a_name_is_text_in_every_csv_export(api: Api, app, clock) -> None:
    org = api.post(
        "caseworker",
        "/organisations",
        json={"name": FORMULA, "kind": "municipality", "country": "SE", "org_number": "-1+1"},
    ).json()
    services = app.state.services
    with services.units.writing() as uow:
        user = add_user(uow, services.clock, "formula applicant", Role.applicant, org["id"])
        api.people.tokens["formula"] = create_token(uow, services.clock, user)
        uow.commit()
    case = api.create_case("formula", "sf-uppsala-nya-vagar", FORMULA)
    api.move("formula", case["id"], "apply_implementation", requested_amount="100000")
    decision = {"amount": "100000", "period_start": "2018-01-01", "period_end": "2018-12-31"}
    api.move("caseworker", case["id"], "propose_implementation_grant", **decision)
    api.move("approver", case["id"], "grant_implementation")
    exports = [
        api.client.get("/grants.csv").text,
        api.get("auditor", "/audit/events", params={"format": "csv"}).text,
        api.get(
            "auditor",
            "/programmes/sf-uppsala-nya-vagar/snapshot",
            params={"as_of": "2030-01-01", "format": "csv"},
        ).text,
        page_export(api, "/ui/programmes/sf-uppsala-nya-vagar/cases.csv"),
    ]
    for text in exports[:1] + exports[2:]:
        assert "'=HYPERLINK" in text, text
    for text in exports:
        cells = [cell for line in text.splitlines() for cell in line.split(",")]
        assert not any(c.lstrip('"').startswith(("=", "+", "@")) for c in cells), text
    assert "'-1+1" in exports[0], "an organisation number that is no number is text too"
    assert ",-100000.00," not in exports[0]


def page_export(api: Api, path: str) -> str:
    """A CSV the pages offer, as a signed-in caseworker downloads it."""
    api.client.cookies.clear()
    api.client.get("/ui/signin")
    csrf = api.client.cookies.get("gf_login_csrf")
    api.client.post("/ui/signin", data={"token": api.people.tokens["caseworker"], "csrf": csrf})
    text = api.client.get(path).text
    api.client.cookies.clear()
    return text


def test_every_answer_carries_the_security_headers_and_docs_need_no_internet(api: Api) -> None:
    for path in ["/ui/signin", "/cases", "/health", "/docs", "/openapi.json", "/static/style.css"]:
        headers = api.get("caseworker", path).headers
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
    docs = api.client.get("/docs").text
    assert "cdn" not in docs.lower() and "<script>" not in docs
    for asset in [
        "/static/docs/swagger-ui-bundle.js",
        "/static/docs/swagger-ui.css",
        "/static/docs-init.js",
    ]:
        assert api.client.get(asset).status_code == 200, asset


def test_a_malformed_signing_key_is_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="32 random bytes in base64"):
        Settings(audit_signing_key="not base64 at all", data_dir=tmp_path)
    env = {
        **os.environ,
        "GRANTFLOW_AUDIT_SIGNING_KEY": "c2hvcnQ=",
        "GRANTFLOW_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "audit", "verify"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "GRANTFLOW_AUDIT_SIGNING_KEY must be 32 random bytes" in result.stderr
    assert "Traceback" not in result.stderr


def test_uploads_are_held_to_the_agency_s_own_size_and_kinds(settings, clock) -> None:
    from fastapi.testclient import TestClient

    from services.api.app import create_app
    from tests.support import add_people

    limited = settings.model_copy(update={"attachment_max_mb": 0.001, "attachment_types": ["pdf"]})
    app = create_app(limited, clock)
    with TestClient(app) as client:
        api = Api(client, add_people(app.state.services.units, clock))
        case = api.create_case("knivsta", "delmos-2018")
        url = f"/cases/{case['id']}/attachments"
        text = api.post("knivsta", url, files={"file": ("notes.txt", b"notes")})
        assert text.status_code == 422 and "only .pdf files" in text.json()["detail"]
        large = api.post("knivsta", url, files={"file": ("big.pdf", b"%" * 2048)})
        assert large.status_code == 422 and "at most 1048 are accepted" in large.json()["detail"]
        assert api.post("knivsta", url, files={"file": ("small.pdf", b"%PDF")}).status_code == 201


def test_a_case_changed_meanwhile_is_a_409_problem_not_a_500() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sqlalchemy.orm.exc import StaleDataError

    from services.api.problems import install

    app = FastAPI()
    install(app)

    @app.post("/step")
    def step() -> None:
        raise StaleDataError("case 1 is no longer at version 3: changed elsewhere")

    response = TestClient(app, raise_server_exceptions=False).post("/step")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/case-changed"
