"""What every part of the rules shares: percentages of fen amounts rounded on the lawful side, instants and
their Shanghai days, and the calendar the caller passes in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from car_enforce.core import clock
from car_enforce.core.calendar.service import Deadline


class Calendar(Protocol):
    """The part of ``PrcCalendar`` the rules use: a court period (民诉法 Art. 85, RULES §5)."""

    def court_period_end(self, start: date, days: int) -> Deadline: ...


def percent_up(fen: int, percent: int) -> int:
    """``percent`` % of ``fen``, rounded up to the fen: a floor ("not below 70%") is never undercut."""
    return -(-fen * percent // 100)


def percent_down(fen: int, percent: int) -> int:
    """``percent`` % of ``fen``, rounded down to the fen: a ceiling ("at most 20%") is never exceeded."""
    return fen * percent // 100


def aware(instant: datetime, name: str) -> datetime:
    """The instant in UTC; a naive one is a programming error (the services pass the clock's ``now()``)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {instant!r}")
    return clock.as_utc(instant)


def local_day(instant: datetime) -> date:
    """The Asia/Shanghai day of an instant: legal days are counted in the court's calendar."""
    return clock.local(instant).date()


def later(*deadlines: Deadline) -> Deadline:
    """The latest of several deadlines, provisional when any of them is."""
    latest = max(d.on for d in deadlines)
    return Deadline(latest, any(d.provisional for d in deadlines))
