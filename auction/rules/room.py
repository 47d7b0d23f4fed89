"""The bidding room as a value: the standing bid, the effective end and the maximum bids, and the pure steps
that move it (网拍规定 Art. 19–21, 28). The service loads a ``Room`` under the lot's lock, calls one step
with the server's receipt time, stores what comes back (the new room and the bids to insert) and commits.

Bids: the first bid is the starting price; every later one raises the price by whole increments, except a
confirmed priority buyer's, which may equal the price and then leads by rank, then by time (Art. 21). A bid
received at or after the effective end is refused; one received in the last five minutes moves the end to
five minutes after it, as often as bids come, and the end never moves back (Art. 20). In an online sale
(变卖) the first bid replaces the sale period's end with a window (24 hours by default) and the same rule
runs from there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from auction.rules import articles as a
from auction.rules.common import aware
from auction.rules.lot import LotParams
from auction.rules.rounds import SaleTerms
from car_enforce.core import zh
from car_enforce.core.errors import Conflict, InvalidInput, RuleViolation


class BidRefused(RuleViolation):
    """A bid or a maximum the rules refuse; nothing is stored."""


class RoomClosed(Conflict):
    """The room is not taking bids now: not yet open, past its end, or stopped (Art. 28)."""


class RoomKind(StrEnum):
    AUCTION = "auction"
    SALE = "sale"  # 变卖


@dataclass(frozen=True, slots=True)
class RoomTerms:
    """Fixed for the round."""

    starting_price_fen: int  # in a sale, the sale price
    increment_fen: int
    starts_at: datetime
    ends_at: datetime  # the scheduled end; in a sale, the period's end if nobody bids
    kind: RoomKind = RoomKind.AUCTION
    extension: timedelta = a.EXTENSION
    window: timedelta = timedelta(hours=24)  # a sale: the first bid opens a window this long (UNCONFIRMED)
    maxima_allowed: bool = False  # the court allows maximum bids (proxy bidding)


@dataclass(frozen=True, slots=True)
class Leader:
    bidder: str
    amount_fen: int
    at: datetime
    seq: int
    priority_rank: int | None = None


@dataclass(frozen=True, slots=True)
class MaxBid:
    """A maximum the room bids up to, by increments, for its bidder."""

    bidder: str
    max_fen: int
    set_at: datetime


@dataclass(frozen=True, slots=True)
class Room:
    """What the service persists per round: the terms, the standing bid, the effective end."""

    terms: RoomTerms
    effective_end: datetime
    leader: Leader | None = None
    bids: int = 0  # accepted so far; the last one's ``seq``
    maxima: tuple[MaxBid, ...] = ()
    suspended_at: datetime | None = None

    @property
    def price_fen(self) -> int | None:
        return None if self.leader is None else self.leader.amount_fen

    @property
    def next_min_fen(self) -> int:
        """The least an ordinary bid may be now: the starting price, then the price plus one increment."""
        if self.leader is None:
            return self.terms.starting_price_fen
        return self.leader.amount_fen + self.terms.increment_fen


@dataclass(frozen=True, slots=True)
class Bid:
    bidder: str
    amount_fen: int
    # The rank of the bidder's confirmed priority code, when the bid is made with it (Art. 19); the service
    # sets it only from a code the court confirmed.
    priority_rank: int | None = None


@dataclass(frozen=True, slots=True)
class AcceptedBid:
    seq: int
    bidder: str
    amount_fen: int
    at: datetime  # the server's receipt time
    ends_at: datetime  # the effective end after this bid
    end_moved: bool  # this bid moved the end (in a sale, the first bid sets its window)
    priority_rank: int | None = None
    proxy: bool = False  # made by the room for a maximum bid


# --- opening ----------------------------------------------------------------------------------------------


def open_room(terms: RoomTerms) -> Room:
    t = replace(terms, starts_at=aware(terms.starts_at, "starts_at"), ends_at=aware(terms.ends_at, "ends_at"))
    if t.starting_price_fen <= 0 or t.increment_fen <= 0:
        raise InvalidInput(
            "starting_price_fen" if t.starting_price_fen <= 0 else "increment_fen",
            "prices and increments are positive amounts",
            rule=a.RULE_INCREMENT,
            zh="起拍价和加价幅度应为正数金额",
        )
    if t.ends_at <= t.starts_at or t.extension <= timedelta(0) or t.window <= timedelta(0):
        raise InvalidInput(
            "ends_at", "the room ends after it starts", rule=a.RULE_DURATION, zh="竞价结束时间应晚于开始时间"
        )
    return Room(terms=t, effective_end=t.ends_at)


def auction_terms(params: LotParams, increment_fen: int, *, maxima_allowed: bool = False) -> RoomTerms:
    """A round's room, from its checked parameters (``check_lot`` gives the increment)."""
    return RoomTerms(
        starting_price_fen=params.starting_price_fen,
        increment_fen=increment_fen,
        starts_at=params.starts_at,
        ends_at=params.ends_at,
        maxima_allowed=maxima_allowed,
    )


