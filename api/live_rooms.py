"""The bidding room live, as server-sent events. Each server process runs one poller per watched round
that reads the accepted bids and the round's state from the database, so every process tells the same
story and nothing is told before its commit; every watcher in the process gets what the poller read.
A watcher that reconnects with ``Last-Event-ID`` is sent the bids it missed first."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import anyio

from auction.bidding import bids_of
from auction.models import AuctionRound
from car_enforce.core import clock
from car_enforce.core.db import MAX_ROW_ID, get_database

POLL_S = 0.1  # how often a watched round is read: well inside the 1 s a watcher may wait for a bid
KEEPALIVE_S = 15.0  # a comment line now and then keeps proxies from closing an idle stream
QUEUE = 2_000  # a watcher that falls this far behind is dropped; its browser reconnects and catches up
PAGE = 500  # bids read at a time
RECENT = 20  # bids sent to a first connection (a reconnection gets all it missed)


@dataclass(frozen=True, slots=True)
class State:
    status: str
    effective_end_at: datetime
    price_fen: int | None
    bids: int

    def json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "effective_end_at": self.effective_end_at.isoformat(),
            "price_fen": self.price_fen,
            "bids": self.bids,
        }


def read(round_id: int, after_seq: int) -> tuple[State | None, list[dict[str, Any]]]:
    """The round's state and its bids after ``after_seq`` (at most a page of them: call again from the last
    one for more), from the database (a read-only transaction)."""
    with get_database().unit_of_work(read_only=True) as session:
        rnd = session.get(AuctionRound, round_id)
        if rnd is None:
            return None, []
        state = State(rnd.status, rnd.effective_end_at, rnd.price_fen, rnd.bids)
        bids = [
            {
                "seq": b.seq,
                "bidder": number,
                "amount_fen": b.amount_fen,
                "at": b.at.isoformat(),
                "ends_at": b.ends_at.isoformat(),
                "end_moved": b.end_moved,
                "proxy": b.proxy,
                "priority": b.priority_rank is not None,
            }
            for b, number in (
                bids_of(session, round_id, after_seq=after_seq, limit=PAGE) if rnd.bids > after_seq else []
            )
        ]
        return state, bids


@dataclass
class _Room:
    round_id: int
    seq: int
    state: State | None
    loop: asyncio.AbstractEventLoop  # the server's loop its poller and its watchers run on
    watchers: set[asyncio.Queue[Batch]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


# What one poll found, as (the bid's sequence number or None for a state, its event text): a watcher sends the
# events it has not sent yet in one write, so a poll costs each watcher one send however many bids it found.
Batch = tuple[tuple[int | None, str], ...]


def _event(kind: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class Rooms:
    """The watched rounds of this process."""

    def __init__(self) -> None:
        self._rooms: dict[int, _Room] = {}

    async def _poll(self, room: _Room) -> None:
        while room.watchers:
            await asyncio.sleep(POLL_S)
            try:
                state, bids = await anyio.to_thread.run_sync(read, room.round_id, room.seq)
            except Exception:
                continue
            out: list[tuple[int | None, str]] = []
            for bid in bids:
                room.seq = bid["seq"]
                out.append(
                    (bid["seq"], _event("bid", {**bid, **(state.json() if state else {})}, bid["seq"]))
                )
            if state is not None and state != room.state:
                room.state = state
                out.append((None, _event("state", state.json())))
            if not out:
                continue
            batch = tuple(out)
            for queue in list(room.watchers):
                try:
                    queue.put_nowait(batch)
                except asyncio.QueueFull:
                    # Too far behind: its stream ends (the sign below), and the browser's reconnect with
                    # Last-Event-ID catches it up from the database.
                    room.watchers.discard(queue)
                    queue.get_nowait()
                    queue.put_nowait(())
        if self._rooms.get(room.round_id) is room:
            self._rooms.pop(room.round_id, None)

    async def watch(self, round_id: int, last_seq: int) -> AsyncIterator[str]:
        """The round's events for one watcher: from after ``last_seq`` (negative: a first connection)."""
        # The watcher joins the room before it reads what it missed: a bid the poller hands out meanwhile is
        # then in its queue, and one read before is in its catch-up (the overlap is sent once, by ``seen``).
        queue: asyncio.Queue[Batch] = asyncio.Queue(QUEUE)
        loop = asyncio.get_running_loop()
        room = self._rooms.get(round_id)
        if room is None or room.loop is not loop:
            # A room left by a server that stopped in this process (its loop closed with its poller still
            # pending, as a test's server may) is not this server's: its poller would never run again.
            room = _Room(round_id, 0, None, loop)
            self._rooms[round_id] = room
        room.watchers.add(queue)
        try:
            if last_seq < 0:  # a first connection: the latest bids only, as the page shows them
                state, _ = await anyio.to_thread.run_sync(read, round_id, MAX_ROW_ID)
                last_seq = max(0, state.bids - RECENT) if state is not None else 0
            state, missed = await anyio.to_thread.run_sync(read, round_id, last_seq)
            if state is None:
                return
            yield "retry: 1000\n\n"
            seen = last_seq
            while missed:  # page by page: a watcher far behind gets every bid it missed
                for bid in missed:
                    yield _event("bid", {**bid, **state.json()}, bid["seq"])
                seen = missed[-1]["seq"]
                if len(missed) < PAGE:
                    break
                state_now, missed = await anyio.to_thread.run_sync(read, round_id, seen)
                state = state_now or state
            yield _event("state", {**state.json(), "server_time": clock.now().isoformat()})
            if room.task is None or room.task.done():
                room.seq, room.state = max(room.seq, state.bids), state
                room.task = asyncio.create_task(self._poll(room))
            while True:
                try:
                    batch = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if not batch:
                    return  # dropped for falling behind
                fresh = [text for seq, text in batch if seq is None or seq > seen]  # not among the missed
                seen = max([seen, *(seq for seq, _ in batch if seq is not None)])
                if fresh:
                    yield "".join(fresh)
        finally:
            room.watchers.discard(queue)
            idle = not room.watchers and (room.task is None or room.task.done())
            if idle and self._rooms.get(round_id) is room:
                self._rooms.pop(round_id, None)


ROOMS = Rooms()
