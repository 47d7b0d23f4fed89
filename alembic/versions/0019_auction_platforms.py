"""auction platforms: the outside platforms a round may run on, each round's publication there, and the
signed messages each platform sent (taken once)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 08:54:24.848253
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import car_enforce.core.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auction_platform",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("base_url", sa.String(length=300), nullable=False),
        sa.Column("api_key", sa.String(length=128), nullable=False),
        sa.Column("webhook_secret", sa.String(length=128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("added_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_platform")),
        sa.UniqueConstraint("code", name=op.f("uq_auction_platform_code")),
    )
    op.create_table(
        "auction_platform_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_code", sa.String(length=40), nullable=False),
        sa.Column("msg_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("received_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_code"],
            ["auction_platform.code"],
            name=op.f("fk_auction_platform_message_platform_code_auction_platform"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["auction_round.id"],
            name=op.f("fk_auction_platform_message_round_id_auction_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_platform_message")),
        sa.UniqueConstraint(
            "platform_code", "msg_id", name=op.f("uq_auction_platform_message_platform_code_msg_id")
        ),
    )
    with op.batch_alter_table("auction_platform_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_platform_message_round_id"), ["round_id"], unique=False)

    op.create_table(
        "auction_publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("platform_code", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("remote_id", sa.String(length=80), nullable=True),
        sa.Column("url", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sent_version", sa.Integer(), nullable=False),
        sa.Column("withdraw_reason", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("created_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sold", sa.Boolean(), nullable=True),
        sa.Column("price_fen", sa.BigInteger(), nullable=True),
        sa.Column("buyer_number", sa.String(length=32), nullable=False),
        sa.Column("buyer_name", sa.String(length=64), nullable=False),
        sa.Column("buyer_id_masked", sa.String(length=32), nullable=False),
        sa.Column("buyer_id_digest", sa.String(length=64), nullable=False),
        sa.Column("buyer_phone", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_code"],
            ["auction_platform.code"],
            name=op.f("fk_auction_publication_platform_code_auction_platform"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["auction_round.id"], name=op.f("fk_auction_publication_round_id_auction_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_publication")),
        sa.UniqueConstraint("key", name=op.f("uq_auction_publication_key")),
        sa.UniqueConstraint(
            "platform_code", "remote_id", name=op.f("uq_auction_publication_platform_code_remote_id")
        ),
        sa.UniqueConstraint("round_id", name=op.f("uq_auction_publication_round_id")),
    )
    with op.batch_alter_table("auction_publication", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auction_publication_platform_code"), ["platform_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_auction_publication_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auction_publication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auction_publication_status"))
        batch_op.drop_index(batch_op.f("ix_auction_publication_platform_code"))

    op.drop_table("auction_publication")
    with op.batch_alter_table("auction_platform_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auction_platform_message_round_id"))

    op.drop_table("auction_platform_message")
    op.drop_table("auction_platform")
