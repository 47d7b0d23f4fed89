"""Console pages benchmark: the server time of every console page on the demo data, and of the command
center with ``--captures`` captures in the database.

Seeds the demo region into a fresh SQLite (or PostgreSQL) database, gives the demo's car an agreed
reference price, starts the real server (``python -m api serve``) on loopback, logs each role in through
the login form as a browser would (the session cookie and the CSRF token), and times each page: the
median and the 95th percentile of ``--repeat`` requests after two warm-ups, from request to last byte.
Then copies the demo's capture ``--captures`` times (each with its stage instants, at places spread over
the region) and times the command center again, for the operator (every court) and an officer.

The floor is ``/healthz`` timed the same way in the same run: what a request costs this machine with no
page behind it. The issue's targets are absolute (every page under 300 ms on the demo data, the command
center under 1 s with 10,000 captures); the ratio of each page to the floor is printed beside them, so a
figure from a slower machine can be read against its own floor. The last line is one JSON object.

    .venv/bin/python bench/pages.py --quick
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, insert, select
from world import Check, Server, free_port, log, report

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo-password-2026"
PAGES: dict[str, tuple[str, ...]] = {
    "pingyang.officer": (
        "/cases",
        "/cases/1",
        "/cases/1/timeline",
        "/cases/1/applicants",
        "/cases/1/money",
        "/captures/1/stages",
        "/inspections/1/report",
        "/alerts",
        "/reference-prices/1",
        "/command",
    ),
    "pingyang.center": (
        "/center",
        "/center/custody/1",
        "/center/custody/1/chain",
        "/center/custody/1/costs",
        "/center/custody/1/release",
        "/center/custody/1/inspection",
        "/center/inventory",
    ),
    "pingyang.police": (
        "/police/alerts",
        "/police/cameras",
        "/police/cameras/1",
        "/police/captures",
        "/police/captures/new",
        "/police/captures/1",
    ),
    "pingyang.applicant": ("/my-cases", "/auctions", "/auctions/1"),  # the public listing and lot page
    "pingyang.auction": ("/auction/lots", "/auction/lots/1", "/auction/settlements"),
    "demo.buyer": ("/buyer", "/buyer/rounds/1"),
    "admin": (
        "/command",
        "/admin/organisations",
        "/admin/users",
        "/admin/api-keys",
        "/admin/calendar",
        "/admin/boundaries",
        "/admin/timeline?run=1",
    ),
}
TARGETS = {"page_ms": 300.0, "command_ms": 1000.0}


def timed(client: httpx.Client, path: str, repeat: int) -> tuple[float, float]:
    """(median, 95th percentile) milliseconds of GET ``path``, after two warm-ups."""
    for _ in range(2):
        r = client.get(path)
        if r.status_code != 200:
            raise RuntimeError(f"GET {path}: {r.status_code} {r.text[:300]}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        r = client.get(path)
        r.read()
        times.append((time.perf_counter() - started) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"GET {path}: {r.status_code}")
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def logged_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf.group(1)})
    if r.status_code not in (200, 303) or "ce_session" not in client.cookies:
        raise RuntimeError(f"{username} could not log in: {r.status_code}")
    return client


def price_the_demo_car(url: str) -> None:
    """An agreed price for the demo's car, so its reference-price page has a price, a notice and services."""
    code = (
        "from datetime import date\n"
        "from sqlalchemy import select\n"
        "from api.wiring import install_handlers\n"
        "from car_enforce.core.db import get_database\n"
        "from car_enforce.core.identity.models import User\n"
        "from car_enforce.core.identity.service import principal_of_user\n"
        "from car_enforce.custody.models import Custody\n"
        "from valuation.reference_price import service\n"
        "install_handlers()\n"
        "with get_database().unit_of_work() as s:\n"
        "    user = s.scalars(select(User).where(User.username == 'pingyang.officer')).one()\n"
        "    officer = principal_of_user(user)\n"
        "    from valuation.reference_price.models import ReferencePrice\n"
        "    priced = select(ReferencePrice.custody_id)\n"  # the demo's lot has its price already
        "    unpriced = select(Custody).where(Custody.id.not_in(priced)).order_by(Custody.id)\n"
        "    custody = s.scalars(unpriced).first()\n"
        "    p = service.open_pricing(s, actor=officer, custody=custody,\n"
        "        facts=service.CarFacts('比亚迪 汉EV', date(2022, 6, 18), 'electric'))\n"
        "    service.record_agreed_price(\n"
        "        s, actor=officer, pricing=p, price_fen=10_200_000, document='议价笔录')\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=_env(url), check=True)


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "CARENFORCE_DATABASE_URL": url}


