"""What a service process runs beside its requests, built once from the settings: the deadline
keeper with the service's own daily jobs, and the mail sender."""

from __future__ import annotations

import datetime as dt

from config.settings import Settings
from services.auditing.checkpoints import origin_of
from services.auditing.signing import DailyHeadSigning, signing_key
from services.auditing.timestamps import DailyCheckpoint
from services.container import Services
from services.deadlines.firing import ServiceJob
from services.deadlines.keeper import DeadlineKeeper
from services.incidents import RetryPolicy
from services.mail.digests import DailyDigest
from services.mail.sender import MailSender
from services.mail.transport import FolderTransport, SmtpTransport, Transport
from services.privacy.retention import RetentionReview


def keeper_of(settings: Settings, services: Services) -> DeadlineKeeper:
    key = signing_key(settings)
    jobs: list[ServiceJob] = [
        DailyHeadSigning(key),
        DailyCheckpoint(key, origin_of(settings.public_url), settings.tsa_url),
        DailyDigest(services.notices, settings.mail_digest_hour, settings.mail_time_zone),
        RetentionReview(services.catalogue, services.programmes, settings.mail_time_zone),
    ]
    return DeadlineKeeper(services, jobs=jobs, retries=RetryPolicy.of(settings))


def transport_of(settings: Settings) -> Transport:
    if not settings.smtp_host:
        assert settings.mail_folder is not None  # the settings fill it in
        return FolderTransport(settings.mail_folder)
    return SmtpTransport(
        host=settings.smtp_host,
        port=settings.smtp_port,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value(),
        timeout=settings.smtp_timeout_seconds,
        ca_file=settings.smtp_ca_file,
    )


def sender_of(settings: Settings, services: Services) -> MailSender:
    retries = RetryPolicy(
        max_attempts=settings.mail_max_attempts,
        first_wait=dt.timedelta(seconds=settings.mail_first_retry_seconds),
        longest_wait=dt.timedelta(hours=6),
    )
    # An exchange is connect, hello, TLS, login, envelope and data, each within the timeout: a
    # message held longer than all of them by a live sender was abandoned.
    lease = dt.timedelta(seconds=settings.smtp_timeout_seconds * 8 + 60)
    return MailSender(
        services.units, services.clock, transport_of(settings), settings.mail_from, retries, lease
    )
