"""The inquiry fee in money: each platform's agreed fee, and each award's part of it.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29 16:30:16.817904
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inquiry_fee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount_fen", sa.BigInteger(), server_default="0", nullable=False))

    with op.batch_alter_table("inquiry_platform", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fee_fen", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("inquiry_platform", schema=None) as batch_op:
        batch_op.drop_column("fee_fen")

    with op.batch_alter_table("inquiry_fee", schema=None) as batch_op:
        batch_op.drop_column("amount_fen")
