"""custody links lose their own request key: moves and key handovers follow the one Idempotency-Key policy

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("custody_event", schema=None) as batch_op:
        batch_op.drop_column("request_key")


def downgrade() -> None:
    with op.batch_alter_table("custody_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sa.String(length=128), nullable=True))
