"""Migrations: ``alembic upgrade head`` then ``alembic check`` on both databases; models never drift."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from car_enforce import migrate
from car_enforce.db import Base, make_engine


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
