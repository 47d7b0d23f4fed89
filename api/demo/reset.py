"""Start the demo over: every table emptied and its ids started again, then the seed."""

from __future__ import annotations

from sqlalchemy import text

import api.simulators.models  # noqa: F401  (every table on the metadata, as the migrations know them)
import auction.models
import auction.platforms.models
import auction.settlement.models  # noqa: F401
import car_enforce.models  # noqa: F401
import valuation.models  # noqa: F401
from api.demo import seed as demo
from car_enforce.core.db import Base, Database


def reset(database: Database) -> None:
    """Delete every row, children before parents, in one transaction; restart the ids; seed the demo."""
    tables = Base.metadata.sorted_tables
    with database.engine.begin() as conn:
        for table in reversed(tables):
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            for table in tables:
                for column in table.primary_key.columns:
                    conn.execute(
                        text(
                            "SELECT setval(pg_get_serial_sequence(:t, :c), 1, false) "
                            "WHERE pg_get_serial_sequence(:t, :c) IS NOT NULL"
                        ),
                        {"t": table.name, "c": column.name},
                    )
        elif conn.dialect.name == "sqlite":
            known = conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first()
            if known is not None:
                conn.execute(text("DELETE FROM sqlite_sequence"))
    with database.unit_of_work() as session:
        demo.seed(session)
