"""The close of a round at its effective end, as pure computations: sold or unsold (网拍规定 Art. 11, 26), the
deposits (the others' back within 24 hours, Art. 23; the buyer's to the court within 24 hours, Art. 25), the
balance and its last day (Art. 25) and the one inquiry fee (参考价规定 Art. 31)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from auction.rules import articles as a
from auction.rules.common import Calendar, aware
from auction.rules.lot import balance_due
from auction.rules.room import Room, RoomClosed
from car_enforce.core import zh
from car_enforce.core.calendar.service import Deadline
from car_enforce.core.errors import InvalidInput, Rule
from valuation.reference_price.rules import fee_shares


@dataclass(frozen=True, slots=True)
class DepositMove:
    bidder: str
    amount_fen: int
    due_at: datetime  # the latest instant the money moves


@dataclass(frozen=True, slots=True)
class Closing:
    sold: bool
    closed_at: datetime  # the effective end
    bids: int
    rule: Rule  # Art. 11 when sold, Art. 26 when not
    buyer: str | None = None
    price_fen: int | None = None
    released: tuple[DepositMove, ...] = ()  # back to the other bidders (Art. 23)
    to_court: DepositMove | None = None  # the buyer's deposit to the court's account (Art. 25)
    balance_fen: int | None = None  # the price less the buyer's deposit, which counts towards it (Art. 23)
    balance_due: Deadline | None = None  # the last day to pay it (Art. 25, the lot's period)
    fee_shares: Mapping[str, Fraction] | None = None  # inquiry platform → its share of the one fee (Art. 31)


def close(
    room: Room,
    now: datetime,
    deposits: Mapping[str, int],
    calendar: Calendar,
    *,
    balance_days: int = a.DEFAULT_BALANCE_DAYS,
    inquiry_results: Mapping[str, int] | None = None,
) -> Closing:
    """Close the round once its effective end has passed. ``deposits`` are the bidders' deposits held (paid
    or frozen); ``inquiry_results`` the online inquiry's counted results by platform, None when the price was
    not fixed by online inquiry (no fee is then due)."""
    now = aware(now, "now")
    if room.suspended_at is not None:
        raise RoomClosed(
            "a stopped auction is not closed: resume it or end it by ruling",
            rule=a.RULE_SUSPEND,
            zh="拍卖处于暂缓或中止状态，不能结束竞价",
        )
    if now < room.effective_end:
        raise RoomClosed(
            f"bidding runs until {room.effective_end.isoformat()}",
            rule=a.RULE_EXTENSION,
            zh=f"竞价至{zh.minute(room.effective_end)}结束，尚不能结束竞价",
        )
    for bidder, fen in deposits.items():
        if fen < 0:
            raise InvalidInput(
                "deposits",
                f"{bidder}: a deposit is not negative",
                rule=a.RULE_DEPOSIT_PAID,
                zh="保证金不能为负数",
            )
    end = room.effective_end
    due = end + a.DEPOSIT_HOURS
    leader = room.leader
    buyer = leader.bidder if leader is not None else None
    released = tuple(
        DepositMove(b, fen, due) for b, fen in sorted(deposits.items()) if b != buyer and fen > 0
    )
    if leader is None:
        return Closing(sold=False, closed_at=end, bids=room.bids, rule=a.RULE_UNSOLD, released=released)
    held = deposits.get(leader.bidder, 0)
    price = leader.amount_fen
    return Closing(
        sold=True,
        closed_at=end,
        bids=room.bids,
        rule=a.RULE_SOLD,
        buyer=leader.bidder,
        price_fen=price,
        released=released,
        to_court=DepositMove(leader.bidder, held, due) if held > 0 else None,
        balance_fen=max(0, price - held),
        balance_due=balance_due(end, balance_days, calendar),
        fee_shares=fee_shares(inquiry_results, price) if inquiry_results else None,
    )