def sale_terms_room(sale: SaleTerms, increment_fen: int, *, maxima_allowed: bool = False) -> RoomTerms:
    """An online sale's room: open for its period, at the sale price, windowed by the first bid."""
    return RoomTerms(
        starting_price_fen=sale.price_fen,
        increment_fen=increment_fen,
        starts_at=sale.opens_at,
        ends_at=sale.closes_at,
        kind=RoomKind.SALE,
        extension=sale.extension,
        window=sale.window,
        maxima_allowed=maxima_allowed,
    )


# --- bidding ----------------------------------------------------------------------------------------------


def _check_open(room: Room, now: datetime) -> None:
    if room.suspended_at is not None:
        raise RoomClosed(
            "the auction is stopped (暂缓 or 中止); bids wait for its resumption",
            rule=a.RULE_SUSPEND,
            zh="拍卖已暂缓或中止，恢复拍卖后方可出价",
        )
    if now < room.terms.starts_at:
        raise RoomClosed(
            f"bidding opens at {room.terms.starts_at.isoformat()}",
            rule=a.RULE_BID_TIME,
            zh=f"竞价尚未开始，开始时间为{zh.minute(room.terms.starts_at)}",
        )
    if now >= room.effective_end:
        raise RoomClosed(
            f"bidding ended at {room.effective_end.isoformat()}; a bid received at "
            f"{now.isoformat()} is too late",
            rule=a.RULE_BID_TIME,
            zh=f"竞价已于{zh.minute(room.effective_end)}结束，出价以进入平台系统的时间为准，本次出价已晚",
        )


def _refuse_below(price: int, step: int, amount: int) -> None:
    if amount < price + step:
        raise BidRefused(
            f"the price is {zh.yuan(price)} yuan: bid at least {zh.yuan(price + step)} yuan",
            rule=a.RULE_INCREMENT,
            zh=f"当前价为{zh.yuan_text(price)}，出价至少为{zh.yuan_text(price + step)}",
            field="amount",
        )


def _no_match(price: int, step: int) -> BidRefused:
    return BidRefused(
        "only a confirmed priority buyer may bid the current price; "
        f"bid {zh.yuan(price + step)} yuan or more",
        rule=a.RULE_PRIORITY_CODE,
        zh=f"只有经人民法院确认的优先购买权人可以按当前价出价；请至少出价{zh.yuan_text(price + step)}",
        field="amount",
    )


def refuse_outbid(seen: Room, bid: Bid) -> None:
    """Refuse a bid already below what a room read earlier asks. Safe on a stale room, since a round's price
    only rises: the service calls it before taking the round's lock, so a bid overtaken in a storm is
    refused without queueing for the lock. Only an ordinary raise is judged here (the first bid, a
    priority buyer's match and everything else wait for the lock)."""
    if seen.leader is None or bid.priority_rank is not None:
        return
    price, step = seen.leader.amount_fen, seen.terms.increment_fen
    if bid.amount_fen == price:
        raise _no_match(price, step)
    _refuse_below(price, step, bid.amount_fen)


