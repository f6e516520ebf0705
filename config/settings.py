"""grantflow's settings, read once from the environment (GRANTFLOW_*) or a .env file."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRANTFLOW_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str = Field(default="", description="empty: a SQLite file in data_dir")
    programmes_dir: Path = CONFIG_DIR / "programmes"
    host: str = "127.0.0.1"
    port: int = 8000
    # Tokens printed by `demo load` are well known; they must never open a production service.
    allow_demo_data: bool = True
    # The deadline scheduler inside the API process; switch off where `grantflow scheduler` runs
    # on its own (several API workers).
    run_scheduler: bool = True
    sweep_interval_seconds: float = Field(default=15, gt=0)
    # /health calls the scheduler stale when no sweep completed for this long, or a pending
    # deadline is overdue by this much.
    stale_after_seconds: float = Field(default=120, gt=0)
    # Browser sessions end this long after signing in, or after this long without a request.
    session_max_hours: float = Field(default=10, gt=0)
    session_idle_minutes: float = Field(default=30, gt=0)
    # Behind a proxy that ends HTTPS: cookies are sent only over HTTPS (Secure).
    behind_https: bool = False
    # Refused requests recorded in the audit log per person an hour, in each process; the rest
    # are counted and the next record says how many.
    refusals_recorded_per_hour: int = Field(default=30, ge=0)
    # Files on cases: at most this large, and only of these kinds (pdf, docx, xlsx, odt, ods,
    # csv, txt, png, jpg, jpeg are the kinds grantflow knows).
    attachment_max_mb: float = Field(default=20, gt=0, le=1024)
    attachment_types: list[str] = Field(
        default_factory=lambda: [
            "pdf",
            "docx",
            "xlsx",
            "odt",
            "ods",
            "csv",
            "txt",
            "png",
            "jpg",
            "jpeg",
        ]
    )
    # How long to wait on the database before answering 503 instead (never a hang).
    database_connect_timeout_seconds: float = Field(default=5, gt=0)
    database_statement_timeout_seconds: float = Field(default=30, gt=0)
    # A deadline that fails is tried again after 1, 2, 4, ... times the first wait (at most the
    # longest), and after this many attempts waits for a person (an open incident says why).
    deadline_max_attempts: int = Field(default=5, ge=1, le=100)
    deadline_first_retry_seconds: float = Field(default=60, gt=0)
    deadline_longest_retry_seconds: float = Field(default=6 * 3600, gt=0)
    # Ed25519 key that signs the audit chain's head: 32 bytes, base64. Outside production an
    # unset key is made once and kept in data_dir/audit-signing.key.
    audit_signing_key: SecretStr | None = None

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
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
