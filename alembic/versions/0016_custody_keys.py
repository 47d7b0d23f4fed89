"""each key of a car in custody tracked on its own, and each key's part in the chain

The custody's single "keys held by" column gives way to one row per key received; existing custodies'
keys are written back from it (one row per key received, in the hand that column named), and each
intake link records its keys going into that hand. Later links written before this keep only their
summary columns: which of several keys they moved was never recorded.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 05:56:10.358480
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

custody = sa.table(
    "custody",
    sa.column("id", sa.Integer),
    sa.column("keys_received", sa.Integer),
    sa.column("keys_held_by", sa.String),
    sa.column("custodian_name", sa.String),
)
custody_event = sa.table(
    "custody_event",
    sa.column("id", sa.Integer),
    sa.column("custody_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("keys_to", sa.String),
)
custody_key = sa.table(
    "custody_key",
    sa.column("id", sa.Integer),
    sa.column("custody_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("label", sa.String),
    sa.column("holder", sa.String),
)
custody_key_move = sa.table(
    "custody_key_move",
    sa.column("event_id", sa.Integer),
    sa.column("key_id", sa.Integer),
    sa.column("from_holder", sa.String),
    sa.column("to_holder", sa.String),
)


def upgrade() -> None:
    op.create_table(
        "custody_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("custody_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=96), nullable=False),
        sa.ForeignKeyConstraint(["custody_id"], ["custody.id"], name=op.f("fk_custody_key_custody_id_custody")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_key")),
        sa.UniqueConstraint("custody_id", "number", name=op.f("uq_custody_key_custody_id_number")),
    )
    with op.batch_alter_table("custody_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custody_key_custody_id"), ["custody_id"], unique=False)

    op.create_table(
        "custody_key_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("from_holder", sa.String(length=96), nullable=True),
        sa.Column("to_holder", sa.String(length=96), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["custody_event.id"], name=op.f("fk_custody_key_move_event_id_custody_event")
        ),
        sa.ForeignKeyConstraint(["key_id"], ["custody_key.id"], name=op.f("fk_custody_key_move_key_id_custody_key")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_key_move")),
        sa.UniqueConstraint("event_id", "key_id", name=op.f("uq_custody_key_move_event_id_key_id")),
    )
    with op.batch_alter_table("custody_key_move", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custody_key_move_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_custody_key_move_key_id"), ["key_id"], unique=False)

    _write_back_keys(op.get_bind())

    # SQLite drops the column in place (3.35+): batch mode would copy the table and drop the old one,
    # which the foreign keys of the custody's chain, photos and orders refuse while they hold rows.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE custody DROP COLUMN keys_held_by")
    else:
        op.drop_column("custody", "keys_held_by")


def _write_back_keys(bind: sa.Connection) -> None:
    """One row per key received, in the hand the custody named; the intake link moves them there."""
    held = bind.execute(
        sa.select(custody.c.id, custody.c.keys_received, custody.c.keys_held_by, custody.c.custodian_name)
        .where(custody.c.keys_received > 0)
        .order_by(custody.c.id)
    ).all()
    for custody_id, received, held_by, custodian in held:
        holder = held_by or f"{custodian}（钥匙柜）"
        bind.execute(
            custody_key.insert(),
            [
                {"custody_id": custody_id, "number": n, "label": f"钥匙{n}", "holder": holder}
                for n in range(1, received + 1)
            ],
        )
        intake = bind.execute(
            sa.select(custody_event.c.id, custody_event.c.keys_to).where(
                custody_event.c.custody_id == custody_id, custody_event.c.kind == "intake"
            )
        ).first()
        if intake is None:
            continue
        keys = bind.execute(
            sa.select(custody_key.c.id).where(custody_key.c.custody_id == custody_id).order_by(custody_key.c.number)
        ).scalars()
        bind.execute(
            custody_key_move.insert(),
            [
                {
                    "event_id": intake.id,
                    "key_id": key_id,
                    "from_holder": None,
                    "to_holder": intake.keys_to or f"{custodian}（钥匙柜）",
                }
                for key_id in keys
            ],
        )


def downgrade() -> None:
    # Added in place on SQLite too (ADD COLUMN needs no copy of the table); the default stays, since
    # removing it would copy the table.
    op.add_column("custody", sa.Column("keys_held_by", sa.String(length=96), nullable=False, server_default=""))
    # The hand of the first key: the one column cannot say more.
    first_holder = (
        sa.select(custody_key.c.holder)
        .where(custody_key.c.custody_id == custody.c.id)
        .order_by(custody_key.c.number)
        .limit(1)
        .scalar_subquery()
    )
    op.get_bind().execute(
        custody.update()
        .where(sa.exists().where(custody_key.c.custody_id == custody.c.id))
        .values(keys_held_by=first_holder)
    )

    with op.batch_alter_table("custody_key_move", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_key_move_key_id"))
        batch_op.drop_index(batch_op.f("ix_custody_key_move_event_id"))
    op.drop_table("custody_key_move")
    with op.batch_alter_table("custody_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_key_custody_id"))
    op.drop_table("custody_key")
