"""Small factories for the auction rules' pure tests: instants in Shanghai, a lawful first round, a room."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from auction.rules import LotParams, ReferenceFacts, Room, RoomTerms, open_room
from car_enforce.core.calendar.service import PrcCalendar
from car_enforce.core.clock import SHANGHAI

CALENDAR = PrcCalendar()  # chinese_calendar's 2026: no day the tests count lies in a guessed year
YUAN = 100  # fen


def sh(y: int, m: int, d: int, h: int = 10, mi: int = 0, s: int = 0, ms: int = 0) -> datetime:
    """An instant given on the Shanghai clock, as the services hold it (UTC)."""
    return datetime(y, m, d, h, mi, s, ms * 1000, tzinfo=SHANGHAI).astimezone(UTC)


REFERENCE = ReferenceFacts(price_fen=100_000 * YUAN, valid_until=date(2026, 12, 31))


def first_round(**changes: Any) -> LotParams:
    """A lawful first round: announced Monday 1 June 2026, bidding 16–17 June (the 15th day is a Tuesday)."""
    params = LotParams(
        starting_price_fen=70_000 * YUAN,
        deposit_fen=7_000 * YUAN,
        announced_at=sh(2026, 6, 1, 9),
        starts_at=sh(2026, 6, 16, 10),
        ends_at=sh(2026, 6, 17, 10),
        platform="builtin",
    )
    return replace(params, **changes)


START = sh(2026, 6, 16, 10)
END = sh(2026, 6, 17, 10)


def room(**changes: Any) -> Room:
    """A room open from START to END at 10,000 yuan, bids by 100 yuan."""
    terms = RoomTerms(
        starting_price_fen=10_000 * YUAN, increment_fen=100 * YUAN, starts_at=START, ends_at=END
    )
    return open_room(replace(terms, **changes))


def before_end(r: Room, **delta: float) -> datetime:
    return r.effective_end - timedelta(**delta)
