"""Bids judged together (group commit, api.bid_turn): one lock and one commit for the bids that arrived
while the last batch ran, each judged in the order received as if it had come alone, each with its own
answer; a refused bid or a stranger in the batch never sinks the others."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import REGISTRY
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api import bid_turn
from api.deps import Allow, Credentials
from auction import bidding
from auction.models import AuctionBid, AuctionLot
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import DomainError, Unauthenticated
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.models import Role
from tests import factories
from tests.auction_helpers import (
    BIDDING_STARTS,
    INCREMENT_FEN,
    START_FEN,
    Listed,
    bidders_for,
    buyer,
)


def stored(db: Database, round_id: int) -> list[tuple[int, int, str | None]]:
    with db.unit_of_work(read_only=True) as s:
        bids = s.scalars(select(AuctionBid).where(AuctionBid.round_id == round_id).order_by(AuctionBid.seq))
        return [(b.seq, b.amount_fen, b.key) for b in bids]


def test_a_batch_is_judged_in_order_each_bid_answered_alone(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    a, b = bidders_for(db, listed.round_id, 2)
    stranger = buyer(db, "stranger", phone="13700009999")
    clock.set(BIDDING_STARTS + timedelta(minutes=1))
    at = BIDDING_STARTS + timedelta(minutes=1)
    step = timedelta(milliseconds=10)
    requests = [
        bidding.BidRequest(a, START_FEN, "a-1", at),
        bidding.BidRequest(b, START_FEN, "b-1", at + step),  # a moment late: the price is taken
        bidding.BidRequest(stranger, START_FEN + INCREMENT_FEN, "s-1", at + 2 * step),
        bidding.BidRequest(b, START_FEN + INCREMENT_FEN, "b-2", at + 3 * step),
        bidding.BidRequest(a, START_FEN, "a-1", at + 4 * step),  # a's retry of its first
        bidding.BidRequest(a, START_FEN + 3 * INCREMENT_FEN, "a-2", at + 5 * step),
        bidding.BidRequest(a, START_FEN + 3 * INCREMENT_FEN, "a-2", at + 6 * step),  # the same twice
        bidding.BidRequest(b, START_FEN + 3 * INCREMENT_FEN + 1, "b-3", at + 7 * step),  # off the steps
    ]
    with db.unit_of_work() as s:
        answers = bidding.place_bids(s, listed.round_id, requests)
        # What each answer says, read inside the transaction that made it.
        said = [
            (type(x).__name__, None)
            if isinstance(x, DomainError)
            else ("placed", [(bid.amount_fen, bid.key) for bid in x.bids], x.replayed)
            for x in answers
        ]
        price = answers[0].round.price_fen if isinstance(answers[0], bidding.Placed) else None
    assert said == [
        ("placed", [(START_FEN, "a-1")], False),
        ("BidRefused", None),
        ("RuleViolation", None),
        ("placed", [(START_FEN + INCREMENT_FEN, "b-2")], False),
        ("placed", [(START_FEN, "a-1")], True),
        ("placed", [(START_FEN + 3 * INCREMENT_FEN, "a-2")], False),
        ("placed", [(START_FEN + 3 * INCREMENT_FEN, "a-2")], True),
        ("BidRefused", None),
    ]
    # Every answer shows the room once the whole batch was judged.
    assert price == START_FEN + 3 * INCREMENT_FEN
    assert stored(db, listed.round_id) == [
        (1, START_FEN, "a-1"),
        (2, START_FEN + INCREMENT_FEN, "b-2"),
        (3, START_FEN + 3 * INCREMENT_FEN, "a-2"),
    ]
    # A later batch finds the keys of this one: the retries are answered with the first bids.
    with db.unit_of_work() as s:
        again = bidding.place_bids(
            s, listed.round_id, [bidding.BidRequest(b, START_FEN + INCREMENT_FEN, "b-2", at + 8 * step)]
        )
        assert isinstance(again[0], bidding.Placed) and again[0].replayed and again[0].bids[0].seq == 2


def test_bids_that_arrive_during_a_batch_go_together_in_the_next(
    db: Database, clock: MovableClock, listed: Listed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first bid's transaction is held until every other has arrived: they wait in memory and go in one
    batch, their callers' tokens read in one statement; each caller gets its own answer, the caller with a
    dead token its own refusal."""
    people = bidders_for(db, listed.round_id, 11)
    clock.set(BIDDING_STARTS + timedelta(minutes=1))
    with db.unit_of_work() as s:
        tokens = [
            identity.login(
                s, username=p.label.removeprefix("user:"), password=factories.PASSWORD, ttl_hours=1
            )[0]
            for p in people
        ]
    all_sent = threading.Event()
    first_batch = threading.Event()
    judge = bidding.place_bids

    def held(session: Session, round_id: int, requests: Sequence[bidding.BidRequest]) -> list[object]:
        if not first_batch.is_set():
            first_batch.set()
            assert all_sent.wait(10), "the other bids never arrived"
        return list(judge(session, round_id, requests))

    monkeypatch.setattr(bidding, "place_bids", held)

    def caller(token: str) -> Credentials:
        return Credentials(
            Allow(Role.BUYER), HTTPAuthorizationCredentials(scheme="Bearer", credentials=token), None
        )

    def sizes() -> tuple[float, float]:
        count = REGISTRY.get_sample_value("carenforce_bid_batch_size_count") or 0.0
        total = REGISTRY.get_sample_value("carenforce_bid_batch_size_sum") or 0.0
        return count, total

    async def storm() -> list[object]:
        at = BIDDING_STARTS + timedelta(minutes=1)

        def send(k: int, who: Credentials) -> asyncio.Future[object]:
            return asyncio.ensure_future(
                bid_turn.bid_in_turn(
                    round_id=listed.round_id,
                    caller=who,
                    amount_fen=START_FEN + k * INCREMENT_FEN,
                    key=f"k-{k}",
                    received_at=at + timedelta(milliseconds=k),
                    answer=lambda placed: [(b.seq, b.amount_fen) for b in placed.bids],
                )
            )

        first = send(0, caller(tokens[0]))
        await asyncio.get_running_loop().run_in_executor(None, first_batch.wait, 10)
        # Eleven more while the first is judged: ten bids in rising order, one with a dead token.
        rest = [send(k, caller(tokens[k])) for k in range(1, 11)] + [send(11, caller("not-a-token"))]
        await asyncio.sleep(0)  # every submission is queued before the first batch is let go
        all_sent.set()
        return list(await asyncio.gather(first, *rest, return_exceptions=True))

    before = sizes()
    outcomes = asyncio.run(storm())
    after = sizes()
    assert outcomes[:11] == [[(k + 1, START_FEN + k * INCREMENT_FEN)] for k in range(11)]
    assert isinstance(outcomes[11], Unauthenticated)
    # Two transactions for twelve bids: the first alone, then the eleven that waited for it.
    assert (after[0] - before[0], after[1] - before[1]) == (2.0, 12.0)
    assert [seq for seq, _, _ in stored(db, listed.round_id)] == list(range(1, 12))


