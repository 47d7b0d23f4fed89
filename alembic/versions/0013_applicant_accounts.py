"""an applicant's own login linked to its party of a case (the console's applicant pages)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 04:53:54.016546
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import car_enforce.core.db

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('case_party', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_party_user_id'), ['user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_case_party_user_id_app_user'), 'app_user', ['user_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('case_party', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_party_user_id_app_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_case_party_user_id'))
        batch_op.drop_column('user_id')

