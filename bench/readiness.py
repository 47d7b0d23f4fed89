"""Readiness benchmark: what each kind of process is made of, and what a start-up costs the traffic in it.

Fills a fresh database with ``--entries`` active watches (``world.py``), then:

- the floor: this process loads the same watch index from the same database (seconds, and the resident
  memory it adds);
- ``serve --no-reads`` (a process the load balancer sends no plate reads): seconds until ``/readyz``, and
  its resident memory then: the application alone;
- ``scheduler`` (the sweeps, no HTTP): its resident memory once its jobs have run;
- ``serve`` (takes reads): from the moment ``/healthz`` first answers, a police poller (the change feed)
  and a camera (batches of ``--probe-reads`` reads, one of them a hit on a watched car) send traffic
  until ``--after`` seconds past the moment ``/readyz`` says ready. What the warm-up costs is each
  client's median answer while the index loads over its median once ready (a batch that arrives before
  the index is loaded is matched through the entries the database holds under its folded keys, so it
  does not wait for the load). Every batch must be answered with its hit. The index's memory is this process's
  resident memory when ready less the ``--no-reads`` process's.

Targets (``TARGETS``): warm-up ratio (floor seconds over the server's load seconds while it serves), the
poller's and the camera's slowdown during the warm-up, and the index under 400 MB for 1,000,000 entries.
The last line of output is one JSON object.

    .venv/bin/python bench/readiness.py --quick
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from ingest import load_index, quiet_plates

# The shared world (database fill, server) sits beside this script.
from world import (
    Check,
    Server,
    create_database,
    draw_boundaries,
    fill,
    free_port,
    log,
    plate_of,
    proc_status_kib,
    report,
    scale_args,
)

from car_enforce.core import migrate
from car_enforce.core.db import make_engine
from car_enforce.sightings.index import WatchIndex

# Set from measured runs on this machine kind (bench/README.md): a little under the lowest of them.
TARGETS = {
    "full": {"warm_ratio": 0.3, "poller_slowdown": 4.0, "camera_slowdown": 5.0, "index_mb": 400.0},
    "quick": {"warm_ratio": 0.25, "poller_slowdown": 4.0, "camera_slowdown": 5.0, "index_mb": 100.0},
}
QUICK = {"entries": 200_000}
SCHEDULER_SETTLE_S = 4.0
IN_PINGYANG = (120.45, 27.65)


@dataclass(frozen=True)
class Sample:
    sent: float  # perf_counter when sent
    seconds: float


@dataclass
class Probe:
    """One client's requests, each with when it was sent and how long its answer took."""

    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def split(self, ready_at: float) -> tuple[list[float], list[float]]:
        warming = [s.seconds for s in self.samples if s.sent < ready_at]
        ready = [s.seconds for s in self.samples if s.sent >= ready_at]
        return warming, ready


