"""captures carry the instant their car left custody, so the stage clocks need not read custody

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import car_enforce.core.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.add_column(sa.Column("released_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE capture SET released_at = (SELECT custody.released_at FROM custody "
        "WHERE custody.capture_id = capture.id) WHERE status = 'released'"
    )


def downgrade() -> None:
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.drop_column("released_at")
