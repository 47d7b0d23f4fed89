"""the vehicle registry: the platform's requests to it and the callbacks taken; the simulated registry's files,
seizures, transfers, keys and callbacks

It only adds tables, so whoever merges it beside another revision may re-chain it freely.

Revision ID: 0021
Revises: 0019
Create Date: 2026-11-29 13:24:25.033594
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import car_enforce.core.db

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sim_registry_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signed_rightly", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("created_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_registry_message")),
        sa.UniqueConstraint("message_id", name=op.f("uq_sim_registry_message_message_id")),
    )
    op.create_table(
        "sim_registry_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_registry_request")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sim_registry_request_idempotency_key")),
    )
    op.create_table(
        "sim_registry_vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("owner_name", sa.String(length=64), nullable=False),
        sa.Column("owner_id_masked", sa.String(length=32), nullable=False),
        sa.Column("owner_id_digest", sa.String(length=64), nullable=False),
        sa.Column("certificate_number", sa.String(length=32), nullable=False),
        sa.Column("violations", sa.Integer(), nullable=False),
        sa.Column("inspection_valid_until", sa.Date(), nullable=True),
        sa.Column("scrapping_on", sa.Date(), nullable=True),
        sa.Column("stolen", sa.Boolean(), nullable=False),
        sa.Column("updated_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_registry_vehicle")),
        sa.UniqueConstraint("plate", name=op.f("uq_sim_registry_vehicle_plate")),
        sa.UniqueConstraint("vin", name=op.f("uq_sim_registry_vehicle_vin")),
    )
    op.create_table(
        "sim_registry_seizure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seizure_id", sa.String(length=40), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("court", sa.String(length=64), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("document_number", sa.String(length=80), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("release_notice_number", sa.String(length=80), nullable=False),
        sa.Column("ended_by", sa.String(length=40), nullable=False),
        sa.Column("notify_url", sa.String(length=500), nullable=False),
        sa.Column("received_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("effective_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["sim_registry_vehicle.id"],
            name=op.f("fk_sim_registry_seizure_vehicle_id_sim_registry_vehicle"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_registry_seizure")),
        sa.UniqueConstraint(
            "court", "document_number", name=op.f("uq_sim_registry_seizure_court_document_number")
        ),
        sa.UniqueConstraint("seizure_id", name=op.f("uq_sim_registry_seizure_seizure_id")),
    )
    with op.batch_alter_table("sim_registry_seizure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sim_registry_seizure_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "sim_registry_transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.String(length=40), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("court", sa.String(length=64), nullable=False),
        sa.Column("ruling_number", sa.String(length=80), nullable=False),
        sa.Column("notice_number", sa.String(length=80), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("buyer_name", sa.String(length=64), nullable=False),
        sa.Column("buyer_id_masked", sa.String(length=32), nullable=False),
        sa.Column("buyer_id_digest", sa.String(length=64), nullable=False),
        sa.Column("handed_over", sa.JSON(), nullable=False),
        sa.Column("ends_seizures", sa.JSON(), nullable=False),
        sa.Column("out_of_area", sa.Boolean(), nullable=False),
        sa.Column("refusals", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("notify_url", sa.String(length=500), nullable=False),
        sa.Column("accepted_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["sim_registry_vehicle.id"],
            name=op.f("fk_sim_registry_transfer_vehicle_id_sim_registry_vehicle"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_registry_transfer")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_sim_registry_transfer_transfer_id")),
    )
    with op.batch_alter_table("sim_registry_transfer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sim_registry_transfer_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_sim_registry_transfer_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "registry_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("natural_key", sa.String(length=240), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("seizure_request_id", sa.Integer(), nullable=True),
        sa.Column("ruling_number", sa.String(length=80), nullable=False),
        sa.Column("notice_number", sa.String(length=80), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registry_id", sa.String(length=40), nullable=True),
        sa.Column("registry_status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("due_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["enforcement_case.id"], name=op.f("fk_registry_request_case_id_enforcement_case")
        ),
        sa.ForeignKeyConstraint(
            ["seizure_request_id"],
            ["registry_request.id"],
            name=op.f("fk_registry_request_seizure_request_id_registry_request"),
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_registry_request_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_request")),
        sa.UniqueConstraint("key", name=op.f("uq_registry_request_key")),
        sa.UniqueConstraint("natural_key", name=op.f("uq_registry_request_natural_key")),
    )
    with op.batch_alter_table("registry_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_request_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_registry_request_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_registry_request_registry_id"), ["registry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_registry_request_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_registry_request_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "registry_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("received_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["registry_request.id"],
            name=op.f("fk_registry_message_request_id_registry_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_message")),
        sa.UniqueConstraint("msg_id", name=op.f("uq_registry_message_msg_id")),
    )
    with op.batch_alter_table("registry_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_message_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("registry_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_message_request_id"))

    op.drop_table("registry_message")
    with op.batch_alter_table("registry_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_request_vehicle_id"))
        batch_op.drop_index(batch_op.f("ix_registry_request_status"))
        batch_op.drop_index(batch_op.f("ix_registry_request_registry_id"))
        batch_op.drop_index(batch_op.f("ix_registry_request_due_at"))
        batch_op.drop_index(batch_op.f("ix_registry_request_case_id"))

    op.drop_table("registry_request")
    with op.batch_alter_table("sim_registry_transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sim_registry_transfer_vehicle_id"))
        batch_op.drop_index(batch_op.f("ix_sim_registry_transfer_status"))

    op.drop_table("sim_registry_transfer")
    with op.batch_alter_table("sim_registry_seizure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sim_registry_seizure_vehicle_id"))

    op.drop_table("sim_registry_seizure")
    op.drop_table("sim_registry_vehicle")
    op.drop_table("sim_registry_request")
    op.drop_table("sim_registry_message")
