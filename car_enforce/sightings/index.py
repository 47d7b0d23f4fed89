"""The active watch list held in memory for matching, kept current from the change feed's cursor.

Each server process holds one index. It loads the police watch list (``watchlist_entry``) and the feed
cursor from one read snapshot, then, before every batch it matches, applies the changes committed after
its cursor (``watchlist_change``, which commits in ``seq`` order). Every process therefore matches a
batch against every change committed before the batch began, however many processes there are, and
no process needs another's memory.

Layout, for a million entries in a few hundred megabytes:

- ``_exact``: plate key → packed ``watch_id << 3 | colour code`` (an int), or a tuple of them when the
  same characters are watched in several colours (different cars);
- ``_folded``: folded key → the plate key(s) that fold to it (the same string objects as in ``_exact``).

Almost every read matches nothing, and that answer costs two ``str.translate`` calls and one dictionary
lookup per reading: the folded key is absent.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.core import memory
from car_enforce.core.db import Database
from car_enforce.sightings.matching import (
    CODE_COLOURS,
    COLOUR_CODES,
    MAX_EQUIVALENT_CHARS,
    MatchKind,
    differences,
)
from car_enforce.vehicles.models import PlateColour
from car_enforce.vehicles.plate_keys import (
    BYTE_SEPARATORS,
    BYTE_TABLE,
    FOLD_TABLE,
    READ_TABLE,
    fold,
    plate_key,
    plate_of,
)
from car_enforce.watches.models import WatchChangeKind, WatchlistChange, WatchlistEntry

log = logging.getLogger(__name__)
_ADDING = frozenset({WatchChangeKind.ISSUED, WatchChangeKind.RENEWED})
LOAD_CHUNK = 20_000
KEYS_PER_QUERY = 10_000


@dataclass(frozen=True, slots=True)
class Match:
    watch_id: int
    plate: str  # the watched plate, normal form
    colour: PlateColour | None
    kind: MatchKind
    reading: str  # the reading (as read) that matched
    equivalent_chars: int  # how many characters matched only through look-alikes


class IndexState(StrEnum):
    COLD = "cold"  # nothing loaded yet (batches are matched through the database meanwhile)
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"  # the last load failed; the warm-up tries again


@dataclass(frozen=True, slots=True)
class IndexStatus:
    state: IndexState
    loaded_rows: int  # watch-list rows read so far while loading; all of them once ready
    seconds: float | None  # of the load: so far while loading, in all once ready
    error: str | None = None


def _rank(m: Match) -> tuple[int, int]:
    return (0 if m.kind is MatchKind.HIT else 1, m.equivalent_chars)


def _pack(watch_id: int, colour: PlateColour | str | None) -> int:
    return watch_id << 3 | COLOUR_CODES[PlateColour(colour) if colour else None]


def _values(slot: int | tuple[int, ...] | None) -> tuple[int, ...]:
    if slot is None:
        return ()
    return slot if isinstance(slot, tuple) else (slot,)


class WatchIndex:
    def __init__(self) -> None:
        self._exact: dict[bytes, int | tuple[int, ...]] = {}
        self._folded: dict[bytes, bytes | tuple[bytes, ...]] = {}
        self.cursor = 0
        self.loaded = False
        self._lock = threading.Lock()
        self._load_started: float | None = None
        self._load_seconds: float | None = None
        self._loaded_rows = 0
        self._error: str | None = None

    def __len__(self) -> int:
        return sum(len(_values(slot)) for slot in self._exact.values())

    # --- building ---------------------------------------------------------------------------------

    def add(self, watch_id: int, plate: str, colour: PlateColour | str | None) -> None:
        key = plate_key(plate)
        if key is not None:
            self._put(key, _pack(watch_id, colour))

    def _put(self, key: bytes, packed: int) -> None:
        present = _values(self._exact.get(key))
        if packed in present:
            return
        if present:
            self._exact[key] = (*present, packed)
            return
        self._exact[key] = packed
        folded = fold(key)
        keys = self._folded.get(folded)
        if keys is None:
            self._folded[folded] = key
        elif isinstance(keys, bytes):
            self._folded[folded] = (keys, key)
        else:
            self._folded[folded] = (*keys, key)

    def remove(self, watch_id: int, plate: str) -> None:
        key = plate_key(plate)
        if key is None or key not in self._exact:
            return
        remaining = tuple(v for v in _values(self._exact[key]) if v >> 3 != watch_id)
        if remaining:
            self._exact[key] = remaining if len(remaining) > 1 else remaining[0]
            return
        del self._exact[key]
        folded = fold(key)
        keys = self._folded.get(folded)
        if keys is None:
            return
        left = tuple(k for k in ((keys,) if isinstance(keys, bytes) else keys) if k != key)
        if not left:
            del self._folded[folded]
        else:
            self._folded[folded] = left if len(left) > 1 else left[0]

    def apply(self, changes: Iterable[tuple[int, str, int, str, str]]) -> None:
        """Apply change-feed rows ``(seq, kind, watch_id, plate, colour)`` in order."""
        for seq, kind, watch_id, plate, colour in changes:
            if kind in _ADDING:
                self.add(watch_id, plate, colour)
            else:  # lifted, lapsed, fulfilled, and any removal a later issue adds
                self.remove(watch_id, plate)
            self.cursor = seq

    # --- keeping current --------------------------------------------------------------------------

    def load(self, session: Session) -> None:
        """Fill from the watch list and take the cursor, both from the session's one read snapshot."""
        self._exact, self._folded = {}, {}  # a load that failed half-way left a part: start afresh
        self._load_started, self._loaded_rows, self._error = time.monotonic(), 0, None
        try:
            cursor = session.execute(select(func.coalesce(func.max(WatchlistChange.seq), 0))).scalar_one()
            # The driver's own rows, without SQLAlchemy's per-row processing: the three columns are an
            # integer and two strings, and a million rows load in about a fifth less time this way.
            result = session.connection().exec_driver_sql(
                f"SELECT watch_id, plate, plate_colour FROM {WatchlistEntry.__tablename__}",
                execution_options={"stream_results": True, "max_row_buffer": LOAD_CHUNK},
            )
            while rows := result.fetchmany(LOAD_CHUNK):
                self._add_rows(rows)
                self._loaded_rows += len(rows)
        except Exception as exc:
            self._exact, self._folded = {}, {}
            self._error = type(exc).__name__  # its message (names, addresses) goes to the log, not to /readyz
            raise
        finally:
            self._load_seconds = time.monotonic() - self._load_started
        self.cursor = int(cursor)
        self.loaded = True

    def _add_rows(self, rows: Iterable[Any]) -> None:
        """``add`` for a load's rows, with its lookups bound once: a load adds a million of them."""
        put, codes = self._put, COLOUR_CODES
        for watch_id, plate, colour in rows:
            key = plate_key(plate)
            if key is not None:
                put(key, watch_id << 3 | codes[colour or None])  # a StrEnum member hashes as its text

    def status(self) -> IndexStatus:
        """Where this index stands, for readiness: loading, ready, or failed (and why)."""
        if self.loaded:
            return IndexStatus(IndexState.READY, self._loaded_rows, self._load_seconds)
        if self._error is not None:
            return IndexStatus(IndexState.FAILED, 0, self._load_seconds, self._error)
        if self._load_started is not None:
            elapsed = time.monotonic() - self._load_started
            return IndexStatus(IndexState.LOADING, self._loaded_rows, elapsed)
        return IndexStatus(IndexState.COLD, 0, None)

    def for_batch(self, session: Session, readings: Iterable[str]) -> WatchIndex:
        """The index to match one batch against, current as of the batch's transaction.

        Once loaded, this index, brought up to date. Before that (the process is starting, or takes no
        reads and was sent some anyway), a small index of only the entries the batch's ``readings`` could
        match, found by their folded keys in one indexed query: the batch never waits for a million
        entries to load, and is matched by the same rules. ``readings`` is only read in that case.
        """
        if self.loaded:
            self.refresh(session)
            return self
        keys = {key.translate(FOLD_TABLE).decode() for r in readings if (key := plate_key(r)) is not None}
        small = WatchIndex()
        ordered = sorted(keys)
        for start in range(0, len(ordered), KEYS_PER_QUERY):  # a driver takes at most 65,535 parameters
            chunk = ordered[start : start + KEYS_PER_QUERY]
            small._add_rows(
                session.execute(
                    select(WatchlistEntry.watch_id, WatchlistEntry.plate, WatchlistEntry.plate_colour).where(
                        WatchlistEntry.folded_key.in_(chunk)
                    )
                )
            )
        small.loaded = True
        return small

    def refresh(self, session: Session) -> int:
        """Load on first use, then apply every change committed after the cursor; returns how many."""
        with self._lock:
            if not self.loaded:
                self.load(session)
                return 0
            rows = session.execute(
                select(
                    WatchlistChange.seq,
                    WatchlistChange.kind,
                    WatchlistChange.watch_id,
                    WatchlistChange.plate,
                    WatchlistChange.plate_colour,
                )
                .where(WatchlistChange.seq > self.cursor)
                .order_by(WatchlistChange.seq)
            ).all()
            self.apply(rows)
            return len(rows)

    # --- matching ---------------------------------------------------------------------------------

    def _entries(self, key: bytes) -> Iterator[tuple[int, PlateColour | None]]:
        for packed in _values(self._exact.get(key)):
            yield packed >> 3, CODE_COLOURS[packed & 7]

    def match_reading(self, reading: str, colour: PlateColour | None) -> list[Match]:
        """Hits and possible hits for one reading; a colour the camera told must agree, never folded."""
        key = plate_key(reading)
        if key is None:
            return []
        near = self._folded.get(fold(key))
        found: list[Match] = []
        for candidate in () if near is None else (near,) if isinstance(near, bytes) else near:
            if candidate == key:
                found += self._found(key, reading, colour, MatchKind.HIT, 0)
                continue
            count = differences(key, candidate)
            if count <= MAX_EQUIVALENT_CHARS:
                found += self._found(candidate, reading, colour, MatchKind.POSSIBLE, count)
        return found

    def _found(
        self, key: bytes, reading: str, colour: PlateColour | None, kind: MatchKind, count: int
    ) -> list[Match]:
        entries = [(w, c) for w, c in self._entries(key) if colour is None or c is None or c == colour]
        # The camera did not tell the colour and these characters are watched in several colours: they
        # are different cars, so each is only a possible hit until a person looks.
        if kind is MatchKind.HIT and colour is None and len(entries) > 1:
            kind = MatchKind.POSSIBLE
        plate = plate_of(key)
        return [Match(w, plate, c, kind, reading, count) for w, c in entries]

    def match(self, readings: Iterable[str], colour: PlateColour | None) -> list[Match]:
        """The best match per watch over every reading of one read: a hit beats a possible hit."""
        # Almost every read matches nothing: tell that with two translations and one lookup per reading,
        # before building anything (a folded key in the index always starts with a province character).
        folded = self._folded
        near: list[str] = []
        for reading in readings:
            raw = reading.encode()
            if len(raw) == len(reading) + 2:  # as in plate_key, inlined: this loop runs for every reading
                key = raw.translate(BYTE_TABLE, BYTE_SEPARATORS)
            else:
                key = reading.translate(READ_TABLE).encode()
            if key.translate(FOLD_TABLE) in folded:
                near.append(reading)
        if not near:
            return []
        best: dict[int, Match] = {}
        for reading in near:
            for m in self.match_reading(reading, colour):
                held = best.get(m.watch_id)
                if held is None or _rank(m) < _rank(held):
                    best[m.watch_id] = m
        return list(best.values())


