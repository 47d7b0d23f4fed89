"""Bids take their turn in memory, and go to the database together (group commit).

A server process runs one bid transaction at a time, for the API and the console alike. The bids that arrive
while one runs wait here, holding nothing, and go in the next one together: their callers proven, the round
read and locked once, each bid judged in the order received on the room in memory, every accepted bid
written, one commit, then an answer for each. Under a storm the batches grow by themselves.

Why: every bid on a lot passes through the round's row lock one at a time, in every process, and the lock is
held until the commit reaches the disk. One bid per transaction caps a lot at the rate of single commits
(about 300 a second on this machine's PostgreSQL); a batch per transaction lifts that cap by its size.
A bid waiting in the database instead of here would hold the round's lock while it waits for the
interpreter, and stall every other process's bids behind it.

A refused bid costs its batch nothing but its judgement, and changes nothing; a bid whose batch fails for
any reason other than a refusal (the database gone, say) fails with it, stored nowhere, so the bidder's
retry with the same key is judged afresh.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import anyio
from prometheus_client import Histogram
from sqlalchemy.exc import DBAPIError

from api.deps import Credentials, prove
from auction import bidding
from car_enforce.core.db import get_database
from car_enforce.core.errors import DomainError
from car_enforce.core.identity.principal import Principal

T = TypeVar("T")

BATCH_SIZE = Histogram(
    "carenforce_bid_batch_size",
    "Bids judged in one transaction (one lock of the round, one commit): above 1 when bids arrive faster "
    "than this process commits them",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)


@dataclass(eq=False)
class QueuedBid(Generic[T]):
    """A bid waiting for its turn: whose (proven in the batch's transaction), and how to answer it there."""

    round_id: int
    caller: Credentials | Principal  # credentials are proven in the batch's transaction, all in one read
    amount_fen: int
    key: str | None
    received_at: datetime
    answer: Callable[[bidding.Placed], T]
    done: asyncio.Future[T] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass(eq=False)
class _Alone(Generic[T]):
    """Other work on the room (a maximum bid) that opens and commits its own transaction, in its turn."""

    run: Callable[[], T]
    done: asyncio.Future[T] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


_Waiting = QueuedBid[Any] | _Alone[Any]


class _Turn:
    """One process's turn (per event loop: the tests run several loops)."""

    def __init__(self) -> None:
        self.waiting: list[_Waiting] = []
        self.worker: asyncio.Task[None] | None = None

    async def submit(self, item: _Waiting) -> Any:
        self.waiting.append(item)
        if self.worker is None:
            # A context of its own: the worker outlives the request that started it, whose log fields it
            # would otherwise carry into every batch's log lines.
            self.worker = asyncio.get_running_loop().create_task(self._work(), context=contextvars.Context())
        return await item.done

    async def _work(self) -> None:
        taken: list[_Waiting] = []
        try:
            while self.waiting:
                taken, self.waiting = self.waiting, []
                taken = [item for item in taken if not item.done.done()]  # its caller went away: not placed
                for batch in _batches(taken):
                    await _run(batch)
        finally:
            self.worker = None
            for item in [*taken, *self.waiting]:  # left only when this task was cancelled (the server stops)
                if not item.done.done():
                    item.done.cancel()


def _batches(taken: list[_Waiting]) -> list[_Alone[Any] | list[QueuedBid[Any]]]:
    """In the order received: other work alone, and the bids between two such by round, each round's in
    one batch (rounds are independent: a bid on one never waits for another's)."""
    batches: list[_Alone[Any] | list[QueuedBid[Any]]] = []
    rounds: dict[int, list[QueuedBid[Any]]] = {}
    for item in taken:
        if isinstance(item, _Alone):
            batches += rounds.values()
            rounds = {}
            batches.append(item)
        else:
            rounds.setdefault(item.round_id, []).append(item)
    return batches + list(rounds.values())


async def _run(batch: _Alone[Any] | list[QueuedBid[Any]]) -> None:
    items: list[_Waiting] = [batch] if isinstance(batch, _Alone) else list(batch)
    try:
        if isinstance(batch, _Alone):
            outcomes: list[Any] = [await anyio.to_thread.run_sync(batch.run)]
        else:
            outcomes = await anyio.to_thread.run_sync(_judge_again_if_deadlocked, batch)
    except BaseException as exc:  # the batch failed as a whole: each of its callers hears why
        for item in items:
            if not item.done.done():
                item.done.set_exception(exc)
        if not isinstance(exc, Exception):
            raise
        return
    for item, outcome in zip(items, outcomes, strict=True):
        if item.done.done():  # its caller went away
            continue
        if isinstance(outcome, DomainError):
            item.done.set_exception(outcome)
        else:
            item.done.set_result(outcome)


# PostgreSQL's deadlock and serialization failures: the transaction was rolled back whole, and the same
# batch tried again finds the database as if it had never run.
_TRANSIENT = frozenset({"40P01", "40001"})


def _judge_again_if_deadlocked(batch: list[QueuedBid[Any]]) -> list[Any]:
    """``_judge``, once more when the database gave up on it for a deadlock: a batch holds many bidders, and
    none of them should get a 500 for a conflict the database resolved by aborting this transaction."""
    BATCH_SIZE.observe(len(batch))
    try:
        return _judge(batch)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) not in _TRANSIENT:
            raise
    return _judge(batch)


def _judge(batch: list[QueuedBid[Any]]) -> list[Any]:
    """One transaction for a round's batch: each caller proven, the bids judged in order, the answers built
    before the commit (a 2xx means the bid is stored)."""
    outcomes: list[Any] = [None] * len(batch)
    with get_database().unit_of_work() as session:
        requests: list[bidding.BidRequest] = []
        proven: list[int] = []
        credentials = [item.caller for item in batch if isinstance(item.caller, Credentials)]
        principals = iter(prove(session, credentials))
        for i, item in enumerate(batch):
            who = next(principals) if isinstance(item.caller, Credentials) else item.caller
            if isinstance(who, DomainError):
                outcomes[i] = who
                continue
            requests.append(bidding.BidRequest(who, item.amount_fen, item.key, item.received_at))
            proven.append(i)
        placed = bidding.place_bids(session, batch[0].round_id, requests)
        for i, answer in zip(proven, placed, strict=True):
            outcomes[i] = answer if isinstance(answer, DomainError) else batch[i].answer(answer)
    return outcomes


_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turn] = weakref.WeakKeyDictionary()


def _turn() -> _Turn:
    loop = asyncio.get_running_loop()
    turn = _TURNS.get(loop)
    if turn is None:
        turn = _TURNS[loop] = _Turn()
    return turn


async def bid_in_turn(
    *,
    round_id: int,
    caller: Credentials | Principal,
    amount_fen: int,
    key: str | None,
    received_at: datetime,
    answer: Callable[[bidding.Placed], T],
) -> T:
    """Place a bid with the others waiting for this process's turn; ``answer`` turns what was placed into the
    reply inside the transaction. Raises the refusal (a DomainError) as the rules word it."""
    result: T = await _turn().submit(QueuedBid(round_id, caller, amount_fen, key, received_at, answer))
    return result


async def in_turn(work: Callable[[], T]) -> T:
    """Run ``work`` (it opens and commits its own transaction) on a worker thread, in this process's turn."""
    result: T = await _turn().submit(_Alone(work))
    return result
