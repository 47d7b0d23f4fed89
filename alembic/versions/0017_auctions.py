"""auctions: lots, their rounds and rooms, bidders and their deposits, bids, maximum bids, the notices
before an announcement, priority buyers and the 成交确认书

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 08:38:21.310694
"""

from collections.abc import Sequence

import sqlalchemy as sa

import car_enforce.core.db
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auction_lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("custody_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("pricing_id", sa.Integer(), nullable=False),
        sa.Column("reference_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("disclosures", sa.JSON(), nullable=False),
        sa.Column("to_notify", sa.JSON(), nullable=False),
        sa.Column("opened_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=96), nullable=False),
        sa.Column("ended_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_auction_lot_capture_id_capture")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["enforcement_case.id"], name=op.f("fk_auction_lot_case_id_enforcement_case")
        ),
        sa.ForeignKeyConstraint(
            ["center_id"], ["organisation.id"], name=op.f("fk_auction_lot_center_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["court_id"], ["organisation.id"], name=op.f("fk_auction_lot_court_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["custody_id"], ["custody.id"], name=op.f("fk_auction_lot_custody_id_custody")
        ),
        sa.ForeignKeyConstraint(
            ["pricing_id"], ["reference_price.id"], name=op.f("fk_auction_lot_pricing_id_reference_price")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_auction_lot_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_lot")),
    )
    with op.batch_alter_table("auction_lot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_lot_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auction_lot_court_id"), ["court_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auction_lot_custody_id"), ["custody_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auction_lot_status"), ["status"], unique=False)

    op.create_table(
        "auction_priority_buyer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("right", sa.String(length=128), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("code_digest", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["auction_lot.id"], name=op.f("fk_auction_priority_buyer_lot_id_auction_lot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_priority_buyer")),
        sa.UniqueConstraint("code_digest", name=op.f("uq_auction_priority_buyer_code_digest")),
        sa.UniqueConstraint("lot_id", "name", name=op.f("uq_auction_priority_buyer_lot_id_name")),
    )
    with op.batch_alter_table("auction_priority_buyer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_priority_buyer_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "auction_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("resale", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=40), nullable=False),
        sa.Column("starting_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("deposit_fen", sa.BigInteger(), nullable=False),
        sa.Column("increment_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_days", sa.Integer(), nullable=False),
        sa.Column("maxima_allowed", sa.Boolean(), nullable=False),
        sa.Column("window_s", sa.Integer(), nullable=False),
        sa.Column("extension_s", sa.Integer(), nullable=False),
        sa.Column("announced_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("starts_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("effective_end_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("bids", sa.Integer(), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=True),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.Column("leader_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("leader_rank", sa.Integer(), nullable=True),
        sa.Column("suspended_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("suspend_reason", sa.Text(), nullable=False),
        sa.Column("barred", sa.JSON(), nullable=False),
        sa.Column("closed_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("balance_fen", sa.BigInteger(), nullable=True),
        sa.Column("balance_due_on", sa.Date(), nullable=True),
        sa.Column("created_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["auction_lot.id"], name=op.f("fk_auction_round_lot_id_auction_lot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_round")),
        sa.UniqueConstraint("lot_id", "sequence", name=op.f("uq_auction_round_lot_id_sequence")),
    )
    with op.batch_alter_table("auction_round", schema=None) as batch_op:
        batch_op.create_index("ix_auction_round_due", ["status", "effective_end_at"], unique=False)

    op.create_table(
        "auction_bidder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("real_name", sa.String(length=64), nullable=False),
        sa.Column("id_digest", sa.String(length=64), nullable=False),
        sa.Column("id_masked", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("affiliation", sa.String(length=16), nullable=True),
        sa.Column("applicant", sa.Boolean(), nullable=False),
        sa.Column("claim_fen", sa.BigInteger(), nullable=False),
        sa.Column("agent_name", sa.String(length=64), nullable=False),
        sa.Column("agent_confirmed", sa.Boolean(), nullable=False),
        sa.Column("priority_buyer_id", sa.Integer(), nullable=True),
        sa.Column("priority_rank", sa.Integer(), nullable=True),
        sa.Column("deposit_due_fen", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["priority_buyer_id"],
            ["auction_priority_buyer.id"],
            name=op.f("fk_auction_bidder_priority_buyer_id_auction_priority_buyer"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["auction_round.id"], name=op.f("fk_auction_bidder_round_id_auction_round")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_auction_bidder_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_bidder")),
        sa.UniqueConstraint("round_id", "number", name=op.f("uq_auction_bidder_round_id_number")),
        sa.UniqueConstraint("round_id", "user_id", name=op.f("uq_auction_bidder_round_id_user_id")),
    )
    with op.batch_alter_table("auction_bidder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_bidder_user_id"), ["user_id"], unique=False)

    op.create_table(
        "auction_confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("buyer_name", sa.String(length=64), nullable=False),
        sa.Column("buyer_id_masked", sa.String(length=32), nullable=False),
        sa.Column("buyer_number", sa.String(length=16), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_due_on", sa.Date(), nullable=False),
        sa.Column("closed_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["auction_round.id"], name=op.f("fk_auction_confirmation_round_id_auction_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_confirmation")),
        sa.UniqueConstraint("number", name=op.f("uq_auction_confirmation_number")),
        sa.UniqueConstraint("round_id", name=op.f("uq_auction_confirmation_round_id")),
    )
    op.create_table(
        "auction_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("to", sa.String(length=128), nullable=False),
        sa.Column("way", sa.String(length=16), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=96), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["auction_round.id"], name=op.f("fk_auction_notice_round_id_auction_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_notice")),
    )
    with op.batch_alter_table("auction_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_notice_round_id"), ["round_id"], unique=False)

    op.create_table(
        "auction_bid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bidder_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_moved", sa.Boolean(), nullable=False),
        sa.Column("proxy", sa.Boolean(), nullable=False),
        sa.Column("priority_rank", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["bidder_id"], ["auction_bidder.id"], name=op.f("fk_auction_bid_bidder_id_auction_bidder")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["auction_round.id"], name=op.f("fk_auction_bid_round_id_auction_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_bid")),
        sa.UniqueConstraint("bidder_id", "key", name=op.f("uq_auction_bid_bidder_id_key")),
        sa.UniqueConstraint("round_id", "seq", name=op.f("uq_auction_bid_round_id_seq")),
    )
    op.create_table(
        "auction_deposit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bidder_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("pay_url", sa.String(length=256), nullable=False),
        sa.Column("paid_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("moved_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["bidder_id"], ["auction_bidder.id"], name=op.f("fk_auction_deposit_bidder_id_auction_bidder")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_deposit")),
        sa.UniqueConstraint("bidder_id", name=op.f("uq_auction_deposit_bidder_id")),
    )
    with op.batch_alter_table("auction_deposit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_deposit_status"), ["status"], unique=False)

    op.create_table(
        "auction_max_bid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("bidder_id", sa.Integer(), nullable=False),
        sa.Column("max_fen", sa.BigInteger(), nullable=False),
        sa.Column("set_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bidder_id"], ["auction_bidder.id"], name=op.f("fk_auction_max_bid_bidder_id_auction_bidder")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["auction_round.id"], name=op.f("fk_auction_max_bid_round_id_auction_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_max_bid")),
        sa.UniqueConstraint("round_id", "bidder_id", name=op.f("uq_auction_max_bid_round_id_bidder_id")),
    )


def downgrade() -> None:
    op.drop_table("auction_max_bid")
    with op.batch_alter_table("auction_deposit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auction_deposit_status"))

    op.drop_table("auction_deposit")
    op.drop_table("auction_bid")
    with op.batch_alter_table("auction_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auction_notice_round_id"))

    op.drop_table("auction_notice")
    op.drop_table("auction_confirmation")
    with op.batch_alter_table("auction_bidder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auction_bidder_user_id"))

    op.drop_table("auction_bidder")
    with op.batch_alter_table("auction_round", schema=None) as batch_op:
        batch_op.drop_index("ix_auction_round_due")

    op.drop_table("auction_round")
    with op.batch_alter_table("auction_priority_buyer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auction_priority_buyer_lot_id"))

    op.drop_table("auction_priority_buyer")
    with op.batch_alter_table("auction_lot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auction_lot_status"))
        batch_op.drop_index(batch_op.f("ix_auction_lot_custody_id"))
        batch_op.drop_index(batch_op.f("ix_auction_lot_court_id"))
        batch_op.drop_index(batch_op.f("ix_auction_lot_case_id"))

    op.drop_table("auction_lot")
