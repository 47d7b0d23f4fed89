"""The record of each scheduled job's runs, kept in the database: when it last started, finished and
succeeded, and its last error.

The scheduler runs in a process of its own (or inside one ``serve`` of several); keeping the record in the
database lets any process tell how long ago a sweep last completed (``carenforce_sweep_lag_seconds`` on
``/metrics``). Instants come from ``core.clock``, so a simulation that moves the shared clock moves the lag
with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from car_enforce.core import clock
from car_enforce.core.db import Base, Database, UTCDateTime

MAX_ERROR_CHARS = 500
R = TypeVar("R")


class JobRun(Base):
    __tablename__ = "scheduler_job_run"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last run's error ("" when it succeeded): the exception's kind and text, cut to MAX_ERROR_CHARS.
    last_error: Mapped[str] = mapped_column(String(MAX_ERROR_CHARS), default="")


def _upsert(database: Database, name: str, values: dict[str, Any]) -> None:
    """Write ``values`` on the job's row, creating it, in one statement (two schedulers never race here
    for long: only the lease holder runs jobs, but a new holder may start while the old one finishes)."""
    with database.unit_of_work() as session:
        insert = sqlite.insert if database.sqlite else postgresql.insert
        first = {"last_started_at": clock.now(), "last_error": "", **values}
        statement = insert(JobRun).values(name=name, **first)
        session.execute(statement.on_conflict_do_update(index_elements=[JobRun.name], set_=values))


def started(database: Database, name: str) -> None:
    _upsert(database, name, {"last_started_at": clock.now()})


def finished(database: Database, name: str, error: BaseException | None = None) -> None:
    now = clock.now()
    if error is None:
        _upsert(database, name, {"last_finished_at": now, "last_succeeded_at": now, "last_error": ""})
    else:
        text = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
        _upsert(database, name, {"last_finished_at": now, "last_error": text})


def run(database: Database, name: str, job: Callable[[], R]) -> R:
    """Run ``job`` with its start and its end recorded; its error is recorded, then raised again."""
    started(database, name)
    try:
        result = job()
    except Exception as exc:
        finished(database, name, exc)
        raise
    finished(database, name)
    return result


@dataclass(frozen=True, slots=True)
class JobState:
    name: str
    last_started_at: datetime
    last_finished_at: datetime | None
    last_succeeded_at: datetime | None
    last_error: str

    @property
    def failing(self) -> bool:
        """Its last run ended in an error."""
        return self.last_finished_at is not None and bool(self.last_error)

    def lag_s(self, now: datetime) -> float | None:
        """Seconds since it last completed without an error; None if it never has."""
        if self.last_succeeded_at is None:
            return None
        return max(0.0, (now - self.last_succeeded_at).total_seconds())


def states(session: Session) -> list[JobState]:
    """Every job that has run at least once, by name."""
    return [
        JobState(row.name, row.last_started_at, row.last_finished_at, row.last_succeeded_at, row.last_error)
        for row in session.scalars(select(JobRun).order_by(JobRun.name))
    ]
