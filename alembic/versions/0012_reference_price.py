"""the reference-price procedure (参考价规定): methods, inquiry requests and reports, notices to the
platforms, appraisals, the notice served on the parties and its services, objections, the inquiry fee

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 05:12:58.895343
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import car_enforce.core.db

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reference_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('custody_id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('court_id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('capture_id', sa.Integer(), nullable=True),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=True),
    sa.Column('brand_model', sa.String(length=64), nullable=False),
    sa.Column('first_registered_on', sa.Date(), nullable=False),
    sa.Column('fuel', sa.String(length=16), nullable=False),
    sa.Column('odometer_km', sa.Integer(), nullable=True),
    sa.Column('inspection_id', sa.Integer(), nullable=True),
    sa.Column('inspection_score', sa.Integer(), nullable=True),
    sa.Column('inspection_grade', sa.Integer(), nullable=True),
    sa.Column('online_reason', sa.Text(), nullable=False),
    sa.Column('round', sa.String(length=16), nullable=False),
    sa.Column('round_due_on', sa.Date(), nullable=True),
    sa.Column('price_fen', sa.BigInteger(), nullable=True),
    sa.Column('price_basis', sa.Text(), nullable=False),
    sa.Column('fixed_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('first_announced_on', sa.Date(), nullable=True),
    sa.Column('opened_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.String(length=96), nullable=False),
    sa.Column('closed_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['capture_id'], ['capture.id'], name=op.f('fk_reference_price_capture_id_capture')),
    sa.ForeignKeyConstraint(['case_id'], ['enforcement_case.id'], name=op.f('fk_reference_price_case_id_enforcement_case')),
    sa.ForeignKeyConstraint(['center_id'], ['organisation.id'], name=op.f('fk_reference_price_center_id_organisation')),
    sa.ForeignKeyConstraint(['court_id'], ['organisation.id'], name=op.f('fk_reference_price_court_id_organisation')),
    sa.ForeignKeyConstraint(['custody_id'], ['custody.id'], name=op.f('fk_reference_price_custody_id_custody')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_reference_price_inspection_id_inspection')),
    sa.ForeignKeyConstraint(['previous_id'], ['reference_price.id'], name=op.f('fk_reference_price_previous_id_reference_price')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], name=op.f('fk_reference_price_vehicle_id_vehicle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_price'))
    )
    with op.batch_alter_table('reference_price', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_price_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reference_price_center_id'), ['center_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reference_price_court_id'), ['court_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reference_price_custody_id'), ['custody_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reference_price_status'), ['status'], unique=False)
        batch_op.create_index('uq_reference_price_custody_live', ['custody_id'], unique=True, sqlite_where=sa.text("status IN ('open', 'directing', 'inquiring', 'appraising', 'priced')"), postgresql_where=sa.text("status IN ('open', 'directing', 'inquiring', 'appraising', 'priced')"))

    op.create_table('inquiry_fee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pricing_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('share', sa.String(length=16), nullable=False),
    sa.Column('final_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('result_fen', sa.BigInteger(), nullable=False),
    sa.Column('decided_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['inquiry_platform.organisation_id'], name=op.f('fk_inquiry_fee_platform_id_inquiry_platform')),
    sa.ForeignKeyConstraint(['pricing_id'], ['reference_price.id'], name=op.f('fk_inquiry_fee_pricing_id_reference_price')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry_fee')),
    sa.UniqueConstraint('pricing_id', 'platform_id', name=op.f('uq_inquiry_fee_pricing_id_platform_id'))
    )
    op.create_table('inquiry_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pricing_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=80), nullable=False),
    sa.Column('remote_id', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=False),
    sa.Column('received_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_provisional', sa.Boolean(), nullable=False),
    sa.Column('extension_asked_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('extension_message_id', sa.String(length=128), nullable=True),
    sa.Column('platform_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['inquiry_platform.organisation_id'], name=op.f('fk_inquiry_request_platform_id_inquiry_platform')),
    sa.ForeignKeyConstraint(['pricing_id'], ['reference_price.id'], name=op.f('fk_inquiry_request_pricing_id_reference_price')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry_request')),
    sa.UniqueConstraint('pricing_id', 'platform_id', name=op.f('uq_inquiry_request_pricing_id_platform_id')),
    sa.UniqueConstraint('request_id', name=op.f('uq_inquiry_request_request_id'))
    )
    op.create_table('reference_price_appraisal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pricing_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('order', sa.JSON(), nullable=False),
    sa.Column('chosen_by', sa.String(length=16), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('entrusted_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('extensions', sa.JSON(), nullable=False),
    sa.Column('report_number', sa.String(length=64), nullable=False),
    sa.Column('result_fen', sa.BigInteger(), nullable=True),
    sa.Column('reported_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['organisation.id'], name=op.f('fk_reference_price_appraisal_firm_id_organisation')),
    sa.ForeignKeyConstraint(['pricing_id'], ['reference_price.id'], name=op.f('fk_reference_price_appraisal_pricing_id_reference_price')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_price_appraisal'))
    )
    with op.batch_alter_table('reference_price_appraisal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_price_appraisal_pricing_id'), ['pricing_id'], unique=False)

    op.create_table('reference_price_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pricing_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('issued_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['pricing_id'], ['reference_price.id'], name=op.f('fk_reference_price_notice_pricing_id_reference_price')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_price_notice')),
    sa.UniqueConstraint('number', name=op.f('uq_reference_price_notice_number'))
    )
    with op.batch_alter_table('reference_price_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_price_notice_pricing_id'), ['pricing_id'], unique=False)

    op.create_table('reference_price_objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pricing_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('grounds', sa.JSON(), nullable=False),
    sa.Column('platforms', sa.JSON(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('filed_by', sa.String(length=96), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=96), nullable=False),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['case_party.id'], name=op.f('fk_reference_price_objection_party_id_case_party')),
    sa.ForeignKeyConstraint(['pricing_id'], ['reference_price.id'], name=op.f('fk_reference_price_objection_pricing_id_reference_price')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_price_objection'))
    )
    with op.batch_alter_table('reference_price_objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_price_objection_pricing_id'), ['pricing_id'], unique=False)

    op.create_table('reference_price_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pricing_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('document', sa.String(length=200), nullable=False),
    sa.Column('body', sa.String(length=128), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('price_fen', sa.BigInteger(), nullable=True),
    sa.Column('recorded_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=96), nullable=False),
    sa.ForeignKeyConstraint(['pricing_id'], ['reference_price.id'], name=op.f('fk_reference_price_step_pricing_id_reference_price')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_price_step'))
    )
    with op.batch_alter_table('reference_price_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_price_step_pricing_id'), ['pricing_id'], unique=False)

    op.create_table('inquiry_platform_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=False),
    sa.Column('created_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['inquiry_request.id'], name=op.f('fk_inquiry_platform_notice_request_id_inquiry_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry_platform_notice')),
    sa.UniqueConstraint('request_id', 'type', name=op.f('uq_inquiry_platform_notice_request_id_type'))
    )
    op.create_table('inquiry_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=128), nullable=False),
    sa.Column('correction', sa.Boolean(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('vehicle', sa.JSON(), nullable=False),
    sa.Column('samples', sa.JSON(), nullable=False),
    sa.Column('method', sa.Text(), nullable=False),
    sa.Column('result_fen', sa.BigInteger(), nullable=False),
    sa.Column('basic_errors', sa.Text(), nullable=False),
    sa.Column('received_at', car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['inquiry_request.id'], name=op.f('fk_inquiry_report_request_id_inquiry_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry_report')),
    sa.UniqueConstraint('request_id', 'message_id', name=op.f('uq_inquiry_report_request_id_message_id'))
    )
    with op.batch_alter_table('inquiry_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inquiry_report_request_id'), ['request_id'], unique=False)

    op.create_table('reference_price_service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=False),
    sa.Column('objection_due_on', sa.Date(), nullable=True),
    sa.Column('code_digest', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['reference_price_notice.id'], name=op.f('fk_reference_price_service_notice_id_reference_price_notice')),
    sa.ForeignKeyConstraint(['party_id'], ['case_party.id'], name=op.f('fk_reference_price_service_party_id_case_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_price_service')),
    sa.UniqueConstraint('code_digest', name=op.f('uq_reference_price_service_code_digest')),
    sa.UniqueConstraint('notice_id', 'party_id', name=op.f('uq_reference_price_service_notice_id_party_id'))
    )


def downgrade() -> None:
    op.drop_table('reference_price_service')
    with op.batch_alter_table('inquiry_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inquiry_report_request_id'))

    op.drop_table('inquiry_report')
    op.drop_table('inquiry_platform_notice')
    with op.batch_alter_table('reference_price_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_price_step_pricing_id'))

    op.drop_table('reference_price_step')
    with op.batch_alter_table('reference_price_objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_price_objection_pricing_id'))

    op.drop_table('reference_price_objection')
    with op.batch_alter_table('reference_price_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_price_notice_pricing_id'))

    op.drop_table('reference_price_notice')
    with op.batch_alter_table('reference_price_appraisal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_price_appraisal_pricing_id'))

    op.drop_table('reference_price_appraisal')
    op.drop_table('inquiry_request')
    op.drop_table('inquiry_fee')
    with op.batch_alter_table('reference_price', schema=None) as batch_op:
        batch_op.drop_index('uq_reference_price_custody_live', sqlite_where=sa.text("status IN ('open', 'directing', 'inquiring', 'appraising', 'priced')"), postgresql_where=sa.text("status IN ('open', 'directing', 'inquiring', 'appraising', 'priced')"))
        batch_op.drop_index(batch_op.f('ix_reference_price_status'))
        batch_op.drop_index(batch_op.f('ix_reference_price_custody_id'))
        batch_op.drop_index(batch_op.f('ix_reference_price_court_id'))
        batch_op.drop_index(batch_op.f('ix_reference_price_center_id'))
        batch_op.drop_index(batch_op.f('ix_reference_price_case_id'))

    op.drop_table('reference_price')
