"""Bids take their turn in memory: one bid transaction at a time in a server process, for the API and the
console alike. A bid waiting here holds nothing; one waiting in the database would hold the round's row lock
while it waits for the interpreter, and stall every other process's bids behind it."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio

T = TypeVar("T")

_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _turn() -> anyio.CapacityLimiter:
    # One per event loop: a limiter belongs to the loop it is used in, and the tests run several.
    loop = asyncio.get_running_loop()
    turn = _TURNS.get(loop)
    if turn is None:
        turn = _TURNS[loop] = anyio.CapacityLimiter(1)
    return turn


async def in_turn(bid: Callable[[], T]) -> T:
    """Run ``bid`` (it opens and commits its own transaction) on a worker thread, in this process's turn."""
    return await anyio.to_thread.run_sync(bid, limiter=_turn())
