"""Where money owed to an organisation is paid: its bank and account.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29 17:01:06.085255
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bank_name", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("bank_account", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("bank_account")
        batch_op.drop_column("bank_name")