def test_a_bid_never_waits_for_the_lot(db: Database, clock: MovableClock, listed: Listed) -> None:
    """A batch locks the round's row alone: the close and a withdrawal take the lot first, then the round, so
    a bid that took the lot after the round would deadlock with them in the round's last second."""
    (a,) = bidders_for(db, listed.round_id, 1)
    clock.set(BIDDING_STARTS + timedelta(minutes=1))

    def bid() -> int:
        with db.unit_of_work() as s:
            if not db.sqlite:
                s.execute(text("SET LOCAL lock_timeout = '3s'"))  # a wait for the lot fails, not hangs
            return bidding.place_bid(s, who=a, round_id=listed.round_id, amount_fen=START_FEN).bids[0].seq

    # Another transaction holds the lot (on SQLite, where a row has no lock, it only reads it).
    with db.unit_of_work(read_only=db.sqlite) as holder:
        holder.execute(select(AuctionLot).where(AuctionLot.id == listed.lot_id).with_for_update()).one()
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(bid).result(timeout=30) == 1


class _Aborted(Exception):
    """What the driver raises when PostgreSQL aborts a transaction: its SQLSTATE says why."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"aborted: {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("sqlstate", "again"), [("40P01", True), ("40001", True), ("23505", False)])
def test_a_batch_the_database_aborted_for_a_deadlock_runs_once_more(
    db: Database,
    clock: MovableClock,
    listed: Listed,
    monkeypatch: pytest.MonkeyPatch,
    sqlstate: str,
    again: bool,
) -> None:
    """A deadlock or a serialization failure rolled the whole batch back: it runs again and its bidders get
    their answers, each bid stored once. Any other database error fails the batch."""
    (a,) = bidders_for(db, listed.round_id, 1)
    clock.set(BIDDING_STARTS + timedelta(minutes=1))
    judge = bidding.place_bids
    calls: list[int] = []

    def aborted_once(session: Session, round_id: int, requests: Sequence[bidding.BidRequest]) -> list[object]:
        calls.append(len(requests))
        placed = list(judge(session, round_id, requests))  # written, then lost with the rollback
        if len(calls) == 1:
            raise OperationalError("INSERT INTO auction_bid …", {}, _Aborted(sqlstate))
        return placed

    monkeypatch.setattr(bidding, "place_bids", aborted_once)

    async def one_bid() -> object:
        return await bid_turn.bid_in_turn(
            round_id=listed.round_id,
            caller=a,
            amount_fen=START_FEN,
            key="once",
            received_at=BIDDING_STARTS + timedelta(minutes=1),
            answer=lambda placed: [(b.seq, b.amount_fen, placed.replayed) for b in placed.bids],
        )

    if again:
        assert asyncio.run(one_bid()) == [(1, START_FEN, False)]
        assert calls == [1, 1]
        assert stored(db, listed.round_id) == [(1, START_FEN, "once")]
    else:
        with pytest.raises(OperationalError):
            asyncio.run(one_bid())
        assert calls == [1]
        assert stored(db, listed.round_id) == []
