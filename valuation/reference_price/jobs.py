"""What the scheduler sweeps for the reference price: sending, deciding at deadlines, expiring."""

from __future__ import annotations

from dataclasses import dataclass

from car_enforce.core.db import Database
from car_enforce.core.settings import Settings
from valuation.reference_price import sending, validity


@dataclass(frozen=True, slots=True)
class SweepReport:
    sent: sending.DispatchReport
    decided: list[tuple[int, str]]
    reopened: list[int]


def sweep(database: Database, settings: Settings) -> SweepReport:
    """Send what waits, decide the inquiries whose periods ended, expire the prices past their use; each
    item in its own transaction (a platform that is down holds up only its own request)."""
    sent = sending.send_due(database, settings)
    decided = sending.decide_due(database)
    reopened = validity.expire_due(database)
    if reopened:  # the new inquiries go out now rather than at the next sweep
        sending.send_due(database, settings)
    return SweepReport(sent, decided, reopened)
