"""Work items: long work started from the console (an inventory or a boundary import), with its progress.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 05:55:14.376697
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import car_enforce.core.db

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('work_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('started_by', sa.String(length=96), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('input_ref', sa.String(length=80), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_work_item_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_work_item_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_item'))
    )
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_item_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_work_item_status_claimed_until', ['status', 'claimed_until'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index('ix_work_item_status_claimed_until')
        batch_op.drop_index(batch_op.f('ix_work_item_organisation_id'))

    op.drop_table('work_item')
