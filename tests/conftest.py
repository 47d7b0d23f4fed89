"""Shared fixtures: a migrated database on SQLite and PostgreSQL, a movable clock, the app and a client.

Every test that takes ``db`` runs once per backend. PostgreSQL runs when ``TEST_DATABASE_URL`` names a
server (CI sets it and fails if any PostgreSQL test is skipped).
"""

# ruff: noqa: E402  (the bytecode switch below must come before the project's modules are imported)
from __future__ import annotations

import os
import sys

# Bytecode caches on, whatever the shell says (PYTHONDONTWRITEBYTECODE=1): without them every test process
# and every process a test starts (the CLI's, the bidders') compiles the project again, and pytest rewrites
# every test module's asserts again in each worker: about 7 s of CPU a process. The caches go to
# __pycache__, which git ignores.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

import logging
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import factories
import pytest
from factories import START
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, make_url, select, text
from sqlalchemy.engine import URL, Engine

import api.simulators.models  # noqa: F401  (every table is on the metadata, so truncation reaches it)
import auction.models
import auction.platforms.models
import auction.settlement.models  # noqa: F401
import car_enforce.models  # noqa: F401
import valuation.models  # noqa: F401
from api.app import create_app
from api.wiring import install_handlers
from car_enforce.core import clock as clock_mod
from car_enforce.core import logs, migrate
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import SQLITE_BUSY_TIMEOUT_S, Base, Database, make_engine, set_database
from car_enforce.core.settings import get_settings
from tests.api_helpers import issue_watch, login, open_case, register_vehicle

REQUIRE_POSTGRES = os.environ.get("CARENFORCE_REQUIRE_POSTGRES") == "1"
_skipped_postgres: list[str] = []


