"""/metrics: the deadline keeper's figures in the Prometheus text format, read at each scrape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.deadlines.keeper import DeadlineKeeper


class KeeperCollector(Collector):
    """The figures as the database has them now: every process answers the same."""

    def __init__(self, keeper: DeadlineKeeper) -> None:
        self.keeper = keeper

    def collect(self) -> Iterator[Metric]:
        figures, incidents_open = self.keeper.figures()
        yield GaugeMetricFamily(
            "grantflow_deadlines_pending", "Deadlines still to come or due", figures.pending
        )
        yield GaugeMetricFamily(
            "grantflow_deadlines_due", "Pending deadlines whose time has come", figures.due
        )
        yield GaugeMetricFamily(
            "grantflow_deadlines_failing",
            "Deadlines that failed and wait for a retry or for a person",
            figures.failing,
        )
        yield CounterMetricFamily(
            "grantflow_deadlines_handled",
            "Deadlines handled by all schedulers",
            figures.fired_total,
        )
        yield GaugeMetricFamily(
            "grantflow_incidents_open", "Incidents waiting for a person", incidents_open
        )
        if figures.last_sweep is not None:
            age = (self.keeper.clock.now() - figures.last_sweep) / dt.timedelta(seconds=1)
            yield GaugeMetricFamily(
                "grantflow_last_sweep_age_seconds", "Seconds since a sweep last completed", age
            )


def prometheus_text(keeper: DeadlineKeeper) -> tuple[bytes, str]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(KeeperCollector(keeper))
    return generate_latest(registry), CONTENT_TYPE_LATEST
