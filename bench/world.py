"""The benchmarks' world: a fresh database filled with N active watches, and the real server on loopback.

Shared by the benches (``watchlist_sync.py``, ``ingest.py``): the synthetic cars (plates, VINs, debtors)
are valid for the platform's own validators and bulk-inserted (COPY on PostgreSQL), and the server is
``python -m api serve`` in a subprocess whose memory can be sampled.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, Date, Engine, Table, create_engine, insert, make_url, text, update

from api.demo import region
from car_enforce.cases.id_numbers import resident_id_check_char
from car_enforce.cases.models import EnforcementCase, Party
from car_enforce.core.db import Base
from car_enforce.core.geo.models import Jurisdiction
from car_enforce.core.identity import security
from car_enforce.core.identity.models import ApiKey, Organisation, User
from car_enforce.vehicles.models import CaseVehicle, PlateColour, Vehicle
from car_enforce.vehicles.plate_keys import folded_text
from car_enforce.vehicles.vin import TRANSLITERATION, WEIGHTS
from car_enforce.watches.models import Watch, WatchlistChange, WatchlistEntry

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The world: 浙江 > 温州 > 平阳, one county court, its officer, the county traffic police with a key.
PROVINCE_ID, CITY_ID, COUNTY_ID, OTHER_COUNTY_ID = 1, 2, 3, 4
COURT_ID, POLICE_ID = 1, 2
OFFICER_ID = 1
# The demo region's 平阳 court and brigade (api/demo/region.py).
PINGYANG = region.COUNTY["330326"]
COURT_NAME, COURT_CODE, COURT_PHONE = PINGYANG.court, PINGYANG.court_code, PINGYANG.court_phone
OFFICER_PASSWORD = "bench-officer-password"

# Plates: 浙C (Wenzhou) + a serial. Ordinary serials are 5 of 34 characters (no I, O); small new-energy
# serials are [DABCEFGHJK][34 characters][4 digits]. An index is scrambled by an affine bijection so that
# consecutive rows get unrelated plates, and distinct indexes always give distinct plates.
PLATE_PREFIX = "浙C"
ALNUM = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
NEV_LETTERS = "DABCEFGHJK"
ORDINARY_SPACE = len(ALNUM) ** 5
NEV_SPACE = len(NEV_LETTERS) * len(ALNUM) * 10**4
ORDINARY_MULT, NEV_MULT = 7_654_321, 1_234_567
NEV_EVERY = 7  # one car in seven carries a green new-energy plate

CARS = [
    ("大众", "朗逸"),
    ("丰田", "卡罗拉"),
    ("本田", "雅阁"),
    ("别克", "英朗"),
    ("日产", "轩逸"),
    ("吉利", "帝豪"),
    ("长安", "CS75"),
    ("哈弗", "H6"),
    ("五菱", "宏光"),
    ("奥迪", "A4L"),
]
NEV_CARS = [("比亚迪", "秦PLUS EV"), ("特斯拉", "Model 3"), ("蔚来", "ES6"), ("小鹏", "P7"), ("理想", "L7")]
TRUCKS = [("解放", "J6P 牵引车"), ("东风", "天龙 载货车"), ("重汽", "豪沃 自卸车")]
BODY_COLOURS = ["白色", "黑色", "银色", "灰色", "红色", "蓝色"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "勇", "军", "杰", "涛", "明", "超", "秀英"]
WMIS = ["LSV", "LFV", "LVS", "LHG", "LGB", "LGX", "LS5"]
VDS = ["AU218", "CB6E1", "GA2A4", "FC162", "DD14L"]
VIN_YEARS = "HJKLMNPRST"  # model years 2017–2026
VIN_PLANTS = "ABCDEFGHJKLMNPRSTUVW"
PLATE_SHAPE = re.compile(rf"^{PLATE_PREFIX}([{ALNUM}]{{5}}|[{NEV_LETTERS}][{ALNUM}][0-9]{{4}})$")


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------------------
# Synthetic rows


def base34(n: int, width: int) -> str:
    chars = []
    for _ in range(width):
        n, r = divmod(n, len(ALNUM))
        chars.append(ALNUM[r])
    return "".join(reversed(chars))


def plate_of(i: int) -> tuple[str, str, str]:
    """(plate, colour, 号牌种类 code) of car ``i``; distinct for every i below the plate space."""
    if i % NEV_EVERY == 0:
        k = (i // NEV_EVERY * NEV_MULT + 11) % NEV_SPACE
        k, digits = divmod(k, 10**4)
        letter, second = divmod(k, len(ALNUM))
        return f"{PLATE_PREFIX}{NEV_LETTERS[letter]}{ALNUM[second]}{digits:04d}", "green", "52"
    serial = base34((i * ORDINARY_MULT + 5) % ORDINARY_SPACE, 5)
    return (
        (f"{PLATE_PREFIX}{serial}", "yellow", "01")
        if i % 10 == 3
        else (f"{PLATE_PREFIX}{serial}", "blue", "02")
    )


def vin_of(i: int) -> str | None:
    """A Chinese VIN with a valid check digit (GB 16735), unique by (plant, serial); 1 car in 50 has none."""
    if i % 50 == 17:
        return None
    plant = VIN_PLANTS[(i // 10**6) % len(VIN_PLANTS)]
    body = f"{WMIS[i % len(WMIS)]}{VDS[(i // 7) % len(VDS)]}0{VIN_YEARS[(i // 3) % len(VIN_YEARS)]}{plant}"
    vin = f"{body}{i % 10**6:06d}"
    remainder = sum(TRANSLITERATION[c] * w for c, w in zip(vin, WEIGHTS, strict=True)) % 11
    return vin[:8] + ("X" if remainder == 10 else str(remainder)) + vin[9:]


def resident_id_of(i: int) -> str:
    born = date(1960, 1, 1) + timedelta(days=(i * 37) % 16000)
    first17 = f"330326{born:%Y%m%d}{i % 1000:03d}"
    return first17 + resident_id_check_char(first17)


@dataclass(frozen=True, slots=True)
class Car:
    """Everything about car ``i`` (case ``i``, debtor ``i``, vehicle ``i``, watch ``i``) in one place."""

    i: int
    plate: str
    colour: str
    plate_type: str
    vin: str | None
    description: str
    case_number: str
    issued_at: datetime
    starts_on: date
    expires_on: date


def car_of(i: int, n: int, today: date) -> Car:
    plate, colour, plate_type = plate_of(i)
    if colour == "green":
        brand, model = NEV_CARS[i % len(NEV_CARS)]
    elif colour == "yellow":
        brand, model = TRUCKS[i % len(TRUCKS)]
    else:
        brand, model = CARS[i % len(CARS)]
    # Watch ids grow with time: the oldest watch started 700 days ago, the newest today, and each runs two
    # years, so every one is still active.
    starts_on = today - timedelta(days=700 - (i - 1) * 700 // max(n, 1))
    issued_at = datetime.combine(starts_on, dtime(1, 30), tzinfo=UTC) + timedelta(seconds=i % 30000)
    year = 2016 + i % 11
    return Car(
        i=i,
        plate=plate,
        colour=colour,
        plate_type=plate_type,
        vin=vin_of(i),
        description=f"{brand} {model} {BODY_COLOURS[i % len(BODY_COLOURS)]}",
        case_number=f"({year}){COURT_CODE}执{i // 11 + 1}号",
        issued_at=issued_at,
        starts_on=starts_on,
        expires_on=starts_on + timedelta(days=730),
    )


Row = dict[str, Any]


@dataclass(frozen=True)
class BulkTable:
    table: Table
    row: Callable[[Car], Row]


def _case(c: Car) -> Row:
    return {"id": c.i, "court_id": COURT_ID, "case_number": c.case_number, "officer_id": OFFICER_ID,
            "amount_owed_fen": 100_000 + (c.i * 7919) % 50_000_000, "status": "open",
            "opened_at": c.issued_at - timedelta(days=3)}  # fmt: skip


def _party(c: Car) -> Row:
    return {"id": c.i, "case_id": c.i, "role": "debtor", "kind": "person",
            "name": SURNAMES[c.i % len(SURNAMES)] + GIVEN[(c.i // 31) % len(GIVEN)],
            "id_number": resident_id_of(c.i), "phone": f"13{(c.i * 7_777_777) % 10**9:09d}"}  # fmt: skip


def _vehicle(c: Car) -> Row:
    return {"id": c.i, "plate": c.plate, "plate_as_written": c.plate, "plate_colour": c.colour,
            "plate_type": c.plate_type, "vin": c.vin, "vin_needs_review": False, "description": c.description,
            "created_at": c.issued_at - timedelta(days=2)}  # fmt: skip


def _case_vehicle(c: Car) -> Row:
    return {"id": c.i, "case_id": c.i, "vehicle_id": c.i, "owner_party_id": c.i,
            "registered_at": c.issued_at - timedelta(days=2)}  # fmt: skip


def _watch(c: Car) -> Row:
    return {"id": c.i, "case_id": c.i, "vehicle_id": c.i, "court_id": COURT_ID, "officer_id": OFFICER_ID,
            "ruling_number": c.case_number + "之一", "scope_jurisdiction_id": COUNTY_ID, "status": "active",
            "term_days": 730, "issued_at": c.issued_at, "starts_on": c.starts_on, "expires_on": c.expires_on,
            "expires_provisional": False, "ended_at": None, "lift_reason": None, "lift_note": ""}  # fmt: skip


def _entry(c: Car) -> Row:
    """What the police see (watchlist_entry), and what the 'issued' change carried."""
    return {"watch_id": c.i, "scope_jurisdiction_id": COUNTY_ID, "plate": c.plate, "plate_colour": c.colour,
            "vin": c.vin, "description": c.description, "court_name": COURT_NAME, "court_phone": COURT_PHONE,
            "starts_on": c.starts_on, "expires_on": c.expires_on}  # fmt: skip


def _listed(c: Car) -> Row:
    """The entry as the watch-list table holds it: with its folded key (watches.service sets it too)."""
    return {**_entry(c), "folded_key": folded_text(c.plate)}


def _issued_change(c: Car) -> Row:
    return {"seq": c.i, "kind": "issued", "at": c.issued_at, **_entry(c)}


# The per-car tables in foreign-key order, with the row each car gives.
BULK_TABLES = [
    BulkTable(Base.metadata.tables[EnforcementCase.__tablename__], _case),
    BulkTable(Base.metadata.tables[Party.__tablename__], _party),
    BulkTable(Base.metadata.tables[Vehicle.__tablename__], _vehicle),
    BulkTable(Base.metadata.tables[CaseVehicle.__tablename__], _case_vehicle),
    BulkTable(Base.metadata.tables[Watch.__tablename__], _watch),
    BulkTable(Base.metadata.tables[WatchlistEntry.__tablename__], _listed),
    BulkTable(Base.metadata.tables[WatchlistChange.__tablename__], _issued_change),
]


# ---------------------------------------------------------------------------------------------------------
# Database: create, fill, drop


@dataclass
class BenchDatabase:
    url: str
    kind: str  # "sqlite" | "postgresql"
    cleanup: Callable[[], None]
    workdir: Path


def create_database(requested: str | None, workdir: Path) -> BenchDatabase:
    if requested is None or requested.startswith("sqlite"):
        path = workdir / "watchlist.db" if requested is None else Path(make_url(requested).database or "")
        if path.exists():
            raise SystemExit(f"{path} exists; the benchmark needs a fresh database")
        url = f"sqlite:///{path}"

        def drop_sqlite() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        return BenchDatabase(url=url, kind="sqlite", cleanup=drop_sqlite, workdir=workdir)
    server = make_url(requested)
    if server.get_backend_name() != "postgresql":
        raise SystemExit(f"unsupported database {server.get_backend_name()!r}: use SQLite or PostgreSQL")
    name = f"bench_{secrets.token_hex(5)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop_postgres() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = server.set(database=name).render_as_string(hide_password=False)
    return BenchDatabase(url=url, kind="postgresql", cleanup=drop_postgres, workdir=workdir)


@dataclass(frozen=True)
class World:
    api_key: str
    officer_id: int


def insert_world(conn: Connection, now: datetime) -> World:
    """The few rows every car hangs from, with explicit ids."""
    jurisdictions = [
        (PROVINCE_ID, "330000", "浙江省", "province", None, "/330000/"),
        (CITY_ID, "330300", "温州市", "city", PROVINCE_ID, "/330000/330300/"),
        (COUNTY_ID, "330326", "平阳县", "county", CITY_ID, "/330000/330300/330326/"),
        (OTHER_COUNTY_ID, "330382", "乐清市", "county", CITY_ID, "/330000/330300/330382/"),
    ]
    conn.execute(
        insert(Jurisdiction),
        [
            {
                "id": i,
                "code": code,
                "name": name,
                "level": level,
                "parent_id": parent,
                "path": path,
                "boundary_wkt": None,
                "source": "bench",
            }
            for i, code, name, level, parent, path in jurisdictions
        ],
    )
    conn.execute(
        insert(Organisation),
        [
            {
                "id": COURT_ID,
                "kind": "court",
                "name": COURT_NAME,
                "code": COURT_CODE,
                "jurisdiction_id": COUNTY_ID,
                "contact_phone": COURT_PHONE,
                "address": "平阳县昆阳镇",
                "lon": None,
                "lat": None,
            },
            {
                "id": POLICE_ID,
                "kind": "police_unit",
                "name": PINGYANG.brigade,
                "code": None,
                "jurisdiction_id": COUNTY_ID,
                "contact_phone": "0577-63700000",
                "address": "",
                "lon": None,
                "lat": None,
            },
        ],
    )
    conn.execute(
        insert(User),
        [
            {
                "id": OFFICER_ID,
                "organisation_id": COURT_ID,
                "username": "py.officer",
                "display_name": "平阳执行员",
                "role": "officer",
                "password_hash": security.hash_password(OFFICER_PASSWORD),
                "phone": "13800000326",
                "active": True,
                "created_at": now,
            }
        ],
    )
    prefix, secret = security.new_api_key()
    conn.execute(
        insert(ApiKey),
        [
            {
                "id": 1,
                "organisation_id": POLICE_ID,
                "name": "bench adapter",
                "role": "police_adapter",
                "prefix": prefix,
                "secret_hash": security.sha256_hex(secret),
                "created_at": now,
                "created_by_id": None,
                "revoked_at": None,
                "last_used_at": None,
            }
        ],
    )
    return World(api_key=secret, officer_id=OFFICER_ID)


def _copy_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """PostgreSQL: COPY ... FROM STDIN through psycopg, the fastest bulk path."""
    raw = conn.connection.driver_connection
    assert raw is not None
    columns = list(rows[0])
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _bind_processors(
    conn: Connection, table: Table, columns: Sequence[str]
) -> list[Callable[[Any], Any] | None]:
    """Each column type's bind processor on this dialect; a date column's is memoised (few distinct days)."""
    processors: list[Callable[[Any], Any] | None] = []
    for name in columns:
        column_type = table.c[name].type
        process = column_type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        if process is not None and isinstance(column_type, Date):
            process = functools.lru_cache(maxsize=4096)(process)
        processors.append(process)
    return processors


def _insert_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """SQLite: one INSERT run for many rows by the driver's executemany.

    Each value goes through its column type's bind processor for this dialect, so that it is stored exactly
    as SQLAlchemy stores it (dates and UTC instants as text); this skips only Core's per-row bookkeeping,
    which costs more than SQLite's own work.
    """
    columns = list(rows[0])
    indexed = [(k, p) for k, p in enumerate(_bind_processors(conn, table, columns)) if p is not None]
    params = []
    for row in rows:
        values = list(row.values())
        for k, process in indexed:
            values[k] = process(values[k])
        params.append(tuple(values))
    placeholders = ", ".join("?" * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})", params)


def _reset_sequences(conn: Connection) -> None:
    """Rows were inserted with explicit ids: move PostgreSQL's sequences past them."""
    keys = [
        ("jurisdiction", "id"),
        ("organisation", "id"),
        ("app_user", "id"),
        ("api_key", "id"),
        ("enforcement_case", "id"),
        ("case_party", "id"),
        ("vehicle", "id"),
        ("case_vehicle", "id"),
        ("watch", "id"),
        ("watchlist_change", "seq"),
    ]
    for table, column in keys:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"(SELECT coalesce(max({column}), 0) + 1 FROM {table}), false)"
            )
        )


