"""The live room widget (templates/auction_room.html, static/room.js) as any page shows it: the room as anyone
may see it, and, for a registered bidder whose deposit is held, the bid form.

A page that includes the widget passes ``**room_context(session, rnd, who)`` to ``render``; the template
shows nothing when ``room`` is not given.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction import bidding
from auction.models import AuctionBidder, AuctionRound, DepositStatus, RoundStatus
from auction.room_state import room_of
from car_enforce.core import clock
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal

RECENT = 20  # the latest bids the room lists; the live feed adds the next ones on top

ROUND_STATUS_NAMES = {
    RoundStatus.DRAFT: "准备中",
    RoundStatus.ANNOUNCED: "已公告",
    RoundStatus.SUSPENDED: "已中止",
    RoundStatus.SOLD: "已成交",
    RoundStatus.UNSOLD: "流拍",
    RoundStatus.DEFAULTED: "买受人悔拍",
    RoundStatus.WITHDRAWN: "已撤回",
}

DEPOSIT_STATUS_NAMES = {
    DepositStatus.PENDING: "待支付",
    DepositStatus.HELD: "已交纳",
    DepositStatus.WAIVED: "免交（申请执行人）",
    DepositStatus.RELEASING: "退还中",
    DepositStatus.RELEASED: "已退还",
    DepositStatus.TO_COURT: "转入法院账户中",
    DepositStatus.PAID_TO_COURT: "已转入法院账户",
}


@dataclass(frozen=True, slots=True)
class RecentBid:
    seq: int
    bidder: str
    amount_fen: int
    at: datetime
    ends_at: datetime
    end_moved: bool
    proxy: bool
    priority: bool


@dataclass(frozen=True, slots=True)
class RoomView:
    round_id: int
    status: str
    status_name: str
    starting_price_fen: int
    increment_fen: int
    price_fen: int | None
    next_min_fen: int
    bids: int
    starts_at: datetime
    effective_end_at: datetime
    server_time: datetime
    recent: list[RecentBid]

    @property
    def phase(self) -> str:
        """What the room is doing at the server's time: waiting, bidding, suspended or over."""
        if self.status == RoundStatus.SUSPENDED:
            return "suspended"
        if self.status != RoundStatus.ANNOUNCED or self.server_time >= self.effective_end_at:
            return "over"
        return "waiting" if self.server_time < self.starts_at else "bidding"


@dataclass(frozen=True, slots=True)
class BidForm:
    """The bid form of a bidder who may bid: the amount to start from and this render's idempotency key."""

    number: str
    key: str
    amount_fen: int


def room_view(session: Session, rnd: AuctionRound) -> RoomView:
    recent = bidding.bids_of(session, rnd.id, after_seq=max(0, rnd.bids - RECENT))
    return RoomView(
        round_id=rnd.id,
        status=rnd.status,
        status_name=ROUND_STATUS_NAMES.get(rnd.status, rnd.status),
        starting_price_fen=rnd.starting_price_fen,
        increment_fen=rnd.increment_fen,
        price_fen=rnd.price_fen,
        next_min_fen=room_of(rnd).next_min_fen,
        bids=rnd.bids,
        starts_at=rnd.starts_at,
        effective_end_at=rnd.effective_end_at,
        server_time=clock.now(),
        recent=[
            RecentBid(
                b.seq, n, b.amount_fen, b.at, b.ends_at, b.end_moved, b.proxy, b.priority_rank is not None
            )
            for b, n in reversed(recent)
        ],
    )


def registration_of(session: Session, rnd: AuctionRound, who: Principal | None) -> AuctionBidder | None:
    if who is None or who.role != Role.BUYER or who.user_id is None:
        return None
    return session.scalar(
        select(AuctionBidder).where(AuctionBidder.round_id == rnd.id, AuctionBidder.user_id == who.user_id)
    )


def may_bid(bidder: AuctionBidder | None) -> bool:
    deposit = bidder.deposit if bidder is not None else None
    return deposit is not None and deposit.status in (DepositStatus.HELD, DepositStatus.WAIVED)


def room_context(session: Session, rnd: AuctionRound, who: Principal | None) -> dict[str, Any]:
    """What ``auction_room.html`` needs: the room, and the bid form when ``who`` may bid in it."""
    room = room_view(session, rnd)
    bidder = registration_of(session, rnd, who)
    form = (
        BidForm(bidder.number, secrets.token_urlsafe(18), room.next_min_fen)
        if bidder is not None and may_bid(bidder) and room.phase in ("waiting", "bidding")
        else None
    )
    return {"room": room, "bid_form": form}
