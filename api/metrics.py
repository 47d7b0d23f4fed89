"""What ``/metrics`` shows: the process's own metrics, and the platform's state read from the database.

Counters and histograms (reads, hits and alerts by adapter, hit-to-alert latency, HTTP latency) live in
the process that counts them, in prometheus_client's registry; each ``serve`` process is scraped on its own.
The outbox's backlog and the sweeps' lag are read from the database at each scrape (``DatabaseCollector``),
so they are right whichever process delivers and sweeps: every process reports the same values (take the
``max`` across instances).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from car_enforce.core import clock, job_runs
from car_enforce.core.db import get_database
from car_enforce.core.notify.backlog import backlog

log = logging.getLogger(__name__)


def _families() -> dict[str, GaugeMetricFamily]:
    return {
        "up": GaugeMetricFamily(
            "carenforce_metrics_database_up",
            "1 when this scrape could read the database (the outbox and sweep metrics below need it)",
        ),
        "outbox": GaugeMetricFamily(
            "carenforce_outbox_messages",
            "Webhooks and texts not delivered: status=pending (waiting for a try) or failed (given up)",
            labels=["channel", "status"],
        ),
        "oldest": GaugeMetricFamily(
            "carenforce_outbox_oldest_pending_age_seconds",
            "Seconds since the oldest pending message of the channel was queued (0 when none waits)",
            labels=["channel"],
        ),
        "lag": GaugeMetricFamily(
            "carenforce_sweep_lag_seconds",
            "Seconds since the scheduled job last completed without an error (once it has completed once)",
            labels=["job"],
        ),
        "failing": GaugeMetricFamily(
            "carenforce_sweep_last_run_failed",
            "1 when the scheduled job's last run ended in an error",
            labels=["job"],
        ),
    }


class DatabaseCollector(Collector):
    """The outbox's backlog and the sweeps' lag, read at each scrape in one read-only transaction."""

    def describe(self) -> Iterable[Metric]:
        # Named without a query: registering must not touch the database.
        return list(_families().values())

    def collect(self) -> Iterator[Metric]:
        families = _families()
        try:
            now = (
                clock.now()
            )  # the platform's time, as ages and lags are counted in (the shared clock reads it)
            with get_database().unit_of_work(read_only=True) as session:
                waiting = backlog(session, now)
                jobs = job_runs.states(session)
        except SQLAlchemyError as exc:
            _log_sparingly(f"metrics: the database does not answer ({type(exc).__name__})")
            families["up"].add_metric([], 0)
            yield families["up"]
            return
        families["up"].add_metric([], 1)
        for (channel, status), count in sorted(waiting.counts.items()):
            families["outbox"].add_metric([channel.value, status.value], count)
        for channel, seconds in sorted(waiting.oldest_pending_s.items()):
            families["oldest"].add_metric([channel.value], seconds)
        for job in jobs:
            lag = job.lag_s(now)
            if lag is not None:
                families["lag"].add_metric([job.name], lag)
            families["failing"].add_metric([job.name], 1 if job.failing else 0)
        yield from families.values()


_last_logged = [float("-inf")]


def _log_sparingly(message: str) -> None:
    # A scraper asks every few seconds: say it once a minute.
    if time.monotonic() - _last_logged[0] >= 60:
        _last_logged[0] = time.monotonic()
        log.warning(message)


_installed = threading.Lock()
_collector: list[DatabaseCollector] = []


def install() -> None:
    """Register the database collector once per process (apps built in one process share the registry)."""
    with _installed:
        if not _collector:
            _collector.append(DatabaseCollector())
            REGISTRY.register(_collector[0])


def exposition(accept: str) -> tuple[bytes, str]:
    """The registry in the format the scraper asks for (Prometheus text, or OpenMetrics), and its type."""
    encode, content_type = choose_encoder(accept)
    return encode(REGISTRY), content_type
