"""Liveness and readiness: a process that takes plate reads is ready once its watch index is loaded."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import cli
from api.app import create_app
from api.scheduler import jobs
from car_enforce.core.db import Base, Database
from car_enforce.sightings import index as index_mod
from car_enforce.sightings.index import IndexState, WatchIndex, index_of, warm_index
from tests import factories
from tests.api_helpers import issue_watch, login, open_case, register_vehicle
from tests.read_helpers import post, read


@pytest.fixture
def watched(db: Database, world: factories.World) -> Database:
    """Two watched cars, issued through one app; returns a second handle on the database (another process)."""
    with TestClient(create_app(db)) as client:
        officer = login(client, "py.officer")
        case = open_case(client, officer)
        for plate in ("浙C12345", "浙C54321"):
            link = register_vehicle(client, officer, case, plate=plate, vin=None)
            issue_watch(client, officer, case, link["vehicle"]["id"])
    return db


@pytest.fixture
def other_process(watched: Database) -> Iterator[Database]:
    """The same database as another server process sees it: its own handle, so its own (cold) index."""
    database = Database(watched.url)
    yield database
    database.dispose()


def test_a_process_that_takes_reads_is_ready_once_its_watch_index_is_loaded(
    other_process: Database,
) -> None:
    client = TestClient(create_app(other_process))  # no lifespan: nothing warms the index by itself
    assert client.get("/healthz").json() == {"status": "ok"}

    r = client.get("/readyz")
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    body = r.json()
    assert body["error"] == "NotReady" and body["status"] == "not_ready"
    assert body["checks"] == {
        "database": "ok",
        "watch_index": {"held": True, "state": "cold", "loaded_rows": 0},
    }
    assert "the watch index is loading" in body["detail"]

    assert warm_index(other_process) is True
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    index = r.json()["checks"]["watch_index"]
    assert (index["state"], index["loaded_rows"]) == ("ready", 2) and index["seconds"] >= 0
    assert client.get("/healthz").status_code == 200


@contextmanager
def load_held_half_way(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The warm-up of ``database``'s index, held after its first row until the block ends; then finished."""
    monkeypatch.setattr(index_mod, "LOAD_CHUNK", 1)
    reached, proceed, stop = threading.Event(), threading.Event(), threading.Event()
    add_rows = WatchIndex._add_rows
    loader = index_of(database)

    def held(self: WatchIndex, rows: Iterable[Any]) -> None:
        add_rows(self, rows)
        if self is loader and not reached.is_set():
            reached.set()
            assert proceed.wait(20)

    monkeypatch.setattr(WatchIndex, "_add_rows", held)
    warming = threading.Thread(target=warm_index, args=(database,), kwargs={"stop": stop})
    warming.start()
    try:
        assert reached.wait(10)
        yield
    finally:
        proceed.set()
        stop.set()
        warming.join(10)
        assert not warming.is_alive()


def test_readiness_shows_the_load_as_it_goes(
    other_process: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with load_held_half_way(other_process, monkeypatch):
        r = TestClient(create_app(other_process)).get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["watch_index"]["state"] == "loading"
    assert index_of(other_process).status().state is IndexState.READY
    assert index_of(other_process).status().loaded_rows == 2


def test_a_batch_sent_while_the_index_loads_is_matched_without_waiting_for_it(
    other_process: Database, world: factories.World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with load_held_half_way(other_process, monkeypatch):
        client = TestClient(create_app(other_process))
        exact = post(client, world.pingyang_key, read("浙C12345", camera="cam-1"))
        assert (exact["hits"], exact["possible_hits"]) == (1, 0)
        look_alike = post(client, world.pingyang_key, read("浙CS4321", camera="cam-2"))  # S for 5
        assert (look_alike["hits"], look_alike["possible_hits"]) == (0, 1)
        assert post(client, world.pingyang_key, read("浙C99999", camera="cam-3"))["matched"] == 0
        assert index_of(other_process).status().state is IndexState.LOADING  # nothing waited for it
    assert index_of(other_process).status().state is IndexState.READY


def test_a_started_server_warms_its_index_and_becomes_ready(other_process: Database) -> None:
    with TestClient(create_app(other_process)) as client:  # the lifespan starts the warm-up
        warming = [t for t in threading.enumerate() if t.name == "warm-watch-index"]
        for thread in warming:
            thread.join(10)
        assert client.get("/readyz").status_code == 200


def test_a_process_that_takes_no_reads_is_ready_without_the_index_and_still_matches_a_read(
    other_process: Database, world: factories.World
) -> None:
    with TestClient(create_app(other_process, takes_reads=False)) as client:
        r = client.get("/readyz")
        assert r.status_code == 200, r.text
        assert r.json()["checks"] == {"database": "ok", "watch_index": {"held": False}}
        assert index_of(other_process).status().state is IndexState.COLD  # no warm-up was started

        # A read sent to it anyway (a misrouted camera) is matched, never dropped, through the entries the
        # database holds under its folded key; the process still does not load the whole index.
        assert post(client, world.pingyang_key, read("浙C12345"))["hits"] == 1
        assert index_of(other_process).status().state is IndexState.COLD


def test_a_failed_warm_up_is_reported_and_tried_again_until_it_loads(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables yet: the load fails
    stop = threading.Event()
    outcome: list[bool] = []
    warming = threading.Thread(
        target=lambda: outcome.append(warm_index(database, stop=stop, retry_s=(0.05, 0.2)))
    )
    warming.start()
    try:
        client = TestClient(create_app(database))
        failed = _wait_for(lambda: index_of(database).status().state is IndexState.FAILED)
        assert failed
        r = client.get("/readyz")
        assert r.status_code == 503
        index = r.json()["checks"]["watch_index"]
        assert index["state"] == "failed" and index["error"] == "OperationalError"
        assert "loading the watch index failed" in r.json()["detail"]

        Base.metadata.create_all(database.engine)  # the database comes up: the next try loads
        assert _wait_for(lambda: index_of(database).status().state is IndexState.READY)
        assert client.get("/readyz").status_code == 200
    finally:
        stop.set()
        warming.join(10)
        database.dispose()
    assert outcome == [True]


def test_a_warm_up_that_is_stopped_gives_up(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    stop = threading.Event()
    stop.set()
    try:
        assert warm_index(database, stop=stop) is False
        assert index_of(database).status().state is IndexState.COLD
    finally:
        database.dispose()


def test_a_database_that_does_not_answer_is_not_ready(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    try:
        r = TestClient(create_app(database, takes_reads=False)).get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["database"] == "OperationalError"  # the message, with paths, is logged
        assert "the database does not answer" in r.json()["detail"]
    finally:
        database.dispose()


def test_the_scheduler_never_loads_the_watch_index(other_process: Database) -> None:
    for job, _seconds in jobs(other_process).values():
        job()
    assert index_of(other_process).status().state is IndexState.COLD


@pytest.mark.parametrize(("flags", "takes_reads"), [([], True), (["--no-reads"], False)])
def test_serve_takes_reads_unless_told_not_to(
    flags: list[str], takes_reads: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[FastAPI] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    monkeypatch.setattr(cli, "_log_to_stderr", lambda: None)
    result = CliRunner().invoke(cli.app, ["serve", "--no-scheduler", *flags])
    assert result.exit_code == 0, result.output
    assert [app.state.takes_reads for app in served] == [takes_reads]


def _wait_for(condition: Any, seconds: float = 10.0) -> bool:
    done = threading.Event()
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        done.wait(0.02)
    return bool(condition())