def fill(engine: Engine, kind: str, n: int, chunk: int, today: date, now: datetime) -> World:
    if n >= min(ORDINARY_SPACE, NEV_SPACE * NEV_EVERY, len(VIN_PLANTS) * 10**6):
        raise SystemExit(f"--entries {n} is more than the synthetic plates and VINs can keep unique")
    write = _copy_rows if kind == "postgresql" else _insert_rows
    with engine.begin() as conn:
        world = insert_world(conn, now)
    started = time.perf_counter()
    next_report = n // 10
    for low in range(1, n + 1, chunk):
        cars = [car_of(i, n, today) for i in range(low, min(low + chunk, n + 1))]
        with engine.begin() as conn:
            for bulk in BULK_TABLES:
                write(conn, bulk.table, [bulk.row(c) for c in cars])
        done = low + len(cars) - 1
        if done >= next_report:
            next_report = done + n // 10
            elapsed = time.perf_counter() - started
            log(f"  filled {done:>9,} / {n:,} cars ({elapsed:6.1f} s, {done / elapsed:,.0f} cars/s)")
    with engine.begin() as conn:
        if kind == "postgresql":
            _reset_sequences(conn)
            conn.execute(text("ANALYZE"))
    return world


def check_sample(engine: Engine, n: int) -> None:
    """The synthetic rows pass the platform's own validators (a sample) and the counts are right."""
    from car_enforce.cases.id_numbers import check_resident_id
    from car_enforce.vehicles.plates import check_colour_and_type, parse_plate
    from car_enforce.vehicles.vin import check_vin

    for i in sorted({1, 2, 3, 7, 13, 17, 49, 67, n // 2 or 1, n}):
        if i > n:
            continue
        plate, colour, plate_type = plate_of(i)
        info = parse_plate(plate)
        assert PLATE_SHAPE.match(plate), plate
        check_colour_and_type(info, PlateColour(colour), plate_type)
        vin = vin_of(i)
        if vin is not None:
            assert check_vin(vin).check_digit_ok, vin
        check_resident_id(resident_id_of(i))
    with engine.connect() as conn:
        for table in ("watch", "watchlist_entry", "watchlist_change", "vehicle"):
            count = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert count == n, f"{table} has {count} rows, expected {n}"
        unkeyed = conn.execute(
            text("SELECT count(*) FROM watchlist_entry WHERE folded_key IS NULL")
        ).scalar_one()
        assert unkeyed == 0, f"{unkeyed} watch-list entries have no folded key"


# Rough boxes (WGS84) so that hits are routed by the real boundary index: reads fall inside 平阳.
BOXES = {
    PROVINCE_ID: (118.0, 27.0, 123.0, 31.2),
    CITY_ID: (119.6, 27.0, 121.3, 28.6),
    COUNTY_ID: (120.2, 27.5, 120.7, 27.8),
    OTHER_COUNTY_ID: (120.8, 28.0, 121.3, 28.5),
}


def box_wkt(lon0: float, lat0: float, lon1: float, lat1: float) -> str:
    return f"MULTIPOLYGON((({lon0} {lat0}, {lon1} {lat0}, {lon1} {lat1}, {lon0} {lat1}, {lon0} {lat0})))"


def draw_boundaries(engine: Engine) -> None:
    """Give the world's jurisdictions their boxes, for benches whose reads raise and route alerts."""
    with engine.begin() as conn:
        for jurisdiction_id, box in BOXES.items():
            conn.execute(
                update(Jurisdiction)
                .where(Jurisdiction.id == jurisdiction_id)
                .values(boundary_wkt=box_wkt(*box))
            )


# ---------------------------------------------------------------------------------------------------------
# The server and its memory


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


@dataclass
class RssSampler:
    """Samples VmRSS of a process every ``interval`` seconds in a background thread."""

    pid: int
    interval: float = 0.05
    peak_kib: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, proc_status_kib(self.pid, "VmRSS"))
            self.samples += 1
            self._stop.wait(self.interval)


@dataclass(frozen=True)
class Readiness:
    healthz_s: float  # from start to the first answer of /healthz
    ready_s: float  # from start to the first 200 of /readyz (= healthz_s where the server has none)
    has_readyz: bool
    body: dict[str, Any]  # the /readyz answer that said ready (empty without one)


class Server:
    """The real server in a subprocess: ``python -m api serve --no-scheduler``, one uvicorn process.

    ``extra`` adds options to ``serve`` (``--no-reads``); ``command`` replaces ``serve`` altogether (the
    stand-alone ``scheduler``, which answers no HTTP).
    """

    def __init__(
        self,
        url: str,
        port: int,
        log_path: Path,
        *,
        extra: Sequence[str] = (),
        command: Sequence[str] | None = None,
    ) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        env = {
            **os.environ,
            "CARENFORCE_DATABASE_URL": url,
            "CARENFORCE_RUN_SCHEDULER": "false",
            "PYTHONUNBUFFERED": "1",
        }
        serve = ["serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port), *extra]
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api", *(command or serve)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_healthy(self, timeout: float = 60.0) -> float:
        """Seconds from start until ``/healthz`` answers (the process is up, not necessarily ready)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200:
                    return time.perf_counter() - self.started
            time.sleep(0.02)
        raise RuntimeError(f"the server did not answer /healthz in {timeout:.0f} s:\n{self.log_tail()}")

    def wait_ready(self, timeout: float = 300.0) -> Readiness:
        """Wait until ``/readyz`` says ready (the watch index loaded), as a load balancer would.

        A server from before ``/readyz`` existed (a before-and-after run) answers it 404: then ready is
        healthy, and what it still loads in the background is measured with the traffic.
        """
        healthz_s = self.wait_healthy(min(timeout, 60.0))
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base, timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    r = client.get("/readyz")
                    if r.status_code == 404:
                        return Readiness(healthz_s, healthz_s, False, {})
                    if r.status_code == 200:
                        return Readiness(healthz_s, time.perf_counter() - self.started, True, r.json())
                time.sleep(0.02)
        raise RuntimeError(f"the server was not ready in {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully on SIGINT
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# ---------------------------------------------------------------------------------------------------------
# Targets and the result line


@dataclass(frozen=True)
class Check:
    """One figure against its target: ``op`` is ">=" (at least) or "<" (under)."""

    name: str
    value: float
    op: str
    target: float
    unit: str = ""

    @property
    def ok(self) -> bool:
        return self.value >= self.target if self.op == ">=" else self.value < self.target

    def __str__(self) -> str:
        figure = f"{self.value:,.3g}" if abs(self.value) < 10 else f"{self.value:,.0f}"
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.name} {figure}{unit} ({self.op} {self.target:g})"


def report(bench: str, line: str, checks: Sequence[Check], figures: dict[str, Any]) -> None:
    """Print each check, then the one-JSON-object last line that ``bench/run.py`` reads."""
    for check in checks:
        log(f"  {'ok  ' if check.ok else 'MISS'} {check}")
    summary = {
        "bench": bench,
        "line": line,
        "checks": [
            {"name": c.name, "value": c.value, "op": c.op, "target": c.target, "ok": c.ok} for c in checks
        ],
    }
    result = {**figures, "targets_met": all(c.ok for c in checks), "summary": summary}
    print(json.dumps(result, ensure_ascii=False), flush=True)


def scale_args(parser: Any) -> None:
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the reduced scale of `make bench` (its own targets): a regression guard of a few minutes",
    )
