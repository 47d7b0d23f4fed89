"""The room live over real HTTP (server-sent events from uvicorn on loopback): a watcher sees each accepted
bid with the new price and end; one who reconnects with Last-Event-ID is sent what it missed first."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api import live_rooms
from auction import bidding
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests import factories
from tests.auction_helpers import (
    BIDDING_ENDS,
    BIDDING_STARTS,
    INCREMENT_FEN,
    START_FEN,
    bidders_for,
    listed_lot,
    priced_car,
)
from tests.live import serve

pytestmark = pytest.mark.usefixtures("centers")


@pytest.fixture
def base_url(app: FastAPI, db: Database) -> Iterator[str]:
    with serve(app) as url:
        yield url


def events(response: httpx.Response, wanted: int, out: list[tuple[str, dict[str, Any]]]) -> None:
    kind = ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            out.append((kind, json.loads(line[6:])))
            if sum(1 for k, _ in out if k == "bid") >= wanted:
                return


def test_a_watcher_sees_each_bid_and_the_moved_end(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers, base_url: str
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers))
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    with db.unit_of_work() as s:
        bidding.place_bid(s, who=a, round_id=listed.round_id, amount_fen=START_FEN)
    seen: list[tuple[str, dict[str, Any]]] = []
    url = f"{base_url}/api/auction/rounds/{listed.round_id}/live"
    with httpx.Client(timeout=10) as http, http.stream("GET", url) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = threading.Thread(target=events, args=(response, 2, seen), daemon=True)
        reader.start()
        time.sleep(0.3)  # the watcher is connected and polling
        late = BIDDING_ENDS - timedelta(seconds=20)
        clock.set(late)
        sent = time.monotonic()
        with db.unit_of_work() as s:
            bidding.place_bid(s, who=b, round_id=listed.round_id, amount_fen=START_FEN + INCREMENT_FEN)
        reader.join(timeout=5)
        waited = time.monotonic() - sent
    bids = [data for kind, data in seen if kind == "bid"]
    assert [x["seq"] for x in bids] == [1, 2]  # the one before it connected, then the new one
    assert bids[1]["price_fen"] == START_FEN + INCREMENT_FEN and bids[1]["bidder"] != bids[0]["bidder"]
    assert datetime.fromisoformat(bids[1]["effective_end_at"]) == late + timedelta(minutes=5)
    assert waited < 1.0  # seen within a second
    assert not any("竞买人" in json.dumps(d, ensure_ascii=False) for _, d in seen)  # numbers, never names


def test_a_reconnecting_watcher_gets_what_it_missed(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers, base_url: str
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers))
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    amount = START_FEN
    for who in (a, b, a):
        with db.unit_of_work() as s:
            bidding.place_bid(s, who=who, round_id=listed.round_id, amount_fen=amount)
        amount += INCREMENT_FEN
    seen: list[tuple[str, dict[str, Any]]] = []
    url = f"{base_url}/api/auction/rounds/{listed.round_id}/live"
    with (
        httpx.Client(timeout=10) as http,
        http.stream("GET", url, headers={"Last-Event-ID": "1"}) as response,
    ):
        events(response, 2, seen)
    assert [d["seq"] for k, d in seen if k == "bid"] == [2, 3]


def test_an_unknown_round_has_no_feed(client: httpx.Client) -> None:
    assert client.get("/api/auction/rounds/999/live").status_code == 404


def _bids(db: Database, listed_round: int, people: list[Any], count: int) -> None:
    amount = START_FEN
    for i in range(count):
        with db.unit_of_work() as s:
            bidding.place_bid(s, who=people[i % 2], round_id=listed_round, amount_fen=amount)
        amount += INCREMENT_FEN


def test_a_first_connection_gets_the_latest_bids_and_a_reconnection_every_missed_page(
    db: Database,
    clock: MovableClock,
    world: factories.World,
    centers: factories.Centers,
    base_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers))
    people = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    _bids(db, listed.round_id, people, live_rooms.RECENT + 5)
    url = f"{base_url}/api/auction/rounds/{listed.round_id}/live"
    first: list[tuple[str, dict[str, Any]]] = []
    with httpx.Client(timeout=10) as http, http.stream("GET", url) as response:
        events(response, live_rooms.RECENT, first)
    assert [d["seq"] for k, d in first if k == "bid"] == list(range(6, live_rooms.RECENT + 6))
    monkeypatch.setattr(live_rooms, "PAGE", 4)  # the server runs in this process: pages of 4 bids
    again: list[tuple[str, dict[str, Any]]] = []
    with (
        httpx.Client(timeout=10) as http,
        http.stream("GET", url, headers={"Last-Event-ID": "3"}) as response,
    ):
        events(response, live_rooms.RECENT + 2, again)
    assert [d["seq"] for k, d in again if k == "bid"] == list(range(4, live_rooms.RECENT + 6))


def test_a_room_left_by_a_stopped_server_does_not_silence_the_next_servers_watchers(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers, base_url: str
) -> None:
    # A server that stopped in this process (one test's, before the next test's round of the same id)
    # left its room behind: its poller ended with its loop, its count of bids sent at 5.
    listed = listed_lot(db, priced_car(db, world, centers))
    a, b = bidders_for(db, listed.round_id, 2)
    dead = asyncio.new_event_loop()
    ended = dead.create_future()
    ended.set_result(None)
    stale = live_rooms._Room.__new__(live_rooms._Room)
    for name, value in {"round_id": listed.round_id, "seq": 5, "state": None, "loop": dead}.items():
        setattr(stale, name, value)
    stale.watchers, stale.task = set(), ended  # type: ignore[assignment]
    live_rooms.ROOMS._rooms[listed.round_id] = stale
    try:
        clock.set(BIDDING_STARTS)
        with db.unit_of_work() as s:
            bidding.place_bid(s, who=a, round_id=listed.round_id, amount_fen=START_FEN)
        seen: list[tuple[str, dict[str, Any]]] = []
        url = f"{base_url}/api/auction/rounds/{listed.round_id}/live"
        with httpx.Client(timeout=10) as http, http.stream("GET", url) as response:
            reader = threading.Thread(target=events, args=(response, 2, seen), daemon=True)
            reader.start()
            time.sleep(0.3)
            with db.unit_of_work() as s:
                bidding.place_bid(s, who=b, round_id=listed.round_id, amount_fen=START_FEN + INCREMENT_FEN)
            reader.join(timeout=5)
        assert [data["seq"] for kind, data in seen if kind == "bid"] == [1, 2]
    finally:
        live_rooms.ROOMS._rooms.pop(listed.round_id, None)
        dead.close()
