"""Watch-list sync benchmark (DESIGN §8): a police system pulls the full snapshot, then a delta.

Fills a fresh database with ``--entries`` active watches (cases, debtors, vehicles, links, watches, the
police watch list and its change feed) by bulk insert, starts the real server (``python -m api serve``)
on loopback, and measures, as a police client over HTTP:

- the full CSV snapshot, streamed, from request to last byte, while sampling the server's RSS;
- the change feed after the snapshot's cursor, once ``--changes`` watches were lifted or renewed through
  the service layer (median of repeated requests).

Each time has a floor measured in the same run, on the same database, in this process: the same rows
read with the database driver and written as CSV with the csv module (the snapshot), and the same changes
read and written as JSON (the delta), with no HTTP and no application between. The targets are ratios of
floor to HTTP time, so a slower machine meets them as well as a fast one; the absolute figures stay
beside them. Memory is the same on every machine, so its targets are absolute: the server's peak, and
what streaming the snapshot adds to a ready server (its buffers). The server is sent traffic once
``/readyz`` says its watch index is loaded, as a load balancer would.

The last line of output is one JSON object (``snapshot_s``, ``snapshot_floor_s``, ``snapshot_ratio``,
``delta_ms``, ``delta_floor_ms``, ``delta_ratio``, ``server_peak_rss_mb``, ``snapshot_buffers_mb``, ...).

    .venv/bin/python bench/watchlist_sync.py --quick
    .venv/bin/python bench/watchlist_sync.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, make_url

# The shared world (database fill, server) sits beside this script.
from world import (
    COUNTY_ID,
    OFFICER_ID,
    PLATE_SHAPE,
    Check,
    RssSampler,
    Server,
    check_sample,
    create_database,
    fill,
    free_port,
    log,
    proc_status_kib,
    report,
    scale_args,
)

from api.wiring import install_handlers
from car_enforce.core import clock, migrate
from car_enforce.core.db import Database, make_engine
from car_enforce.core.geo.service import overlapping_jurisdiction_ids
from car_enforce.core.identity.models import User
from car_enforce.core.identity.service import principal_of_user
from car_enforce.watches import service as watches
from car_enforce.watches.feed import COLOUR_NAMES
from car_enforce.watches.models import LiftReason, Watch
from car_enforce.watches.schemas import WatchLift, WatchRenew

# Ratios are floor time over HTTP time (1.0: HTTP costs nothing more than the floor). Set from three
# full-scale runs and three quick ones on this machine kind; see bench/README.md for the reasoning.
TARGETS = {
    "full": {"snapshot_ratio": 0.6, "delta_ratio": 0.25, "peak_rss_mb": 500.0, "buffers_mb": 64.0},
    "quick": {"snapshot_ratio": 0.5, "delta_ratio": 0.25, "peak_rss_mb": 300.0, "buffers_mb": 64.0},
}
QUICK = {"entries": 100_000, "changes": 1000}
DELTA_RUNS = 20
DELTA_WARMUP = 3


# ---------------------------------------------------------------------------------------------------------
# The police client


@dataclass(frozen=True)
class Snapshot:
    entries: int
    bytes: int
    seconds: float
    first_byte_s: float
    cursor: int
    header: str
    first_plate: str


def pull_snapshot(base: str, api_key: str) -> Snapshot:
    """GET the CSV snapshot, streamed, counting lines as they arrive; nothing is kept but counters."""
    newlines = size = 0
    head = b""
    first_byte_s = 0.0
    timeout = httpx.Timeout(connect=5.0, read=120.0, write=5.0, pool=5.0)
    started = time.perf_counter()
    with (
        httpx.Client(timeout=timeout) as client,
        client.stream(
            "GET",
            f"{base}/api/police/watchlist/snapshot",
            params={"format": "csv"},
            headers={"X-Api-Key": api_key},
        ) as response,
    ):
        if response.status_code != 200:
            response.read()
            raise RuntimeError(f"snapshot answered {response.status_code}: {response.text[:500]}")
        cursor = int(response.headers["X-Watchlist-Cursor"])
        for chunk in response.iter_raw(1 << 16):
            if not size:
                first_byte_s = time.perf_counter() - started
            if len(head) < 4096:
                head += chunk[:4096]
            size += len(chunk)
            newlines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    lines = head.decode("utf-8", errors="replace").split("\r\n")
    return Snapshot(
        entries=newlines - 1,
        bytes=size,
        seconds=seconds,
        first_byte_s=first_byte_s,
        cursor=cursor,
        header=lines[0],
        first_plate=lines[1].split(",")[0] if len(lines) > 1 else "",
    )


def make_changes(url: str, n_entries: int, n_changes: int) -> tuple[float, dict[str, int]]:
    """Lift half of ``n_changes`` watches and renew the other half through the service layer."""
    step = max(1, n_entries // n_changes)
    ids = [1 + k * step for k in range(n_changes)]
    if n_changes > n_entries:
        raise SystemExit(f"--changes {n_changes} is more than --entries {n_entries}")
    install_handlers()  # the services record events; the composition root's handlers follow them
    database = Database(url)
    kinds = {"lifted": 0, "renewed": 0}
    started = time.perf_counter()
    try:
        with database.unit_of_work() as session:
            officer = session.get(User, OFFICER_ID)
            assert officer is not None
            actor = principal_of_user(officer)
            for k, watch_id in enumerate(ids):
                watch = session.get(Watch, watch_id)
                assert watch is not None
                if k % 2 == 0:
                    watches.lift_watch(
                        session,
                        actor=actor,
                        watch=watch,
                        data=WatchLift(reason=LiftReason.DEBTOR_PAID, note="执行款已全部到账"),
                    )
                    kinds["lifted"] += 1
                else:
                    ruling = watch.ruling_number.removesuffix("之一") + "之二"
                    watches.renew_watch(
                        session, actor=actor, watch=watch, data=WatchRenew(ruling_number=ruling)
                    )
                    kinds["renewed"] += 1
    finally:
        database.dispose()
    return time.perf_counter() - started, kinds


@dataclass(frozen=True)
class Delta:
    median_ms: float
    p95_ms: float
    min_ms: float
    changes: int
    kinds: dict[str, int]


def time_delta(
    base: str, api_key: str, cursor: int, expected: int, runs: int, floor: DeltaFloor
) -> tuple[Delta, Floor]:
    """The delta over HTTP, each request right after one run of its floor, so that whatever else the
    machine does at that moment weighs on both alike."""
    params: dict[str, str | int] = {"after": cursor, "limit": max(expected, 1)}
    headers = {"X-Api-Key": api_key}
    timings: list[float] = []
    floor_timings: list[float] = []
    body: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=30.0) as client:
        for run in range(DELTA_WARMUP + runs):
            floor_s = floor.once()
            started = time.perf_counter()
            response = client.get("/api/police/watchlist/changes", params=params, headers=headers)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"changes answered {response.status_code}: {response.text[:500]}")
            body = response.json()
            if run >= DELTA_WARMUP:
                timings.append(elapsed * 1000)
                floor_timings.append(floor_s)
    changes = body["changes"]
    if len(changes) != expected or body["has_more"] is not False:
        raise AssertionError(
            f"the delta has {len(changes)} changes (has_more={body['has_more']}), "
            f"expected {expected} and has_more false"
        )
    kinds: dict[str, int] = {}
    for change in changes:
        kinds[change["kind"]] = kinds.get(change["kind"], 0) + 1
    timings.sort()
    p95 = timings[min(len(timings) - 1, math.ceil(0.95 * len(timings)) - 1)]
    delta = Delta(
        median_ms=statistics.median(timings), p95_ms=p95, min_ms=timings[0], changes=len(changes), kinds=kinds
    )
    return delta, Floor(statistics.median(floor_timings), floor.rows, floor.bytes)


# ---------------------------------------------------------------------------------------------------------
# The floors: the same rows, with the driver and the standard library only


@dataclass(frozen=True)
class Floor:
    seconds: float
    rows: int
    bytes: int


def _scope(url: str) -> list[int]:
    """The scopes the bench's police unit (平阳) sees, as the server works them out (not timed)."""
    database = Database(url)
    try:
        with database.session(read_only=True) as session:
            return overlapping_jurisdiction_ids(session, COUNTY_ID)
    finally:
        database.dispose()


