"""case money: the ledger (books, accounts, postings and their lines) and each case's payees and payouts

Revision ID: 0024
Revises: 0023. It only adds tables.
Create Date: 2026-11-29 13:24:22.925682
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import car_enforce.core.db

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_book",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("opened_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_book")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_book_key")),
    )
    op.create_table(
        "ledger_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=96), nullable=False),
        sa.Column("normal", sa.String(length=8), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"], ["ledger_book.id"], name=op.f("fk_ledger_account_book_id_ledger_book")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_account")),
        sa.UniqueConstraint("book_id", "code", name=op.f("uq_ledger_account_book_id_code")),
    )
    op.create_table(
        "ledger_posting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["book_id"], ["ledger_book.id"], name=op.f("fk_ledger_posting_book_id_ledger_book")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["ledger_posting.id"], name=op.f("fk_ledger_posting_reverses_id_ledger_posting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_posting")),
        sa.UniqueConstraint("book_id", "key", name=op.f("uq_ledger_posting_book_id_key")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_ledger_posting_reverses_id")),
    )
    op.create_table(
        "ledger_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_account.id"], name=op.f("fk_ledger_line_account_id_ledger_account")
        ),
        sa.ForeignKeyConstraint(
            ["posting_id"], ["ledger_posting.id"], name=op.f("fk_ledger_line_posting_id_ledger_posting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_line")),
    )
    with op.batch_alter_table("ledger_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_line_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_line_posting_id"), ["posting_id"], unique=False)

    op.create_table(
        "case_payee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("account_number", sa.String(length=64), nullable=False),
        sa.Column("bank_name", sa.String(length=64), nullable=False),
        sa.Column("claim_fen", sa.BigInteger(), nullable=False),
        sa.Column("allocated_fen", sa.BigInteger(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("secured", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("added_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["enforcement_case.id"], name=op.f("fk_case_payee_case_id_enforcement_case")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["case_party.id"], name=op.f("fk_case_payee_party_id_case_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_payee")),
        sa.UniqueConstraint("case_id", "account_number", name=op.f("uq_case_payee_case_id_account_number")),
    )
    with op.batch_alter_table("case_payee", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_payee_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_payout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("request_key", sa.String(length=160), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("arrived_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("held_reason", sa.String(length=32), nullable=True),
        sa.Column("hold_note", sa.String(length=200), nullable=False),
        sa.Column("transfer_id", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("created_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["enforcement_case.id"], name=op.f("fk_case_payout_case_id_enforcement_case")
        ),
        sa.ForeignKeyConstraint(
            ["payee_id"], ["case_payee.id"], name=op.f("fk_case_payout_payee_id_case_payee")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_payout")),
        sa.UniqueConstraint("case_id", "request_key", name=op.f("uq_case_payout_case_id_request_key")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_case_payout_idempotency_key")),
    )
    with op.batch_alter_table("case_payout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_payout_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_payout_payee_id"), ["payee_id"], unique=False)
        batch_op.create_index("ix_case_payout_status_due_on", ["status", "due_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_payout", schema=None) as batch_op:
        batch_op.drop_index("ix_case_payout_status_due_on")
        batch_op.drop_index(batch_op.f("ix_case_payout_payee_id"))
        batch_op.drop_index(batch_op.f("ix_case_payout_case_id"))

    op.drop_table("case_payout")
    with op.batch_alter_table("case_payee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_payee_case_id"))

    op.drop_table("case_payee")
    with op.batch_alter_table("ledger_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_line_posting_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_line_account_id"))

    op.drop_table("ledger_line")
    op.drop_table("ledger_posting")
    op.drop_table("ledger_account")
    op.drop_table("ledger_book")
