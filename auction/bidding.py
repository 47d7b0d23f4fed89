"""The built-in bidding room: a bid or a maximum judged by the rules at the server's receipt time, under the
round's lock, and stored with every bid the room made for maximum bids in answer (网拍规定 Art. 19–21)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction import rules
from auction.bidders import bidder_of, eligibility_of, facts_of, not_registered
from auction.lots import lock_room, record
from auction.models import AuctionBid, AuctionBidder, AuctionRound, MaximumBid, RoundStatus
from auction.room_state import room_of, store
from auction.rules import articles as a
from car_enforce.core import clock, zh
from car_enforce.core.errors import DomainError, NotFound
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


def _numbers(session: Session, known: Sequence[AuctionBidder], bids: Sequence[AuctionBid]) -> dict[int, str]:
    """Bidder id → bidder number for every bid listed: the callers' from their registrations, the others'
    (the room's bids for maximum bids) read in one statement."""
    numbers = {b.id: b.number for b in known}
    missing = {b.bidder_id for b in bids} - numbers.keys()
    if missing:
        numbers.update(
            (row.id, row.number)
            for row in session.execute(
                select(AuctionBidder.id, AuctionBidder.number).where(AuctionBidder.id.in_(missing))
            )
        )
    return numbers


def _rows(rnd: AuctionRound, placed: tuple[rules.AcceptedBid, ...], key: str | None) -> list[AuctionBid]:
    """The accepted bids as rows: the caller's first, carrying the retry key, then the room's for maxima."""
    return [
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


def _maxima(session: Session, rnd: AuctionRound) -> list[MaximumBid]:
    if not rnd.maxima_allowed:
        return []
    return list(session.scalars(select(MaximumBid).where(MaximumBid.round_id == rnd.id)))


@dataclass(frozen=True, slots=True)
class BidRequest:
    """One bid as the server received it: who, how much, the retry key, and the receipt time (Art. 20)."""

    who: Principal
    amount_fen: int
    key: str | None = None
    received_at: datetime | None = None


def _firsts(session: Session, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The ids of bids already made with these (bidder, key) pairs."""
    if not wanted:
        return {}
    rows = session.execute(
        select(AuctionBid.bidder_id, AuctionBid.key, AuctionBid.id).where(
            AuctionBid.bidder_id.in_({b for b, _ in wanted}), AuctionBid.key.in_({k for _, k in wanted})
        )
    )
    return {(b, k): i for b, k, i in rows if k is not None and (b, k) in wanted}


def _registrations(
    session: Session, round_id: int, requests: Sequence[BidRequest]
) -> dict[int, AuctionBidder]:
    """The callers' registrations for the round (with their deposits), by user id, in one statement."""
    users = {r.who.user_id for r in requests if r.who.user_id is not None}
    if not users:
        return {}
    rows = session.scalars(
        select(AuctionBidder).where(AuctionBidder.round_id == round_id, AuctionBidder.user_id.in_(users))
    )
    return {b.user_id: b for b in rows.unique()}


def place_bids(session: Session, round_id: int, requests: Sequence[BidRequest]) -> list[Placed | DomainError]:
    """Bids for one round received together, judged one after another in the order given (the order they
    were received) under one lock of the round, and stored in the caller's one transaction: an answer for
    each, in the same order, either what was placed or the refusal naming its article (a refused bid stores
    nothing). A retry with the key of a bid already made returns that bid.

    Without a lock first: a bid from someone not registered, for a round that takes no bids, or at or below
    the price as it stands is refused at once (a round that stopped taking bids never takes them again,
    and its price only rises), so hopeless bids never queue for the lock."""
    now = clock.now()
    answers: list[Placed | DomainError | None] = [None] * len(requests)
    registered = _registrations(session, round_id, requests)
    seen = session.execute(
        select(AuctionRound).where(AuctionRound.id == round_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if seen is None:
        return [NotFound(f"round {round_id} does not exist", zh="没有找到此拍卖") for _ in requests]
    # The keys after the round: a twin that committed between the two reads is found, not refused as outbid.
    keyed = {(b.id, r.key) for r in requests if r.key and (b := registered.get(r.who.user_id or 0))}
    firsts = _firsts(session, keyed)
    as_seen = room_of(seen)
    live: list[int] = []
    for i, request in enumerate(requests):
        bidder = registered.get(request.who.user_id or 0)
        try:
            if bidder is None:
                raise not_registered()
            if request.key and (bidder.id, request.key) in firsts:
                answers[i] = _replay(session, seen, bidder, firsts[(bidder.id, request.key)])
                continue
            _check_taking(seen)
            rules.refuse_outbid(as_seen, rules.Bid(str(bidder.id), request.amount_fen, bidder.priority_rank))
        except DomainError as refused:
            answers[i] = refused
            continue
        live.append(i)
    if live:
        # By receipt time: a batch is in the order its bids reached the queue, which a bid whose request took
        # longer to read may have reached after a later one (stable: equal times keep their order).
        live.sort(key=lambda i: requests[i].received_at or now)
        _judge_in_turn(session, round_id, requests, registered, live, answers, now)
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


def _judge_in_turn(
    session: Session,
    round_id: int,
    requests: Sequence[BidRequest],
    registered: dict[int, AuctionBidder],
    live: list[int],
    answers: list[Placed | DomainError | None],
    now: datetime,
) -> None:
    """The bids that passed the first look, under the round's lock, one after another on the room in memory;
    the room and every accepted bid written once at the end."""
    rnd = lock_room(session, round_id)
    # Under the lock, the keys again: a twin that won the lock before this batch has committed by now.
    firsts = _firsts(
        session, {(registered[requests[i].who.user_id or 0].id, k) for i in live if (k := requests[i].key)}
    )
    eligibility = eligibility_of(rnd)
    room = room_of(rnd, _maxima(session, rnd))
    made: dict[tuple[int, str], AuctionBid] = {}
    placed: list[tuple[int, AuctionBidder, list[AuctionBid]]] = []
    for i in live:
        request = requests[i]
        bidder = registered[request.who.user_id or 0]
        key = request.key
        if key and (bidder.id, key) in firsts:
            answers[i] = _replay(session, rnd, bidder, firsts[(bidder.id, key)])
            continue
        if key and (bidder.id, key) in made:  # the same request twice in one batch
            answers[i] = Placed(rnd, [made[(bidder.id, key)]], {bidder.id: bidder.number}, replayed=True)
            continue
        try:
            _check_taking(rnd)
            rules.check_bidder(facts_of(bidder), eligibility)
            room, accepted = rules.accept_bid(
                room,
                rules.Bid(str(bidder.id), request.amount_fen, bidder.priority_rank),
                request.received_at or now,
            )
        except DomainError as refused:
            answers[i] = refused
            continue
        rows = _rows(rnd, accepted, key)
        if key:
            made[(bidder.id, key)] = rows[0]
        placed.append((i, bidder, rows))
    if not placed:
        return
    store(rnd, room)
    session.add_all([row for _, _, rows in placed for row in rows])
    session.flush()
    numbers = _numbers(
        session, [bidder for _, bidder, _ in placed], [row for _, _, rows in placed for row in rows]
    )
    for i, _bidder, rows in placed:
        answers[i] = Placed(rnd, rows, {b.bidder_id: numbers[b.bidder_id] for b in rows})


def _replay(session: Session, rnd: AuctionRound, bidder: AuctionBidder, first_id: int) -> Placed:
    first = session.get(AuctionBid, first_id)
    assert first is not None
    return Placed(rnd, [first], {bidder.id: bidder.number}, replayed=True)


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
    (answer,) = place_bids(session, round_id, [BidRequest(who, amount_fen, key, received_at)])
    if isinstance(answer, DomainError):
        raise answer
    return answer


def set_maximum(
    session: Session, *, who: Principal, round_id: int, max_fen: int, received_at: datetime | None = None
) -> Placed:
    """Set or raise a maximum bid where the court allows it; the room bids for the bidder at once when they
    are not leading, and answers later bids by increments up to it."""
    now = received_at or clock.now()
    bidder = bidder_of(session, round_id, who.user_id)
    rnd = lock_room(session, round_id)
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
    rows = _rows(rnd, accepted, None)
    session.add_all(rows)
    session.flush()
    placed = Placed(rnd, rows, _numbers(session, [bidder], rows))
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
