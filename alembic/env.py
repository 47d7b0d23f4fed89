"""Alembic environment: the platform's metadata, on SQLite (batch mode) and PostgreSQL alike."""

import api.simulators.models  # noqa: F401
import auction.models
import auction.platforms.models
import auction.settlement.models  # noqa: F401
import car_enforce.models  # noqa: F401  (registers every table on the metadata)
import valuation.models  # noqa: F401
from alembic import context
from car_enforce.core.db import Base, make_engine
from car_enforce.core.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
