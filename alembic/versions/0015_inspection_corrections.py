"""inspection versions: a correction is a new version naming the one it replaces and why

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 05:55:59.299395
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('replaces_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('correction_reason', sa.Text(), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_inspection_custody_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_inspection_custody_id_version'), ['custody_id', 'version'])
        batch_op.create_unique_constraint(batch_op.f('uq_inspection_replaces_id'), ['replaces_id'])
        batch_op.create_foreign_key(batch_op.f('fk_inspection_replaces_id_inspection'), 'inspection', ['replaces_id'], ['id'])


def downgrade() -> None:
    # Refused by the database (one inspection per custody again) once any inspection was corrected:
    # a correction is evidence and is not dropped silently.
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inspection_replaces_id_inspection'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_inspection_replaces_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_inspection_custody_id_version'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_inspection_custody_id'), ['custody_id'])
        batch_op.drop_column('correction_reason')
        batch_op.drop_column('replaces_id')
        batch_op.drop_column('version')
