"""Shared fixtures: a migrated database on SQLite and PostgreSQL, a movable clock, the app and a client.

Every test that takes ``db`` runs once per backend. PostgreSQL runs when ``TEST_DATABASE_URL`` names a
server (CI sets it and fails if any PostgreSQL test is skipped).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL

import api.simulators.models  # noqa: F401  (every table is on the metadata, so truncation reaches it)
import car_enforce.models  # noqa: F401
import valuation.models  # noqa: F401
from car_enforce.core import clock as clock_mod
from car_enforce.core import migrate
from car_enforce.core.clock import SHANGHAI, MovableClock
from car_enforce.core.db import Base, Database, set_database
from car_enforce.core.settings import get_settings

SHARED = Path(os.environ.get("CARENFORCE_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
# A missing shared file skips the tests that read it, or fails them where they are required (CI).
REQUIRE_SHARED = os.environ.get("CARENFORCE_REQUIRE_SHARED") == "1"
START = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)  # a Monday morning in Wenzhou


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
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("postgres_url"), pool_size=5, max_overflow=5)
        _truncate_postgres(database)
    set_database(database)
    yield database
    set_database(None)
    database.dispose()


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    movable = MovableClock(START)
    previous = clock_mod.set_clock(movable)
    yield movable
    clock_mod.set_clock(previous)
