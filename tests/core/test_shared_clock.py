"""The shared clock: time moved in one process is the time of every process reading the same database."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from car_enforce.core.db import Database
from car_enforce.core.shared_clock import SharedClock

MONDAY = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _other_process(db: Database) -> Database:
    """A second engine on the same database: what an API worker or the scheduler holds."""
    return Database(db.url)


def test_without_a_row_the_shared_clock_is_the_real_clock(db: Database) -> None:
    before = datetime.now(UTC)
    assert before <= SharedClock(db).now() <= datetime.now(UTC)


def test_a_frozen_move_is_seen_by_another_process(db: Database) -> None:
    mover, reader = SharedClock(db), SharedClock(_other_process(db), refresh=timedelta(0))
    mover.set(MONDAY, running=False)
    assert reader.now() == MONDAY
    mover.advance(timedelta(days=3))
    assert reader.now() == MONDAY + timedelta(days=3)
    mover.release()
    assert abs(reader.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_running_clock_runs_on_from_the_instant_it_was_set_to(db: Database) -> None:
    clock = SharedClock(db)
    clock.set(MONDAY)
    first = SharedClock(_other_process(db)).now()
    assert MONDAY <= first < MONDAY + timedelta(seconds=5)


def test_a_reader_sees_a_move_within_its_refresh(db: Database) -> None:
    mover = SharedClock(db)
    reader = SharedClock(_other_process(db), refresh=timedelta(hours=1))
    mover.set(MONDAY, running=False)
    assert reader.now() == MONDAY  # first read
    mover.advance(timedelta(days=1))
    assert reader.now() == MONDAY  # its copy, until the refresh runs out: no query per reading
    reader._read_at = -1e18  # the refresh ran out
    assert reader.now() == MONDAY + timedelta(days=1)


def test_a_reader_past_its_refresh_reads_the_row_on_a_thread_of_its_own(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its refresh a reader answers at once from its copy and reads the row beside (a server's event
    loop must not wait for a connection to open); the move shows up in the answers that follow."""
    mover = SharedClock(db)
    reader = SharedClock(_other_process(db), refresh=timedelta(milliseconds=20))
    read_in: list[str] = []
    read = reader._read

    def recorded() -> None:
        read_in.append(threading.current_thread().name)
        read()

    monkeypatch.setattr(reader, "_read", recorded)
    mover.set(MONDAY, running=False)
    assert reader.now() == MONDAY
    mover.advance(timedelta(days=1))
    time.sleep(0.05)
    deadline = time.monotonic() + 5
    while reader.now() != MONDAY + timedelta(days=1):
        assert time.monotonic() < deadline, "the reader never saw the move"
        time.sleep(0.01)
    # The first read in the caller's thread (there was nothing to answer with), every later one beside it.
    assert read_in[0] == threading.current_thread().name
    assert read_in[1:] and set(read_in[1:]) == {"shared-clock"}


def test_the_cli_moves_the_time_a_process_sees(db: Database, tmp_path: Path) -> None:
    env = {**os.environ, "CARENFORCE_DATABASE_URL": db.url, "CARENFORCE_CLOCK": "shared"}
    cli = [sys.executable, "-m", "api"]
    done = subprocess.run(
        [*cli, "clock", "set", "2026-11-23T09:00:00+08:00", "--frozen"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run([*cli, "clock", "advance", "--days", "2"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2026-11-25T01:00:00+00:00"
    assert SharedClock(_other_process(db)).now() == MONDAY + timedelta(days=2)