def batch_bodies(index: WatchIndex, n_entries: int, count: int, size: int) -> list[bytes]:
    """``count`` batches of ``size`` reads of the county that match nothing, but one hit each (car k)."""
    plates, _ = quiet_plates(index, n_entries + 1, count * (size - 1))
    quiet = iter(plates)
    bodies = []
    for k in range(count):
        hit = plate_of(1 + k * max(1, n_entries // count))[0]
        reads = [hit] + [next(quiet) for _ in range(size - 1)]
        bodies.append(
            json.dumps(
                {
                    "reads": [
                        {
                            "plate": plate,
                            "read_at": "",
                            "camera_id": f"probe-{k % 8}",
                            "lon": IN_PINGYANG[0],
                            "lat": IN_PINGYANG[1],
                            "datum": "WGS84",
                            "read_id": f"p{k}-{j}",
                        }
                        for j, plate in enumerate(reads)
                    ]
                },
                ensure_ascii=False,
            ).encode()
        )
    return bodies


def camera(base: str, api_key: str, bodies: Sequence[bytes], stop: threading.Event, probe: Probe) -> None:
    """Post batches one after another until told to stop; each must come back with its one hit."""
    headers = {"X-Api-Key": api_key, "Content-Type": "application/json"}
    with httpx.Client(base_url=base, timeout=120.0, headers=headers) as client:
        for body in bodies:
            if stop.is_set():
                return
            stamped = body.replace(b'"read_at": ""', f'"read_at": "{datetime.now(UTC).isoformat()}"'.encode())
            sent = time.perf_counter()
            r = client.post("/api/police/reads", content=stamped)
            seconds = time.perf_counter() - sent
            if r.status_code != 200 or r.json()["hits"] != 1:
                probe.errors.append(f"{r.status_code}: {r.text[:300]}")
                return
            probe.samples.append(Sample(sent, seconds))
    probe.errors.append("the camera ran out of batches before the run ended: raise --probe-batches")


def poller(base: str, api_key: str, stop: threading.Event, probe: Probe) -> None:
    """Ask the change feed for what is new, as a police system polls it."""
    with httpx.Client(base_url=base, timeout=60.0, headers={"X-Api-Key": api_key}) as client:
        after = int(client.get("/api/police/watchlist/changes", params={"limit": 1}).json()["cursor"])
        while not stop.is_set():
            sent = time.perf_counter()
            r = client.get("/api/police/watchlist/changes", params={"after": after, "limit": 100})
            seconds = time.perf_counter() - sent
            if r.status_code != 200:
                probe.errors.append(f"{r.status_code}: {r.text[:300]}")
                return
            probe.samples.append(Sample(sent, seconds))
            stop.wait(0.01)


def median_ms(values: Sequence[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")


def process_rss_mb(pid: int) -> float:
    return proc_status_kib(pid, "VmRSS") / 1024


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=None, help="active watches (default 1,000,000)")
    parser.add_argument("--probe-reads", type=int, default=100, help="reads in each camera batch (100)")
    parser.add_argument("--probe-batches", type=int, default=2000, help="batches the camera holds (2,000)")
    parser.add_argument("--after", type=float, default=3.0, help="seconds of traffic once ready (3)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server URL (a fresh database bench_<random> is created on it and dropped after); "
        "default: a fresh SQLite file in a temporary directory",
    )
    parser.add_argument("--chunk", type=int, default=20_000, help="cars per bulk-insert transaction")
    scale_args(parser)
    args = parser.parse_args(argv)
    if args.entries is None:
        args.entries = QUICK["entries"] if args.quick else 1_000_000
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    targets = TARGETS["quick" if args.quick else "full"]
    workdir = Path(tempfile.mkdtemp(prefix="bench-readiness-"))
    db = create_database(args.database_url, workdir)
    servers: list[Server] = []
    try:
        log(f"readiness benchmark: {args.entries:,} entries, {db.kind}")
        migrate.upgrade(db.url)
        engine = make_engine(db.url)
        now = datetime.now(UTC)
        world = fill(engine, db.kind, args.entries, args.chunk, now.date(), now)
        draw_boundaries(engine)  # so that the probe's hits are routed as in ingest.py
        engine.dispose()

        index, floor_s, floor_mb = load_index(db.url)  # the floor
        log(
            f"floor: this process loads the index of {len(index):,} entries in {floor_s:.2f} s "
            f"(+{floor_mb:.0f} MB)"
        )
        bodies = batch_bodies(index, args.entries, args.probe_batches, args.probe_reads)
        del index
        gc.collect()

        # A process that takes no reads: the application alone.
        pages = Server(db.url, free_port(), workdir / "no-reads.log", extra=["--no-reads"])
        servers.append(pages)
        pages_ready = pages.wait_ready()
        app_mb = process_rss_mb(pages.pid)
        log(f"serve --no-reads: ready after {pages_ready.ready_s:.1f} s, RSS {app_mb:.0f} MB")
        pages.stop()
        servers.remove(pages)

        # The scheduler: its sweeps, no HTTP and no index.
        sweeps = Server(db.url, free_port(), workdir / "scheduler.log", command=["scheduler"])
        servers.append(sweeps)
        time.sleep(SCHEDULER_SETTLE_S)
        if sweeps.proc.poll() is not None:
            raise RuntimeError(f"the scheduler exited:\n{sweeps.log_tail()}")
        scheduler_mb = process_rss_mb(sweeps.pid)
        log(f"scheduler: RSS {scheduler_mb:.0f} MB after {SCHEDULER_SETTLE_S:.0f} s of sweeps")
        sweeps.stop()
        servers.remove(sweeps)

        # A process that takes reads, with traffic from the moment it answers.
        server = Server(db.url, free_port(), workdir / "server.log")
        servers.append(server)
        healthz_s = server.wait_healthy()
        stop = threading.Event()
        polls, batches = Probe(), Probe()
        clients = [
            threading.Thread(target=poller, args=(server.base, world.api_key, stop, polls), name="poller"),
            threading.Thread(
                target=camera, args=(server.base, world.api_key, bodies, stop, batches), name="camera"
            ),
        ]
        for client in clients:
            client.start()
        ready = server.wait_ready()
        ready_at = server.started + ready.ready_s
        ready_mb = process_rss_mb(server.pid)
        time.sleep(args.after)
        stop.set()
        for client in clients:
            client.join(180)
        for name, probe in (("poller", polls), ("camera", batches)):
            if probe.errors:
                raise RuntimeError(f"the {name} failed: {probe.errors[0]}\n{server.log_tail()}")
        warm = ready.body.get("checks", {}).get("watch_index", {})
        warm_s = float(warm.get("seconds") or (ready.ready_s - healthz_s))
        server.stop()
        servers.remove(server)

        polls_warming, polls_ready = polls.split(ready_at)
        reads_warming, reads_ready = batches.split(ready_at)
        slowdown = median_ms(polls_warming) / median_ms(polls_ready) if polls_warming else 1.0
        camera_slowdown = median_ms(reads_warming) / median_ms(reads_ready) if reads_warming else 1.0
        index_mb = ready_mb - app_mb
        warm_ratio = floor_s / warm_s
        log(
            f"serve: answered after {healthz_s:.1f} s, ready after {ready.ready_s:.1f} s; the index of "
            f"{warm.get('loaded_rows', 0):,} rows loaded in {warm_s:.2f} s (floor {floor_s:.2f} s, "
            f"ratio {warm_ratio:.2f}); RSS when ready {ready_mb:.0f} MB = app {app_mb:.0f} + index "
            f"{index_mb:.0f}"
        )
        log(
            f"  poller: {len(polls_warming)} polls while warming, median {median_ms(polls_warming):.1f} ms; "
            f"{len(polls_ready)} once ready, median {median_ms(polls_ready):.1f} ms (slowdown {slowdown:.2f})"
        )
        log(
            f"  camera: {len(reads_warming)} batches of {args.probe_reads} sent while warming, median "
            f"{median_ms(reads_warming):.1f} ms, the longest {max(reads_warming, default=0) * 1000:.0f} ms; "
            f"{len(reads_ready)} once ready, median {median_ms(reads_ready):.1f} ms (slowdown "
            f"{camera_slowdown:.2f}); every batch's hit was matched"
        )
        checks = [
            Check("warm-up ratio", warm_ratio, ">=", targets["warm_ratio"]),
            Check("poller slowdown while warming", slowdown, "<", targets["poller_slowdown"]),
            Check("camera slowdown while warming", camera_slowdown, "<", targets["camera_slowdown"]),
            Check("index", index_mb, "<", targets["index_mb"], "MB"),
        ]
        line = (
            f"{args.entries:,} entries: ready after {ready.ready_s:.1f} s, index loaded in {warm_s:.2f} s "
            f"(floor {floor_s:.2f} s, ratio {warm_ratio:.2f}); while warming a poll takes "
            f"{slowdown:.1f}x, a read batch {camera_slowdown:.1f}x (the longest "
            f"{max(reads_warming, default=0):.2f} s); RSS app {app_mb:.0f} MB, index {index_mb:.0f} MB, "
            f"scheduler {scheduler_mb:.0f} MB"
        )
        figures = {
            "entries": args.entries,
            "ready_s": round(ready.ready_s, 2),
            "healthz_s": round(healthz_s, 2),
            "warm_s": round(warm_s, 3),
            "warm_floor_s": round(floor_s, 3),
            "warm_ratio": round(warm_ratio, 3),
            "poll_warming_ms": round(median_ms(polls_warming), 2),
            "poll_ready_ms": round(median_ms(polls_ready), 2),
            "poller_slowdown": round(slowdown, 2),
            "polls_warming": len(polls_warming),
            "read_batches_warming": len(reads_warming),
            "read_wait_max_s": round(max(reads_warming, default=0.0), 3),
            "read_batch_warming_ms": round(median_ms(reads_warming), 2),
            "camera_slowdown": round(camera_slowdown, 2),
            "read_batch_ready_ms": round(median_ms(reads_ready), 2),
            "app_rss_mb": round(app_mb, 1),
            "index_rss_mb": round(index_mb, 1),
            "ready_rss_mb": round(ready_mb, 1),
            "scheduler_rss_mb": round(scheduler_mb, 1),
            "floor_index_mb": round(floor_mb, 1),
            "no_reads_ready_s": round(pages_ready.ready_s, 2),
            "database": db.kind,
            "scale": "quick" if args.quick else "full",
        }
        report("readiness", line, checks, figures)
        return 0
    finally:
        for server in servers:
            log(f"{server.log_path.name} tail:\n{server.log_tail()}")
            server.stop()
        db.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
