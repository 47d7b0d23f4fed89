"""settlements

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 14:09:33.635344
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


import car_enforce.core.db

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auction_settlement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("buyer_user_id", sa.Integer(), nullable=True),
        sa.Column("buyer_name", sa.String(length=64), nullable=False),
        sa.Column("buyer_id_digest", sa.String(length=64), nullable=False),
        sa.Column("buyer_id_masked", sa.String(length=32), nullable=False),
        sa.Column("buyer_number", sa.String(length=16), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("deposit_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_due_on", sa.Date(), nullable=False),
        sa.Column("sold_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("pay_url", sa.String(length=256), nullable=False),
        sa.Column("proof", sa.JSON(), nullable=True),
        sa.Column("paid_via", sa.String(length=16), nullable=True),
        sa.Column("paid_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("papers", sa.JSON(), nullable=True),
        sa.Column("papers_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ruling_number", sa.String(length=64), nullable=False),
        sa.Column("notice_number", sa.String(length=64), nullable=False),
        sa.Column("ruled_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("served_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("served_how", sa.String(length=64), nullable=False),
        sa.Column("transfer_status", sa.String(length=16), nullable=False),
        sa.Column("registry_request_id", sa.Integer(), nullable=True),
        sa.Column("transfer_applications", sa.Integer(), nullable=False),
        sa.Column("transfer_refusal", sa.Text(), nullable=False),
        sa.Column("registration", sa.JSON(), nullable=True),
        sa.Column("registered_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("release_order_id", sa.Integer(), nullable=True),
        sa.Column("handed_over_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("defaulted_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_warned_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("forfeited_fen", sa.BigInteger(), nullable=False),
        sa.Column("forfeit", sa.JSON(), nullable=True),
        sa.Column("forfeit_applied_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_user_id"], ["app_user.id"], name=op.f("fk_auction_settlement_buyer_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["enforcement_case.id"], name=op.f("fk_auction_settlement_case_id_enforcement_case")
        ),
        sa.ForeignKeyConstraint(
            ["court_id"], ["organisation.id"], name=op.f("fk_auction_settlement_court_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["auction_lot.id"], name=op.f("fk_auction_settlement_lot_id_auction_lot")
        ),
        sa.ForeignKeyConstraint(
            ["registry_request_id"],
            ["registry_request.id"],
            name=op.f("fk_auction_settlement_registry_request_id_registry_request"),
        ),
        sa.ForeignKeyConstraint(
            ["release_order_id"],
            ["release_order.id"],
            name=op.f("fk_auction_settlement_release_order_id_release_order"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["auction_round.id"], name=op.f("fk_auction_settlement_round_id_auction_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_settlement")),
        sa.UniqueConstraint("round_id", name=op.f("uq_auction_settlement_round_id")),
    )
    with op.batch_alter_table("auction_settlement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auction_settlement_buyer_user_id"), ["buyer_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_auction_settlement_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auction_settlement_court_id"), ["court_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auction_settlement_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auction_settlement_status"), ["status"], unique=False)

    op.create_table(
        "auction_sale_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("issued_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=96), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["auction_settlement.id"],
            name=op.f("fk_auction_sale_document_settlement_id_auction_settlement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_sale_document")),
        sa.UniqueConstraint("kind", "number", name=op.f("uq_auction_sale_document_kind_number")),
        sa.UniqueConstraint(
            "settlement_id", "kind", name=op.f("uq_auction_sale_document_settlement_id_kind")
        ),
    )
    with op.batch_alter_table("enforcement_case", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("debtor_paid_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("enforcement_case", schema=None) as batch_op:
        batch_op.drop_column("debtor_paid_at")

    op.drop_table("auction_sale_document")
    with op.batch_alter_table("auction_settlement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auction_settlement_status"))
        batch_op.drop_index(batch_op.f("ix_auction_settlement_lot_id"))
        batch_op.drop_index(batch_op.f("ix_auction_settlement_court_id"))
        batch_op.drop_index(batch_op.f("ix_auction_settlement_case_id"))
        batch_op.drop_index(batch_op.f("ix_auction_settlement_buyer_user_id"))

    op.drop_table("auction_settlement")