def _pg_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def pytest_configure(config: pytest.Config) -> None:
    # Cheap parameters for the suite's many logins; the hashes stay real argon2id and verify the same way.
    os.environ.setdefault("CARENFORCE_PASSWORD_HASH_PROFILE", "cheapest")
    # Evidence files of the whole run go to one temporary directory, never into the project's var/.
    os.environ.setdefault("CARENFORCE_EVIDENCE_DIR", tempfile.mkdtemp(prefix="carenforce-evidence-"))
    get_settings.cache_clear()
    # Services are called directly in many tests: they need the composition root's event handlers.
    install_handlers()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The longest tests start first, so that the workers of a parallel run finish together.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "postgres" in report.keywords:
        _skipped_postgres.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # CI requires PostgreSQL: a PostgreSQL test that skipped is a failure there, not a pass.
    if REQUIRE_POSTGRES and _skipped_postgres:
        print(f"\n{len(_skipped_postgres)} PostgreSQL tests were skipped but PostgreSQL is required:")
        for nodeid in _skipped_postgres[:20]:
            print(f"  {nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


class SqliteFiles:
    """One SQLite engine per process whose new connections open the current test's own file.

    An engine per test would compile every SQL statement again (a fifth of an API test's time): the
    compiled statements are cached per engine. Each test still gets a fresh file and its own engine object
    (``execution_options()``), so the caches the platform keeps per engine start empty.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / "none-yet.db"
        self.engine = make_engine(f"sqlite:///{self.path}", creator=self._connect)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, check_same_thread=False, timeout=SQLITE_BUSY_TIMEOUT_S)

    def open(self, path: Path) -> Engine:
        self.engine.dispose()  # the last test's pooled connections stay on the last test's file
        self.path = path
        return self.engine.execution_options()


@pytest.fixture(scope="session")
def sqlite_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteFiles]:
    files = SqliteFiles(tmp_path_factory.mktemp("sqlite"))
    yield files
    files.engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = _pg_url()
    if base is None:
        if REQUIRE_POSTGRES:
            pytest.fail("CARENFORCE_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests need a server")
    server: URL = make_url(base)
    name = f"carenforce_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test database needs no durability: commits do not wait for the disk (the suite commits a lot).
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """One engine per process on the test database: a fresh one per test would connect anew and compile
    every SQL statement again (a fifth of an API test's time); each test gets its own engine object on it."""
    engine = make_engine(postgres_url, pool_size=5, max_overflow=5)
    yield engine
    engine.dispose()


def _empty_postgres(database: Database) -> None:
    """Empty the tables an earlier test wrote to, and restart their ids.

    ``TRUNCATE`` of every table costs about 0.2 s (a file operation per table); one query finds the few
    tables a test wrote to, and deleting their rows child-first is a few milliseconds.
    """
    tables = Base.metadata.sorted_tables
    probe = " UNION ALL ".join(
        f'SELECT {i} WHERE EXISTS (SELECT 1 FROM "{t.name}")' for i, t in enumerate(tables)
    )
    with database.engine.begin() as conn:
        used = {row[0] for row in conn.execute(text(probe))}
        for i in sorted(used, reverse=True):  # children before their parents
            conn.execute(text(f'DELETE FROM "{tables[i].name}"'))
        serials = [(tables[i].name, c.name) for i in used for c in tables[i].primary_key.columns]
        if serials:  # ids start at 1 again, as after a fresh migration
            pairs = ", ".join(f"('{t}', '{c}')" for t, c in serials)
            conn.execute(
                text(
                    "SELECT setval(seq, 1, false) FROM (SELECT pg_get_serial_sequence(t, c) AS seq "
                    f"FROM (VALUES {pairs}) AS pk(t, c)) AS found WHERE seq IS NOT NULL"
                )
            )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        files: SqliteFiles = request.getfixturevalue("sqlite_files")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        database = Database(f"sqlite:///{path}", engine=files.open(path))
    else:
        shared: Engine = request.getfixturevalue("postgres_engine")
        database = Database(
            shared.url.render_as_string(hide_password=False), engine=shared.execution_options()
        )
        _empty_postgres(database)
    set_database(database)
    yield database
    set_database(None)
    if database.sqlite:  # PostgreSQL keeps the process's pooled connections for the next test
        database.dispose()


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """What a test does to the logging set-up (a handler on the root logger, uvicorn's loggers), undone."""
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access", *logs.CHATTY)
    kept = {name: logging.getLogger(name) for name in names}
    saved = {name: (list(lg.handlers), lg.level, lg.propagate, lg.disabled) for name, lg in kept.items()}
    yield
    for name, logger in kept.items():
        handlers, level, propagate, disabled = saved[name]
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    movable = MovableClock(START)
    previous = clock_mod.set_clock(movable)
    yield movable
    clock_mod.set_clock(previous)


# --- The region most API tests run in (tests/factories.py) ---------------------------------------------
#
# Built once per session through the services, on a scratch database, and kept as rows: a test that
# needs the region gets those rows inserted into its fresh database (milliseconds), not the dozens of
# service calls that made them (60 ms on SQLite), with the same ids, keys and timestamps every time.

Rows = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class RegionRows:
    world: factories.World
    world_rows: Rows
    centers: factories.Centers
    center_rows: Rows  # the rows the centers add to the world, or change in it (a timeline head)


def _rows_of(database: Database) -> Rows:
    with database.engine.connect() as conn:
        return {
            t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in Base.metadata.sorted_tables
        }


def _key(table: Any, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in table.primary_key.columns)


def _insert_rows(database: Database, rows: Rows) -> None:
    """Insert the rows; a row whose key is there already replaces it."""
    with database.engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            wanted = rows.get(table.name)
            if not wanted:
                continue
            keys = table.primary_key.columns
            there = {tuple(r) for r in conn.execute(select(*keys))}
            for row in (r for r in wanted if _key(table, r) in there):
                conn.execute(table.update().where(*(c == row[c.name] for c in keys)).values(row))
            fresh = [r for r in wanted if _key(table, r) not in there]
            if fresh:
                conn.execute(insert(table), fresh)
        if conn.dialect.name == "postgresql":  # the next id after the inserted ones, as if made one by one
            for table in Base.metadata.sorted_tables:
                for column in table.primary_key.columns:
                    if rows.get(table.name) and isinstance(rows[table.name][0].get(column.name), int):
                        conn.execute(
                            text(
                                "SELECT setval(pg_get_serial_sequence(:t, :c), "
                                f'(SELECT max("{column.name}") FROM "{table.name}"))'
                            ),
                            {"t": table.name, "c": column.name},
                        )


@pytest.fixture(scope="session")
def region_rows(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> RegionRows:
    path = tmp_path_factory.mktemp("region") / "region.db"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    previous = clock_mod.set_clock(MovableClock(START))
    try:
        world = factories.world(database)
        world_rows = _rows_of(database)
        centers = factories.centers(database, world.region)
        every_row = _rows_of(database)
    finally:
        clock_mod.set_clock(previous)
        database.dispose()
    center_rows = {name: [r for r in rows if r not in world_rows[name]] for name, rows in every_row.items()}
    return RegionRows(world, world_rows, centers, center_rows)


@pytest.fixture
def world(db: Database, clock: MovableClock, region_rows: RegionRows) -> factories.World:
    """Two courts with an officer each, an admin, and police units at county, city and other-city level."""
    _insert_rows(db, region_rows.world_rows)
    return region_rows.world


@pytest.fixture
def centers(db: Database, world: factories.World, region_rows: RegionRows) -> factories.Centers:
    """The 平阳 and 杭州 auxiliary centers, each with a staff login."""
    _insert_rows(db, region_rows.center_rows)
    return region_rows.centers


@pytest.fixture(scope="session")
def app() -> FastAPI:
    """One app per test process. It reaches the test's database through ``get_database()`` on every request.

    FastAPI builds a router's routes lazily, on the first request that reaches the router (a pydantic
    adapter for each parameter, about 9 ms a route), so a fresh app in every test paid that in every test:
    a third of the API tests' time. A test that needs the app built another way builds its own.
    """
    return create_app()


@pytest.fixture
def client(app: FastAPI, db: Database, world: factories.World) -> Iterator[TestClient]:
    """The app on the test database, with the region in it; its start (the watch index) runs per test. A
    module whose tests need the centers before the app starts says so with
    ``pytestmark = pytest.mark.usefixtures("centers")``."""
    with TestClient(app) as c:
        yield c


@pytest.fixture
def watched(client: TestClient) -> dict[str, Any]:
    """浙C12345 (blue) under a Pingyang-county watch of the Pingyang court, issued through the API."""
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    link = register_vehicle(client, officer, case)
    return issue_watch(client, officer, case, link["vehicle"]["id"])
