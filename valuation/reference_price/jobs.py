"""What the scheduler sweeps for the reference price: sending, deciding at deadlines, expiring."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from car_enforce.core.db import Database
from car_enforce.core.settings import Settings
from valuation.reference_price import sending, validity

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SweepReport:
    sent: sending.DispatchReport
    decided: list[tuple[int, str]]
    reopened: list[int]


def sweep(database: Database, settings: Settings) -> SweepReport:
    """Send what waits, decide the inquiries whose periods ended, expire the prices past their use; each
    item in its own transaction, and each phase whatever befell the one before it."""
    sent = _phase("send", lambda: sending.send_due(database, settings), sending.DispatchReport())
    no_decisions: list[tuple[int, str]] = []
    no_reopened: list[int] = []
    decided = _phase("decide", lambda: sending.decide_due(database), no_decisions)
    reopened = _phase("expire", lambda: validity.expire_due(database), no_reopened)
    if reopened:  # the new inquiries go out now rather than at the next sweep
        _phase("send", lambda: sending.send_due(database, settings), sending.DispatchReport())
    return SweepReport(sent, decided, reopened)


def _phase(name: str, run: Callable[[], T], otherwise: T) -> T:
    try:
        return run()
    except Exception:
        log.exception("reference-price sweep: the %s phase failed; the others go on", name)
        return otherwise
