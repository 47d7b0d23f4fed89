"""Migrations: ``alembic upgrade head`` then ``alembic check`` on both databases; models never drift."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

from car_enforce.core import migrate
from car_enforce.core.db import Base, make_engine


def _check(url: str) -> None:
    migrate.check(url)  # raises if autogenerate would find any difference
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_sqlite_upgrade_head_then_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate.upgrade(url)
    _check(url)


@pytest.mark.postgres
def test_postgres_upgrade_head_then_check(postgres_url: str) -> None:
    _check(postgres_url)


def test_constraints_follow_the_naming_convention() -> None:
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"
            assert str(constraint.name).startswith(("pk_", "fk_", "uq_", "ck_")), constraint.name


def test_existing_watch_list_entries_get_their_folded_key(tmp_path: Path) -> None:
    """0006 computes the folded key of entries written before it (look-alikes fold: O→0, S→5, B→8)."""
    path = tmp_path / "old.db"
    migrate.upgrade(f"sqlite:///{path}", "0005")
    with sqlite3.connect(path) as raw:  # foreign keys are not enforced on a bare connection
        raw.executemany(
            "INSERT INTO watchlist_entry (watch_id, scope_jurisdiction_id, plate, plate_colour, vin, "
            "description, court_name, court_phone, starts_on, expires_on) "
            "VALUES (?, 1, ?, 'blue', NULL, '', '', '', '2026-11-01', '2027-11-01')",
            [(1, "浙CS8B0O"), (2, "NOPLATE")],
        )
    migrate.upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as raw:
        keys = raw.execute("SELECT watch_id, folded_key FROM watchlist_entry ORDER BY watch_id").fetchall()
    assert keys == [(1, "浙C58800"), (2, None)]
