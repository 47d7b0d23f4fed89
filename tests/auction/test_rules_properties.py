"""Properties of the bidding room over random sequences of bids and maximum bids, lawful or not: whatever is
accepted rises strictly (in price, or at equal price in priority), lies on the increments, and the end never
moves back and is always as Art. 20 says."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from auction.rules import AcceptedBid, Bid, Room, accept_bid, close, set_maximum
from car_enforce.core.errors import DomainError
from tests.auction_rules_helpers import CALENDAR, END, YUAN, room

BIDDERS = ("alice", "bob", "carol", "tenant", "co-owner")
RANKS = {"tenant": 1, "co-owner": 2}  # confirmed priority buyers


@dataclass(frozen=True)
class Step:
    bidder: int
    increments: int  # above the current price: 0 matches it, negative undercuts it
    fen_off: int  # fen off the increments' grid (0: on it)
    seconds: float  # after the previous step
    maximum: bool  # set a maximum instead of bidding
    with_priority: bool  # a priority buyer bids with the code (an ordinary bidder's claim is ignored)


steps = st.lists(
    st.builds(
        Step,
        bidder=st.integers(0, len(BIDDERS) - 1),
        increments=st.integers(-2, 6),
        fen_off=st.sampled_from([0, 0, 0, 1, 50]),
        seconds=st.floats(0, 400, allow_nan=False),
        maximum=st.booleans(),
        with_priority=st.booleans(),
    ),
    max_size=60,
)


def run(
    plan: list[Step], *, priority: bool
) -> tuple[Room, list[tuple[datetime, AcceptedBid]], dict[str, int]]:
    """Play the plan from ten minutes before the scheduled end; each accepted bid with the end before it."""
    r = room(maxima_allowed=True)
    now = END - timedelta(minutes=10)
    accepted: list[tuple[datetime, AcceptedBid]] = []
    maxima: dict[str, int] = {}
    for step in plan:
        now += timedelta(seconds=step.seconds)
        who = BIDDERS[step.bidder]
        base = r.price_fen if r.price_fen is not None else r.terms.starting_price_fen
        amount = base + step.increments * r.terms.increment_fen + step.fen_off
        end_before = r.effective_end
        try:
            if step.maximum:
                r, placed = set_maximum(r, who, amount, now)
                maxima[who] = amount
            else:
                rank = RANKS.get(who) if priority and step.with_priority else None
                r, placed = accept_bid(r, Bid(who, amount, rank), now)
        except DomainError:
            continue
        for b in placed:
            accepted.append((end_before, b))
            end_before = b.ends_at
    return r, accepted, maxima


def _precedes(earlier: AcceptedBid, later: AcceptedBid) -> bool:
    if later.amount_fen != earlier.amount_fen:
        return later.amount_fen > earlier.amount_fen
    return later.priority_rank is not None and (
        earlier.priority_rank is None or later.priority_rank < earlier.priority_rank
    )


@settings(max_examples=300, deadline=None)
@given(steps)
def test_without_priority_buyers_accepted_amounts_strictly_rise(plan: list[Step]) -> None:
    _, accepted, _ = run(plan, priority=False)
    amounts = [b.amount_fen for _, b in accepted]
    assert amounts == sorted(set(amounts))


@settings(max_examples=300, deadline=None)
@given(steps)
def test_every_accepted_bid_takes_the_lead_by_price_or_by_priority(plan: list[Step]) -> None:
    _, accepted, _ = run(plan, priority=True)
    for (_, earlier), (_, later) in itertools.pairwise(accepted):
        assert _precedes(earlier, later), (earlier, later)
    assert [b.seq for _, b in accepted] == list(range(1, len(accepted) + 1))


@settings(max_examples=300, deadline=None)
@given(steps)
def test_accepted_amounts_lie_on_the_increments(plan: list[Step]) -> None:
    r, accepted, _ = run(plan, priority=True)
    assert all((b.amount_fen - r.terms.starting_price_fen) % r.terms.increment_fen == 0 for _, b in accepted)
    assert all(b.amount_fen >= r.terms.starting_price_fen for _, b in accepted)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_the_end_never_moves_back_and_is_always_the_later_of_the_end_and_the_bid_plus_five_minutes(
    plan: list[Step],
) -> None:
    r, accepted, _ = run(plan, priority=True)
    for end_before, b in accepted:
        assert b.at < end_before  # nothing is accepted at or after the effective end
        assert b.ends_at == max(end_before, b.at + timedelta(minutes=5))
        assert b.ends_at >= end_before
    assert r.effective_end == (accepted[-1][1].ends_at if accepted else END)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_the_room_never_bids_above_a_maximum(plan: list[Step]) -> None:
    _, accepted, maxima = run(plan, priority=True)
    for _, b in accepted:
        if b.proxy:
            assert b.amount_fen <= maxima[b.bidder]


@settings(max_examples=200, deadline=None)
@given(steps)
def test_the_close_sells_to_the_last_accepted_bid(plan: list[Step]) -> None:
    r, accepted, _ = run(plan, priority=True)
    closing = close(r, r.effective_end, {b: 1_000 * YUAN for b in BIDDERS}, CALENDAR)
    if accepted:
        last = accepted[-1][1]
        assert (closing.buyer, closing.price_fen) == (last.bidder, last.amount_fen)
        assert len(closing.released) == len(BIDDERS) - 1
    else:
        assert not closing.sold and len(closing.released) == len(BIDDERS)
