"""People hear about their case: mail from the outbox through a real SMTP server, each message
once, in the recipient's language; retried, dead, or of unknown fate when the server fails."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select

from config.settings import Settings
from services.mail.sender import MailSender
from services.runtime import sender_of
from services.storage.outbox import Mail
from tests.mail_server import MailServer, free_port, mail_server
from tests.support import Api, tables
from workflow.clock import SettableClock

KNIVSTA = "registrator@knivsta.se"
CASEWORKER = "handlaggare@forbundet.se"


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    with mail_server() as server:
        yield server


def sender(app, settings: Settings, port: int, **more: object) -> MailSender:  # type: ignore[no-untyped-def]
    smtp = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "smtp_timeout_seconds": 10,
            "mail_from": "Samordningsförbundet <noreply@grantflow.test>",
            "mail_max_attempts": 3,
            **more,
        }
    )
    return sender_of(smtp, app.state.services)


def in_reporting(api: Api) -> int:
    """A Samordningsförbundet Uppsala case whose grant period has ended: its report is due."""
    case = api.create_case("knivsta", "sf-uppsala-nya-vagar", "Nya vägar i Knivsta")
    api.move("knivsta", case["id"], "apply_implementation", requested_amount="500000")
    api.move(
        "caseworker",
        case["id"],
        "propose_implementation_grant",
        amount="500000",
        period_start="2021-01-01",
        period_end="2021-10-25",
    )
    api.move("approver", case["id"], "grant_implementation")
    api.move("caseworker", case["id"], "end_period")
    return int(case["id"])


def due(api: Api, case_id: int, kind: str) -> dt.datetime:
    found = api.get("caseworker", f"/cases/{case_id}/deadlines").json()
    return dt.datetime.fromisoformat(next(d["due_at"] for d in found if d["kind"] == kind))


def outbox(app) -> list[Mail]:  # type: ignore[no-untyped-def]
    with tables(app) as session:
        return list(session.exec(select(Mail).order_by(Mail.id)))  # type: ignore[arg-type]


def test_a_report_overdue_deadline_sends_exactly_one_swedish_mail_to_the_lead_contact(
    api: Api, app, settings: Settings, clock: SettableClock, smtp: MailServer
) -> None:
    knivsta = api.people.org_ids["knivsta"]
    answer = api.patch("admin", f"/organisations/{knivsta}/contact", json={"email": KNIVSTA})
    assert answer.status_code == 200, answer.text
    assert answer.json()["language"] is None  # a Swedish municipality: written to in Swedish
    case_id = in_reporting(api)
    mailer = sender(app, settings, smtp.port)
    mailer.send_due()
    assert [r.message["Subject"] for r in smtp.to(KNIVSTA)] == [
        f"Fatta beslut om beviljande: SFU-{case_id:05d} Nya vägar i Knivsta",
        f"Avsluta bidragsperioden: SFU-{case_id:05d} Nya vägar i Knivsta",
    ], "the grant decision and the end of the period went to the lead applicant"

    # The reminders, 14 and 3 days before, each once and each saying when the report is due.
    report_due = due(api, case_id, "final_report")
    for kind in ("report_reminder", "report_last_reminder"):
        clock.set(due(api, case_id, kind) + dt.timedelta(minutes=1))
        app.state.keeper.sweep()
        mailer.send_due()
    reminders = smtp.to(KNIVSTA)[2:]
    assert [r.message["Subject"].split(":")[0] for r in reminders] == [
        "Påminnelse om slutrapport",
        "Sista påminnelse om slutrapport",
    ]
    local_due = report_due.astimezone(dt.timezone(dt.timedelta(hours=1))).strftime("%Y-%m-%d %H:%M")
    assert all(f"Senast: {local_due}" in r.text() for r in reminders)

    before = len(smtp.received)
    clock.set(report_due + dt.timedelta(minutes=1))
    app.state.keeper.sweep()
    assert api.get("caseworker", f"/cases/{case_id}").json()["state"] == "report_overdue"
    mailer.send_due()
    mailer.send_due()  # a second pass sends nothing again
    overdue = smtp.received[before:]
    to_lead = [r for r in overdue if KNIVSTA in r.recipients]
    assert len(to_lead) == 1
    (mail,) = to_lead
    assert mail.message["Subject"] == (
        f"Markera slutrapport som försenad: SFU-{case_id:05d} Nya vägar i Knivsta"
    )
    assert mail.message["Content-Language"] == "sv"
    assert mail.sender == "noreply@grantflow.test"
    assert "Ärendet är nu: Slutrapport försenad." in mail.text()
    assert f"http://127.0.0.1:8000/ui/cases/{case_id}" in mail.text()
    assert f'href="http://127.0.0.1:8000/ui/cases/{case_id}"' in mail.html()
    row = next(
        m for m in outbox(app) if mail.message_id == f"<grantflow.mail.{m.id}@grantflow.test>"
    )
    assert (row.status, row.about, row.attempts) == ("sent", "mark_report_overdue", 1)
    # The caseworker has no address: the outbox says so rather than losing the message.
    assert {m.status for m in outbox(app) if m.user_id == api.people.user_ids["caseworker"]} == {
        "no_address"
    }


def test_a_title_cannot_inject_markup_into_the_html_mail(
    api: Api, app, settings: Settings, smtp: MailServer
) -> None:
    knivsta = api.people.org_ids["knivsta"]
    api.patch(
        "admin", f"/organisations/{knivsta}/contact", json={"email": KNIVSTA, "language": "en"}
    )
    case = api.create_case(
        "caseworker", "delmos-2018", "<script>alert(1)</script>", organisation_id=knivsta
    )
    api.move("caseworker", case["id"], "invite", note="Välkommen & lycka till")
    sender(app, settings, smtp.port).send_due()
    (mail,) = smtp.to(KNIVSTA)
    assert mail.message["Content-Language"] == "en"
    assert "<script>" not in mail.html() and "&lt;script&gt;" in mail.html()
    assert "Note: Välkommen & lycka till" in mail.text()


def mails_pending(app, count: int, to: str) -> list[int]:  # type: ignore[no-untyped-def]
    now = app.state.services.clock.now()
    with tables(app, write=True) as session:
        rows = [
            Mail(
                about="invite", category="decision", to_address=to, language="sv",
                subject=f"Meddelande {n}", text_body=f"Text {n}", html_body=f"<p>{n}</p>",
                status="pending", next_attempt_at=now, created_at=now,
            )
            for n in range(count)
        ]  # fmt: skip
        session.add_all(rows)
        session.commit()
        return [r.id for r in rows]  # type: ignore[misc]


def send_process(database_url: str, data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "GRANTFLOW_DATABASE_URL": database_url,
        "GRANTFLOW_DATA_DIR": str(data_dir),
        "GRANTFLOW_SMTP_HOST": "127.0.0.1",
        "GRANTFLOW_SMTP_PORT": str(port),
        "GRANTFLOW_SMTP_STARTTLS": "false",
        "GRANTFLOW_MAIL_FROM": "noreply@grantflow.test",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "mail", "send"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_sender_killed_mid_batch_and_restarted_sends_no_message_twice(
    api: Api, app, database_url: str, tmp_path: Path, smtp: MailServer
) -> None:
    ids = mails_pending(app, 6, KNIVSTA)
    smtp.hold_at = 3  # the third message is handed over; its reply never reaches the sender
    doomed = send_process(database_url, tmp_path, smtp.port)
    assert smtp.holding.wait(timeout=120), doomed.stderr.read() if doomed.stderr else ""
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=30)
    smtp.release.set()

    again = send_process(database_url, tmp_path, smtp.port)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "sent 3" in out and "outcome unknown 1" in out, out

    received = [r.message_id for r in smtp.received]
    assert len(received) == len(set(received)) == 6, "each message handed over exactly once"
    statuses = {m.id: m.status for m in outbox(app)}
    held = ids[2]
    assert statuses == {**{i: "sent" for i in ids}, held: "unknown"}
    incidents = api.get("admin", "/incidents").json()["items"]
    assert [(i["kind"], i["mail_id"]) for i in incidents] == [("mail", held)]

    # Only a person's word sends it again.
    again = send_process(database_url, tmp_path, smtp.port)
    assert "sent 0" in again.communicate(timeout=120)[0]
    word = api.post("admin", f"/mail/{held}/mark_sent", json={"reason": "Knivsta has it"})
    assert word.status_code == 200 and word.json()["status"] == "sent"
    assert api.get("admin", "/incidents").json()["items"] == []


def test_with_the_smtp_server_down_a_message_is_retried_then_dead_with_an_open_incident(
    api: Api, app, settings: Settings, clock: SettableClock
) -> None:
    (mail_id,) = mails_pending(app, 1, KNIVSTA)
    port = free_port()  # nothing listens there
    mailer = sender(app, settings, port)
    first = mailer.send_due()
    assert (first.retried, first.dead) == (1, 0)
    assert mailer.send_due().handled == 0, "not again before its wait is over"
    clock.advance(dt.timedelta(minutes=1))
    assert mailer.send_due().retried == 1
    clock.advance(dt.timedelta(minutes=2))
    assert mailer.send_due().dead == 1
    (row,) = [m for m in outbox(app) if m.id == mail_id]
    assert (row.status, row.attempts) == ("dead", 3)
    assert "connect 127.0.0.1" in (row.last_error or "")
    (incident,) = api.get("admin", "/incidents").json()["items"]
    assert (incident["kind"], incident["mail_id"]) == ("mail", mail_id)
    health = api.client.get("/health")
    assert health.status_code == 503, "an open incident is a service that needs a person"

    # The server is back; a person's word on the incident sends it, once.
    with mail_server() as smtp:
        retried = api.post(
            "admin", f"/incidents/{incident['id']}/retry", json={"reason": "relay fixed"}
        )
        assert retried.status_code == 200, retried.text
        assert retried.json()["status"] == "resolved"
        assert sender(app, settings, smtp.port).send_due().sent == 1
        assert [r.message_id for r in smtp.received] == [
            f"<grantflow.mail.{mail_id}@grantflow.test>"
        ]
    history = api.get("auditor", "/audit/events", params={"transition": "mail_resend"})
    assert history.status_code == 200


def test_ten_events_for_a_caseworker_on_digest_make_one_mail_the_next_morning_listing_all_ten(
    api: Api, app, settings: Settings, clock: SettableClock, smtp: MailServer
) -> None:
    clock.set(dt.datetime(2021, 3, 1, 9, 0, tzinfo=dt.UTC))
    app.state.keeper.sweep()  # what was due before (the calls of 2017 closing) is told now
    chosen = api.patch("caseworker", "/me/mail", json={"email": CASEWORKER, "digest": True})
    assert chosen.status_code == 200 and chosen.json()["digest"] is True
    titles = [f"Ansökan {n}" for n in range(10)]
    for title in titles:
        case = api.create_case("knivsta", "sf-uppsala-nya-vagar", title)
        api.move("knivsta", case["id"], "apply_implementation", requested_amount="1000")
    mailer = sender(app, settings, smtp.port)
    app.state.keeper.sweep()
    mailer.send_due()
    assert smtp.to(CASEWORKER) == [], "held for the morning"

    clock.set(dt.datetime(2021, 3, 2, 6, 1, tzinfo=dt.UTC))  # 07:01 in Stockholm
    app.state.keeper.sweep()
    mailer.send_due()
    (digest,) = smtp.to(CASEWORKER)
    assert digest.message["Subject"] == "Din dagliga sammanfattning: 10 händelser"
    text = digest.text()
    assert all("Skicka in ansökan: SFU-" in text and title in text for title in titles)
    mine = api.people.user_ids["caseworker"]
    held = {
        m.status for m in outbox(app) if m.about == "apply_implementation" and m.user_id == mine
    }
    assert held == {"digested"}

    # Decisions are not held: the lead hears of its grant at once whatever anyone chose.
    app.state.keeper.sweep()
    mailer.send_due()
    assert len(smtp.to(CASEWORKER)) == 1, "one digest a morning"


def test_reminders_can_be_turned_off_decisions_cannot(
    api: Api, app, settings: Settings, clock: SettableClock, smtp: MailServer
) -> None:
    knivsta = api.people.org_ids["knivsta"]
    api.patch(
        "knivsta", f"/organisations/{knivsta}/contact", json={"email": KNIVSTA, "reminders": False}
    )
    case_id = in_reporting(api)
    clock.set(due(api, case_id, "report_last_reminder") + dt.timedelta(minutes=1))
    app.state.keeper.sweep()
    sender(app, settings, smtp.port).send_due()
    subjects = [r.message["Subject"].split(":")[0] for r in smtp.to(KNIVSTA)]
    assert subjects == ["Fatta beslut om beviljande", "Avsluta bidragsperioden"]


def test_only_an_organisation_or_an_administrator_keeps_its_address(api: Api) -> None:
    knivsta, heby = api.people.org_ids["knivsta"], api.people.org_ids["heby"]
    assert (
        api.patch("knivsta", f"/organisations/{heby}/contact", json={"email": KNIVSTA}).status_code
        == 403
    )
    assert api.patch("caseworker", f"/organisations/{knivsta}/contact", json={}).status_code == 403
    other = api.people.user_ids["approver"]
    assert api.patch("knivsta", f"/users/{other}/mail", json={"email": KNIVSTA}).status_code == 403
    bad = api.patch("admin", f"/organisations/{knivsta}/contact", json={"email": "not an address"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert api.get("knivsta", "/me/mail").json()["email"] is None


def relay_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, signed by nobody the system trusts: an internal relay's."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "relay.key",
         "-out", "relay.pem", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        cwd=folder, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return folder / "relay.pem", folder / "relay.key"


class Accounts:
    """The relay's one account, as an aiosmtpd authenticator."""

    def __call__(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        from aiosmtpd.smtp import AuthResult

        ok = (auth_data.login, auth_data.password) == (b"grantflow", b"relay-secret")
        return AuthResult(success=ok)


def test_mail_goes_over_starttls_with_a_login_and_a_wrong_password_is_not_sent(
    api: Api, app, settings: Settings, tmp_path: Path
) -> None:
    import ssl

    cert, key = relay_certificate(tmp_path / "relay")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    relay = {"tls_context": context, "require_starttls": True, "authenticator": Accounts(),
             "auth_required": True}  # fmt: skip
    (first, second) = mails_pending(app, 2, KNIVSTA)
    with mail_server(**relay) as smtp:
        secure = {"smtp_starttls": True, "smtp_ca_file": cert, "smtp_username": "grantflow"}
        wrong = sender(app, settings, smtp.port, **secure, smtp_password=SecretStr("guess"))
        assert wrong.send_next() == "pending", "refused login: tried again later, not lost"
        assert smtp.received == []
        right = sender(app, settings, smtp.port, **secure, smtp_password=SecretStr("relay-secret"))
        assert right.send_due().sent == 1  # the other waits for its retry time
        assert [r.message_id for r in smtp.received] == [
            f"<grantflow.mail.{second}@grantflow.test>"
        ]
    statuses = {m.id: m.status for m in outbox(app)}
    assert (statuses[first], statuses[second]) == ("pending", "sent")


def test_the_outbox_is_read_a_page_at_a_time_by_following_next(api: Api) -> None:
    for i in range(3):  # each invitation is a mail to the applicant
        case = api.create_case("knivsta", "delmos-2018", f"Ärende {i}")
        api.move("caseworker", case["id"], "invite")
    seen: list[int] = []
    url: str | None = "/mail?limit=2"
    while url:
        answer = api.get("auditor", url)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += [m["id"] for m in body["items"]]
        url = body["next"]
        assert url is None or url.startswith("http")  # a link to follow, not a bare cursor
    assert len(seen) == len(set(seen)) >= 3
