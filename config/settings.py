"""grantflow's settings, read once from the environment (GRANTFLOW_*) or a .env file.

Each setting's description is what docs/SETTINGS.md says about it (`grantflow settings
reference` writes that file, and a test fails when the two differ); `production` in its extra
says what a production service requires of it."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, JsonValue, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).parent
KNOWN_ATTACHMENT_TYPES = ["pdf", "docx", "xlsx", "odt", "ods", "csv", "txt", "png", "jpg", "jpeg"]


def _production(requirement: str) -> dict[str, JsonValue]:
    return {"production": requirement}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRANTFLOW_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development",
        description="`production` refuses the demo's data and tokens and requires a signing key.",
        json_schema_extra=_production("`production`"),
    )
    data_dir: Path = Field(
        default=Path("data"),
        description="The folder for the SQLite database (when no URL is given), attachments and "
        "the development signing key. Back it up with `grantflow backup`.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the database: `sqlite:///path/grantflow.db` or "
        "`postgresql://user:password@host:5432/name` (psycopg 3). Empty: a SQLite file "
        "`grantflow.db` in the data folder.",
        json_schema_extra=_production("PostgreSQL recommended (several processes, `pg_dump`)"),
    )
    programmes_dir: Path = Field(
        default=CONFIG_DIR / "programmes",
        description="The folder of programme files (`*.toml`); one that does not load becomes "
        "an incident and the others run.",
    )
    host: str = Field(
        default="127.0.0.1", description="Address `grantflow serve` listens on (`--host`)."
    )
    port: int = Field(default=8000, description="Port `grantflow serve` listens on (`--port`).")
    allow_demo_data: bool = Field(
        default=True,
        description="Allow `grantflow demo load` and the demo's well-known tokens.",
        json_schema_extra=_production("must be `false`"),
    )
    run_scheduler: bool = Field(
        default=True,
        description="Run the deadline scheduler inside `grantflow serve`. Set `false` where "
        "`grantflow scheduler` runs on its own (several API workers).",
    )
    sweep_interval_seconds: float = Field(
        default=15, gt=0, description="How often the scheduler looks for due deadlines."
    )
    stale_after_seconds: float = Field(
        default=120,
        gt=0,
        description="`/health`, `grantflow doctor` and `deadlines status` call the scheduler "
        "stale when no sweep finished for this long, or a due deadline waits this long.",
    )
    session_max_hours: float = Field(
        default=10, gt=0, description="A browser session ends this long after signing in."
    )
    session_idle_minutes: float = Field(
        default=30, gt=0, description="A browser session ends after this long without a request."
    )
    behind_https: bool = Field(
        default=False,
        description="Behind a proxy that ends HTTPS: cookies are sent over HTTPS only (`Secure`).",
        json_schema_extra=_production("`true` recommended (serve over HTTPS)"),
    )
    oidc_issuer: str = Field(
        default="",
        description="The agency's OpenID Connect provider (its issuer URL; its discovery "
        "document is read from `<issuer>/.well-known/openid-configuration`). Empty: no "
        "sign-in through a provider.",
        json_schema_extra=_production("recommended: people sign in through the agency"),
    )
    oidc_client_id: str = Field(default="", description="grantflow's client id at the provider.")
    oidc_client_secret: SecretStr = Field(
        default=SecretStr(""), description="grantflow's client secret at the provider."
    )
    oidc_scopes: str = Field(
        default="openid profile email",
        description="The scopes asked for; include what puts the role and organisation claims "
        "in the ID token.",
    )
    oidc_redirect_url: str = Field(
        default="",
        description="Where the provider sends people back; register it at the provider. "
        "Empty: `<public_url>/ui/oidc/callback`.",
    )
    oidc_role_claim: str = Field(
        default="groups", description="The claim (a string or a list) roles are read from."
    )
    oidc_roles: dict[str, Literal["applicant", "caseworker", "approver", "auditor", "admin"]] = (
        Field(
            default_factory=dict,
            description="Which value of the role claim gives which role, as JSON: "
            '`{"grantflow-caseworkers": "caseworker"}`. No match, no access.',
        )
    )
    oidc_organisation_claim: str = Field(
        default="",
        description="The claim holding an applicant's organisation number, matched to a known "
        "organisation (`org_number`). Empty: applicants cannot sign in through the provider.",
    )
    oidc_provision: bool = Field(
        default=False,
        description="Add a person on their first sign-in (with the role the claims give). "
        "Off: an administrator links each person first (`grantflow users link`).",
    )
    oidc_acr_values: str = Field(
        default="",
        description="Asked of the provider as `acr_values` (space-separated, most preferred "
        "first), so that its ID token says how strongly the person signed in; some providers "
        "then ask for the first one. Empty: not asked (the provider may still say).",
    )
    oidc_assurance: dict[
        Literal["applicant", "caseworker", "approver", "auditor", "admin"], list[str]
    ] = Field(
        default_factory=dict,
        description="For each role, the sign-in assurance (`acr` values) the acts named in "
        'states/access.toml `[assurance]` need, as JSON: `{"approver": ["urn:mfa"]}`. A role '
        "not named needs none; a token sign-in has none.",
    )
    token_signin: bool | None = Field(
        default=None,
        description="Offer signing in to the pages with an API token. Unset: yes, except in "
        "production (there the form answers 404 unless this is `true`).",
        json_schema_extra=_production("unset or `false`"),
    )
    tsa_url: str = Field(
        default="",
        description="An RFC 3161 time-stamping authority: each day's checkpoint of the audit log "
        "is sent to it, and its token kept in the log, so the checkpoint's time is the "
        "authority's word, not the service's clock. Empty: checkpoints are not timestamped.",
        json_schema_extra=_production("recommended"),
    )
    giving_prefix: str = Field(
        default="360G-grantflow",
        pattern=r"^360G-[A-Za-z0-9][A-Za-z0-9-]*$",
        description="The 360Giving prefix registered for the publishing agency: the start of "
        "every grant's identifier in `GET /grants.json`.",
        json_schema_extra=_production("the prefix 360Giving registered for the agency"),
    )
    accessibility_contact: str = Field(
        default="",
        max_length=300,
        description="Where people report an accessibility problem (an e-mail address or a web "
        "address), as the accessibility statement at `/ui/accessibility` shows it. Empty: the "
        "statement asks them to tell their contact person at the agency.",
        json_schema_extra=_production("recommended: the law asks for a way to report"),
    )
    refusals_recorded_per_hour: int = Field(
        default=30,
        ge=0,
        description="Refused requests recorded in the audit log per person an hour, in each "
        "process; the rest are counted and the next record says how many.",
    )
    attachment_max_mb: float = Field(
        default=20, gt=0, le=1024, description="The largest file a case accepts, in megabytes."
    )
    attachment_types: list[str] = Field(
        default_factory=lambda: list(KNOWN_ATTACHMENT_TYPES),
        description="The kinds of file a case accepts, as a JSON list of extensions; grantflow "
        f"knows {', '.join(KNOWN_ATTACHMENT_TYPES)}.",
    )
    database_connect_timeout_seconds: float = Field(
        default=5,
        gt=0,
        description="How long to wait to connect to the database before answering 503.",
    )
    database_statement_timeout_seconds: float = Field(
        default=30,
        gt=0,
        description="How long one statement may run (or wait on a lock) before it is cancelled "
        "and the request answers 503.",
    )
    database_wait_seconds: float = Field(
        default=10,
        gt=0,
        description="How long a request waits for a free database connection, or for its turn "
        "to write (a worker's writers take turns, docs/AUDIT.md), before answering 503.",
    )
    database_ping_after_idle_seconds: float = Field(
        default=1,
        ge=0,
        description="A PostgreSQL connection left unused this long is tried before a request "
        "gets it, so a database restarted or a connection dropped while the service was quiet "
        "costs no request a 503; a busy connection is not tried, which saves a round trip.",
    )
    deadline_max_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="A deadline that fails is tried this many times, then waits for a person "
        "(an open incident says why).",
    )
    deadline_first_retry_seconds: float = Field(
        default=60,
        gt=0,
        description="The wait before a failed deadline's second attempt; each next wait doubles.",
    )
    deadline_longest_retry_seconds: float = Field(
        default=6 * 3600, gt=0, description="The longest wait between two attempts."
    )
    audit_signing_key: SecretStr | None = Field(
        default=None,
        description="Ed25519 key that signs the audit chain's head: 32 random bytes in base64. "
        "Unset outside production: one is made once and kept in `<data_dir>/audit-signing.key`. "
        "Not in backups: keep it apart.",
        json_schema_extra=_production("required"),
    )

    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^/\s]+(/[^\s]*)?$",
        description="Where people reach the pages: the start of every link in a mail.",
        json_schema_extra=_production("the service's HTTPS address"),
    )
    mail_from: str = Field(
        default="grantflow <grantflow@localhost>",
        min_length=3,
        description="The sender of every mail (`From`); its domain also ends each Message-ID.",
        json_schema_extra=_production("an address of the agency's domain"),
    )
    smtp_host: str = Field(
        default="",
        description="The SMTP server mail is sent through. Empty: no mail leaves the machine; "
        "each message is written as a `.eml` file to the mail folder instead.",
        json_schema_extra=_production("required"),
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="The SMTP server's port.")
    smtp_starttls: bool = Field(
        default=True,
        description="Upgrade the SMTP connection with STARTTLS before logging in and sending.",
        json_schema_extra=_production("`true`, unless the server is on the same host"),
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="A PEM bundle of the certificate authorities to trust for the SMTP server "
        "(an agency's internal CA); unset: the system's.",
    )
    smtp_username: str = Field(
        default="", description="Log in to the SMTP server as this user; empty: no login."
    )
    smtp_password: SecretStr = Field(default=SecretStr(""), description="The SMTP user's password.")
    smtp_timeout_seconds: float = Field(
        default=30,
        gt=0,
        description="How long one SMTP exchange may wait for the server. A message the "
        "connection dropped after handing over is not sent again without a person's word.",
    )
    mail_folder: Path | None = Field(
        default=None,
        description="Where mail is written when no SMTP server is set (`<data_dir>/mail` "
        "when unset): one `.eml` file a message, to read in any mail program.",
    )
    mail_max_attempts: int = Field(
        default=6,
        ge=1,
        le=100,
        description="A message that cannot be sent is tried this many times, then it is dead "
        "and an open incident says why.",
    )
    mail_first_retry_seconds: float = Field(
        default=60,
        gt=0,
        description="The wait before a failed message's second attempt; each next wait doubles, "
        "up to six hours.",
    )
    mail_digest_hour: int = Field(
        default=7,
        ge=0,
        le=23,
        description="The hour (in the mail time zone) the daily digests go out.",
    )
    mail_language: Literal["sv", "da", "en"] = Field(
        default="sv",
        description="The language of mail to a person who has not chosen one (an organisation "
        "without one is written to in its country's).",
    )
    mail_time_zone: str = Field(
        default="Europe/Stockholm",
        description="The time zone of the digest hour and of times written in mail.",
    )

    @field_validator("mail_time_zone")
    @classmethod
    def _a_time_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {name!r} (an IANA name: Europe/Stockholm)"
            ) from None
        return name

    @field_validator("audit_signing_key")
    @classmethod
    def _a_signing_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is None:
            return None
        try:
            seed = base64.b64decode(key.get_secret_value(), validate=True)
        except ValueError:
            seed = b""
        if len(seed) != 32:
            raise ValueError(
                "GRANTFLOW_AUDIT_SIGNING_KEY must be 32 random bytes in base64 "
                "(python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
            )
        return key

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'grantflow.db'}"
        if self.environment == "production" and self.allow_demo_data:
            raise ValueError("GRANTFLOW_ALLOW_DEMO_DATA must be false in production")
        if self.environment == "production" and self.audit_signing_key is None:
            raise ValueError("GRANTFLOW_AUDIT_SIGNING_KEY is required in production")
        if self.environment == "production" and not self.smtp_host:
            raise ValueError("GRANTFLOW_SMTP_HOST is required in production")
        if self.mail_folder is None:
            self.mail_folder = self.data_dir / "mail"
        return self

    @property
    def tokens_open_pages(self) -> bool:
        if self.token_signin is not None:
            return self.token_signin
        return self.environment != "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
