"""the shared clock: one row every process reads when CARENFORCE_CLOCK=shared

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import car_enforce.core.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shared_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instant", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_clock")),
    )


def downgrade() -> None:
    op.drop_table("shared_clock")
