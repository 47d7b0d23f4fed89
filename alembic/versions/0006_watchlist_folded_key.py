"""watch-list entries carry their folded plate key, so that a batch can be matched before the index loads

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from car_enforce.vehicles.plate_keys import folded_text

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 20_000


def upgrade() -> None:
    with op.batch_alter_table("watchlist_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("folded_key", sa.String(length=16), nullable=True))
    # The key is a rule of the code (the look-alike characters), so existing entries get it from Python,
    # a chunk of rows at a time, before the index is built over it.
    entry = sa.table(
        "watchlist_entry", sa.column("watch_id", sa.Integer), sa.column("plate"), sa.column("folded_key")
    )
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(entry.c.watch_id, entry.c.plate)
            .where(entry.c.watch_id > last)
            .order_by(entry.c.watch_id)
            .limit(CHUNK)
        ).all()
        if not rows:
            break
        bind.execute(
            entry.update().where(entry.c.watch_id == sa.bindparam("id")).values(folded_key=sa.bindparam("key")),
            [{"id": watch_id, "key": folded_text(plate)} for watch_id, plate in rows],
        )
        last = rows[-1][0]
    with op.batch_alter_table("watchlist_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watchlist_entry_folded_key"), ["folded_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("watchlist_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watchlist_entry_folded_key"))
        batch_op.drop_column("folded_key")
