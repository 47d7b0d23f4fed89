"""the simulated gateway's payouts keep their own idempotency key: a payout acts once, alone or in any batch

Revision ID: 0022
Revises: 0019
Create Date: 2026-11-29 13:15:34.015694
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sim_payment_transfer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payout_key", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_sim_payment_transfer_payout_key"), ["payout_key"])


def downgrade() -> None:
    with op.batch_alter_table("sim_payment_transfer", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_sim_payment_transfer_payout_key"), type_="unique")
        batch_op.drop_column("payout_key")
