"""A round's row as the rules' ``Room``, and back: the room's state lives on the round, changed only under
its lock (``lots.lock_round``). Bidders are known to the rules by their registration's id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from auction import rules
from auction.models import AuctionRound, MaximumBid, RoundKind, RoundStatus


def terms_of(rnd: AuctionRound) -> rules.RoomTerms:
    return rules.RoomTerms(
        starting_price_fen=rnd.starting_price_fen,
        increment_fen=rnd.increment_fen,
        starts_at=rnd.starts_at,
        ends_at=rnd.ends_at,
        kind=rules.RoomKind.SALE if rnd.kind == RoundKind.SALE else rules.RoomKind.AUCTION,
        extension=timedelta(seconds=rnd.extension_s),
        window=timedelta(seconds=rnd.window_s),
        maxima_allowed=rnd.maxima_allowed,
    )


def room_of(rnd: AuctionRound, maxima: Sequence[MaximumBid] = ()) -> rules.Room:
    leader = None
    if rnd.leader_id is not None and rnd.price_fen is not None and rnd.leader_at is not None:
        leader = rules.Leader(str(rnd.leader_id), rnd.price_fen, rnd.leader_at, rnd.bids, rnd.leader_rank)
    return rules.Room(
        terms=terms_of(rnd),
        effective_end=rnd.effective_end_at,
        leader=leader,
        bids=rnd.bids,
        maxima=tuple(rules.MaxBid(str(m.bidder_id), m.max_fen, m.set_at) for m in maxima),
        suspended_at=rnd.suspended_at if rnd.status == RoundStatus.SUSPENDED else None,
    )


def store(rnd: AuctionRound, room: rules.Room) -> None:
    """Write the room back onto the round (its terms move only when a stop is resumed)."""
    rnd.starts_at = room.terms.starts_at
    rnd.ends_at = room.terms.ends_at
    rnd.effective_end_at = room.effective_end
    rnd.bids = room.bids
    rnd.suspended_at = room.suspended_at
    leader = room.leader
    rnd.leader_id = int(leader.bidder) if leader is not None else None
    rnd.price_fen = leader.amount_fen if leader is not None else None
    rnd.leader_at = leader.at if leader is not None else None
    rnd.leader_rank = leader.priority_rank if leader is not None else None