_indexes: weakref.WeakKeyDictionary[Database, WatchIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def index_of(database: Database) -> WatchIndex:
    """This process's index of a database (one per process and database; each keeps itself current)."""
    index = _indexes.get(database)
    if index is None:
        with _indexes_lock:
            index = _indexes.setdefault(database, WatchIndex())
    return index


def warm_index(
    database: Database,
    *,
    freeze: bool = False,
    stop: threading.Event | None = None,
    retry_s: tuple[float, float] = (1.0, 30.0),
) -> bool:
    """Load this process's index of ``database`` from a read-only snapshot (a server's start-up).

    A failed load (the database not up yet) is tried again after ``retry_s[0]`` seconds, doubling up to
    ``retry_s[1]``, until it succeeds or ``stop`` is set; meanwhile the process is not ready, and a batch
    that arrives is matched through the database (``for_batch``). Returns whether the index is loaded.

    ``freeze``: then move everything alive out of the cyclic collector's reach (``gc.freeze``). Only for
    a process that does nothing but serve: its two index dictionaries hold a million entries each, and
    every full collection would otherwise walk them. (A test process keeps creating and dropping apps.)
    """
    stop = stop or threading.Event()
    index = index_of(database)
    delay, longest = retry_s
    rss_before = memory.rss_bytes()
    while not stop.is_set():
        try:
            with database.session(read_only=True) as session:
                index.refresh(session)
            break
        except Exception:  # the first batch loads it instead; a failed warm-up must not stop the server
            log.exception("warming the watch index failed; trying again in %.0f s", delay)
            stop.wait(delay)
            delay = min(delay * 2, longest)
    else:
        return False
    status = index.status()
    rss_after = memory.rss_bytes()
    log.info(
        "watch index warm: %s entries in %.1f s, resident memory %s",
        f"{status.loaded_rows:,}",
        status.seconds or 0.0,
        memory.describe_growth(rss_before, rss_after),
    )
    if freeze:  # the index, the app and the mappers live as long as the process
        gc.collect()
        gc.freeze()
    return True
