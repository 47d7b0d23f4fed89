"""The record of scheduled job runs: started, finished, succeeded and the last error, per job, in one row."""

from __future__ import annotations

from datetime import timedelta

import pytest

from car_enforce.core import job_runs
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database


def state(db: Database, name: str) -> job_runs.JobState:
    with db.unit_of_work(read_only=True) as session:
        (found,) = [s for s in job_runs.states(session) if s.name == name]
        return found


def test_a_run_records_its_start_and_its_success(db: Database, clock: MovableClock) -> None:
    start = clock.now()
    assert job_runs.run(db, "sweep-watches", lambda: 3) == 3
    first = state(db, "sweep-watches")
    assert (first.last_started_at, first.last_finished_at, first.last_succeeded_at) == (start, start, start)
    assert first.last_error == "" and not first.failing
    clock.advance(timedelta(minutes=10))
    assert first.lag_s(clock.now()) == 600

    job_runs.run(db, "sweep-watches", lambda: None)  # the same row, moved on
    assert state(db, "sweep-watches").last_succeeded_at == clock.now()


def test_a_failed_run_keeps_the_last_success_and_records_its_error(db: Database, clock: MovableClock) -> None:
    job_runs.run(db, "deliver-notifications", lambda: None)
    succeeded = clock.now()
    clock.advance(timedelta(seconds=5))

    def broken() -> None:
        raise ConnectionError("the gateway refused " + "x" * 1000)

    with pytest.raises(ConnectionError):
        job_runs.run(db, "deliver-notifications", broken)
    failed = state(db, "deliver-notifications")
    assert failed.failing and failed.last_error.startswith("ConnectionError: the gateway refused xxx")
    assert len(failed.last_error) == job_runs.MAX_ERROR_CHARS
    assert failed.last_succeeded_at == succeeded and failed.last_finished_at == clock.now()
    assert failed.lag_s(clock.now()) == 5


def test_a_job_that_never_succeeded_has_no_lag(db: Database, clock: MovableClock) -> None:
    job_runs.started(db, "sweep-stage-clocks")  # still running, or died mid-run
    running = state(db, "sweep-stage-clocks")
    assert running.last_finished_at is None and not running.failing
    assert running.lag_s(clock.now()) is None
