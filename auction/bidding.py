"""The built-in bidding room: a bid or a maximum judged by the rules at the server's receipt time, under the
round's lock, and stored with every bid the room made for maximum bids in answer (网拍规定 Art. 19–21)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import null, select
from sqlalchemy.orm import Session

from auction import rules
from auction.bidders import bidder_of, eligibility_of, facts_of
from auction.lots import lock_round, record
from auction.models import AuctionBid, AuctionBidder, AuctionRound, MaximumBid, RoundStatus
from auction.room_state import room_of, store
from auction.rules import articles as a
from car_enforce.core import clock, zh
from car_enforce.core.errors import NotFound
from car_enforce.core.identity.principal import Principal

# A round closed, withdrawn or still in draft takes no bid, whatever its times say.
_TAKING = frozenset({RoundStatus.ANNOUNCED, RoundStatus.SUSPENDED})


@dataclass(frozen=True, slots=True)
class Placed:
    round: AuctionRound
    bids: list[AuctionBid]  # the bid, then any the room made for maximum bids; empty for a maximum alone
    numbers: dict[int, str]  # bidder id → bidder number, for every bid listed
    replayed: bool = False


def _check_taking(rnd: AuctionRound) -> None:
    if rnd.status not in _TAKING:
        raise rules.RoomClosed(
            f"round {rnd.id} is {rnd.status}: it takes no bids",
            rule=a.RULE_BID_TIME,
            zh="此拍卖当前不接受出价" + ("（竞价已结束）" if rnd.closed_at is not None else ""),
        )


def _lock_for(
    session: Session, round_id: int, bidder_id: int, key: str | None
) -> tuple[AuctionRound, int | None]:
    """The round under its lock, and the id of the bidder's bid made with ``key`` if there is one. The key
    is looked up in a statement of its own once the lock is held: on PostgreSQL a subquery of the locking
    statement would read the snapshot taken before it waited, and miss a twin that committed meanwhile."""
    rnd = session.execute(
        select(AuctionRound)
        .where(AuctionRound.id == round_id)
        .with_for_update(of=AuctionRound)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if rnd is None:
        raise NotFound(f"round {round_id} does not exist", zh="没有找到此拍卖")
    first = session.scalar(select(_first_with(bidder_id, key))) if key else None
    return rnd, first


def _numbers(
    session: Session, bidder: AuctionBidder, placed: tuple[rules.AcceptedBid, ...]
) -> dict[int, str]:
    ids = {int(b.bidder) for b in placed} - {bidder.id}
    numbers = {bidder.id: bidder.number}
    if ids:
        numbers.update(
            (row.id, row.number)
            for row in session.execute(
                select(AuctionBidder.id, AuctionBidder.number).where(AuctionBidder.id.in_(ids))
            )
        )
    return numbers


def _store_bids(
    session: Session, rnd: AuctionRound, placed: tuple[rules.AcceptedBid, ...], key: str | None
) -> list[AuctionBid]:
    rows = [
        AuctionBid(
            round_id=rnd.id,
            seq=b.seq,
            bidder_id=int(b.bidder),
            amount_fen=b.amount_fen,
            at=b.at,
            ends_at=b.ends_at,
            end_moved=b.end_moved,
            proxy=b.proxy,
            priority_rank=b.priority_rank,
            key=key if i == 0 and not b.proxy else None,
        )
        for i, b in enumerate(placed)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _record(session: Session, who: Principal, rnd: AuctionRound, placed: Placed, kind: str) -> None:
    record(
        session,
        who,
        rnd.lot,
        kind,
        {
            "round_id": rnd.id,
            "bids": [
                {
                    "seq": b.seq,
                    "bidder": placed.numbers[b.bidder_id],
                    "amount_fen": b.amount_fen,
                    "at": b.at,
                    "proxy": b.proxy,
                }
                for b in placed.bids
            ],
            "effective_end_at": rnd.effective_end_at,
        },
        reason=a.RULE_EXTENSION if any(b.end_moved for b in placed.bids) else a.RULE_INCREMENT,
        heard=False,  # a bid is on the record and on the live feed, not a webhook to the court each time
    )


def _first_with(bidder_id: Any, key: str | None) -> Any:
    """The id of the bidder's bid made with ``key``, as a scalar subquery (NULL without a key)."""
    if not key:
        return null()
    return (
        select(AuctionBid.id)
        .where(AuctionBid.bidder_id == bidder_id, AuctionBid.key == key)
        .scalar_subquery()
    )


def _bidder_and_room(
    session: Session, round_id: int, user_id: int | None, key: str | None
) -> tuple[AuctionBidder, AuctionRound, int | None]:
    """The caller's registration, the round as it stands and the bid already made with ``key``, read in one
    statement without a lock."""
    row = session.execute(
        select(AuctionBidder, AuctionRound, _first_with(AuctionBidder.id, key))
        .join(AuctionRound, AuctionRound.id == AuctionBidder.round_id)
        .where(AuctionBidder.round_id == round_id, AuctionBidder.user_id == user_id)
    ).one_or_none()
    if row is None:
        bidder_of(session, round_id, user_id)  # refuses, naming the article
        raise AssertionError("bidder_of found a registration the join did not")
    return row[0], row[1], row[2]


