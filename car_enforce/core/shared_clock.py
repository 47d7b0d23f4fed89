"""A movable clock kept in the database, so that every process of one platform (API workers, the
scheduler, a city simulation driving them) sees the same moved time.

Production reads the real clock (``CARENFORCE_CLOCK=system``, the default). With
``CARENFORCE_CLOCK=shared`` each process reads the one ``shared_clock`` row: the platform instant it was
set to, the real instant it was set at, and whether time runs on from there or stands still. A process
re-reads the row at most every ``refresh`` of real time and runs its copy on in between, so a move is
seen everywhere within that time (0.2 s by default) and a read costs no query on the hot path.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Boolean, Engine, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.pool import NullPool

from car_enforce.core.db import Base, Database, UTCDateTime, make_engine

ROW_ID = 1
log = logging.getLogger(__name__)
_UNREAD = -1e18  # the time of the last read before any


class SharedClockRow(Base):
    __tablename__ = "shared_clock"

    id: Mapped[int] = mapped_column(primary_key=True)
    instant: Mapped[datetime] = mapped_column(UTCDateTime)  # the platform's time when the row was written
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the real time when the row was written
    running: Mapped[bool] = mapped_column(Boolean)  # False: time stands still at ``instant``


def _real() -> datetime:
    return datetime.now(UTC)


class SharedClock:
    """The platform's time from the ``shared_clock`` row; the real time while no row exists."""

    def __init__(self, database: Database, *, refresh: timedelta = timedelta(seconds=0.2)) -> None:
        self.database = database
        self.refresh_s = refresh.total_seconds()
        self._lock = threading.Lock()
        self._read_at = _UNREAD  # monotonic seconds of the last read of the row
        self._row: tuple[datetime, datetime, bool] | None = None
        # The refresh opens a connection of its own (no pool): it runs inside requests that already hold one
        # of the pool's, and waiting there for another could stall every request for the pool's timeout.
        self._reader: Engine = make_engine(database.url, poolclass=NullPool)
        if database.sqlite:
            self._reader = self._reader.execution_options(sqlite_begin="DEFERRED")  # never the write turn

    def _current(self) -> tuple[datetime, datetime, bool] | None:
        stale = time.monotonic() - self._read_at >= self.refresh_s
        if stale and (self._read_at == _UNREAD or self.refresh_s == 0):
            # Not read since this process started or moved the time, or a reader that asked to see every
            # move at once: read now; the others wait for it.
            with self._lock:
                if self.refresh_s == 0 or self._read_at == _UNREAD:  # not read meanwhile by another thread
                    self._read()
        elif stale and self._lock.acquire(blocking=False):
            # Read on a thread of its own while everyone goes on with the row as last read (at most a refresh
            # old): opening the reader's connection takes tens of milliseconds on PostgreSQL, which would
            # otherwise stall the event loop of a server process five times a second.
            try:
                threading.Thread(target=self._read_and_release, name="shared-clock", daemon=True).start()
            except BaseException:  # no thread to be had (the interpreter is stopping): the lock goes back
                self._lock.release()
                raise
        return self._row

    def _read_and_release(self) -> None:
        try:
            self._read()
        except Exception:  # the database does not answer: go on with the copy, try again after a refresh
            log.warning("shared clock: could not read its row; the last time read runs on", exc_info=True)
            self._read_at = time.monotonic()
        finally:
            self._lock.release()

    def _read(self) -> None:
        query = select(SharedClockRow.instant, SharedClockRow.set_at, SharedClockRow.running).where(
            SharedClockRow.id == ROW_ID
        )
        with self._reader.connect() as connection:
            row = connection.execute(query).first()
            connection.rollback()
        self._row = (row[0], row[1], row[2]) if row is not None else None
        self._read_at = time.monotonic()

    def now(self) -> datetime:
        row = self._current()
        if row is None:
            return _real()
        instant, set_at, running = row
        return instant + (_real() - set_at) if running else instant

    def _write(self, instant: datetime, running: bool) -> None:
        with self.database.unit_of_work() as session:
            _store(session, instant.astimezone(UTC), running)
        with self._lock:
            self._read_at = _UNREAD  # this process sees its own move at once

    def set(self, instant: datetime, *, running: bool = True) -> None:
        if instant.tzinfo is None:
            raise ValueError("the shared clock needs a timezone-aware instant")
        self._write(instant, running)

    def advance(self, delta: timedelta) -> None:
        """Move the platform's time on by ``delta`` (it keeps running or standing as it was)."""
        row = self._current()
        running = row[2] if row is not None else True
        self._write(self.now() + delta, running)

    def release(self) -> None:
        """Back to the real time for every process."""
        with self.database.unit_of_work() as session:
            row = session.get(SharedClockRow, ROW_ID)
            if row is not None:
                session.delete(row)
        with self._lock:
            self._read_at = _UNREAD


def _store(session: Session, instant: datetime, running: bool) -> None:
    # The row is locked, so two processes moving time at once apply one move after the other.
    row = session.scalar(select(SharedClockRow).where(SharedClockRow.id == ROW_ID).with_for_update())
    if row is None:
        session.add(SharedClockRow(id=ROW_ID, instant=instant, set_at=_real(), running=running))
    else:
        row.instant, row.set_at, row.running = instant, _real(), running