def _driver_cursor(raw: Any, kind: str) -> Any:
    """A cursor that streams (PostgreSQL: a server-side one, as the server's snapshot uses)."""
    if kind == "postgresql":
        cursor = raw.driver_connection.cursor(name="floor")
        cursor.itersize = 5000
        return cursor
    return raw.cursor()


def snapshot_floor(url: str, kind: str, scope: Sequence[int]) -> Floor:
    """The snapshot's rows read with the driver and written as the same CSV with the csv module."""
    engine = make_engine(url)
    raw = engine.raw_connection()
    sink = io.StringIO()
    writer = csv.writer(sink, lineterminator="\r\n")
    rows = size = 0
    placeholders = ", ".join(["%s" if kind == "postgresql" else "?"] * len(scope))
    started = time.perf_counter()
    try:
        cursor = _driver_cursor(raw, kind)
        cursor.execute(
            "SELECT watch_id, plate, plate_colour, description, court_name, court_phone FROM watchlist_entry "
            f"WHERE scope_jurisdiction_id IN ({placeholders})",
            list(scope),
        )
        writer.writerow(["Plate Number", "Description", "Match Strategy"])
        while chunk := cursor.fetchmany(5000):
            writer.writerows(
                (plate, f"{COLOUR_NAMES[colour]}牌 {what} · 布控#{wid} · {court} {phone}", "lenient")
                for wid, plate, colour, what, court, phone in chunk
            )
            size += len(sink.getvalue().encode())
            sink.seek(0)
            sink.truncate()
            rows += len(chunk)
        cursor.close()
    finally:
        raw.rollback()
        raw.close()
        engine.dispose()
    return Floor(time.perf_counter() - started, rows, size)