def _maxima(session: Session, rnd: AuctionRound) -> list[MaximumBid]:
    if not rnd.maxima_allowed:
        return []
    return list(session.scalars(select(MaximumBid).where(MaximumBid.round_id == rnd.id)))


def place_bid(
    session: Session,
    *,
    who: Principal,
    round_id: int,
    amount_fen: int,
    key: str | None = None,
    received_at: datetime | None = None,
) -> Placed:
    """A bid received at ``received_at`` (the server's receipt time, taken before waiting for the lock).
    Refused with the article, storing nothing; a retry with the same key returns the first bid."""
    now = received_at or clock.now()
    bidder, seen, first_id = _bidder_and_room(session, round_id, who.user_id, key)
    bid = rules.Bid(str(bidder.id), amount_fen, bidder.priority_rank)
    if first_id is None:
        # Closed for good, or overtaken already: refused without queueing for the lock (a round that stopped
        # taking bids never takes them again, and its price only rises).
        _check_taking(seen)
        rules.refuse_outbid(room_of(seen), bid)
        # The lock and the retry's lookup again in one statement: a twin of this request that won the lock
        # has committed its bid by the time this one holds it.
        rnd, first_id = _lock_for(session, round_id, bidder.id, key)
    else:
        rnd = seen
    if first_id is not None:
        first = session.get(AuctionBid, first_id)
        assert first is not None
        return Placed(rnd, [first], {bidder.id: bidder.number}, replayed=True)
    _check_taking(rnd)
    rules.check_bidder(facts_of(bidder), eligibility_of(rnd))
    maxima = _maxima(session, rnd)
    room, accepted = rules.accept_bid(room_of(rnd, maxima), bid, now)
    store(rnd, room)
    rows = _store_bids(session, rnd, accepted, key)
    # No timeline entry per bid: the bids are their own append-only record, read by the live feed, and the
    # close seals them all into the case's hash chain at once (``bids_digest``), so the lock is held for two
    # writes only (网拍规定 Art. 29 keeps the records; the seal makes them tamper-evident).
    return Placed(rnd, rows, _numbers(session, bidder, accepted))


def set_maximum(
    session: Session, *, who: Principal, round_id: int, max_fen: int, received_at: datetime | None = None
) -> Placed:
    """Set or raise a maximum bid where the court allows it; the room bids for the bidder at once when they
    are not leading, and answers later bids by increments up to it."""
    now = received_at or clock.now()
    bidder = bidder_of(session, round_id, who.user_id)
    rnd = lock_round(session, round_id)
    _check_taking(rnd)
    rules.check_bidder(facts_of(bidder), eligibility_of(rnd))
    maxima = _maxima(session, rnd)
    room, accepted = rules.set_maximum(room_of(rnd, maxima), str(bidder.id), max_fen, now)
    store(rnd, room)
    own = next((m for m in maxima if m.bidder_id == bidder.id), None)
    if own is None:
        session.add(MaximumBid(round_id=rnd.id, bidder_id=bidder.id, max_fen=max_fen, set_at=now))
    else:
        own.max_fen, own.set_at = max_fen, now
    rows = _store_bids(session, rnd, accepted, None)
    placed = Placed(rnd, rows, _numbers(session, bidder, accepted))
    _record(session, who, rnd, placed, "auction.maximum_set")
    return placed


def bids_of(
    session: Session, round_id: int, *, after_seq: int = 0, limit: int = 500
) -> list[tuple[AuctionBid, str]]:
    """The round's accepted bids after ``after_seq``, in order, with each bidder's number."""
    rows = session.execute(
        select(AuctionBid, AuctionBidder.number)
        .join(AuctionBidder, AuctionBidder.id == AuctionBid.bidder_id)
        .where(AuctionBid.round_id == round_id, AuctionBid.seq > after_seq)
        .order_by(AuctionBid.seq)
        .limit(limit)
    )
    return [(bid, number) for bid, number in rows]


def bids_digest(session: Session, round_id: int) -> str:
    """The round's bids sealed in one SHA-256 chain, in order: each link hashes the previous link with the
    bid's sequence, bidder, amount, receipt time, proxy flag and priority rank. Recorded on the case's
    timeline at the close, it makes any later change to a bid visible."""
    link = ""
    for bid in session.scalars(
        select(AuctionBid).where(AuctionBid.round_id == round_id).order_by(AuctionBid.seq)
    ):
        fields = (
            link,
            bid.seq,
            bid.bidder_id,
            bid.amount_fen,
            bid.at.isoformat(),
            bid.proxy,
            bid.priority_rank,
        )
        link = hashlib.sha256("|".join(str(f) for f in fields).encode()).hexdigest()
    return link


def price_text(fen: int | None) -> str:
    return "暂无出价" if fen is None else zh.yuan_text(fen)