def _check_amount(room: Room, bid: Bid) -> None:
    start, step = room.terms.starting_price_fen, room.terms.increment_fen
    amount, leader = bid.amount_fen, room.leader
    if leader is None:
        if amount < start:
            raise BidRefused(
                f"{zh.yuan(amount)} yuan is below the starting price {zh.yuan(start)} yuan: void",
                rule=a.RULE_BID_START,
                zh=f"出价{zh.yuan_text(amount)}低于起拍价{zh.yuan_text(start)}，出价无效",
                field="amount",
            )
        if amount != start:
            raise BidRefused(
                f"the first bid is the starting price, {zh.yuan(start)} yuan",
                rule=a.RULE_BID_START,
                zh=f"首次出价应为起拍价{zh.yuan_text(start)}",
                field="amount",
            )
        return
    if leader.bidder == bid.bidder:
        raise BidRefused(
            "you lead: bid again once someone outbids you",
            rule=a.RULE_LEADING,
            zh="您的出价已领先，待他人出价后方可再次出价",
            field="amount",
        )
    price = leader.amount_fen
    if amount == price:
        if bid.priority_rank is None:
            raise _no_match(price, step)
        if leader.priority_rank is not None and leader.priority_rank <= bid.priority_rank:
            ahead = "顺序在先" if leader.priority_rank < bid.priority_rank else "顺序相同且出价在先"
            raise BidRefused(
                f"a priority buyer of rank {leader.priority_rank} already holds {zh.yuan(price)} yuan "
                f"and wins it over rank {bid.priority_rank}; bid {zh.yuan(price + step)} yuan or more",
                rule=a.RULE_PRIORITY_TIE,
                zh=f"{ahead}的优先购买权人已按{zh.yuan_text(price)}出价，同价由其竞得；"
                f"请至少出价{zh.yuan_text(price + step)}",
                field="amount",
            )
        return
    _refuse_below(price, step, amount)
    if (amount - price) % step:
        below = price + (amount - price) // step * step
        raise BidRefused(
            f"bids rise by whole increments of {zh.yuan(step)} yuan: {zh.yuan(below)} or "
            f"{zh.yuan(below + step)} yuan, not {zh.yuan(amount)}",
            rule=a.RULE_INCREMENT,
            zh=f"应按加价幅度{zh.yuan_text(step)}的整数倍加价，"
            f"例如{zh.yuan_text(below)}或{zh.yuan_text(below + step)}",
            field="amount",
        )


def _place(
    room: Room, bidder: str, amount_fen: int, now: datetime, *, rank: int | None, proxy: bool
) -> tuple[Room, AcceptedBid]:
    if room.terms.kind is RoomKind.SALE and room.leader is None:
        end = now + room.terms.window  # the first bid in a sale opens its window
    else:
        end = max(room.effective_end, now + room.terms.extension)
    seq = room.bids + 1
    placed = AcceptedBid(seq, bidder, amount_fen, now, end, end != room.effective_end, rank, proxy)
    leader = Leader(bidder, amount_fen, now, seq, rank)
    return replace(room, leader=leader, bids=seq, effective_end=end), placed


def accept_bid(room: Room, bid: Bid, now: datetime) -> tuple[Room, tuple[AcceptedBid, ...]]:
    """The room after ``bid`` received at ``now`` (the server's time), with the bids to store: this one, then
    any the room made for maximum bids in answer. Refuses with the article; the room is then unchanged.
    The service checks the bidder (``check_bidder``) before."""
    now = aware(now, "now")
    _check_open(room, now)
    _check_amount(room, bid)
    room, placed = _place(room, bid.bidder, bid.amount_fen, now, rank=bid.priority_rank, proxy=False)
    room, answers = _answer_maxima(room, now)
    return room, (placed, *answers)


# --- maximum bids -------------------------------------------------------------------------------------------


def _grid(room: Room, fen: int) -> int:
    """The highest amount a bid can have that is not above ``fen``: the starting price plus whole increments
    (every accepted price lies on that grid, since matches keep the price)."""
    start, step = room.terms.starting_price_fen, room.terms.increment_fen
    if fen < start:
        return start - step
    return start + (fen - start) // step * step


def _stronger(room: Room, p: MaxBid, q: MaxBid) -> bool:
    """The higher reachable maximum, then the earlier one, then (for a total order) the bidder's key."""
    return (-_grid(room, p.max_fen), p.set_at, p.bidder) < (-_grid(room, q.max_fen), q.set_at, q.bidder)


def _answer_maxima(room: Room, now: datetime) -> tuple[Room, list[AcceptedBid]]:
    """The room bids for outbid maxima until none can lead. Each answer is a real bid at ``now`` and moves the
    end like any other. The stronger maximum ends in the lead at the least price that beats the weaker one's
    reach; at equal reach the earlier maximum leads, since the later one stops an increment short."""
    placed: list[AcceptedBid] = []
    stays_out: set[str] = set()
    step = room.terms.increment_fen
    while True:
        need = room.next_min_fen
        leader = room.leader.bidder if room.leader is not None else None
        challengers = [
            m
            for m in room.maxima
            if m.bidder != leader and m.bidder not in stays_out and _grid(room, m.max_fen) >= need
        ]
        if not challengers:
            return room, placed
        best = challengers[0]
        for m in challengers[1:]:
            if _stronger(room, m, best):
                best = m
        held = next((m for m in room.maxima if m.bidder == leader), None)
        if held is None or _stronger(room, best, held):
            reach = need if held is None else max(need, _grid(room, held.max_fen) + step)
            amount = min(reach, _grid(room, best.max_fen))
        else:
            amount = _grid(room, best.max_fen)
            if amount == _grid(room, held.max_fen):
                amount -= step  # leave the stronger (earlier) maximum room to answer
            if amount < need:
                stays_out.add(best.bidder)
                continue
        room, bid = _place(room, best.bidder, amount, now, rank=None, proxy=True)
        placed.append(bid)


