"""APScheduler as an alarm clock: it wakes the deadline keeper and the mail sender; the deadline
table and the outbox are the truth.

One job sweeps at a fixed interval, and a second, one-off job is set for the next due time so a
deadline fires on its minute rather than up to an interval late. Nothing about any deadline lives
in APScheduler: a missed or duplicated trigger only means one sweep more or less, never a deadline
missed or fired twice (that is the keeper's claim in the database).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from services.deadlines.keeper import DeadlineKeeper
from services.mail.sender import MailSender

log = logging.getLogger("grantflow.scheduler")


class Scheduler:
    def __init__(
        self, keeper: DeadlineKeeper, interval: dt.timedelta, sender: MailSender | None = None
    ) -> None:
        self.keeper = keeper
        self.sender = sender
        self.interval = interval
        self._stopped = threading.Event()
        self.aps = BackgroundScheduler(
            timezone=dt.UTC,
            # Late triggers still run (no misfire cut-off) and pile-ups collapse into one sweep.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def start(self) -> None:
        """Sweep at once (what fell due while we were down fires now, oldest first), then on the interval."""
        self.aps.add_job(
            self._sweep,
            IntervalTrigger(seconds=self.interval.total_seconds(), timezone=dt.UTC),
            id="sweep",
            next_run_time=dt.datetime.now(dt.UTC),
        )
        self.aps.start()
        log.info("scheduler %s sweeping every %s", self.keeper.worker, self.interval)

    def stop(self) -> None:
        self._stopped.set()
        self.keeper.stopping.set()  # a sweep under way ends after the deadline it is on
        self.aps.shutdown(wait=True)

    def wait(self) -> None:
        self._stopped.wait()

    def _sweep(self) -> None:
        try:
            result = self.keeper.sweep()
            if result.handled:
                log.info(
                    "swept: %d fired, %d flagged, %d cancelled",
                    result.fired,
                    result.flagged,
                    result.cancelled,
                )
            self._wake_at_next_due()
        except Exception:  # a failed sweep is logged and retried at the next trigger
            log.exception("deadline sweep failed")
        # After the deadlines, so what they told goes out in the same wake-up; apart from them,
        # so a mail server that is away holds up no deadline.
        if self.sender is not None and not self._stopped.is_set():
            try:
                sent = self.sender.send_due()
                if sent.handled:
                    log.info(
                        "mail: %d sent, %d to retry, %d dead, %d unknown",
                        sent.sent,
                        sent.retried,
                        sent.dead,
                        sent.unknown,
                    )
            except Exception:
                log.exception("sending mail failed")

    def _wake_at_next_due(self) -> None:
        due = self.keeper.next_due_at()
        if due is None or self._stopped.is_set():
            return
        if due - self.keeper.clock.now() < self.interval:
            self.aps.add_job(
                self._sweep,
                DateTrigger(run_date=max(due, dt.datetime.now(dt.UTC))),
                id="wake",
                replace_existing=True,
            )