def add_captures(url: str, n: int) -> None:
    """Copy the demo's capture ``n`` times, with its stage instants, at places spread over the region."""
    sys.path.insert(0, str(PROJECT_ROOT))
    import car_enforce.models  # noqa: F401
    from car_enforce.captures.models import Capture
    from car_enforce.stages.models import StageReached

    engine = create_engine(url)
    with engine.begin() as conn:
        # The demo's first capture (the demo's lot has a capture of its own), copied after the last id.
        captures = Capture.__table__
        template = dict(conn.execute(select(captures).order_by(captures.c.id).limit(1)).mappings().one())
        first = int(conn.execute(select(func.max(captures.c.id))).scalar_one()) + 1
        reached = [
            dict(r)
            for r in conn.execute(
                select(StageReached.__table__).where(StageReached.__table__.c.capture_id == template["id"])
            ).mappings()
        ]
        rows, stages = [], []
        for i in range(first, first + n):
            row = {**template, "id": i, "report_number": f"BENCH-{i:06d}"}
            row["captured_at"] = template["captured_at"] + timedelta(minutes=i)
            row["lon"] = 119.9 + (i * 37 % 1000) / 1000 * 1.1
            row["lat"] = 27.4 + (i * 91 % 1000) / 1000 * 1.0
            rows.append(row)
            for r in reached:
                stages.append(
                    {
                        **r,
                        "id": None,
                        "capture_id": i,
                        "reached_at": r["reached_at"] + timedelta(hours=i % 96),
                    }
                )
        for start in range(0, len(rows), 2000):
            conn.execute(insert(Capture.__table__), rows[start : start + 2000])
        for start in range(0, len(stages), 5000):
            conn.execute(
                insert(StageReached.__table__),
                [{k: v for k, v in s.items() if k != "id"} for s in stages[start : start + 5000]],
            )
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (make bench)")
    parser.add_argument("--captures", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL instead of a SQLite file")
    args = parser.parse_args(argv)
    repeat = args.repeat or (10 if args.quick else 30)
    workdir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    url = args.database_url or f"sqlite:///{workdir / 'pages.db'}"
    env = {**_env(url), "CARENFORCE_EVIDENCE_DIR": str(workdir / "evidence")}
    os.environ["CARENFORCE_EVIDENCE_DIR"] = env["CARENFORCE_EVIDENCE_DIR"]
    for command in (["db", "upgrade"], ["demo-reset", "--yes"] if args.database_url else ["seed-demo"]):
        subprocess.run(
            [sys.executable, "-m", "api", *command],
            cwd=PROJECT_ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    price_the_demo_car(url)
    port = free_port()
    server = Server(url, port, workdir / "server.log", extra=["--no-reads"])
    figures: dict[str, Any] = {}
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.base, timeout=30) as plain:
            floor_ms, _ = timed(plain, "/healthz", repeat)
            login_ms, _ = timed(plain, "/login", repeat)
        figures["floor_ms"] = round(floor_ms, 2)
        pages: dict[str, float] = {"/login": login_ms}
        for username, paths in PAGES.items():
            client = logged_in(server.base, username)
            for path in paths:
                median, p95 = timed(client, path, repeat)
                pages[f"{username} {path}"] = median
                log(f"{username:<20} {path:<26} median {median:7.1f} ms  p95 {p95:7.1f} ms")
            client.close()
        figures["pages_ms"] = {k: round(v, 1) for k, v in pages.items()}
        slowest_name, slowest = max(pages.items(), key=lambda kv: kv[1])
        log(f"adding {args.captures:,} captures")
        add_captures(url, args.captures)
        admin, officer = logged_in(server.base, "admin"), logged_in(server.base, "pingyang.officer")
        command_admin, _ = timed(admin, "/command", repeat)
        command_officer, _ = timed(officer, "/command", repeat)
        admin.close()
        officer.close()
        figures.update(
            slowest_page=slowest_name,
            slowest_page_ms=round(slowest, 1),
            command_ms_admin=round(command_admin, 1),
            command_ms_officer=round(command_officer, 1),
            captures=args.captures + 1,
        )
    finally:
        server.stop()
    command = max(figures["command_ms_admin"], figures["command_ms_officer"])
    line = (
        f"{len(figures['pages_ms'])} pages on the demo data: slowest {figures['slowest_page']} "
        f"{figures['slowest_page_ms']} ms (floor /healthz {figures['floor_ms']} ms, "
        f"{figures['slowest_page_ms'] / figures['floor_ms']:.0f}x); command center with "
        f"{figures['captures']:,} captures {command} ms ({command / figures['floor_ms']:.0f}x the floor)"
    )
    report(
        "pages",
        line,
        [
            Check("slowest page", figures["slowest_page_ms"], "<", TARGETS["page_ms"], "ms"),
            Check("command center, 10k captures", command, "<", TARGETS["command_ms"], "ms"),
        ],
        figures,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
