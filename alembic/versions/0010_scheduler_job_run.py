"""the record of each scheduled job's runs, from which /metrics reports the sweep lag

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import car_enforce.core.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduler_job_run",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_started_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_finished_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_succeeded_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_job_run")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_job_run")