class DeltaFloor:
    """The delta's changes read with the driver and written as the same JSON, one run at a time."""

    def __init__(self, url: str, kind: str, scope: Sequence[int], cursor_at: int, limit: int) -> None:
        self._engine = make_engine(url)
        self._raw = self._engine.raw_connection()
        mark = "%s" if kind == "postgresql" else "?"
        self._sql = (
            "SELECT seq, kind, at, watch_id, plate, plate_colour, vin, description, court_name, court_phone, "
            f"starts_on, expires_on FROM watchlist_change WHERE scope_jurisdiction_id IN "
            f"({', '.join([mark] * len(scope))}) AND seq > {mark} ORDER BY seq LIMIT {mark}"
        )
        self._params = [*scope, cursor_at, limit + 1]
        self._cursor_at, self._limit = cursor_at, limit
        self.rows = self.bytes = 0

    def once(self) -> float:
        started = time.perf_counter()
        cursor = self._raw.cursor()
        cursor.execute(self._sql, self._params)
        found = cursor.fetchall()
        cursor.close()
        self._raw.rollback()
        page = found[: self._limit]
        changes = [
            {
                "seq": seq,
                "kind": what,
                "at": str(at),
                "watch_id": wid,
                "entry": {
                    "plate": plate,
                    "plate_colour": colour,
                    "vin": vin,
                    "description": description,
                    "court": {"name": court, "phone": phone},
                    "starts_on": str(starts),
                    "expires_on": str(expires),
                },
            }
            for seq, what, at, wid, plate, colour, vin, description, court, phone, starts, expires in page
        ]
        cursor_at = changes[-1]["seq"] if changes else self._cursor_at
        document = {"cursor": cursor_at, "has_more": len(found) > self._limit, "changes": changes}
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        seconds = time.perf_counter() - started
        self.rows, self.bytes = len(changes), len(body)
        return seconds

    def close(self) -> None:
        self._raw.close()
        self._engine.dispose()


