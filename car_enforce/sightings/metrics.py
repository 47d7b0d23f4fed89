"""The plate-read path's metrics: reads taken, hits and alerts by adapter, and how fast a hit is dispatched.

``adapter`` is the feed a read came through, as its adapter names it: ``canonical`` (the platform's own
batch), ``openalpr``, ``rekor``, ``platerecognizer``, ``hikvision``, ``dahua``, ``csv``, ``gat1400``
(GA/T 1400 视图库). Values are the adapters' constants, never anything a sender wrote, so the label stays
small and carries nothing personal.

A message is counted once its transaction has committed (``core.db.on_commit``): a message that rolled
back took nothing, and a message posted again (answered with its first result) is not counted again.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from dataclasses import dataclass, field

from prometheus_client import Counter, Histogram

from car_enforce.sightings.matching import MatchKind
from car_enforce.sightings.models import AlertStatus
from car_enforce.sightings.vendors import csvfile, dahua, hikvision, openalpr, platerecognizer, rekor
from car_enforce.sightings.viid import parse as viid

CANONICAL = "canonical"  # the platform's own batch (POST /api/police/reads)
ADAPTERS = (
    CANONICAL,
    openalpr.VENDOR,
    rekor.VENDOR,
    platerecognizer.VENDOR,
    hikvision.VENDOR,
    dahua.VENDOR,
    csvfile.VENDOR,
    viid.VENDOR,
)
RAISED_AS = (AlertStatus.OPEN, AlertStatus.PENDING, AlertStatus.LATE)

READS = Counter(
    "carenforce_plate_reads",
    "Plate reads taken, by the adapter they came through (a message posted again is not counted again)",
    ["adapter"],
)
HITS = Counter(
    "carenforce_plate_hits",
    "Reads kept as sightings of a watched car: kind=hit (the plate itself) or possible (a look-alike)",
    ["adapter", "kind"],
)
ALERTS = Counter(
    "carenforce_alerts_raised",
    "Alerts raised by reads, by their status when raised: open (a hit, dispatched to the police of the "
    "place), pending (a look-alike, for the officer to confirm), late (on the record only)",
    ["adapter", "status"],
)
# The police need a hit on the officer's and the patrol's desk in seconds; most take milliseconds.
HIT_TO_ALERT = Histogram(
    "carenforce_hit_to_alert_seconds",
    "From the platform taking a message to the commit of the alert its hit raised and dispatched (the "
    "alert, its dispatch and the texts queued): matching, routing and lock waits included",
    ["adapter"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


# Every series exists from the start, at 0: a feed that never sent anything shows as 0, not as missing.
for _adapter in ADAPTERS:
    READS.labels(_adapter)
    HIT_TO_ALERT.labels(_adapter)
    for _kind in MatchKind:
        HITS.labels(_adapter, _kind.value)
    for _status in RAISED_AS:
        ALERTS.labels(_adapter, _status.value)


@dataclass
class MessageTally:
    """What one message did, published once its transaction commits."""

    adapter: str
    # time.perf_counter() when the platform took the message: a duration, not an instant of the platform's
    # clock (which a simulation may move or stop).
    received: float = field(default_factory=time.perf_counter)
    reads: int = 0
    hits: Tally[str] = field(default_factory=Tally)  # kind -> sightings kept
    alerts: Tally[str] = field(default_factory=Tally)  # status when raised -> alerts
    dispatched: int = 0  # alerts this message's hits dispatched (raised open, or a look-alike upgraded)

    def publish(self) -> None:
        seconds = time.perf_counter() - self.received
        READS.labels(self.adapter).inc(self.reads)
        for kind, n in self.hits.items():
            HITS.labels(self.adapter, kind).inc(n)
        for status, n in self.alerts.items():
            ALERTS.labels(self.adapter, status).inc(n)
        latency = HIT_TO_ALERT.labels(self.adapter)
        for _ in range(self.dispatched):
            latency.observe(seconds)