def set_maximum(room: Room, bidder: str, max_fen: int, now: datetime) -> tuple[Room, tuple[AcceptedBid, ...]]:
    """Set or raise ``bidder``'s maximum bid; the room bids for them at once if they are not leading. Returns
    the room and the bids it made. The service checks the bidder (``check_bidder``) before."""
    now = aware(now, "now")
    if not room.terms.maxima_allowed:
        raise BidRefused(
            "the court has not allowed maximum bids for this lot",
            rule=a.RULE_MAXIMUM,
            zh="本标的未经人民法院准许设置最高出价",
            field="max_fen",
        )
    _check_open(room, now)
    own = next((m for m in room.maxima if m.bidder == bidder), None)
    if own is not None and max_fen < own.max_fen:
        raise BidRefused(
            f"a maximum is only raised: yours is {zh.yuan(own.max_fen)} yuan",
            rule=a.RULE_MAXIMUM,
            zh=f"最高出价只能提高，您当前的最高出价为{zh.yuan_text(own.max_fen)}",
            field="max_fen",
        )
    need = room.next_min_fen
    if max_fen < need:
        raise BidRefused(
            f"a maximum below the next bid of {zh.yuan(need)} yuan could never bid",
            rule=a.RULE_INCREMENT,
            zh=f"最高出价不得低于下一口价{zh.yuan_text(need)}",
            field="max_fen",
        )
    others = tuple(m for m in room.maxima if m.bidder != bidder)
    # A raise counts from now: precedence between equal maxima belongs to whoever committed the amount first.
    room = replace(room, maxima=(*others, MaxBid(bidder, max_fen, now)))
    room, placed = _answer_maxima(room, now)
    return room, tuple(placed)


# --- stopping and resuming (Art. 28) ---------------------------------------------------------------------


def suspend(room: Room, at: datetime, reason: str) -> Room:
    """Stop the room (暂缓 or 中止); the reason is published (Art. 28 ¶3). Bids wait until it resumes."""
    at = aware(at, "at")
    if not reason.strip():
        raise InvalidInput(
            "reason",
            "a stopped auction publishes its reason",
            rule=a.RULE_SUSPEND,
            zh="暂缓或中止拍卖应公告原因或理由",
        )
    if room.suspended_at is not None:
        raise RoomClosed("the auction is already stopped", rule=a.RULE_SUSPEND, zh="拍卖已处于暂缓或中止状态")
    if at >= room.effective_end:
        raise RoomClosed(
            "bidding has ended: the round is closed, not stopped",
            rule=a.RULE_SUSPEND,
            zh="竞价已结束，不能再暂缓或中止",
        )
    return replace(room, suspended_at=at)


def resume(room: Room, at: datetime) -> Room:
    """Resume a stopped room; every instant still ahead when it stopped moves by the stop's length, so no
    bidder loses bidding time. Whether it resumed in time is ``rounds.check_resumption``'s."""
    at = aware(at, "at")
    stopped = room.suspended_at
    if stopped is None:
        raise RoomClosed("the auction is not stopped", rule=a.RULE_SUSPEND, zh="拍卖未处于暂缓或中止状态")
    if at < stopped:
        raise InvalidInput(
            "at",
            "an auction resumes after it stopped",
            rule=a.RULE_SUSPEND,
            zh="恢复时间应晚于暂缓或中止时间",
        )
    shift = at - stopped
    terms = room.terms
    terms = replace(
        terms,
        starts_at=terms.starts_at + shift if terms.starts_at > stopped else terms.starts_at,
        ends_at=terms.ends_at + shift,
    )
    return replace(room, terms=terms, effective_end=room.effective_end + shift, suspended_at=None)


def is_over(room: Room, now: datetime) -> bool:
    """Whether the round is due to close: past its effective end and not stopped."""
    return room.suspended_at is None and aware(now, "now") >= room.effective_end
