"""Taking access away works at once, everywhere: a revoked token opens neither the API nor the
browser session it signed in; a disabled user's neither; sessions end when idle; production
refuses the demo's well-known tokens and a missing secret."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from services.access import token_digest
from services.api.app import create_app
from services.demo import USERS
from tests.support import Api
from workflow.clock import SettableClock


def sign_in(client: TestClient, token: str) -> None:
    form = client.get("/ui/signin")
    assert form.status_code == 200
    csrf = client.cookies.get("gf_login_csrf")
    signed = client.post(
        "/ui/signin",
        data={"token": token, "csrf": csrf, "next": "/ui/inbox"},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/ui/inbox"


def token_id(app, token: str) -> int:
    from services.access import token_digest

    with app.state.services.units.reading() as uow:
        found = uow.people.holder_of_token(token_digest(token))
        assert found is not None
        return int(found[1].id)


def run_cli(
    database_url: str, data_dir: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "GRANTFLOW_DATABASE_URL": database_url,
            "GRANTFLOW_DATA_DIR": str(data_dir),
            **env,
        },
    )


def test_a_revoked_token_opens_neither_the_api_nor_the_session_it_signed_in(
    api: Api, app, database_url: str, tmp_path: Path
) -> None:
    token = api.people.tokens["caseworker"]
    sign_in(api.client, token)
    assert api.client.get("/ui/inbox", follow_redirects=False).status_code == 200

    revoked = run_cli(database_url, tmp_path, "tokens", "revoke", str(token_id(app, token)))
    assert revoked.returncode == 0, revoked.stderr

    assert api.get("caseworker", "/cases").status_code == 401
    page = api.client.get("/ui/inbox", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/ui/signin")
    [event] = api.get("auditor", "/audit/events", params={"transition": "token_revoked"}).json()[
        "items"
    ]
    assert event["actor_name"] == "grantflow command line"


def test_a_token_for_an_integration_expires_and_then_opens_neither_the_api_nor_its_session(
    api: Api, app, clock: SettableClock, database_url: str, tmp_path: Path
) -> None:
    made = run_cli(
        database_url, tmp_path, "tokens", "create", "caseworker user",
        "--label", "ekonomisystemet", "--expires-in-days", "30",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert "expires" in made.stderr
    # The command runs on the real clock; the service here on the test's: set it to that day.
    with app.state.services.units.reading() as uow:
        found = uow.people.holder_of_token(token_digest(token))
        assert found is not None and found[1].expires_at is not None
        expires_at = found[1].expires_at
    clock.set(expires_at - dt.timedelta(minutes=5))
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/cases", headers=headers).status_code == 200
    sign_in(api.client, token)
    clock.set(expires_at + dt.timedelta(seconds=1))
    refused = api.client.get("/cases", headers=headers)
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]
    page = api.client.get("/ui/inbox", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/ui/signin")


def test_a_failed_token_sign_in_is_on_the_record_with_its_source(api: Api) -> None:
    api.client.get("/ui/signin")
    csrf = api.client.cookies.get("gf_login_csrf")
    api.client.post("/ui/signin", data={"token": "guess", "csrf": csrf}, follow_redirects=False)
    found = api.get(
        "auditor", "/audit/events", params={"transition": "sign_in", "kind": "refusal"}
    ).json()["items"]
    assert len(found) == 1 and found[0]["details"]["source"] == "testclient"
    assert found[0]["details"]["method"] == "token"


def test_an_administrator_disables_a_user_and_revokes_a_token_over_the_api(api: Api, app) -> None:
    heby = api.people.user_ids["heby"]
    assert api.post("caseworker", f"/admin/users/{heby}/disable").status_code == 403
    assert api.post("admin", f"/admin/users/{heby}/disable").status_code == 204
    assert api.get("heby", "/cases").status_code == 401
    knivsta = token_id(app, api.people.tokens["knivsta"])
    assert api.post("admin", f"/admin/tokens/{knivsta}/revoke").status_code == 204
    assert api.get("knivsta", "/cases").status_code == 401
    assert api.post("admin", "/admin/tokens/999999/revoke").status_code == 404
    done = api.get("auditor", "/audit/events", params={"kind": "fact"}).json()["items"]
    assert {"user_disabled", "token_revoked"} <= {e["transition"] for e in done}


def test_a_session_ends_after_its_idle_time_and_its_cookie_is_secure_behind_https(
    api: Api, app, clock: SettableClock, settings
) -> None:
    sign_in(api.client, api.people.tokens["caseworker"])
    clock.advance(dt.timedelta(minutes=20))
    assert api.client.get("/ui/inbox", follow_redirects=False).status_code == 200
    clock.advance(dt.timedelta(minutes=20))  # 20 minutes after the last request: still on
    assert api.client.get("/ui/inbox", follow_redirects=False).status_code == 200
    clock.advance(dt.timedelta(minutes=31))
    assert api.client.get("/ui/inbox", follow_redirects=False).status_code == 303

    behind = create_app(settings.model_copy(update={"behind_https": True}), clock)
    with TestClient(behind) as client:
        client.get("/ui/signin")
        signed = client.post(
            "/ui/signin",
            data={
                "token": api.people.tokens["caseworker"],
                "csrf": client.cookies.get("gf_login_csrf"),
            },
            follow_redirects=False,
        )
        cookie = signed.headers["set-cookie"]
        assert "gf_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_production_refuses_demo_tokens_and_starts_only_with_a_real_signing_key(
    app, database_url: str, tmp_path: Path, settings, clock: SettableClock
) -> None:
    from services.demo import load_demo

    load_demo(database_url, app.state.services.catalogue, tmp_path)
    demo = {"Authorization": f"Bearer {USERS[0].token}"}
    with TestClient(app) as client:
        assert client.get("/cases", headers=demo).status_code == 200  # outside production
    key = "3q2+78r+/ty6vb6+3q2+78r+/ty6vb6+3q2+78r+/tw="
    production = settings.model_copy(
        update={"environment": "production", "allow_demo_data": False}
    ).model_copy(update={"audit_signing_key": SecretStr(key)})
    with TestClient(create_app(production, clock)) as client:
        refused = client.get("/cases", headers=demo)
        assert refused.status_code == 401 and refused.headers["www-authenticate"]

    started = run_cli(
        database_url,
        tmp_path,
        "deadlines",
        "status",
        GRANTFLOW_ENVIRONMENT="production",
        GRANTFLOW_ALLOW_DEMO_DATA="false",
    )
    assert started.returncode == 2
    assert "GRANTFLOW_AUDIT_SIGNING_KEY is required in production" in started.stderr
    assert "Traceback" not in started.stderr