# ---------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=None, help="active watches to fill (1,000,000)")
    parser.add_argument("--changes", type=int, default=None, help="watches to lift or renew for the delta")
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server URL (a fresh database bench_<random> is created on it and "
        "dropped at the end), or a sqlite:/// path that does not exist yet; default: a "
        "fresh SQLite file in a temporary directory",
    )
    parser.add_argument("--port", type=int, default=None, help="the server's port (default: a free one)")
    parser.add_argument("--chunk", type=int, default=20_000, help="rows per bulk insert")
    parser.add_argument("--delta-runs", type=int, default=DELTA_RUNS, help="timed delta requests")
    scale_args(parser)
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else {"entries": 1_000_000, "changes": 1000}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.entries < 1 or args.changes < 1 or args.chunk < 1:
        parser.error("--entries, --changes and --chunk must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    targets = TARGETS["quick" if args.quick else "full"]
    workdir = Path(tempfile.mkdtemp(prefix="bench_watchlist_"))
    db = create_database(args.database_url, workdir)
    server: Server | None = None
    try:
        log(f"watch-list sync benchmark: {args.entries:,} entries, {args.changes:,} changes, {db.kind}")
        started = time.perf_counter()
        migrate.upgrade(db.url)
        migrate_s = time.perf_counter() - started
        log(f"migrated in {migrate_s:.1f} s")

        engine = make_engine(db.url)
        if db.kind == "sqlite":

            @event.listens_for(engine, "connect")
            def _bulk_pragmas(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA cache_size=-262144")  # 256 MiB of page cache for the filling only
                cur.close()

        today, now = clock.today_local(), clock.now()
        started = time.perf_counter()
        world = fill(engine, db.kind, args.entries, args.chunk, today, now)
        fill_s = time.perf_counter() - started
        check_sample(engine, args.entries)
        engine.dispose()
        size_note = ""
        if db.kind == "sqlite":
            path = Path(make_url(db.url).database or "")
            size_note = f", database file {path.stat().st_size / 2**20:,.0f} MiB"
        log(f"filled {args.entries:,} cars (7 rows each) in {fill_s:.1f} s{size_note}")

        scope = _scope(db.url)
        snapshot_floor(db.url, db.kind, scope)  # once to bring the file into the page cache, as for HTTP
        floor = snapshot_floor(db.url, db.kind, scope)
        log(
            f"snapshot floor (driver rows written as CSV in this process): {floor.rows:,} rows, "
            f"{floor.bytes / 2**20:,.1f} MiB in {floor.seconds:.2f} s"
        )

        port = args.port or free_port()
        server = Server(db.url, port, workdir / "server.log")
        ready = server.wait_ready()
        ready_kib = proc_status_kib(server.pid, "VmRSS")
        warm = ready.body.get("checks", {}).get("watch_index", {})
        log(
            f"server pid {server.pid} on {server.base}: answered after {ready.healthz_s:.1f} s, ready after "
            f"{ready.ready_s:.1f} s (watch index of {warm.get('loaded_rows', 0):,} rows loaded in "
            f"{warm.get('seconds') or 0:.1f} s), RSS when ready {ready_kib / 1024:.0f} MB"
            + ("" if ready.has_readyz else " (no /readyz: this server warms while it serves)")
        )

        with RssSampler(server.pid) as sampler:
            snap = pull_snapshot(server.base, world.api_key)
        log(
            f"snapshot: {snap.entries:,} entries, {snap.bytes / 2**20:,.1f} MiB in {snap.seconds:.2f} s "
            f"(first byte after {snap.first_byte_s * 1000:.0f} ms, "
            f"{snap.entries / snap.seconds:,.0f} entries/s), "
            f"cursor {snap.cursor}"
        )
        log(f"  header {snap.header!r}; first plate {snap.first_plate!r}")
        # The floor once more, now that the server has streamed: the mean of the two is the floor, so that
        # a moment of other work on the machine weighs on floor and HTTP alike.
        floor_after = snapshot_floor(db.url, db.kind, scope)
        floor = Floor((floor.seconds + floor_after.seconds) / 2, floor.rows, floor.bytes)
        log(f"snapshot floor again: {floor_after.seconds:.2f} s; mean floor {floor.seconds:.2f} s")
        log(
            f"  server RSS sampled every 50 ms: peak {sampler.peak_kib / 1024:.0f} MB "
            f"({sampler.samples} samples)"
        )
        if snap.entries != args.entries or floor.rows != args.entries:
            raise AssertionError(
                f"the snapshot has {snap.entries} entries, the floor {floor.rows}, expected {args.entries}"
            )
        if snap.header != "Plate Number,Description,Match Strategy" or not PLATE_SHAPE.match(
            snap.first_plate
        ):
            raise AssertionError(f"unexpected snapshot start: {snap.header!r}, {snap.first_plate!r}")
        if abs(snap.bytes - floor.bytes) > 0.01 * snap.bytes:  # the floor wrote what the server sent
            raise AssertionError(f"the snapshot has {snap.bytes:,} bytes, the floor wrote {floor.bytes:,}")

        changes_s, made = make_changes(db.url, args.entries, args.changes)
        log(f"made {args.changes:,} changes through the service layer in {changes_s:.2f} s: {made}")

        floor_of_delta = DeltaFloor(db.url, db.kind, scope, snap.cursor, args.changes)
        try:
            delta, dfloor = time_delta(
                server.base, world.api_key, snap.cursor, args.changes, args.delta_runs, floor_of_delta
            )
        finally:
            floor_of_delta.close()
        log(
            f"delta: {delta.changes:,} changes {delta.kinds}; {args.delta_runs} runs: median "
            f"{delta.median_ms:.1f} ms, p95 {delta.p95_ms:.1f} ms, min {delta.min_ms:.1f} ms"
        )
        if delta.kinds != made:
            raise AssertionError(f"the delta's kinds {delta.kinds} differ from the changes made {made}")
        log(
            f"delta floor (driver rows written as JSON in this process, each run just before a request): "
            f"{dfloor.rows:,} changes, median {dfloor.seconds * 1000:.1f} ms"
        )
        if dfloor.rows != delta.changes:
            raise AssertionError(
                f"the delta floor read {dfloor.rows} changes, the server sent {delta.changes}"
            )

        hwm_kib = proc_status_kib(server.pid, "VmHWM")
        peak_mb = max(hwm_kib, sampler.peak_kib) / 1024
        buffers_mb = max(0.0, sampler.peak_kib - ready_kib) / 1024
        log(f"server peak RSS (VmHWM) {hwm_kib / 1024:.0f} MB; the snapshot added {buffers_mb:.0f} MB to it")
        server.stop()
        server = None

        snapshot_ratio = floor.seconds / snap.seconds
        delta_ratio = dfloor.seconds * 1000 / delta.median_ms
        checks = [
            Check("snapshot ratio", snapshot_ratio, ">=", targets["snapshot_ratio"]),
            Check("delta ratio", delta_ratio, ">=", targets["delta_ratio"]),
            Check("server peak RSS", peak_mb, "<", targets["peak_rss_mb"], "MB"),
            Check("snapshot buffers", buffers_mb, "<", targets["buffers_mb"], "MB"),
        ]
        line = (
            f"{snap.entries:,} entries: snapshot {snap.seconds:.2f} s (floor {floor.seconds:.2f} s, "
            f"ratio {snapshot_ratio:.2f}), delta {delta.median_ms:.1f} ms (floor "
            f"{dfloor.seconds * 1000:.1f} ms, ratio {delta_ratio:.2f}), peak RSS {peak_mb:.0f} MB"
        )
        figures = {
            "entries": snap.entries,
            "snapshot_s": round(snap.seconds, 3),
            "snapshot_floor_s": round(floor.seconds, 3),
            "snapshot_ratio": round(snapshot_ratio, 3),
            "delta_ms": round(delta.median_ms, 2),
            "delta_floor_ms": round(dfloor.seconds * 1000, 2),
            "delta_ratio": round(delta_ratio, 3),
            "server_peak_rss_mb": round(peak_mb, 1),
            "server_ready_rss_mb": round(ready_kib / 1024, 1),
            "snapshot_buffers_mb": round(buffers_mb, 1),
            "ready_s": round(ready.ready_s, 2),
            "delta_p95_ms": round(delta.p95_ms, 2),
            "delta_min_ms": round(delta.min_ms, 2),
            "changes": delta.changes,
            "snapshot_bytes": snap.bytes,
            "snapshot_first_byte_ms": round(snap.first_byte_s * 1000, 1),
            "fill_s": round(fill_s, 1),
            "changes_s": round(changes_s, 2),
            "database": db.kind,
            "scale": "quick" if args.quick else "full",
        }
        report("watchlist_sync", line, checks, figures)
        return 0
    finally:
        if server is not None:
            log(f"server log tail:\n{server.log_tail()}")
            server.stop()
        db.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
